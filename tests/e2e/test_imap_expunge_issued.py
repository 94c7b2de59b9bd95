"""A message another session expunged stays readable to a session that has not been told yet
(issue #17): RFC 2180 4.1.1 lets the server serve it, and Dovecot does, so FETCH answers with
the full data instead of NO [EXPUNGEISSUED]. Its file goes once every session that could
still refer to it has announced the EXPUNGE (or left the mailbox); on the distributed store
(PostgreSQL) every node keeps it until the sweeper's grace has passed, so the files are checked
on the embedded store only."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from e2e_helpers import DISTRIBUTED, fetch_one

MESSAGES = [
    b"From: a@example.org\r\nSubject: message %d\r\nMessage-ID: <m%d@example.org>\r\n\r\nbody of %d\r\n" % (i, i, i)
    for i in range(1, 4)
]


def _file_of(server, message: bytes) -> Path:
    sha = hashlib.sha256(message).hexdigest()
    return Path(server.data) / "users" / "alice" / "blobs" / sha[:2] / sha


def _gone_soon(path: Path) -> bool:
    for _ in range(50):
        if not path.exists():
            return True
        time.sleep(0.1)
    return False


def _two_sessions(server):
    a, b = server.raw("alice"), server.raw("alice")
    for message in MESSAGES:
        a.ok(b"APPEND INBOX {%d+}\r\n" % len(message) + message)
    a.ok("SELECT INBOX")
    b.ok("SELECT INBOX")
    return a, b


def _expunge_second(b) -> None:
    b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert b"* 2 EXPUNGE" in b.ok("EXPUNGE")


def test_fetch_of_a_message_expunged_elsewhere_serves_its_data(server):
    a, b = _two_sessions(server)
    doomed = _file_of(server, MESSAGES[1])
    assert DISTRIBUTED or doomed.exists()
    _expunge_second(b)
    # A has not been told: message 2 is still its message 2, and FETCH serves it.
    tagged, untagged = a.command("FETCH 2 (UID ENVELOPE RFC822.SIZE BODY.PEEK[])")
    assert tagged.split()[1] == b"OK", tagged
    (line,) = [u for u in untagged if b" FETCH " in u]
    assert line.startswith(b"* 2 FETCH (UID 2 ENVELOPE ("), line
    assert b'"message 2"' in line and b"<m2@example.org>" in line, line
    assert b"RFC822.SIZE %d" % len(MESSAGES[1]) in line, line
    assert b"BODY[] {%d}\r\n" % len(MESSAGES[1]) + MESSAGES[1] in line, line
    # FETCH may not announce the expunge (RFC 3501 7.4.1); a later FETCH still serves it,
    # and so does UID FETCH, which then announces it.
    tagged, untagged = a.command("FETCH 2 (BODY.PEEK[TEXT])")
    assert tagged.split()[1] == b"OK" and b"body of 2" in b"".join(untagged), (tagged, untagged)
    assert DISTRIBUTED or doomed.exists(), "the file went while a session could still fetch the message"
    tagged, untagged = a.command("UID FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert tagged.split()[1] == b"OK" and b"Subject: message 2" in b"".join(untagged), (tagged, untagged)
    assert b"* 2 EXPUNGE" in untagged, untagged
    # Both sessions have announced it: the file is removed while they stay selected.
    assert DISTRIBUTED or _gone_soon(doomed), "the expunged message's file was kept after every session was told"
    for c in (a, b):
        c.ok("LOGOUT")
    for message in (MESSAGES[0], MESSAGES[2]):
        assert DISTRIBUTED or _file_of(server, message).exists()


@pytest.mark.embedded_only  # counts the embedded store's message files
def test_retained_file_goes_when_the_last_session_leaves(server, alice):
    a, b = _two_sessions(server)
    doomed = _file_of(server, MESSAGES[1])
    _expunge_second(b)
    b.ok("LOGOUT")
    # A keeps the message through non-UID FETCHes (which hold the EXPUNGE back) ...
    for _ in range(3):
        assert b"body of 2" in b"".join(a.ok("FETCH 2 (BODY.PEEK[TEXT])"))
    assert doomed.exists()
    # ... and leaves without ever being told: nothing refers to the file any more.
    a.close()
    assert _gone_soon(doomed), "the expunged message's file outlived every session"
    # Another client sees the mailbox as it is.
    alice.select("INBOX")
    assert fetch_one(alice, 2, "(BODY.PEEK[TEXT])")["BODY[TEXT]"] == b"body of 3\r\n"
