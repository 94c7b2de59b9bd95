"""`bushbuck quota fix`: usage counters that drifted (here: edited by hand in the user's index)
are recounted from the messages while the server runs, and IMAP GETQUOTAROOT reports the
corrected usage at once."""

from __future__ import annotations

import sqlite3

import pytest

from test_quota import msg

# About the embedded store's files (usage counters edited by hand in the index): embedded pass only (conftest.py).
pytestmark = pytest.mark.embedded_only


def quota_line(m) -> bytes:
    typ, data = m.getquotaroot("INBOX")
    assert typ == "OK", data
    return data[1][0]


def test_quota_fix_recounts_a_corrupted_counter(server):
    server.cli("quota", "set", "alice", "--storage", "1000", "--messages", "100")
    m = server.imap("alice")
    try:
        m.create("Archive")
        assert m.append("INBOX", None, None, msg(3000, "one"))[0] == "OK"
        assert m.append("INBOX", None, None, msg(2000, "two"))[0] == "OK"
        assert m.append("Archive", None, None, msg(1000, "three"))[0] == "OK"
        assert quota_line(m) == b'"user/alice" (STORAGE 6 1000 MESSAGE 3 100)'

        index = server.data / "users" / "alice" / "index.sqlite3"
        db = sqlite3.connect(index, timeout=10)
        with db:
            db.execute("UPDATE mailboxes SET used_bytes = 512000, used_messages = 42 WHERE name = 'INBOX'")
        db.close()
        assert quota_line(m) == b'"user/alice" (STORAGE 501 1000 MESSAGE 43 100)'

        out = server.cli("quota", "fix", "alice").stdout
        assert "user/alice: usage was 501 KiB/43 messages, now 6 KiB/3 messages" in out, out
        assert quota_line(m) == b'"user/alice" (STORAGE 6 1000 MESSAGE 3 100)'

        # The flag form, over every user: nothing left to fix.
        out = server.cli("quota", "--fix").stdout
        assert "user/alice: usage unchanged, 6 KiB/3 messages" in out, out
        assert "user/bob: usage unchanged, 0 KiB/0 messages" in out, out
        assert quota_line(m) == b'"user/alice" (STORAGE 6 1000 MESSAGE 3 100)'
    finally:
        m.logout()


def test_quota_fix_names_an_unknown_user(server):
    proc = server.cli("quota", "fix", "nobody", check=False)
    assert proc.returncode == 67
    assert "nobody has no mailstore" in proc.stderr
