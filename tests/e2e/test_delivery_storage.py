"""Delivery storage: one message for many recipients is stored once (one file, hard-linked
into each recipient's store), and duplicate suppression by Message-ID via `bushbuck deliver`."""

from __future__ import annotations

import hashlib

import pytest

from e2e_helpers import lmtp_transaction

MESSAGE = (
    b"From: sender@example.org\r\n"
    b"To: alice@example.org, bob@example.org\r\n"
    b"Subject: shared storage\r\n"
    b"Message-ID: <shared-1@example.org>\r\n"
    b"\r\n"
    b"One file for everybody.\r\n"
)


def blob_files(data, user):
    return [p for p in (data / "users" / user / "blobs").rglob("*") if p.is_file() and p.parent.name != "tmp"]


@pytest.mark.embedded_only  # counts hard links of message files
def test_one_message_to_many_recipients_is_stored_once(server):
    answers = lmtp_transaction(server.lmtp_port, b"sender@example.org", [b"alice@example.org", b"bob@example.org"], MESSAGE)
    assert [a[:9] for a in answers] == ["250 2.0.0", "250 2.0.0"], answers
    alice_files, bob_files = blob_files(server.data, "alice"), blob_files(server.data, "bob")
    assert len(alice_files) == 1 and len(bob_files) == 1
    a, b = alice_files[0].stat(), bob_files[0].stat()
    assert (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev), "recipients should share one file"
    assert a.st_nlink == 2
    stored = alice_files[0].read_bytes()
    assert stored.endswith(MESSAGE)
    assert alice_files[0].name == hashlib.sha256(stored).hexdigest()
    for user in ("alice", "bob"):
        m = server.imap(user)
        try:
            typ, data = m.select("INBOX")
            assert typ == "OK" and data[-1] == b"1"
            typ, data = m.fetch("1", "(BODY.PEEK[])")
            assert data[0][1] == stored
        finally:
            m.logout()


def test_deliver_suppresses_duplicates_within_the_window(server):
    first = server.cli("deliver", "--duplicate-days", "1", "alice", stdin=MESSAGE.decode())
    assert "delivered to INBOX" in first.stdout
    second = server.cli("deliver", "--duplicate-days", "1", "alice", stdin=MESSAGE.decode())
    assert "duplicate" in second.stdout
    # Without suppression the same message is stored again.
    server.cli("deliver", "alice", stdin=MESSAGE.decode())
    m = server.imap("alice")
    try:
        typ, data = m.select("INBOX")
        assert data[-1] == b"2"
    finally:
        m.logout()
    pruned = server.cli("deliver", "--prune-duplicates", "0")
    assert "forgot" in pruned.stdout


def test_deliver_exit_codes(server):
    unknown = server.cli("deliver", "nobody", stdin=MESSAGE.decode(), check=False)
    assert unknown.returncode == 67, unknown.stderr
    ok = server.cli("deliver", "-m", "Nowhere", "bob", stdin=MESSAGE.decode())
    assert "delivered to INBOX" in ok.stdout
