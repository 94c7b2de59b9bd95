"""Sessions of one mailbox share its message list (UIDs, MODSEQs, flags) through the server's
cache, and a SELECT after changes reads only the changes. Whatever path a session's view
took, it must show exactly what a server that has never seen the mailbox reads from disk."""

from __future__ import annotations

import re

from e2e_helpers import append, lmtp_exchange, make_message, status_of


def view_of(session) -> tuple[int, list[tuple[int, str, int]], int, int]:
    """SELECT INBOX, then (EXISTS, [(UID, sorted flags, MODSEQ)], UIDNEXT, HIGHESTMODSEQ)."""
    tagged, untagged = session.command("SELECT INBOX (CONDSTORE)")
    assert status_of(tagged) == "OK", tagged
    text = b"\n".join(untagged).decode()
    exists = int(re.search(r"\* (\d+) EXISTS", text).group(1))
    uidnext = int(re.search(r"UIDNEXT (\d+)", text).group(1))
    highest = int(re.search(r"HIGHESTMODSEQ (\d+)", text).group(1))
    rows = []
    if exists:
        tagged, untagged = session.command("FETCH 1:* (UID FLAGS MODSEQ)")
        assert status_of(tagged) == "OK", tagged
        for line in untagged:
            m = re.search(rb"UID (\d+) FLAGS \(([^)]*)\) MODSEQ \((\d+)\)", line)
            if m:
                flags = " ".join(sorted(f for f in m.group(2).decode().split() if f != "\\Recent"))
                rows.append((int(m.group(1)), flags, int(m.group(3))))
    return exists, sorted(rows), uidnext, highest


def test_select_after_changes_matches_a_fresh_read(server, alice):
    for i in range(6):
        append(alice, make_message(subject=f"m{i}"))
    watcher = server.raw(user="alice")
    first = view_of(watcher)
    assert first[0] == 6

    # Changes by another session and by delivery while the watcher keeps the list cached.
    alice.select("INBOX")
    alice.store("2", "+FLAGS", "(\\Flagged $Work)")
    alice.store("3", "+FLAGS", "(\\Deleted)")
    alice.store("5", "+FLAGS", "(\\Deleted)")
    alice.expunge()
    alice.store("1", "+FLAGS", "(\\Seen)")
    append(alice, make_message(subject="appended"))
    _, answers = lmtp_exchange(server.lmtp_port, b"s@example.org", [b"alice@localhost"], make_message(subject="delivered"))
    assert answers and answers[0].startswith("250"), answers

    later = server.raw(user="alice")
    cached = view_of(later)
    assert cached[0] == 6, cached
    flags = {uid: f for uid, f, _ in cached[1]}
    assert flags[2] == "$Work \\Flagged" and flags[1] == "\\Seen", flags
    assert 3 not in flags and 5 not in flags

    # The watcher catches up, and its list then equals the others'.
    tagged, untagged = watcher.command("NOOP")
    assert status_of(tagged) == "OK"
    assert view_of(watcher) == cached

    later.close()
    watcher.close()
    alice.logout()
    server.restart()
    fresh = view_of(server.raw(user="alice"))
    assert fresh == cached


def test_a_flag_change_reaches_every_session_sharing_the_list(server, alice):
    for i in range(3):
        append(alice, make_message(subject=f"m{i}"))
    sessions = [server.raw(user="alice") for _ in range(5)]
    for s in sessions:
        assert view_of(s)[0] == 3
    writer = sessions[0]
    tagged, _ = writer.command("STORE 2 +FLAGS.SILENT (\\Answered)")
    assert status_of(tagged) == "OK"
    for s in sessions[1:]:
        tagged, untagged = s.command("NOOP")
        assert status_of(tagged) == "OK"
        assert any(re.search(rb"\* 2 FETCH \(.*FLAGS \(\\Answered\)", u) for u in untagged), untagged
    # The writer's own list shows the change too (it was not announced back to it).
    _, untagged = writer.command("FETCH 2 (FLAGS)")
    assert any(b"\\Answered" in u for u in untagged), untagged
    for s in sessions:
        s.close()


def test_fetch_flags_of_a_message_expunged_elsewhere_is_answered(server, alice):
    for i in range(2):
        append(alice, make_message(subject=f"m{i}"))
    reader = server.raw(user="alice")
    reader.ok("SELECT INBOX")
    alice.select("INBOX")
    alice.store("1", "+FLAGS", "(\\Deleted)")
    alice.expunge()
    # Until the reader is told of the EXPUNGE, message 1 still exists for it (RFC 2180 4.1).
    tagged, untagged = reader.command("FETCH 1:2 (UID FLAGS)")
    assert status_of(tagged) == "OK", tagged
    assert sum(1 for u in untagged if b"FETCH" in u) == 2, untagged
    tagged, untagged = reader.command("NOOP")
    assert any(re.fullmatch(rb"\* 1 EXPUNGE", u.strip()) for u in untagged), untagged
    reader.close()
