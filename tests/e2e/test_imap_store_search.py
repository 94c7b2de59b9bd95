"""STORE (RFC 3501 6.4.6) and SEARCH (6.4.4), with their UID forms (6.4.8) and
CHARSET UTF-8 searches."""

from __future__ import annotations

import imaplib

import pytest

from e2e_helpers import append, crlf, expect_refused, fetch, fetch_one, flags_of, parse_fetch_responses, status_of

# (subject, from, body, internal date, flags); sizes matter for LARGER/SMALLER.
CORPUS = [
    ("Hello world", "Alice <alice@example.org>", "Line one\nLine two\n", "01-Sep-2020 10:00:00 +0000", "(\\Seen)"),
    ("Quarterly report", "Bob <bob@example.net>", "the numbers are in\n" + "padding line\n" * 400,
     "15-Mar-2021 09:30:00 +0000", None),
    ("=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=", "carol@example.com", "Wir treffen uns in Zürich.\n",
     "10-Jun-2022 12:00:00 +0000", "(\\Flagged)"),
    ("Re: Hello world", "Alice <alice@example.org>", "thanks for the numbers\n", "01-Jan-2023 08:00:00 +0000", None),
]


def corpus_message(subject, sender, body) -> bytes:
    return crlf(
        f"From: {sender}\n"
        f"To: Dave <dave@example.org>\n"
        f"Subject: {subject}\n"
        f"Date: Mon, 01 Jan 2024 00:00:00 +0000\n"
        f"Message-ID: <{abs(hash(subject))}@example.org>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        f"{body}"
    )


@pytest.fixture
def corpus(alice):
    uids = []
    for subject, sender, body, date, flags in CORPUS:
        uids.append(append(alice, corpus_message(subject, sender, body), flags=flags, date=date))
    typ, data = alice.select("INBOX")
    assert typ == "OK" and int(data[-1]) == len(CORPUS)
    return uids


def search(m, *criteria, charset=None) -> list[int]:
    typ, data = m.search(charset, *criteria)
    assert typ == "OK", (criteria, typ, data)
    return [int(x) for x in (data[0] or b"").split()]


def uid_search(m, *criteria) -> list[int]:
    typ, data = m.uid("SEARCH", *criteria)
    assert typ == "OK", (criteria, typ, data)
    return [int(x) for x in (data[0] or b"").split()]


# -- SEARCH --------------------------------------------------------------------------------------


def test_search_basic_keys(alice, corpus):
    assert search(alice, "ALL") == [1, 2, 3, 4]
    assert search(alice, "FROM", "alice") == [1, 4]
    assert search(alice, "FROM", '"BOB@EXAMPLE.NET"') == [2], "substring match is case-insensitive"
    assert search(alice, "TO", "dave") == [1, 2, 3, 4]
    assert search(alice, "SUBJECT", "hello") == [1, 4]
    assert search(alice, "SUBJECT", '"Re: Hello"') == [4]
    assert search(alice, "BODY", "numbers") == [2, 4]
    assert search(alice, "BODY", "Hello") == [], "BODY does not look at headers"
    assert search(alice, "TEXT", "carol") == [3], "TEXT looks at headers"
    assert search(alice, "TEXT", "thanks") == [4], "TEXT looks at the body"
    assert search(alice, "HEADER", "Message-ID", '""') == [1, 2, 3, 4]
    assert search(alice, "HEADER", "X-Nothing", '""') == []


def test_search_flags(alice, corpus):
    assert search(alice, "SEEN") == [1]
    assert search(alice, "UNSEEN") == [2, 3, 4]
    assert search(alice, "FLAGGED") == [3]
    assert search(alice, "UNFLAGGED") == [1, 2, 4]
    assert search(alice, "DELETED") == []
    assert search(alice, "UNDELETED") == [1, 2, 3, 4]
    assert search(alice, "ANSWERED") == []
    assert search(alice, "NEW") == [2, 3, 4], "NEW is RECENT UNSEEN"
    assert search(alice, "RECENT") == [1, 2, 3, 4]
    assert search(alice, "OLD") == []
    alice.store("2", "+FLAGS", "($Important)")
    assert search(alice, "KEYWORD", "$Important") == [2]
    assert search(alice, "UNKEYWORD", "$Important") == [1, 3, 4]


def test_search_sizes(alice, corpus):
    assert search(alice, "LARGER", "3000") == [2]
    assert search(alice, "SMALLER", "3000") == [1, 3, 4]


def test_search_dates_use_internal_date(alice, corpus):
    # SINCE/BEFORE/ON use INTERNALDATE (the APPEND dates); the Date: headers are all 2024.
    assert search(alice, "SINCE", "1-Jan-2022") == [3, 4]
    assert search(alice, "BEFORE", "1-Jan-2021") == [1]
    assert search(alice, "ON", "15-Mar-2021") == [2]
    # SENT* use the Date: header.
    assert search(alice, "SENTSINCE", "1-Jan-2024") == [1, 2, 3, 4]
    assert search(alice, "SENTBEFORE", "1-Jan-2024") == []


def test_search_boolean(alice, corpus):
    assert search(alice, "OR", "FROM", "bob", "FROM", "carol") == [2, 3]
    assert search(alice, "NOT", "FROM", "alice") == [2, 3]
    assert search(alice, "FROM", "alice", "UNSEEN") == [4], "space-separated keys are ANDed"
    assert search(alice, "(OR SEEN FLAGGED)", "NOT", "LARGER", "100000") == [1, 3]
    assert search(alice, "NOT", "(FROM alice SUBJECT hello)") == [2, 3]


def test_search_sequence_and_uid_sets(alice, corpus):
    u1, u2, u3, u4 = corpus
    assert search(alice, "2:3") == [2, 3]
    assert search(alice, "*") == [4]
    assert search(alice, "UID", f"{u2}:{u3}") == [2, 3]
    assert search(alice, "UID", f"{u4},{u1}") == [1, 4]
    assert uid_search(alice, "ALL") == [u1, u2, u3, u4]
    assert uid_search(alice, "UID", f"{u3}:*") == [u3, u4]
    assert uid_search(alice, "FROM", "alice") == [u1, u4]
    assert uid_search(alice, "2:3") == [u2, u3], "UID SEARCH with a message set still means sequence numbers"


def test_search_charset_utf8(alice, corpus):
    alice.literal = "Grüße".encode("utf-8")
    assert search(alice, "SUBJECT", charset="UTF-8") == [3], "encoded-word subject matches decoded text"
    alice.literal = "Zürich".encode("utf-8")
    assert search(alice, "BODY", charset="UTF-8") == [3]
    alice.literal = "Köln".encode("utf-8")
    assert search(alice, "TEXT", charset="UTF-8") == [3]
    assert search(alice, "SUBJECT", "Report", charset="US-ASCII") == [2]


def test_search_unknown_charset(server, corpus):
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    tagged, _ = c.command("SEARCH CHARSET X-KLINGON SUBJECT x")
    assert status_of(tagged) == "NO", tagged
    assert b"[BADCHARSET" in tagged.upper(), tagged
    c.close()


def test_search_bad_syntax(alice, corpus):
    expect_refused(alice.search, None, "FROBNICATE")
    expect_refused(alice.search, None, "SINCE", "notadate")
    # the session goes on
    assert search(alice, "ALL") == [1, 2, 3, 4]


# -- STORE ----------------------------------------------------------------------------------------


def store(m, seqset, op, flags, uid=False):
    if uid:
        typ, data = m.uid("STORE", seqset, op, flags)
    else:
        typ, data = m.store(seqset, op, flags)
    assert typ == "OK", (typ, data)
    return parse_fetch_responses([d for d in data if d is not None]) if data != [None] else {}


def test_store_add_remove_replace(alice, corpus):
    res = store(alice, "2", "+FLAGS", "(\\Flagged $Work)")
    assert {"\\flagged", "$work"} <= flags_of(res[2])
    assert {"\\flagged", "$work"} <= flags_of(fetch_one(alice, 2, "(FLAGS)"))

    res = store(alice, "2", "-FLAGS", "(\\Flagged)")
    assert "\\flagged" not in flags_of(res[2]) and "$work" in flags_of(res[2])

    res = store(alice, "2", "FLAGS", "(\\Seen \\Draft)")
    got = flags_of(res[2]) - {"\\recent"}
    assert got == {"\\seen", "\\draft"}, "FLAGS replaces the whole set (\\Recent aside)"

    res = store(alice, "1:4", "+FLAGS", "(\\Answered)")
    assert sorted(res) == [1, 2, 3, 4]
    assert all("\\answered" in flags_of(res[i]) for i in res)


def test_store_cannot_set_recent(alice, corpus):
    alice.close()
    alice.select("INBOX")  # a second SELECT: \Recent is gone for good
    try:
        typ, _ = alice.store("1", "+FLAGS", "(\\Recent)")
    except imaplib.IMAP4.error:
        typ = "BAD"
    # RFC 3501 2.3.2: \Recent cannot be altered by the client: refused, or no change.
    assert typ in ("NO", "BAD") or "\\recent" not in flags_of(fetch_one(alice, 1, "(FLAGS)"))


def test_store_silent(server, corpus):
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    tagged, untagged = c.command("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    assert status_of(tagged) == "OK", tagged
    assert not [u for u in untagged if b"FETCH" in u.upper()], f".SILENT must not echo flags: {untagged!r}"
    tagged, untagged = c.command("STORE 1 -FLAGS.SILENT (\\Deleted)")
    assert status_of(tagged) == "OK" and not [u for u in untagged if b"FETCH" in u.upper()]
    tagged, untagged = c.command("STORE 3 FLAGS.SILENT (\\Answered)")
    assert status_of(tagged) == "OK" and not [u for u in untagged if b"FETCH" in u.upper()]
    tagged, untagged = c.command("FETCH 1:3 (FLAGS)")
    res = parse_fetch_responses(untagged)
    assert "\\deleted" not in flags_of(res[1])
    assert "\\deleted" in flags_of(res[2])
    assert flags_of(res[3]) - {"\\recent"} == {"\\answered"}
    c.close()


def test_store_not_silent_echoes_flags(server, corpus):
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    tagged, untagged = c.command("STORE 1 +FLAGS (\\Flagged)")
    assert status_of(tagged) == "OK"
    res = parse_fetch_responses([u for u in untagged if b"FETCH" in u.upper()])
    assert "\\flagged" in flags_of(res[1])
    c.close()


def test_flags_persist_across_sessions(server, alice, corpus):
    store(alice, "3", "+FLAGS", "(\\Answered $Label1)")
    other = server.imap("alice")
    other.select("INBOX", readonly=True)
    assert {"\\answered", "$label1", "\\flagged"} <= flags_of(fetch_one(other, 3, "(FLAGS)"))
    other.logout()


def test_uid_store(alice, corpus):
    u1, u2, u3, u4 = corpus
    res = store(alice, str(u4), "+FLAGS", "(\\Seen)", uid=True)
    assert list(res) == [4]
    assert int(res[4]["UID"]) == u4, "UID STORE responses include UID"
    assert "\\seen" in flags_of(res[4])
    assert search(alice, "UNSEEN") == [2, 3]


def test_new_keyword_appears_in_flags(server, corpus):
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    c.ok("STORE 1 +FLAGS ($BrandNew)")
    c.command("CLOSE")
    _, untagged = c.command("SELECT INBOX")
    flags_line = [u for u in untagged if u.upper().startswith(b"* FLAGS")][0]
    assert b"$BRANDNEW" in flags_line.upper(), flags_line
    c.close()


def test_fetch_after_store_by_sequence_range(alice, corpus):
    store(alice, "1:*", "FLAGS", "()")
    res = fetch(alice, "1:*", "(FLAGS)")
    assert all(flags_of(res[i]) <= {"\\recent"} for i in res)


def status_of_raw(m, *args) -> str:
    """The tagged status of a raw command; imaplib raises on BAD, which counts as BAD here."""
    try:
        return m._simple_command(*args)[0]
    except imaplib.IMAP4.error as e:
        assert "BAD" in str(e) or "command" in str(e).lower(), e
        return "BAD"


def test_qresync_parameters_are_refused_while_qresync_is_not_enabled(alice):
    """RFC 7162 3.2.5/3.2.6: QRESYNC and VANISHED are valid only once QRESYNC is enabled;
    accepting and ignoring them would leave a client resyncing on wrong assumptions."""
    typ, data = alice.capability()
    assert b"QRESYNC" in data[0].split()
    append(alice, b"Subject: q\r\n\r\nx\r\n")
    assert status_of_raw(alice, "SELECT", "INBOX (QRESYNC (1 1))") == "BAD"
    assert status_of_raw(alice, "EXAMINE", "INBOX (QRESYNC (1 1 1:5))") == "BAD"
    assert alice.select("INBOX")[0] == "OK"
    assert status_of_raw(alice, "UID", "FETCH", "1:*", "(FLAGS)", "(CHANGEDSINCE 1 VANISHED)") == "BAD"
    assert status_of_raw(alice, "UID", "FETCH", "1:*", "(FLAGS)", "(CHANGEDSINCE 1)") == "OK"
