"""Several sessions on one mailbox: new mail and expunges announced to the others
(RFC 3501 5.2, 7.3.1, 7.4.1), the \\Recent flag given to exactly one session (2.3.2), and
IDLE (RFC 2177) waking up on another session's APPEND and EXPUNGE."""

from __future__ import annotations

import re
import time

from e2e_helpers import append, make_message, parse_fetch_responses, read_until, status_of


def untagged_numbers(untagged: list[bytes], word: bytes) -> list[int]:
    out = []
    for u in untagged:
        m = re.fullmatch(rb"\* (\d+) " + word, u.strip(), re.I)
        if m:
            out.append(int(m.group(1)))
    return out


def flags_lower(entry) -> set[str]:
    return {str(f).lower() for f in entry["FLAGS"]}


def test_other_session_sees_exists_on_noop(server, alice):
    b = server.raw(user="alice")
    _, untagged = b.command("SELECT INBOX")
    assert untagged_numbers(untagged, b"EXISTS") == [0]
    append(alice, make_message(subject="new for B"))
    tagged, untagged = b.command("NOOP")
    assert status_of(tagged) == "OK"
    assert untagged_numbers(untagged, b"EXISTS") == [1], untagged
    append(alice, make_message(subject="second"))
    append(alice, make_message(subject="third"))
    _, untagged = b.command("NOOP")
    assert untagged_numbers(untagged, b"EXISTS")[-1:] == [3], untagged
    # B can fetch what it was told about.
    _, untagged = b.command("FETCH 3 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"Subject: third" in b"".join(untagged)
    b.close()


def test_other_session_sees_expunge_on_noop(server, alice):
    for i in range(3):
        append(alice, make_message(subject=f"m{i}"))
    b = server.raw(user="alice")
    b.ok("SELECT INBOX")
    alice.select("INBOX")
    alice.store("2", "+FLAGS", "(\\Deleted)")
    alice.expunge()
    tagged, untagged = b.command("NOOP")
    assert status_of(tagged) == "OK"
    assert untagged_numbers(untagged, b"EXPUNGE") == [2], untagged
    _, untagged = b.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    res = parse_fetch_responses(untagged)
    assert sorted(res) == [1, 2]
    b.close()


def test_expunge_not_sent_during_fetch_store_search(server, alice):
    """RFC 3501 7.4.1: no EXPUNGE while responding to FETCH, STORE or SEARCH."""
    for i in range(3):
        append(alice, make_message(subject=f"m{i}"))
    b = server.raw(user="alice")
    b.ok("SELECT INBOX")
    alice.select("INBOX")
    alice.store("1", "+FLAGS", "(\\Deleted)")
    alice.expunge()
    for cmd in ("FETCH 1:* (FLAGS)", "STORE 3 +FLAGS.SILENT (\\Seen)", "SEARCH ALL"):
        tagged, untagged = b.command(cmd)
        assert status_of(tagged) in ("OK", "NO"), (cmd, tagged)
        assert untagged_numbers(untagged, b"EXPUNGE") == [], (cmd, untagged)
    tagged, untagged = b.command("NOOP")
    assert untagged_numbers(untagged, b"EXPUNGE") == [1], untagged
    b.close()


def test_uid_commands_may_get_expunge(server, alice):
    for i in range(2):
        append(alice, make_message(subject=f"m{i}"))
    b = server.raw(user="alice")
    b.ok("SELECT INBOX")
    alice.select("INBOX")
    alice.store("1", "+FLAGS", "(\\Deleted)")
    alice.expunge()
    tagged, untagged = b.command("UID FETCH 1:* (FLAGS)")
    assert status_of(tagged) == "OK"
    if not untagged_numbers(untagged, b"EXPUNGE"):
        _, untagged = b.command("NOOP")
        assert untagged_numbers(untagged, b"EXPUNGE") == [1]
    b.close()


def test_recent_given_to_one_session_only(server, alice):
    append(alice, make_message(subject="recent"))
    a = server.raw(user="alice")
    _, untagged = a.command("SELECT INBOX")
    # (test_select_responses checks there is exactly one RECENT; here the last one counts)
    assert untagged_numbers(untagged, b"RECENT")[-1:] == [1], untagged
    b = server.raw(user="alice")
    _, untagged = b.command("SELECT INBOX")
    assert untagged_numbers(untagged, b"RECENT")[-1:] == [0], "the first session claimed \\Recent"
    _, ua = a.command("FETCH 1 (FLAGS)")
    _, ub = b.command("FETCH 1 (FLAGS)")
    assert "\\recent" in flags_lower(parse_fetch_responses(ua)[1])
    assert "\\recent" not in flags_lower(parse_fetch_responses(ub)[1])
    a.close()
    b.close()


def test_recent_for_live_sessions(server, alice):
    a = server.raw(user="alice")
    b = server.raw(user="alice")
    a.ok("SELECT INBOX")
    b.ok("SELECT INBOX")
    append(alice, make_message(subject="arrives while both look"))
    _, ua = a.command("NOOP")
    _, ub = b.command("NOOP")
    assert untagged_numbers(ua, b"EXISTS") == [1] and untagged_numbers(ub, b"EXISTS") == [1]
    _, fa = a.command("FETCH 1 (FLAGS)")
    _, fb = b.command("FETCH 1 (FLAGS)")
    recent = ["\\recent" in flags_lower(parse_fetch_responses(f)[1]) for f in (fa, fb)]
    assert recent.count(True) == 1, f"exactly one session gets \\Recent: {fa!r} {fb!r}"
    a.close()
    b.close()


def test_idle_wakes_on_append_and_expunge(server, alice):
    append(alice, make_message(subject="before idle"))
    b = server.raw(user="alice")
    b.ok("SELECT INBOX")
    b.send(b"i1 IDLE\r\n")
    cont = b.read_line()
    assert cont.startswith(b"+"), cont
    time.sleep(0.3)
    append(alice, make_message(subject="during idle"))
    read_until(b, rb"\* 2 EXISTS", timeout=10)
    # Expunge by another session is announced during IDLE too.
    alice.select("INBOX")
    alice.store("1", "+FLAGS", "(\\Deleted)")
    alice.expunge()
    read_until(b, rb"\* 1 EXPUNGE", timeout=10)
    b.send(b"DONE\r\n")
    tagged, untagged = b.read_until_tagged("i1")
    assert status_of(tagged) == "OK", tagged
    # The session is in a normal state afterwards.
    tagged, untagged = b.command("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert status_of(tagged) == "OK" and b"during idle" in b"".join(untagged)
    b.close()


def test_idle_from_other_user_is_not_seen(server, alice):
    b = server.raw(user="bob")
    b.ok("SELECT INBOX")
    b.send(b"i1 IDLE\r\n")
    assert b.read_line().startswith(b"+")
    append(alice, make_message(subject="for alice only"))
    assert not b.readable(1.5), "bob must not hear about alice's mail"
    b.send(b"DONE\r\n")
    tagged, _ = b.read_until_tagged("i1")
    assert status_of(tagged) == "OK"
    b.close()


def test_idle_done_immediately(server):
    b = server.raw(user="alice")
    b.ok("SELECT INBOX")
    b.send(b"i1 IDLE\r\n")
    assert b.read_line().startswith(b"+")
    b.send(b"DONE\r\n")
    tagged, _ = b.read_until_tagged("i1")
    assert status_of(tagged) == "OK"
    tagged, _ = b.command("NOOP")
    assert status_of(tagged) == "OK"
    b.close()


def test_many_sessions_append_concurrently(server):
    import threading

    errors = []

    def worker(n):
        try:
            m = server.imap("alice")
            for i in range(5):
                typ, _ = m.append("INBOX", None, None, make_message(subject=f"w{n}-{i}"))
                assert typ == "OK"
            m.logout()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    m = server.imap("alice")
    m.select("INBOX")
    typ, data = m.uid("SEARCH", "ALL")
    uids = [int(x) for x in data[0].split()]
    assert len(uids) == 40 and len(set(uids)) == 40 and uids == sorted(uids)
    m.logout()
