"""Message files truncated or altered behind the server's back (issue #18, item 5): the
damaged message is answered `NO [CORRUPTION]` (POP3 `-ERR`), counted in
`bushbuck_damaged_messages_total` and logged; every other message is still served.
`reconstruct --check` reports both a wrong size and content that no longer matches its hash."""

from __future__ import annotations

import poplib
import sqlite3

import pytest

from e2e_helpers import HOST, USERS, close_quietly, imap_ok
from ops_helpers import append, message
from test_observability import get, metric

# About the embedded store's files (message files damaged by hand): embedded pass only (conftest.py).
pytestmark = pytest.mark.embedded_only


def populate(server) -> None:
    m = server.imap("alice")
    try:
        for n in (1, 2, 3):
            append(m, "INBOX", message(n), "\\Seen")
    finally:
        close_quietly(m)


def file_of(server, uid: int):
    user = server.data / "users" / "alice"
    db = sqlite3.connect(user / "index.sqlite3")
    try:
        sha = db.execute("SELECT blob FROM messages WHERE uid = ?", (uid,)).fetchone()[0]
    finally:
        db.close()
    return user / "blobs" / sha[:2] / sha


def test_truncated_file_costs_only_its_message(server):
    populate(server)
    path = file_of(server, 2)
    data = path.read_bytes()
    path.chmod(0o600)
    path.write_bytes(data[: len(data) // 2])
    m = server.imap("alice")
    try:
        imap_ok(m.select("INBOX"), "SELECT")
        typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert typ == "NO" and b"[CORRUPTION]" in data[0], (typ, data)
        _, untagged = m.response("FETCH")
        served = [item[0] for item in untagged if isinstance(item, tuple)]
        assert len(served) == 2 and all(b"UID 2 " not in s for s in served), untagged
        typ, data = m.uid("FETCH", "3", "(BODY.PEEK[])")
        assert typ == "OK" and data[0][1] == message(3), data
    finally:
        close_quietly(m)
    p = poplib.POP3(HOST, server.pop3_port, timeout=10)
    try:
        p.user("alice")
        p.pass_(USERS["alice"])
        assert p.retr(1)[0].startswith(b"+OK")
        try:
            p.retr(2)
            raise AssertionError("RETR of a truncated message answered +OK")
        except poplib.error_proto as e:
            assert b"damaged" in e.args[0], e
        assert p.retr(3)[0].startswith(b"+OK")
    finally:
        p.quit()
    _, text = get(server, "/metrics")
    assert metric(text, "bushbuck_damaged_messages_total") == 2
    log = server.stderr()
    assert "message file truncated or altered" in log and "uid=2" in log, log


def test_reconstruct_check_reports_wrong_size_and_altered_content(server):
    populate(server)
    server.stop()
    short = file_of(server, 1)
    short.chmod(0o600)
    short.write_bytes(short.read_bytes()[:-10])
    altered = file_of(server, 3)
    data = bytearray(altered.read_bytes())
    data[-3] ^= 0x20  # same size, different content
    altered.chmod(0o600)
    altered.write_bytes(bytes(data))
    check = server.cli("reconstruct", "--check", "alice", check=False)
    assert check.returncode == 65, (check.stdout, check.stderr)
    assert f"file {short.name} has a different size" in check.stdout, check.stdout
    assert f"file {altered.name} does not match its content hash" in check.stdout, check.stdout
