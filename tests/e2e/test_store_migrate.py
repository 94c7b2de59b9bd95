"""`bushbuck store migrate --to DIR`: a site built through real clients (IMAP for mailboxes,
flags, keywords, ACLs, subscriptions and another user's \\Seen; the CLI for the admin mark,
groups and Sieve scripts) is copied into a new data directory, and a server started there
shows the same thing: the same UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, UIDs, flags, dates and
octets, the same ACLs and per-user \\Seen, and the passwords still work. `--user` copies one
user alone. And the same copy into PostgreSQL + object storage and back (#16)."""

from __future__ import annotations

import re
import signal
import subprocess

import pytest

from e2e_helpers import BushbuckServer, USERS, bushbuck_bin, close_quietly, imap_ok, run_cli
from ops_helpers import append, message, read_store

# The servers here open data directories of their own, whatever the pass (conftest.py).
pytestmark = pytest.mark.embedded_only

SCRIPT = b'require "fileinto";\nif header :contains "subject" "report" { fileinto "Archive"; }\n'


def counters(server, user: str) -> dict[str, bytes]:
    """STATUS (UIDVALIDITY UIDNEXT HIGHESTMODSEQ MESSAGES) of every mailbox USER sees, and
    their LSUB list and ACLs."""
    m = server.imap(user)
    try:
        out = {}
        typ, listed = m.list('""', '"*"')
        imap_ok((typ, listed), "LIST")
        for line in listed:
            name = re.search(rb'"([^"]+)"$|(\S+)$', line)
            name = (name.group(1) or name.group(2)).decode()
            if b"\\Noselect" in line:
                out[name] = b"\\Noselect"
                continue
            typ, data = m.status(f'"{name}"', "(UIDVALIDITY UIDNEXT HIGHESTMODSEQ MESSAGES UNSEEN)")
            imap_ok((typ, data), f"STATUS {name}")
            out[name] = data[0].split(b" (", 1)[1]
        out["LSUB"] = sorted(m.lsub()[1])
        typ, acl = m.getacl("Projects")
        if typ == "OK":
            out["ACL Projects"] = acl[0]
        return out
    finally:
        close_quietly(m)


def build_site(server, tmp_path) -> None:
    m = server.imap("alice")
    imap_ok(m.create("Projects"), "CREATE Projects")
    imap_ok(m.create("Lists/rust"), "CREATE Lists/rust")
    imap_ok(m.subscribe("Projects"), "SUBSCRIBE")
    for n in range(12):
        box = ("INBOX", "Projects", "Lists/rust")[n % 3]
        flags = ("\\Seen", "\\Flagged $Important", "", "\\Answered work")[n % 4]
        append(m, box, message(n), flags, date=f'"0{1 + n % 9}-Mar-2024 10:{n:02d}:00 +0130"')
    m.select("INBOX")
    imap_ok(m.uid("STORE", "2", "+FLAGS", "(\\Deleted)"), "STORE")
    imap_ok(m.expunge(), "EXPUNGE")
    imap_ok(m._simple_command("SETACL", "Projects", "bob", "lrs"), "SETACL")
    close_quietly(m)
    b = server.imap("bob")
    imap_ok(b.select('"Other Users/alice/Projects"'), "SELECT alice's Projects as bob")
    imap_ok(b.uid("STORE", "2", "+FLAGS", "(\\Seen)"), "bob's own \\Seen")
    append(b, "INBOX", message(100), "\\Seen")
    close_quietly(b)
    script = tmp_path / "main.sieve"
    script.write_bytes(SCRIPT)
    server.cli("sieve", "put", "alice", "main", str(script), "--activate")
    server.cli("user", "add", "carol", "--password", "carol-pw-3")
    server.cli("user", "admin", "carol")
    server.cli("group", "add", "team", "alice", "bob")


def test_migrate_to_a_new_data_directory_keeps_everything(make_server, tmp_path):
    source = make_server()
    build_site(source, tmp_path)
    before = {user: (read_store(source, user, dates=True), counters(source, user)) for user in USERS}
    source.stop()

    target_dir = tmp_path / "copy"
    out = run_cli("store", "migrate", "--to", str(target_dir), data=source.data).stdout
    assert re.search(r"user alice: \d+ mailboxes, 11 messages copied, 0 already there", out), out
    assert "verified: 3 users and the shared mailboxes match" in out, out

    target = BushbuckServer(target_dir, tmp_path)
    target.start()
    try:
        for user in USERS:
            assert read_store(target, user, dates=True) == before[user][0], f"{user}'s messages"
            assert counters(target, user) == before[user][1], f"{user}'s counters, subscriptions and ACL"
        assert run_cli("sieve", "get", "alice", "main", data=target_dir).stdout == SCRIPT.decode()
        assert "main (active)" in run_cli("sieve", "list", "alice", data=target_dir).stdout
        assert "alice" in run_cli("group", "list", data=target_dir).stdout
        users = run_cli("user", "list", data=target_dir).stdout
        assert re.search(r"carol.*admin", users), users
        close_quietly(target.imap("carol", password="carol-pw-3"))
    finally:
        target.stop()

    again = run_cli("store", "migrate", "--to", str(target_dir), data=source.data).stdout
    assert "user alice: already copied" in again and "verified" in again, again


def test_migrate_into_postgresql_and_object_storage_and_back(make_server, tmp_path, postgres_engine, garage_engine,
                                                              monkeypatch):
    source = make_server()
    build_site(source, tmp_path)
    before = {user: (read_store(source, user, dates=True), counters(source, user)) for user in USERS}
    source.stop()
    access, secret = garage_engine.credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    database, blobs = postgres_engine.fresh_database(), garage_engine.fresh_prefix()

    out = run_cli("store", "migrate", "--to", database, "--blobs", blobs, data=source.data).stdout
    assert "verified: 3 users and the shared mailboxes match" in out, out
    config = tmp_path / "distributed.toml"
    config.write_text(f'store_url = "{database}"\nblob_url = "{blobs}"\n')
    node = BushbuckServer(tmp_path / "node", tmp_path, extra_args=["--config", str(config)])
    node.data.mkdir()
    node.start()
    try:
        for user in USERS:
            assert read_store(node, user, dates=True) == before[user][0], f"{user}'s messages on PostgreSQL"
            assert counters(node, user) == before[user][1], f"{user}'s counters on PostgreSQL"
    finally:
        node.stop()

    back = tmp_path / "back"
    out = run_cli("store", "migrate", "--to", str(back), "--config", str(config), data=node.data).stdout
    assert "verified: 3 users and the shared mailboxes match" in out, out
    target = BushbuckServer(back, tmp_path)
    target.start()
    try:
        for user in USERS:
            assert read_store(target, user, dates=True) == before[user][0], f"{user}'s messages back embedded"
            assert counters(target, user) == before[user][1], f"{user}'s counters back embedded"
        assert run_cli("sieve", "get", "alice", "main", data=back).stdout == SCRIPT.decode()
    finally:
        target.stop()


def test_migrate_one_user(make_server, tmp_path):
    source = make_server()
    build_site(source, tmp_path)
    alice = read_store(source, "alice", dates=True)
    source.stop()
    target_dir = tmp_path / "alice-only"
    out = run_cli("store", "migrate", "--to", str(target_dir), "--user", "alice", data=source.data).stdout
    assert "verified: user alice match" in out, out
    listed = run_cli("user", "list", data=target_dir).stdout
    assert "alice" in listed and "bob" not in listed, listed
    target = BushbuckServer(target_dir, tmp_path)
    target.start()
    try:
        assert read_store(target, "alice", dates=True) == alice
    finally:
        target.stop()

    missing = run_cli("store", "migrate", "--to", str(tmp_path / "x"), "--user", "nobody", data=source.data,
                      check=False)
    assert missing.returncode == 67 and "no user nobody" in missing.stderr, missing


def test_a_migration_killed_with_sigkill_continues_when_run_again(make_server, tmp_path):
    source = make_server(start=False)
    mbox = tmp_path / "many.mbox"
    with open(mbox, "w") as f:
        for n in range(3000):
            f.write(f"From sender{n}@example.org Mon Mar  4 10:00:00 2024\nSubject: bulk {n}\n\n{'line ' * 40}{n}\n\n")
    source.cli("import", "mbox", "bob", str(mbox), "--folder", "Bulk")
    source.start()
    build_site(source, tmp_path)
    before = {user: read_store(source, user, dates=True) for user in USERS}
    source.stop()

    target_dir = tmp_path / "copy"
    cmd = [str(bushbuck_bin()), "store", "migrate", "--to", str(target_dir), "--data", str(source.data)]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in first.stdout:
        lines.append(line)
        if line.startswith("user alice:"):
            first.kill()  # while bob's 3000 messages are being copied
            break
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL, f"the first run ended by itself first: {lines}"

    out = run_cli("store", "migrate", "--to", str(target_dir), data=source.data).stdout
    assert "user alice: already copied" in out, out
    bob = re.search(r"user bob: \d+ mailboxes, (\d+) messages copied, (\d+) already there", out)
    assert bob and int(bob.group(1)) + int(bob.group(2)) == 3001, out
    assert "verified: 3 users and the shared mailboxes match" in out, out

    target = BushbuckServer(target_dir, tmp_path)
    target.start()
    try:
        for user in USERS:
            assert read_store(target, user, dates=True) == before[user], f"{user}'s messages"
    finally:
        target.stop()
