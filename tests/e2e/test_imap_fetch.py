"""APPEND, SELECT/EXAMINE and FETCH (RFC 3501 6.3.1, 6.3.2, 6.3.11, 6.4.5, 7.4.2):
flags and internal dates survive APPEND, the SELECT responses, every common FETCH data item
with exact byte comparisons, BODY.PEEK vs BODY and \\Seen, multipart sections."""

from __future__ import annotations

import re

from e2e_helpers import (
    append, astr, body_item, expect_refused, fetch, fetch_one, flags_of, make_message, parse_internaldate, parse_sexp,
    resp_code, status_of,
)

SIMPLE = (
    b"From: Alice Example <alice@example.org>\r\n"
    b"To: Bob <bob@example.org>, carol@example.net\r\n"
    b"Subject: Hello world\r\n"
    b"Date: Tue, 01 Sep 2020 10:00:00 +0000\r\n"
    b"Message-ID: <m1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Line one\r\n"
    b"Line two\r\n"
)
SIMPLE_HEADER, SIMPLE_TEXT = SIMPLE.split(b"\r\n\r\n", 1)
SIMPLE_HEADER += b"\r\n\r\n"

MULTIPART = (
    b"From: Carol <carol@example.net>\r\n"
    b"To: alice@example.org\r\n"
    b"Subject: multipart test\r\n"
    b"Date: Wed, 02 Sep 2020 11:00:00 +0200\r\n"
    b"Message-ID: <mp1@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
    b"\r\n"
    b"This is a preamble.\r\n"
    b"--XYZ\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello part one\r\n"
    b"--XYZ\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"<p>part two</p>\r\n"
    b"--XYZ--\r\n"
)

PART2_MIME = b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"


def select(m, mailbox="INBOX"):
    typ, data = m.select(mailbox)
    assert typ == "OK", (typ, data)
    return int(data[-1])  # the last EXISTS is the current count


# -- APPEND ------------------------------------------------------------------------------------


def test_append_flags_and_internaldate_round_trip(alice):
    uid = append(alice, SIMPLE, flags="(\\Flagged $Custom)", date="01-Jan-2020 10:11:12 +0100")
    select(alice)
    e = fetch_one(alice, 1, "(UID FLAGS INTERNALDATE RFC822.SIZE)")
    assert int(e["UID"]) == uid
    flags = flags_of(e)
    assert {"\\flagged", "$custom"} <= flags
    assert "\\seen" not in flags and "\\deleted" not in flags
    got = parse_internaldate(e["INTERNALDATE"])
    want = parse_internaldate("01-Jan-2020 10:11:12 +0100")
    assert got == want, f"INTERNALDATE {e['INTERNALDATE']!r} is not the instant given to APPEND"
    assert int(e["RFC822.SIZE"]) == len(SIMPLE)


def test_append_without_date_uses_now(alice):
    import datetime as dt

    append(alice, SIMPLE)
    select(alice)
    e = fetch_one(alice, 1, "(INTERNALDATE)")
    got = parse_internaldate(e["INTERNALDATE"])
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - got).total_seconds()) < 300


def test_append_uids_ascend_and_appenduid_uidvalidity_matches(alice):
    uids = [append(alice, make_message(subject=f"n{i}")) for i in range(3)]
    assert uids == sorted(uids) and len(set(uids)) == 3
    typ, data = alice.append("INBOX", None, None, make_message(subject="last"))
    m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[-1])
    select(alice)
    uidvalidity = int(alice.untagged_responses.get("UIDVALIDITY", [b"0"])[-1])
    assert int(m.group(1)) == uidvalidity
    res = fetch(alice, "1:*", "(UID)")
    assert [int(res[i]["UID"]) for i in sorted(res)] == uids + [int(m.group(2))]


def test_append_binary_safe_8bit(alice):
    msg = "Subject: Grüße\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÄÖÜ äöü ß €\r\n".encode()
    append(alice, msg)
    select(alice)
    assert body_item(fetch_one(alice, 1, "(BODY.PEEK[])"), "BODY[]") == msg


def test_append_empty_flags_and_recent(alice):
    append(alice, SIMPLE, flags="()")
    select(alice)
    flags = flags_of(fetch_one(alice, 1, "(FLAGS)"))
    assert flags <= {"\\recent"}, flags


# -- SELECT / EXAMINE ------------------------------------------------------------------------------


def test_select_responses(server, alice):
    u1 = append(alice, SIMPLE, flags="(\\Seen)")
    u2 = append(alice, make_message(subject="second"))
    c = server.raw(user="alice")
    tagged, untagged = c.command("SELECT INBOX")
    assert status_of(tagged) == "OK", tagged
    assert (resp_code(tagged) or "").upper() == "READ-WRITE", tagged
    text = [u.decode() for u in untagged]

    flags_lines = [t for t in text if t.upper().startswith("* FLAGS ")]
    assert len(flags_lines) == 1, text
    flags = {f.lower() for f in parse_sexp(flags_lines[0].encode())[2]}
    assert {"\\answered", "\\flagged", "\\deleted", "\\seen", "\\draft"} <= flags

    # Exactly one EXISTS and one RECENT, with the true counts (nothing changes meanwhile).
    assert [t.upper() for t in text if t.upper().endswith(" EXISTS")] == ["* 2 EXISTS"], text
    assert [t.upper() for t in text if t.upper().endswith(" RECENT")] == ["* 2 RECENT"], text

    codes = {}
    for t in text:
        code = resp_code(t.encode())
        if t.upper().startswith("* OK [") and code:
            word, _, rest = code.partition(" ")
            codes[word.upper()] = rest
    assert "UIDVALIDITY" in codes and int(codes["UIDVALIDITY"]) > 0, text
    assert "UIDNEXT" in codes and int(codes["UIDNEXT"]) > u2 > u1, text
    assert "PERMANENTFLAGS" in codes, text
    perm = {f.lower() for f in parse_sexp(codes["PERMANENTFLAGS"].encode())[0]}
    assert {"\\answered", "\\flagged", "\\deleted", "\\seen", "\\draft", "\\*"} <= perm, perm
    # RFC 3501: [UNSEEN n] names the first unseen message (message 2 here), if sent.
    if "UNSEEN" in codes:
        assert int(codes["UNSEEN"]) == 2
    c.close()


def test_select_empty_mailbox(server):
    c = server.raw(user="alice")
    tagged, untagged = c.command("SELECT INBOX")
    assert status_of(tagged) == "OK"
    upper = [u.upper() for u in untagged]
    assert b"* 0 EXISTS" in upper and b"* 0 RECENT" in upper, untagged
    c.close()


def test_examine_is_read_only(server, alice):
    append(alice, SIMPLE)
    c = server.raw(user="alice")
    tagged, untagged = c.command("EXAMINE INBOX")
    assert status_of(tagged) == "OK"
    assert (resp_code(tagged) or "").upper() == "READ-ONLY", tagged
    assert b"* 1 EXISTS" in [u.upper() for u in untagged]
    # STORE is refused in a read-only mailbox.
    tagged, _ = c.command("STORE 1 +FLAGS (\\Flagged)")
    assert status_of(tagged) in ("NO", "BAD"), tagged
    # EXPUNGE too.
    tagged, _ = c.command("EXPUNGE")
    assert status_of(tagged) in ("NO", "BAD"), tagged
    # FETCH BODY[] does not set \Seen in a read-only mailbox.
    tagged, _ = c.command("FETCH 1 BODY[]")
    assert status_of(tagged) == "OK"
    tagged, untagged = c.command("FETCH 1 (FLAGS)")
    assert b"\\SEEN" not in b" ".join(untagged).upper(), untagged
    c.close()


def test_examine_does_not_claim_recent(server, alice):
    append(alice, SIMPLE)
    c = server.raw(user="alice")
    tagged, untagged = c.command("EXAMINE INBOX")
    assert status_of(tagged) == "OK"
    c.close()
    c2 = server.raw(user="alice")
    _, untagged = c2.command("SELECT INBOX")
    assert b"* 1 RECENT" in [u.upper() for u in untagged], "EXAMINE must not clear \\Recent"
    c2.close()


def test_reselect_switches_mailbox(alice):
    alice.create("Other")
    append(alice, SIMPLE)
    assert select(alice, "INBOX") == 1
    assert select(alice, "Other") == 0
    expect_refused(alice.fetch, "1", "(FLAGS)")  # no message 1 in Other


# -- FETCH ----------------------------------------------------------------------------------------


def test_fetch_simple_sections(alice):
    append(alice, SIMPLE)
    select(alice)
    e = fetch_one(alice, 1, "(BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[1] RFC822.SIZE)")
    assert body_item(e, "BODY[]") == SIMPLE
    assert body_item(e, "BODY[HEADER]") == SIMPLE_HEADER
    assert body_item(e, "BODY[TEXT]") == SIMPLE_TEXT
    # RFC 3501 6.4.5: a non-multipart message has part 1, its body.
    assert body_item(e, "BODY[1]") == SIMPLE_TEXT
    assert int(e["RFC822.SIZE"]) == len(SIMPLE)


def test_fetch_header_fields(alice):
    append(alice, SIMPLE)
    select(alice)
    e = fetch_one(alice, 1, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    # The delimiting blank line is included (RFC 3501 6.4.5).
    assert body_item(e, "BODY[HEADER.FIELDS") == b"Subject: Hello world\r\n\r\n"
    # Several fields (any case, one missing): those present, in any order, then the blank line.
    e = fetch_one(alice, 1, "(BODY.PEEK[HEADER.FIELDS (subject FROM X-Missing)])")
    assert header_lines(body_item(e, "BODY[HEADER.FIELDS")) == {
        b"From: Alice Example <alice@example.org>", b"Subject: Hello world"}
    e = fetch_one(alice, 1, "(BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT DATE MESSAGE-ID MIME-VERSION CONTENT-TYPE)])")
    assert header_lines(body_item(e, "BODY[HEADER.FIELDS.NOT")) == {
        b"From: Alice Example <alice@example.org>", b"To: Bob <bob@example.org>, carol@example.net"}


def header_lines(block: bytes) -> set[bytes]:
    assert block.endswith(b"\r\n\r\n"), block
    return set(block[:-4].split(b"\r\n"))


def test_fetch_partial(alice):
    append(alice, SIMPLE)
    select(alice)
    e = fetch_one(alice, 1, "(BODY.PEEK[]<0.10>)")
    assert "BODY[]<0>" in e, list(e)
    assert e["BODY[]<0>"] == SIMPLE[:10]
    e = fetch_one(alice, 1, "(BODY.PEEK[TEXT]<5.4>)")
    assert e["BODY[TEXT]<5>"] == SIMPLE_TEXT[5:9]
    # Beyond the end: empty string.
    e = fetch_one(alice, 1, "(BODY.PEEK[]<100000.10>)")
    assert (e["BODY[]<100000>"] or b"") == b""


def test_fetch_rfc822_items(alice):
    append(alice, SIMPLE)
    select(alice)
    e = fetch_one(alice, 1, "(RFC822.HEADER RFC822.TEXT)")
    assert e["RFC822.HEADER"] == SIMPLE_HEADER
    assert e["RFC822.TEXT"] == SIMPLE_TEXT
    # RFC822.TEXT sets \Seen like BODY[TEXT].
    assert "\\seen" in flags_of(fetch_one(alice, 1, "(FLAGS)"))


def test_fetch_envelope(alice):
    append(alice, SIMPLE)
    select(alice)
    env = fetch_one(alice, 1, "(ENVELOPE)")["ENVELOPE"]
    assert len(env) == 10
    date, subject, from_, sender, reply_to, to, cc, bcc, in_reply_to, message_id = env
    assert date == b"Tue, 01 Sep 2020 10:00:00 +0000"
    assert subject == b"Hello world"
    assert from_ == [[b"Alice Example", None, b"alice", b"example.org"]]
    # RFC 3501 7.4.2: sender and reply-to default to from.
    assert sender == from_
    assert reply_to == from_
    assert to == [[b"Bob", None, b"bob", b"example.org"], [None, None, b"carol", b"example.net"]]
    assert cc is None and bcc is None and in_reply_to is None
    assert message_id == b"<m1@example.org>"


def test_fetch_envelope_encoded_words_stay_encoded(alice):
    msg = (b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\r\n"
           b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nx\r\n")
    append(alice, msg)
    select(alice)
    env = fetch_one(alice, 1, "(ENVELOPE)")["ENVELOPE"]
    # ENVELOPE carries header text as-is (RFC 3501 7.4.2); clients decode RFC 2047.
    assert env[1] == b"=?utf-8?q?Gr=C3=BC=C3=9Fe?="
    assert env[2] == [[b"=?utf-8?q?J=C3=BCrgen?=", None, b"j", b"example.de"]]


def test_fetch_bodystructure_single_part(alice):
    append(alice, SIMPLE)
    select(alice)
    e = fetch_one(alice, 1, "(BODYSTRUCTURE BODY)")
    bs = e["BODYSTRUCTURE"]
    assert astr(bs[0]).upper() == "TEXT" and astr(bs[1]).upper() == "PLAIN"
    params = {astr(k).lower(): astr(v).lower() for k, v in zip(bs[2][0::2], bs[2][1::2])}
    assert params == {"charset": "us-ascii"}
    assert bs[3] is None and bs[4] is None  # id, description
    assert astr(bs[5]).upper() == "7BIT"
    assert int(bs[6]) == len(SIMPLE_TEXT)
    assert int(bs[7]) == 2  # lines
    # BODY is the non-extensible form: the same first eight fields.
    body = e["BODY"]
    assert len(body) == 8
    assert [astr(x).upper() if isinstance(x, (bytes, str)) else x for x in body[:2]] == ["TEXT", "PLAIN"]
    assert int(body[6]) == len(SIMPLE_TEXT)


def test_fetch_multipart(alice):
    append(alice, MULTIPART)
    select(alice)
    e = fetch_one(alice, 1, "(BODY.PEEK[1] BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[1.MIME] BODY.PEEK[TEXT])")
    assert body_item(e, "BODY[1]") == b"Hello part one"
    assert body_item(e, "BODY[2]") == b"<p>part two</p>"
    assert body_item(e, "BODY[2.MIME]") == PART2_MIME
    assert body_item(e, "BODY[1.MIME]") == b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    assert body_item(e, "BODY[TEXT]") == MULTIPART.split(b"\r\n\r\n", 1)[1]
    bs = fetch_one(alice, 1, "(BODYSTRUCTURE)")["BODYSTRUCTURE"]
    assert isinstance(bs[0], list) and isinstance(bs[1], list), bs
    assert astr(bs[2]).upper() == "MIXED", bs
    p1, p2 = bs[0], bs[1]
    assert (astr(p1[0]).upper(), astr(p1[1]).upper()) == ("TEXT", "PLAIN")
    assert (astr(p2[0]).upper(), astr(p2[1]).upper()) == ("TEXT", "HTML")
    assert astr(p2[5]).upper() == "QUOTED-PRINTABLE"
    assert int(p1[6]) == len(b"Hello part one")
    assert int(p2[6]) == len(b"<p>part two</p>")
    # Extension data: the multipart's parameters carry the boundary.
    params = {astr(k).lower(): astr(v) for k, v in zip(bs[3][0::2], bs[3][1::2])}
    assert params.get("boundary") == "XYZ"


def test_fetch_nested_message_rfc822(alice):
    inner = b"From: inner@example.org\r\nSubject: inner\r\n\r\ninner body\r\n"
    msg = (b"From: outer@example.org\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
           b"--b1\r\nContent-Type: message/rfc822\r\n\r\n" + inner +
           b"--b1--\r\n")
    append(alice, msg)
    select(alice)
    e = fetch_one(alice, 1, "(BODY.PEEK[2] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODYSTRUCTURE)")
    # The CRLF before "--b1--" belongs to the boundary delimiter (RFC 2046 5.1.1).
    assert body_item(e, "BODY[2]") == inner[:-2]
    assert body_item(e, "BODY[2.HEADER]") == b"From: inner@example.org\r\nSubject: inner\r\n\r\n"
    assert body_item(e, "BODY[2.TEXT]") == b"inner body"
    part2 = e["BODYSTRUCTURE"][1]
    assert isinstance(part2, list), f"not a multipart BODYSTRUCTURE: {e['BODYSTRUCTURE']!r}"
    assert (astr(part2[0]).upper(), astr(part2[1]).upper()) == ("MESSAGE", "RFC822")
    # message/rfc822 parts carry the inner ENVELOPE after the basic fields (index 7).
    assert part2[7][1] == b"inner"


def test_body_peek_does_not_set_seen_but_body_does(alice):
    append(alice, SIMPLE)
    select(alice)
    fetch_one(alice, 1, "(BODY.PEEK[])")
    assert "\\seen" not in flags_of(fetch_one(alice, 1, "(FLAGS)"))
    fetch_one(alice, 1, "(BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.HEADER)")
    assert "\\seen" not in flags_of(fetch_one(alice, 1, "(FLAGS)")), "RFC822.HEADER is a peek"
    typ, data = alice.fetch("1", "(BODY[])")
    assert typ == "OK"
    assert "\\seen" in flags_of(fetch_one(alice, 1, "(FLAGS)"))


def test_body_sets_seen_and_reports_flags(server, alice):
    append(alice, SIMPLE)
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    tagged, untagged = c.command("FETCH 1 BODY[TEXT]")
    assert status_of(tagged) == "OK"
    # The changed flags are reported (in the same FETCH response or an extra one).
    assert b"\\SEEN" in b" ".join(untagged).upper(), untagged
    c.close()


def test_rfc822_is_body_with_seen(alice):
    append(alice, SIMPLE)
    select(alice)
    e = fetch_one(alice, 1, "(RFC822)")
    assert e["RFC822"] == SIMPLE
    assert "\\seen" in flags_of(fetch_one(alice, 1, "(FLAGS)"))


def test_fetch_macros(alice):
    append(alice, SIMPLE)
    select(alice)
    e = fetch_one(alice, 1, "ALL")
    assert {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"} <= set(e)
    e = fetch_one(alice, 1, "FAST")
    assert {"FLAGS", "INTERNALDATE", "RFC822.SIZE"} <= set(e)
    e = fetch_one(alice, 1, "FULL")
    assert {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"} <= set(e)


def test_fetch_ranges_and_star(alice):
    for i in range(5):
        append(alice, make_message(subject=f"r{i}"))
    select(alice)
    assert sorted(fetch(alice, "1:*", "(FLAGS)")) == [1, 2, 3, 4, 5]
    assert sorted(fetch(alice, "2,4", "(FLAGS)")) == [2, 4]
    assert sorted(fetch(alice, "4:2", "(FLAGS)")) == [2, 3, 4]
    assert sorted(fetch(alice, "*", "(FLAGS)")) == [5]
    assert sorted(fetch(alice, "*:4", "(FLAGS)")) == [4, 5]


def test_fetch_out_of_range_sequence_is_refused(alice):
    append(alice, SIMPLE)
    select(alice)
    # RFC 9051: a sequence number above EXISTS is an error (BAD); some servers say NO.
    expect_refused(alice.fetch, "5", "(FLAGS)")


def test_uid_fetch_always_includes_uid(alice):
    uid = append(alice, SIMPLE)
    select(alice)
    res = fetch(alice, str(uid), "(FLAGS)", uid=True)
    assert list(res) == [1] and int(res[1]["UID"]) == uid
    # A UID range beyond the last UID is just empty (RFC 3501 6.4.8), or the last message for "*".
    typ, data = alice.uid("FETCH", f"{uid + 100}:{uid + 200}", "(FLAGS)")
    assert typ == "OK" and data == [None]
    res = fetch(alice, f"{uid + 100}:*", "(FLAGS)", uid=True)
    assert list(res) == [1] and int(res[1]["UID"]) == uid
