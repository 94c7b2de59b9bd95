"""A full disk (#18, item 6): the server runs on tests/powercut/lazyfs.py with a capacity, so
writes beyond it fail with ENOSPC as on a real full filesystem. APPEND and STORE must answer a
temporary `NO [UNAVAILABLE]` that says the storage is full (never `[SERVERBUG]`), LMTP 452
4.3.1 (RFC 3463: mail system full), nothing acknowledged is lost, a failed APPEND leaves no
file behind, and once space is freed everything works again without a restart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from e2e_helpers import USERS, BushbuckServer, close_quietly, inbox_by_message_id, lmtp_exchange, make_message, run_cli
from powercut.mount import LazyMount, fuse_usable

# About the embedded store's files (a full disk under the data directory): embedded pass only (conftest.py).
pytestmark = [pytest.mark.embedded_only, pytest.mark.skipif(fuse_usable() is not None, reason=str(fuse_usable()))]

CAPACITY = 24 << 20
HEADROOM = 2 << 20  # what is left free for mail once the ballast is written
BODY_LINES = 1500   # about 100 KB per message


def big_message(n: int) -> tuple[str, bytes]:
    ident = f"<full-{n}@diskfull.test>"
    body = "".join(f"line {i} of message {n}, filling the disk a little more\n" for i in range(BODY_LINES))
    return ident, make_message(f"filler {n}", body, message_id=ident)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def message_files(data: Path, user: str) -> set[str]:
    """Names of the message files in USER's blob directory (not its temporaries)."""
    blobs = data / "users" / user / "blobs"
    return {f.name for shard in blobs.iterdir() if shard.is_dir() and shard.name != "tmp"
            for f in shard.iterdir()}


def assert_says_full(text: bytes, what: str) -> None:
    assert b"[SERVERBUG]" not in text, f"{what} answered a server bug for a full disk: {text!r}"
    assert b"[UNAVAILABLE]" in text and b"full" in text, f"{what} did not say the disk is full: {text!r}"


def test_a_full_disk_answers_clearly_loses_nothing_and_recovers(tmp_path):
    mount = LazyMount(tmp_path, capacity=CAPACITY)
    srv = None
    try:
        data = mount.mount / "data"
        data.mkdir()
        for name, password in USERS.items():
            run_cli("user", "add", name, "--password", password, "--no-folders", data=data)
        srv = BushbuckServer(data, tmp_path)
        srv.start()
        # The administrator's reserve: most of the disk, freed at the end.
        ballast = mount.mount / "ballast"
        ballast.write_bytes(b"\0" * max(0, free_bytes(mount.mount) - HEADROOM))

        m = srv.imap("alice")
        acked: dict[str, bytes] = {}
        refusal = None
        for n in range(200):
            ident, msg = big_message(n)
            typ, answer = m.append("INBOX", None, None, msg)
            if typ != "OK":
                refusal = answer[0]
                break
            acked[ident] = msg
        assert refusal is not None, "200 messages of 100 KB fitted in 2 MB: the capacity is not enforced"
        assert acked, "not one APPEND fitted before the disk was full"
        assert_says_full(refusal, "APPEND")
        files = message_files(data, "alice")
        assert len(files) == len(acked), (
            f"{len(files)} message files for {len(acked)} acknowledged messages: the failed APPEND left its file")

        # STORE on a full disk: done, or refused as full; never a server bug.
        typ, answer = m.select("INBOX")
        assert typ == "OK", answer
        typ, answer = m.uid("STORE", "1:*", "+FLAGS", r"(\Flagged)")
        if typ != "OK":
            assert_says_full(answer[0], "STORE")

        # LMTP: a temporary failure the MTA retries, with the RFC 3463 code for a full system.
        ident, msg = big_message(1000)
        rcpts, answers = lmtp_exchange(srv.lmtp_port, b"sender@example.org", [b"bob@example.org"], msg)
        assert rcpts[0].startswith("250"), rcpts
        assert answers[0].startswith("452 4.3.1"), f"LMTP on a full disk: {answers}"
        assert not message_files(data, "bob"), "the refused delivery left a message file"

        # Space comes back: the same server takes mail again, and nothing was lost.
        ballast.unlink()
        ident, msg = big_message(2000)
        typ, answer = m.append("INBOX", None, None, msg)
        assert typ == "OK", f"APPEND after space was freed: {answer}"
        acked[ident] = msg
        close_quietly(m)
        _, answers = lmtp_exchange(srv.lmtp_port, b"sender@example.org", [b"bob@example.org"], big_message(3000)[1])
        assert answers[0].startswith("250"), f"LMTP after space was freed: {answers}"

        stored = inbox_by_message_id(srv, "alice")
        assert set(stored) == set(acked), f"lost: {set(acked) - set(stored)}, unexpected: {set(stored) - set(acked)}"
        for ident, octets in stored.items():
            assert octets == acked[ident], f"{ident} is not whole"
        assert list(inbox_by_message_id(srv, "bob")) == ["<full-3000@diskfull.test>"]
    finally:
        if srv is not None and srv.running:
            srv.stop()
        mount.close()


def test_lazyfs_capacity_is_enforced(tmp_path):
    """The instrument itself: writing past the capacity fails with ENOSPC and frees on unlink."""
    mount = LazyMount(tmp_path, capacity=1 << 20)
    try:
        f = mount.mount / "f"
        with pytest.raises(OSError) as refused:
            f.write_bytes(b"x" * (2 << 20))
        assert refused.value.errno == 28, refused.value
        f.unlink()
        (mount.mount / "g").write_bytes(b"y" * (512 << 10))
        assert free_bytes(mount.mount) <= (512 << 10)
    finally:
        mount.close()
