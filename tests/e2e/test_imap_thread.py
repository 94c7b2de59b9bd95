"""THREAD (RFC 5256: ORDEREDSUBJECT, REFERENCES) and THREAD=REFS (draft-ietf-morg-inthread):
threads built from Message-ID, References and In-Reply-To, dummy parents for missing
messages, subject merging, sent-date ordering, UID THREAD and search criteria."""

from __future__ import annotations

# (Subject, Message-ID, References, In-Reply-To, Date); None leaves the field out.
MESSAGES = [
    ("hello", "<1@x>", None, None, "Mon, 01 Jan 2024 10:00:00 +0000"),
    ("Re: hello", "<2@x>", "<1@x>", "<1@x>", "Mon, 01 Jan 2024 11:00:00 +0000"),
    ("Re: hello", "<3@x>", "<1@x> <2@x>", "<2@x>", "Mon, 01 Jan 2024 12:00:00 +0000"),
    # In-Reply-To alone names the parent; sent before 2, so it sorts first among 1's children.
    ("Re: hello", "<4@x>", None, "<1@x>", "Mon, 01 Jan 2024 10:30:00 +0000"),
    # 5 and 6 answer a message that is not in the mailbox: a dummy parent holds both.
    ("other", "<5@x>", "<missing@x>", None, "Tue, 02 Jan 2024 10:00:00 +0000"),
    ("Re: other", "<6@x>", "<missing@x>", None, "Wed, 03 Jan 2024 10:00:00 +0000"),
    # No references, same base subject as 1, neither a reply: REFERENCES puts both under a dummy.
    ("hello", "<7@x>", None, None, "Thu, 04 Jan 2024 10:00:00 +0000"),
    # No Date: the internal date (5 January) is its sent date.
    ("Fwd: unrelated", "<8@x>", None, None, None),
    # The newest message, in 1's thread: REFS orders that thread last.
    ("Re: hello", "<9@x>", "<1@x> <4@x>", "<4@x>", "Sat, 06 Jan 2024 10:00:00 +0000"),
]


def raw(subject, message_id, references, in_reply_to, date) -> bytes:
    head = f"From: a@example.org\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
    if references:
        head += f"References: {references}\r\n"
    if in_reply_to:
        head += f"In-Reply-To: {in_reply_to}\r\n"
    if date:
        head += f"Date: {date}\r\n"
    return (head + "\r\nbody\r\n").encode()


def load(m):
    # A first message expunged again, so that UIDs are sequence numbers + 1.
    m.append("INBOX", None, None, b"Subject: gone\r\n\r\nx\r\n")
    m.select("INBOX")
    m.store("1", "+FLAGS", "(\\Deleted)")
    m.expunge()
    for fields in MESSAGES:
        m.append("INBOX", None, '"05-Jan-2024 10:00:00 +0000"', raw(*fields))
    m.noop()


def thread(m, algorithm: str, search: str = "ALL", charset: str = "UTF-8", uid: bool = False) -> str:
    if uid:
        typ, data = m.uid("THREAD", algorithm, charset, search)
    else:
        typ, data = m.thread(algorithm, charset, search)
    assert typ == "OK", data
    return (data[0] or b"").decode()


def test_thread_capabilities(alice):
    caps = alice.capability()[1][0].split()
    for cap in (b"THREAD=ORDEREDSUBJECT", b"THREAD=REFERENCES", b"THREAD=REFS"):
        assert cap in caps


def test_references_links_dummies_and_subjects(alice):
    load(alice)
    # 1 has children 4 (10:30, with child 9) and 2 (11:00, with child 3); 7 shares 1's base
    # subject and neither is a reply, so a dummy holds both (RFC 5256 3 (5)(C)); 5 and 6
    # hang under the dummy of <missing@x>; 8 sorts by its internal date.
    assert thread(alice, "REFERENCES") == "((1 (4 9)(2 3))(7))((5)(6))(8)"


def test_orderedsubject_groups_by_base_subject(alice):
    load(alice)
    assert thread(alice, "ORDEREDSUBJECT") == "(1 (4)(2)(3)(7)(9))(5 6)(8)"


def test_refs_skips_subjects_and_orders_by_newest(alice):
    load(alice)
    assert thread(alice, "REFS") == "((5)(6))(7)(8)(1 (4 9)(2 3))"


def test_uid_thread_with_search_criteria(alice):
    load(alice)
    assert thread(alice, "REFERENCES", "SUBJECT hello", uid=True) == "((2 (5 10)(3 4))(8))"
    assert thread(alice, "REFERENCES", "SUBJECT hello") == "((1 (4 9)(2 3))(7))"
    # Without 1, <1@x> is a dummy holding 4 and 2; 7 shares its subject and joins it.
    assert thread(alice, "REFERENCES", "NOT HEADER Message-ID <1@x> SUBJECT hello") == "((4 9)(2 3)(7))"
    assert thread(alice, "REFS", "SUBJECT nothing-matches") == ""
    assert thread(alice, "ORDEREDSUBJECT", "SUBJECT other", charset="ISO-8859-1") == "(5 6)"


def test_thread_errors(alice):
    load(alice)
    typ, data = alice._simple_command("THREAD", "REFERENCES", "KLINGON", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0]
    try:
        alice._simple_command("THREAD", "BOGUS", "UTF-8", "ALL")
        raise AssertionError("an unknown threading algorithm must be refused")
    except alice.error as e:
        assert "BAD" in str(e) and "BOGUS" in str(e)
