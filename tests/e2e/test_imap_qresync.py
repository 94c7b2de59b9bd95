"""QRESYNC (RFC 7162 section 3.2), as a client resynchronising a mailbox it cached sees it
(issue #17): ENABLE QRESYNC, SELECT/EXAMINE (QRESYNC (uidvalidity modseq [known-uids
[seq-match]])), VANISHED (EARLIER), untagged VANISHED instead of EXPUNGE, and UID FETCH
(CHANGEDSINCE n VANISHED)."""

from __future__ import annotations

import re

from e2e_helpers import status_of


def _message(i: int) -> bytes:
    return b"From: a@example.org\r\nSubject: qresync %d\r\n\r\nbody %d\r\n" % (i, i)


def _code(untagged: list[bytes], name: bytes) -> int:
    for line in untagged:
        m = re.search(rb"\[" + name + rb" (\d+)\]", line)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no [{name.decode()}] in {untagged!r}")


def _fetched(untagged: list[bytes]) -> dict[int, tuple[bytes, int]]:
    """UID -> (flags, MODSEQ) of the untagged FETCH responses."""
    out = {}
    for line in untagged:
        m = re.match(rb"\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \((\d+)\)\)$", line)
        if m:
            out[int(m.group(1))] = (m.group(2), int(m.group(3)))
    return out


def _vanished(untagged: list[bytes], earlier: bool) -> list[bytes]:
    prefix = b"* VANISHED (EARLIER) " if earlier else b"* VANISHED "
    return [u[len(prefix):] for u in untagged if u.startswith(prefix) and (earlier or b"(EARLIER)" not in u)]


def _qresync_client(server):
    c = server.raw("alice")
    assert c.ok("ENABLE QRESYNC") == [b"* ENABLED QRESYNC"]
    return c


def _changes_while_away(server):
    """Six messages; a client caches the mailbox at MODSEQ `cached`; then UID 2 is flagged,
    UIDs 3 and 5 expunged and UID 7 arrives. Returns (uidvalidity, cached MODSEQ)."""
    other = server.raw("alice")
    for i in range(1, 7):
        other.ok(b"APPEND INBOX {%d+}\r\n" % len(_message(i)) + _message(i))
    other.ok("SELECT INBOX")
    c = _qresync_client(server)
    untagged = c.ok("SELECT INBOX")
    validity, cached = _code(untagged, b"UIDVALIDITY"), _code(untagged, b"HIGHESTMODSEQ")
    c.ok("LOGOUT")
    other.ok("STORE 2 +FLAGS (\\Flagged)")
    other.ok("STORE 3,5 +FLAGS (\\Deleted)")
    other.ok("EXPUNGE")
    other.ok("STORE 4 -FLAGS (\\Seen)")  # UID 6, now message 4: unchanged flags, no new MODSEQ
    other.ok(b"APPEND INBOX {%d+}\r\n" % len(_message(7)) + _message(7))
    other.ok("LOGOUT")
    return validity, cached


def test_enable_and_capability(server):
    c = server.raw("alice")
    assert b"QRESYNC" in c.ok("CAPABILITY")[0].split()
    # RFC 7162 3.2.5: the parameter is refused before ENABLE QRESYNC.
    tagged, _ = c.command("SELECT INBOX (QRESYNC (1 1))")
    assert status_of(tagged) == "BAD", tagged
    tagged, _ = c.command("EXAMINE INBOX (QRESYNC (1 1))")
    assert status_of(tagged) == "BAD", tagged
    assert c.ok("ENABLE QRESYNC") == [b"* ENABLED QRESYNC"]
    # QRESYNC implies CONDSTORE: enabling that now changes nothing.
    assert c.ok("ENABLE CONDSTORE") == [b"* ENABLED"]
    c.close()


def test_select_qresync_reports_what_changed(server):
    validity, cached = _changes_while_away(server)
    c = _qresync_client(server)
    untagged = c.ok(f"SELECT INBOX (QRESYNC ({validity} {cached}))")
    assert b"* 5 EXISTS" in untagged, untagged
    assert _vanished(untagged, earlier=True) == [b"3,5"], untagged
    fetched = _fetched(untagged)
    assert set(fetched) == {2, 7}, untagged
    assert b"\\Flagged" in fetched[2][0]
    assert all(modseq > cached for _, modseq in fetched.values())
    assert max(m for _, m in fetched.values()) <= _code(untagged, b"HIGHESTMODSEQ")
    # Known UIDs (and sequence match data, which only narrows) limit both answers.
    untagged = c.ok(f"EXAMINE INBOX (QRESYNC ({validity} {cached} 1:4 (1:3 1,2,4)))")
    assert b"* OK [CLOSED] Previous mailbox closed" in untagged, untagged
    assert _vanished(untagged, earlier=True) == [b"3"], untagged
    assert set(_fetched(untagged)) == {2}, untagged
    # A full resync from the beginning reports every expunge the mailbox had.
    untagged = c.ok(f"EXAMINE INBOX (QRESYNC ({validity} 1))")
    assert _vanished(untagged, earlier=True) == [b"3,5"], untagged
    assert set(_fetched(untagged)) == {1, 2, 4, 6, 7}, untagged
    # Another UIDVALIDITY: the client's cache is void, nothing is reported against it.
    untagged = c.ok(f"EXAMINE INBOX (QRESYNC ({validity + 1} {cached}))")
    assert _vanished(untagged, earlier=True) == [] and _fetched(untagged) == {}, untagged
    c.close()


def test_uid_fetch_changedsince_vanished(server):
    validity, cached = _changes_while_away(server)
    c = _qresync_client(server)
    c.ok("SELECT INBOX")
    untagged = c.ok(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {cached} VANISHED)")
    assert _vanished(untagged, earlier=True) == [b"3,5"], untagged
    assert set(_fetched(untagged)) == {2, 7}, untagged
    untagged = c.ok(f"UID FETCH 4:6 (FLAGS) (CHANGEDSINCE {cached} VANISHED)")
    assert _vanished(untagged, earlier=True) == [b"5"], untagged
    assert _fetched(untagged) == {}, untagged
    # VANISHED needs QRESYNC enabled.
    plain = server.raw("alice")
    plain.ok("SELECT INBOX")
    tagged, _ = plain.command(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {cached} VANISHED)")
    assert status_of(tagged) == "BAD", tagged
    plain.close()
    c.close()


def test_vanished_replaces_expunge(server):
    c = _qresync_client(server)
    other = server.raw("alice")
    for i in range(1, 6):
        other.ok(b"APPEND INBOX {%d+}\r\n" % len(_message(i)) + _message(i))
    c.ok("SELECT INBOX")
    other.ok("SELECT INBOX")
    other.ok("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    assert b"* 2 EXPUNGE" in other.ok("EXPUNGE"), "a session without QRESYNC still gets EXPUNGE"
    untagged = c.ok("NOOP")
    assert _vanished(untagged, earlier=False) == [b"2,4"], untagged
    assert not any(b"EXPUNGE" in u for u in untagged), untagged
    # Its own EXPUNGE and MOVE answer VANISHED too.
    c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    untagged = c.ok("EXPUNGE")
    assert _vanished(untagged, earlier=False) == [b"1"] and not any(b"EXPUNGE" in u for u in untagged), untagged
    c.ok("CREATE Elsewhere")
    untagged = c.ok("UID MOVE 5 Elsewhere")
    assert _vanished(untagged, earlier=False) == [b"5"], untagged
    other.close()
    # Every FETCH answer names its UID once QRESYNC is on, also those of FETCH and STORE.
    untagged = c.ok("FETCH 1 (FLAGS)") + c.ok("STORE 1 +FLAGS (\\Flagged)")
    fetches = [u for u in untagged if b" FETCH (" in u]
    assert len(fetches) == 2 and all(b"UID 3 " in u for u in fetches), untagged
    c.close()
