"""`bushbuck reconstruct`: rebuilding a user's index from the message files after the index
was deleted or corrupted, and repairing an index whose files went missing."""

from __future__ import annotations

import hashlib
import pytest

from collections import Counter

from ops_helpers import append, message, read_store
from e2e_helpers import DEFAULT_MAILBOXES, close_quietly

# About the embedded store's files (reconstruct rebuilds the index from the message files): embedded pass only (conftest.py).
pytestmark = pytest.mark.embedded_only


def populate(server) -> None:
    m = server.imap("alice")
    try:
        m.create("Work")
        append(m, "INBOX", message(1), "\\Seen")
        append(m, "INBOX", message(2), "\\Flagged $Important")
        append(m, "INBOX", message(3))
        append(m, "Work", message(4), "\\Answered \\Seen")
        append(m, "Work", message(5), "\\Draft")
    finally:
        close_quietly(m)


def all_bodies(store) -> Counter:
    return Counter(body for msgs in store.values() for _, body in msgs)


def rebuild_after(server, damage) -> tuple[dict, dict, str]:
    populate(server)
    before = read_store(server, "alice")
    server.stop()
    index = server.data / "users" / "alice" / "index.sqlite3"
    damage(index)
    out = server.cli("reconstruct", "alice").stdout
    server.start()
    return before, read_store(server, "alice"), out


def test_deleted_index_is_rebuilt(server):
    before, after, out = rebuild_after(server, lambda index: index.unlink())
    assert "user alice: index rebuilt, 5 messages" in out, out
    assert all_bodies(after) == all_bodies(before)
    assert len(after["INBOX"]) == 5
    # bob is untouched and still works
    assert read_store(server, "bob") == {name: [] for name in DEFAULT_MAILBOXES}


def test_garbage_index_is_moved_aside_and_rebuilt(server):
    def garbage(index):
        index.write_bytes(b"\x00garbage" * 4096)

    before, after, out = rebuild_after(server, garbage)
    assert "index rebuilt" in out and "damaged index kept as" in out, out
    assert all_bodies(after) == all_bodies(before)
    aside = list((server.data / "users" / "alice").glob("index.sqlite3.corrupt-*"))
    assert aside and aside[0].read_bytes().startswith(b"\x00garbage")


def test_missing_file_is_dropped_and_flags_survive(server):
    populate(server)
    before = read_store(server, "alice")
    server.stop()
    victim = message(2)
    sha = hashlib.sha256(victim).hexdigest()
    (server.data / "users" / "alice" / "blobs" / sha[:2] / sha).unlink()
    out = server.cli("reconstruct", "alice").stdout
    assert "1 missing file dropped" in out and "dropped INBOX UID 2" in out, out
    server.start()
    after = read_store(server, "alice")
    expected = {name: [x for x in msgs if x[1] != victim] for name, msgs in before.items()}
    assert after == expected  # flags, mailboxes and order kept


def test_unindexed_file_goes_to_recovered_and_all(server):
    populate(server)
    server.stop()
    stray = b"Subject: stray\r\n\r\nnobody indexed me\r\n"
    sha = hashlib.sha256(stray).hexdigest()
    shard = server.data / "users" / "alice" / "blobs" / sha[:2]
    shard.mkdir(parents=True, exist_ok=True)
    (shard / sha).write_bytes(stray)
    # An orphan store directory without a login is reported.
    (server.data / "users" / "carol" / "blobs").mkdir(parents=True)
    out = server.cli("reconstruct", "--all").stdout
    assert "user alice: index checked, 6 messages, 1 unindexed files added to Recovered" in out, out
    assert "user carol: has mail but no login" in out, out
    server.start()
    after = read_store(server, "alice")
    assert [b for _, b in after["Recovered"]] == [stray]


def test_refuses_while_server_has_index_open(server):
    populate(server)  # the server now has alice's index open
    proc = server.cli("reconstruct", "alice", check=False)
    assert proc.returncode == 75 and "stop the server" in proc.stderr, proc.stderr
    assert server.cli("reconstruct", "nobody", check=False).returncode == 67
