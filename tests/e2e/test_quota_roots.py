"""Quota roots below a user and on shared mailboxes (RFC 9208, Cyrus's rules): the nearest
root governs a mailbox, a nested root's mail does not count against the root above, over-quota
APPEND and delivery are refused per root, and the command line lists and repairs every root."""

from __future__ import annotations

import sqlite3

import pytest

from acl_helpers import acl_server, bulletin_board, lmtp_rcpt, no, session
from e2e_helpers import resp_code


def message(size: int, subject: str = "q") -> bytes:
    head = f"From: a@example.org\r\nSubject: {subject}\r\n\r\n".encode()
    return head + b"x" * max(0, size - len(head) - 2) + b"\r\n"


def append(c, mailbox: str, size: int) -> bytes:
    data = message(size)
    tagged, _ = c.command(f'APPEND "{mailbox}" {{{len(data)}+}}\r\n'.encode() + data)
    return tagged


def quota_lines(untagged: list[bytes]) -> list[bytes]:
    return [line for line in untagged if line.startswith((b"* QUOTA ", b"* QUOTAROOT "))]


def test_nested_roots_govern_their_subtree(make_server):
    srv = acl_server(make_server)
    alice, admin = session(srv, "alice"), session(srv, "admin")
    alice.ok('CREATE "Archive/2024"')
    srv.cli("quota", "set", "alice", "--storage", "10")
    assert b"[NOPERM]" in no(alice, 'SETQUOTA "user/alice/Archive" (STORAGE 3)')
    assert quota_lines(admin.ok('SETQUOTA "user/alice/Archive" (STORAGE 3 MESSAGE 5)')) == [
        b'* QUOTA "user/alice/Archive" (STORAGE 0 3 MESSAGE 0 5)'
    ]
    assert b"[NONEXISTENT]" in no(admin, 'SETQUOTA "user/alice/Nothing" (STORAGE 3)')

    assert append(alice, "Archive/2024", 2000).split(b" ")[1] == b"OK"
    assert append(alice, "INBOX", 4000).split(b" ")[1] == b"OK"
    assert quota_lines(alice.ok('GETQUOTAROOT "Archive/2024"')) == [
        b'* QUOTAROOT Archive/2024 "user/alice/Archive"',
        b'* QUOTA "user/alice/Archive" (STORAGE 2 3 MESSAGE 1 5)',
    ]
    # The archive's mail does not count against the user's root.
    assert quota_lines(alice.ok("GETQUOTAROOT INBOX")) == [
        b'* QUOTAROOT INBOX "user/alice"',
        b'* QUOTA "user/alice" (STORAGE 4 10)',
    ]
    refused = append(alice, "Archive", 2000)
    assert resp_code(refused) == "OVERQUOTA", refused
    assert append(alice, "INBOX", 2000).split(b" ")[1] == b"OK", "the user's root still has room"

    # COPY into the archive is checked against the archive's root.
    alice.ok("SELECT INBOX")
    assert resp_code(no(alice, 'COPY 1 "Archive"')) == "OVERQUOTA"

    # Delivery into the archive (deliver -m) is refused for that root only; exit 75: retry.
    proc = srv.cli("deliver", "-m", "Archive", "alice", stdin=message(2000).decode(), check=False)
    assert proc.returncode == 75, proc.stderr
    assert srv.cli("deliver", "alice", stdin=message(100).decode()).returncode == 0

    listing = srv.cli("quota", "list", "alice").stdout
    assert "user/alice/Archive" in listing and "user/alice " in listing

    # Removing the nested root puts the archive back under the user's root.
    admin.ok('SETQUOTA "user/alice/Archive" ()')
    lines = quota_lines(alice.ok('GETQUOTAROOT "Archive/2024"'))
    assert lines[0] == b'* QUOTAROOT Archive/2024 "user/alice"'
    assert lines[1].startswith(b'* QUOTA "user/alice" (STORAGE 9 10')


def test_shared_root_limits_posts_to_a_bulletin_board(make_server):
    srv = acl_server(make_server)
    admin = bulletin_board(srv, "news", "anonymous p", "anyone lr")
    admin.ok('SETQUOTA "shared/news" (MESSAGE 1)')
    rcpt, data = lmtp_rcpt(srv.lmtp_port, "bb+news@example.org", message(300, "first"))
    assert data.startswith("250"), (rcpt, data)
    rcpt, data = lmtp_rcpt(srv.lmtp_port, "bb+news@example.org", message(300, "second"))
    assert data.startswith("452 4.2.2"), (rcpt, data)
    bob = session(srv, "bob")
    assert quota_lines(bob.ok('GETQUOTAROOT "Shared/news"')) == [
        b'* QUOTAROOT Shared/news "shared/news"',
        b'* QUOTA "shared/news" (MESSAGE 1 1)',
    ]
    assert quota_lines(bob.ok('GETQUOTA "shared/news"')) == [b'* QUOTA "shared/news" (MESSAGE 1 1)']
    assert b"[NONEXISTENT]" in no(bob, 'GETQUOTA "user/alice"'), "other users' roots stay private"


@pytest.mark.embedded_only  # edits the embedded index's usage counters
def test_quota_fix_reports_every_root(make_server):
    srv = acl_server(make_server)
    alice, admin = session(srv, "alice"), session(srv, "admin")
    # Archive is one of the folders every new user gets.
    admin.ok('SETQUOTA "user/alice/Archive" (STORAGE 100)')
    append(alice, "Archive", 3000)
    append(alice, "INBOX", 1000)
    index = srv.data / "users" / "alice" / "index.sqlite3"
    with sqlite3.connect(index) as db:
        db.execute("UPDATE mailboxes SET used_bytes = 999999 WHERE name = 'Archive'")
    out = srv.cli("quota", "fix", "alice").stdout
    assert "user/alice: usage unchanged, 1 KiB/1 messages" in out, out
    assert "user/alice/Archive: usage was 977 KiB/1 messages, now 3 KiB/1 messages" in out, out


def test_quota_gauges_count_what_the_user_root_governs(make_server):
    import urllib.request

    srv = acl_server(make_server)
    alice, admin = session(srv, "alice"), session(srv, "admin")
    # Archive is one of the folders every new user gets.
    srv.cli("quota", "set", "alice", "--storage", "100")
    admin.ok('SETQUOTA "user/alice/Archive" (STORAGE 50)')
    assert append(alice, "INBOX", 3000).split(b" ")[1] == b"OK"
    assert append(alice, "Archive", 5000).split(b" ")[1] == b"OK"
    bulletin_board(srv, "news", "anyone lrp", posts=("hello",))

    with urllib.request.urlopen(f"http://127.0.0.1:{srv.http_port}/metrics", timeout=10) as r:
        lines = dict(line.rsplit(" ", 1) for line in r.read().decode().splitlines() if not line.startswith("#"))
    # The user's root counts INBOX only: the archive has a root of its own (as GETQUOTAROOT says).
    assert 3000 <= float(lines['bushbuck_quota_used_bytes{user="alice"}']) < 4000, lines
    assert float(lines['bushbuck_quota_used_messages{user="alice"}']) == 1
    # The store totals count everything, the shared mailboxes too.
    assert float(lines["bushbuck_store_messages"]) == 3
    assert float(lines["bushbuck_store_bytes"]) >= 8000
