"""Durability against power loss (#23): the server runs on tests/powercut/lazyfs.py, a FUSE
filesystem that keeps only what was fsynced (file data after fsync of the file, names after
fsync of their directory). Under LMTP and APPEND load the power is cut at a random point;
a server started on what the "disk" held then must serve every message acknowledged before
the cut, each one whole, and nothing that was never sent.

kill -9 cannot show this (the page cache keeps every write); here a missing fsync of a file,
a directory or the WAL loses an acknowledged message. POWERCUT_CYCLES (default 10) sets how
many cuts one run makes; POWERCUT_SEED replays a run (the seed is printed on failure)."""

from __future__ import annotations

import imaplib
import os
import random
import smtplib
import threading
import time
from pathlib import Path

import pytest

from e2e_helpers import HOST, USERS, BushbuckServer, close_quietly, inbox_by_message_id, make_message, run_cli
from powercut.mount import LazyMount, fuse_usable

CYCLES = int(os.environ.get("POWERCUT_CYCLES", "10"))

# About the embedded store's files (power loss of the data directory's file system): embedded pass only (conftest.py).
pytestmark = [pytest.mark.embedded_only, pytest.mark.skipif(fuse_usable() is not None, reason=str(fuse_usable()))]


class Load:
    """LMTP deliveries to alice and APPENDs to bob's INBOX, each message numbered; records the
    numbers acknowledged (250 after DATA, OK to APPEND) with the time the answer arrived."""

    def __init__(self, srv: BushbuckServer):
        self.srv = srv
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent: dict[str, bytes] = {}
        self.acked: list[tuple[float, str, str]] = []  # (time, user, id)
        self.threads = [threading.Thread(target=self.deliver, daemon=True),
                        threading.Thread(target=self.append, daemon=True)]

    def message(self, user: str, n: int) -> tuple[str, bytes]:
        ident = f"<pc-{user}-{n}@powercut.test>"
        body = f"message {n} for {user}\n" + "".join(f"line {i} of {ident}\n" for i in range(n % 40))
        data = make_message(f"power cut {n}", body, to=f"{user}@example.org", message_id=ident)
        with self.lock:
            self.sent[ident] = data
        return ident, data

    def ack(self, user: str, ident: str) -> None:
        with self.lock:
            self.acked.append((time.monotonic(), user, ident))

    def deliver(self) -> None:
        try:
            lmtp = smtplib.LMTP(HOST, self.srv.lmtp_port, timeout=20)
            lmtp.ehlo("powercut.test")
            for n in range(1_000_000):
                if self.stop.is_set():
                    return
                ident, data = self.message("alice", n)
                lmtp.sendmail("sender@example.org", ["alice@example.org"], data)
                self.ack("alice", ident)
        except (OSError, smtplib.SMTPException):
            return  # the power is gone

    def append(self) -> None:
        try:
            m = imaplib.IMAP4(HOST, self.srv.imap_port, timeout=20)
            m.login("bob", USERS["bob"])
            for n in range(1_000_000):
                if self.stop.is_set():
                    return
                ident, data = self.message("bob", n)
                typ, _ = m.append("INBOX", None, None, data)
                if typ != "OK":
                    return
                self.ack("bob", ident)
        except (OSError, imaplib.IMAP4.error):
            return

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)


def sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def one_cut(base: Path, rng: random.Random) -> str:
    """Runs the load on a lazy mount, cuts the power, checks what survived; returns a summary."""
    mount = LazyMount(base)
    srv = None
    try:
        # The data directory exists on the "disk" before the server is installed.
        data = mount.mount / "data"
        data.mkdir()
        sync_directory(mount.mount)
        for name, password in USERS.items():
            run_cli("user", "add", name, "--password", password, "--no-folders", data=data)
        srv = BushbuckServer(data, base)
        srv.start()
        load = Load(srv)
        for t in load.threads:
            t.start()
        target = rng.randint(2, 40)
        deadline = time.monotonic() + 60
        while load.acked_count() < target:
            assert time.monotonic() < deadline, f"no {target} acknowledgements in 60 s\n{srv.stderr()}"
            time.sleep(0.01)
        time.sleep(rng.random() * 0.2)  # anywhere in the next write, sync or rename
        cut_at = time.monotonic()
        mount.cut()
        load.stop.set()
        srv.kill9()
        for t in load.threads:
            t.join(timeout=30)
    finally:
        if srv is not None and srv.running:
            srv.kill9()
        mount.close()

    acked = [(user, ident) for at, user, ident in load.acked if at < cut_at]
    recovered = BushbuckServer(mount.image / "data", base)
    recovered.start()
    try:
        for user in USERS:
            stored = inbox_by_message_id(recovered, user)
            for u, ident in acked:
                if u == user:
                    assert ident in stored, f"{ident} was acknowledged before the cut and is gone"
            for ident, octets in stored.items():
                assert ident in load.sent, f"{ident} was never sent"
                # LMTP delivery prepends Return-Path (and trace fields); APPEND stores as sent.
                whole = octets.endswith(load.sent[ident]) if user == "alice" else octets == load.sent[ident]
                assert whole, f"{ident} is not whole after the cut"
        # The store opened clean and takes new mail.
        m = recovered.imap("alice")
        try:
            typ, _ = m.append("INBOX", None, None, make_message("after the cut"))
            assert typ == "OK"
        finally:
            close_quietly(m)
    finally:
        recovered.stop()
    return f"{len(acked)} acknowledged before the cut, all kept"


def test_every_acknowledged_message_survives_a_power_cut(tmp_path):
    seed = int(os.environ.get("POWERCUT_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    results = []
    for cycle in range(CYCLES):
        base = tmp_path / f"cut{cycle}"
        base.mkdir()
        try:
            results.append(one_cut(base, rng))
        except AssertionError as e:
            raise AssertionError(f"cycle {cycle} of POWERCUT_SEED={seed}: {e}") from e
    assert len(results) == CYCLES, results
