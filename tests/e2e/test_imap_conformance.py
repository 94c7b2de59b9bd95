"""Regression tests for the IMAP conformance defects of issue #17, each written from the RFC
it cites: LIST patterns that are not valid names, EXAMINE's RECENT count, BODY[] sections
that name no part, NUL octets outside BINARY[], announcing new keywords, CONDSTORE's
HIGHESTMODSEQ/MODSEQ rules."""

from __future__ import annotations

import re

from e2e_helpers import append, body_item, fetch_one, status_of

MESSAGE = b"From: a@example.org\r\nSubject: plain\r\n\r\nbody\r\n"

# Every ATOM-CHAR that is not a letter, then the list-wildcards: `&'+,-.` is not valid
# modified UTF-7 (an `&` must start a base64 run closed by `-`).
ODD_PATTERN = "!#$&'+,-.0123456789:;<=>?@^_`|}%*"


def test_list_invalid_utf7_pattern_matches_nothing(server):
    # RFC 3501 6.3.8: a pattern that matches no name is answered OK with no LIST lines;
    # only CREATE of such a name may be refused.
    c = server.raw("alice")
    for command in ("LIST", "LSUB"):
        tagged, untagged = c.command(f'{command} "" {ODD_PATTERN}')
        assert status_of(tagged) == "OK", tagged
        assert untagged == [], untagged
    tagged, untagged = c.command(f'LIST "" ({ODD_PATTERN} INBOX)')
    assert status_of(tagged) == "OK", tagged
    assert [u for u in untagged if u.startswith(b"* LIST")] == [b'* LIST (\\HasNoChildren) "/" INBOX'], untagged
    tagged, _ = c.command(f"CREATE {ODD_PATTERN.rstrip('%*')}")
    assert status_of(tagged) == "NO", tagged
    c.close()


def test_examine_reports_recent_count_without_claiming(server):
    # RFC 3501 6.3.2: EXAMINE answers the same untagged data as SELECT, but does not
    # claim \Recent: it reports how many messages are recent, and they stay recent.
    c = server.raw("alice")
    for i in range(2):
        c.ok(b"APPEND INBOX {%d+}\r\n" % len(MESSAGE) + MESSAGE)
    assert b"* STATUS INBOX (RECENT 2)" in c.ok("STATUS INBOX (RECENT)")
    untagged = c.ok("EXAMINE INBOX")
    assert b"* 2 RECENT" in untagged, untagged
    flags = c.ok("FETCH 1:* FLAGS")
    assert all(b"\\Recent" not in f for f in flags), flags
    assert b"* STATUS INBOX (RECENT 2)" in c.ok("STATUS INBOX (RECENT)")
    # SELECT claims them; a later EXAMINE (another session) sees none left.
    other = server.raw("alice")
    assert b"* 2 RECENT" in other.ok("SELECT INBOX")
    assert b"* 0 RECENT" in c.ok("EXAMINE INBOX")
    other.close()
    c.close()


NESTED = (
    b"From: a@example.org\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
    b"--B\r\nContent-Type: text/plain\r\n\r\npart one\r\n"
    b"--B\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: b@example.org\r\nSubject: inner\r\n\r\ninner body\r\n"
    b"--B--\r\n"
)


def test_body_section_below_a_leaf_part_is_empty(alice):
    # RFC 3501 6.4.5: part 1 of a message that is not multipart is its body, and the numbers
    # after a message/rfc822 part address the encapsulated message; below a text part of a
    # multipart there is no part, answered (as Dovecot does) with an empty string.
    append(alice, NESTED)
    append(alice, MESSAGE)
    alice.select("INBOX")
    entry = fetch_one(alice, 1, "(BODY.PEEK[1] BODY.PEEK[1.1] BODY.PEEK[1.1.1] BODY.PEEK[2.1])")
    assert body_item(entry, "BODY[1]") == b"part one"
    assert body_item(entry, "BODY[1.1]") == b""
    assert body_item(entry, "BODY[1.1.1]") == b""
    assert body_item(entry, "BODY[2.1]") == b"inner body"
    entry = fetch_one(alice, 2, "(BODY.PEEK[1] BODY.PEEK[1.1])")
    assert body_item(entry, "BODY[1]") == b"body\r\n"
    assert body_item(entry, "BODY[1.1]") == b""


def _flags_announced_before_fetch(untagged: list[bytes], keyword: bytes) -> None:
    """RFC 3501 7.2.6: a keyword shows in FETCH only after FLAGS (and PERMANENTFLAGS)
    listed it."""
    first_fetch = next((i for i, u in enumerate(untagged) if b" FETCH " in u and keyword in u), len(untagged))
    flags = [i for i, u in enumerate(untagged) if u.startswith(b"* FLAGS (") and keyword in u]
    permanent = [i for i, u in enumerate(untagged) if b"[PERMANENTFLAGS (" in u and keyword in u]
    assert flags and flags[0] < first_fetch, untagged
    assert permanent and permanent[0] < first_fetch, untagged


def test_new_keyword_is_announced_to_every_session(server):
    # RFC 3501 7.2.6: the FLAGS response lists the flags applicable to the mailbox; a client
    # must be told of a new keyword before a FETCH shows it, in this and in other sessions.
    a, b = server.raw("alice"), server.raw("alice")
    a.ok(b"APPEND INBOX {%d+}\r\n" % len(MESSAGE) + MESSAGE)
    for c in (a, b):
        untagged = c.ok("SELECT INBOX")
        assert not any(b"$hello" in u for u in untagged), untagged
    untagged = a.ok("STORE 1 +FLAGS ($hello)")
    _flags_announced_before_fetch(untagged, b"$hello")
    untagged = b.ok("NOOP")
    _flags_announced_before_fetch(untagged, b"$hello")
    # Told once: the next change with the same keyword needs no new FLAGS.
    untagged = a.ok("STORE 1 -FLAGS ($hello)")
    untagged += a.ok("STORE 1 +FLAGS ($HELLO)")
    assert not any(u.startswith(b"* FLAGS") for u in untagged), untagged

    # APPEND with a keyword the mailbox has not had, from the session itself and another.
    msg = MESSAGE.replace(b"plain", b"second")
    untagged = a.ok(b"APPEND INBOX ($appended) {%d+}\r\n" % len(msg) + msg)
    untagged += a.ok("FETCH 2 FLAGS")
    _flags_announced_before_fetch(untagged, b"$appended")
    untagged = b.ok("NOOP") + b.ok("FETCH 2 FLAGS")
    _flags_announced_before_fetch(untagged, b"$appended")
    assert any(b"FETCH" in u and b"$appended" in u for u in untagged), untagged
    # A session selecting now gets every keyword in its first FLAGS.
    c = server.raw("alice")
    flags = [u for u in c.ok("EXAMINE INBOX") if u.startswith(b"* FLAGS")]
    assert len(flags) == 1 and b"$hello" in flags[0] and b"$appended" in flags[0], flags
    for x in (a, b, c):
        x.close()


BINARY_PART = b"hello\0world\r\n"
WITH_NUL = (
    b"From: a@example.org\r\nSubject: binary\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
    b"--B\r\nContent-Type: text/plain\r\n\r\nplain part\r\n"
    b"--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
    + BINARY_PART
    + b"\r\n--B--\r\n"
)


def test_nul_in_a_part_is_base64_in_body_and_raw_in_binary(server):
    # RFC 3516 4.2/4.3: binary content may be APPENDed as literal8, but BODY[] data is a
    # string that never contains NUL: the part is sent content-transfer-encoded (base64);
    # only BINARY[] (a literal8) carries the raw octets.
    c = server.raw("alice")
    c.ok(b"APPEND INBOX ~{%d+}\r\n" % len(WITH_NUL) + WITH_NUL)
    c.ok("SELECT INBOX")
    for item, expected in (("BODY.PEEK[2]", b"BODY[2] {22}\r\naGVsbG8Ad29ybGQNCg==\r\n"),
                           ("BODY.PEEK[1]", b"BODY[1] {10}\r\nplain part")):
        (line,) = c.ok(f"FETCH 1 ({item})")
        assert expected in line, line
        assert b"\0" not in line, line
    (line,) = c.ok("FETCH 1 (BINARY.PEEK[2])")
    assert b"BINARY[2] ~{%d}\r\n" % len(BINARY_PART) + BINARY_PART in line, line
    c.close()


ADDRESSED = (
    b"From: <user-from (comment)@ (comment) domain.org>\r\n"
    b'To: "Some Name" (office)\r\n <user-to@example.org>\r\n'
    b"Cc: team: first@example.net,\r\n second (the 2nd) @ example.net;\r\n"
    b"Subject: addresses\r\n\r\nbody\r\n"
)


def test_search_address_keys_compare_parsed_addresses(alice):
    # RFC 3501 6.4.4: FROM/TO/CC/BCC match a string "in the envelope structure's" field:
    # the address as parsed, without comments and folding whitespace, as well as the text.
    append(alice, ADDRESSED)
    append(alice, MESSAGE)
    alice.select("INBOX")
    cases = {
        "FROM user-from@domain.org": b"1",
        "FROM user-from": b"1",
        "FROM nobody@domain.org": b"",
        'TO "Some Name <user-to@example.org>"': b"1",
        "TO user-to@example.org": b"1",
        "CC second@example.net": b"1",
        "CC first@example.net": b"1",
        "BCC first@example.net": b"",
        "FROM a@example.org": b"2",
    }
    for criteria, expected in cases.items():
        typ, data = alice.search(None, criteria)
        assert typ == "OK" and data == [expected], (criteria, data)


def _sorted(m, criteria: str) -> list[int]:
    typ, data = m.sort(criteria, "US-ASCII", "ALL")
    assert typ == "OK", data
    return [int(x) for x in data[0].split()]


def test_sort_subject_and_group_addresses(alice):
    # RFC 5256 2.1 (base subject) and 3 (i;ascii-casemap: letters compare as upper case, so
    # `[xyz]` and `_` come after them); RFC 5256/5957: a group sorts by its first mailbox,
    # an empty group as the empty string.
    subjects = ["a", "C", "b", "_", "[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)", "[xyz]", "Re: [FWD: c]", None]
    for s in subjects:
        header = b"" if s is None else b"Subject: " + s.encode() + b"\r\n"
        append(alice, b"From: a@example.org\r\n" + header + b"\r\nbody\r\n")
    alice.select("INBOX")
    assert _sorted(alice, "(SUBJECT)") == [8, 1, 3, 5, 2, 7, 6, 4]
    assert _sorted(alice, "(REVERSE SUBJECT)") == [4, 6, 2, 7, 3, 5, 1, 8]

    alice.create("Groups")
    for cc, to in (
        (b"user2: blah@domain1.org;", b'list: "Mary" <m@x.org>, "Abe" <a@x.org>;'),
        (b"empty:;", b"empty:;"),
        (b"aaa@x.org", b"Carl <c@x.org>"),
        (b"zed@x.org, empty:;", b"b@x.org"),
    ):
        append(alice, b"From: f@example.org\r\nCc: " + cc + b"\r\nTo: " + to + b"\r\n\r\nbody\r\n", mailbox="Groups")
    alice.select("Groups")
    assert _sorted(alice, "(CC)") == [2, 3, 1, 4]
    assert _sorted(alice, "(TO)") == [2, 4, 3, 1]
    assert _sorted(alice, "(DISPLAYTO)") == [2, 4, 3, 1]


LIST_LINE = re.compile(rb'^\* LIST \(([^)]*)\) "/" ("[^"]*"|\S+)(.*)$')


def _listed(c, command: str) -> dict[str, tuple[set[str], str]]:
    out = {}
    for line in c.ok(command):
        m = LIST_LINE.match(line)
        assert m, line
        out[m.group(2).decode().strip('"')] = ({a.lower() for a in m.group(1).decode().split()}, m.group(3).decode().strip())
    return out


def test_list_recursivematch_reports_childinfo(server):
    # RFC 5258 3.5 and 5 (examples): with RECURSIVEMATCH, a mailbox matching the pattern
    # whose subscribed children do not match is returned with CHILDINFO ("SUBSCRIBED"),
    # whether or not it is itself subscribed or exists; a pattern list works the same way.
    c = server.raw("alice")
    for name in ("a", "a/b", "a/b/c", "a/bx"):
        c.ok(f"CREATE {name}")
    for name in ("a/b/c", "a/bx", "a/ghost/x"):
        c.ok(f"SUBSCRIBE {name}")
    childinfo = '("CHILDINFO" ("SUBSCRIBED"))'

    got = _listed(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "a/b%" RETURN (CHILDREN)')
    assert got == {"a/b": ({"\\haschildren"}, childinfo), "a/bx": ({"\\hasnochildren", "\\subscribed"}, "")}, got

    got = _listed(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "a/%"')
    assert set(got) == {"a/b", "a/bx", "a/ghost"}, got
    assert got["a/b"][1] == childinfo and "\\subscribed" not in got["a/b"][0], got
    assert "\\nonexistent" in got["a/ghost"][0] and got["a/ghost"][1] == childinfo, got
    assert got["a/bx"][1] == "", got

    got = _listed(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" (a/b)')
    assert got == {"a/b": ({"\\haschildren"}, childinfo)}, got
    got = _listed(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" (a/b a/b/c)')
    assert got == {"a/b/c": ({"\\hasnochildren", "\\subscribed"}, "")}, got
    # A subscribed parent keeps \Subscribed and gets CHILDINFO too.
    c.ok("SUBSCRIBE a/b")
    got = _listed(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "a/b"')
    assert got == {"a/b": ({"\\haschildren", "\\subscribed"}, childinfo)}, got
    # Without RECURSIVEMATCH there is no CHILDINFO.
    got = _listed(c, 'LIST (SUBSCRIBED) "" "a/%"')
    assert all(extra == "" for _, extra in got.values()), got
    c.close()

