"""`bushbuck backup` while the server takes APPENDs, then `bushbuck restore` into a fresh
data directory and a server started there: everything acknowledged before the backup began
is there, every restored message is byte-identical to the live one with its UID, and logins
work."""

from __future__ import annotations

import threading

import pytest

from ops_helpers import append, message, read_mailbox, read_store
from e2e_helpers import close_quietly, run_cli

# About the embedded store's files (the file-level backup of a data directory (test_distributed.py backs up a distributed site)): embedded pass only (conftest.py).
pytestmark = pytest.mark.embedded_only


def test_backup_under_load_and_restore(make_server, tmp_path):
    live = make_server()
    m = live.imap("alice")
    m.create("Archive")
    for n in range(20):
        append(m, "Archive" if n % 4 == 0 else "INBOX", message(n), "\\Seen" if n % 2 else "")
    close_quietly(m)
    before = read_store(live, "alice")

    stop = threading.Event()
    appended = []

    def load():
        c = live.imap("bob")
        try:
            n = 1000
            while not stop.is_set():
                append(c, "INBOX", message(n, " under load"), "\\Flagged")
                appended.append(n)
                n += 1
        finally:
            close_quietly(c)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        while len(appended) < 5:
            stop.wait(0.01)
        backup = tmp_path / "backup"
        out = live.cli("backup", str(backup)).stdout
    finally:
        stop.set()
        worker.join(timeout=30)
    assert "user alice: 20 messages" in out and "directory.sqlite3: snapshot" in out, out
    assert len(appended) >= 5

    restored = make_server(users={}, start=False)
    out = run_cli("restore", str(backup), data=restored.data).stdout
    assert "restored 2 users" in out, out
    restored.start()

    assert read_store(restored, "alice") == before
    live_bob = read_store(live, "bob")["INBOX"]
    m = restored.imap("bob")
    copy_bob = read_mailbox(m, "INBOX")
    close_quietly(m)
    assert 5 <= len(copy_bob) <= len(live_bob)
    assert copy_bob == live_bob[: len(copy_bob)]


def test_backup_refuses_non_empty_target_and_restore_non_empty_data(server, tmp_path):
    target = tmp_path / "used"
    target.mkdir()
    (target / "x").write_text("x")
    proc = server.cli("backup", str(target), check=False)
    assert proc.returncode == 78 and "not empty" in proc.stderr
    backup = tmp_path / "b"
    server.cli("backup", str(backup))
    proc = run_cli("restore", str(backup), data=server.data, check=False)
    assert proc.returncode == 78 and "not empty" in proc.stderr
