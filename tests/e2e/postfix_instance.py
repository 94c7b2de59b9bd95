"""A private Postfix instance (Debian package postfix) for end-to-end tests: its own config,
queue and data directories under /tmp, SMTP on a free loopback port, and every local
recipient handed to Bushbuck over LMTP. Needs root (Postfix drops privileges to the postfix
user, so the directories it uses must be traversable by that user).

    with PostfixInstance(lmtp_port=server.lmtp_port) as pf:
        smtplib.SMTP(HOST, pf.smtp_port).sendmail(...)
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

POSTFIX = Path("/usr/sbin/postfix")
HOST = "127.0.0.1"
DOMAIN = "example.test"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def require_postfix() -> None:
    if not POSTFIX.exists():
        pytest.skip("Postfix is not installed (/usr/sbin/postfix); .ci/run installs the Debian package postfix")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root")


class PostfixInstance:
    def __init__(self, lmtp_port: int, smtp_port: int | None = None):
        require_postfix()
        self.lmtp_port = lmtp_port
        self.smtp_port = smtp_port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="bushbuck-postfix-"))
        self.dir.chmod(0o755)
        self.conf = self.dir / "conf"
        self.queue = self.dir / "queue"
        self.data = self.dir / "data"
        self.maillog = self.dir / "maillog"
        self.started = False

    # -- setup ----------------------------------------------------------------------------

    def _write_config(self) -> None:
        for d in (self.conf, self.queue, self.data):
            d.mkdir(mode=0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(self.data, pw.pw_uid, pw.pw_gid)

        master = Path("/etc/postfix/master.cf").read_text()
        smtp_line = re.compile(r"^smtp\s+inet\s.*$", re.M)
        assert smtp_line.search(master), "no `smtp inet` service in /etc/postfix/master.cf"
        master = smtp_line.sub(f"{HOST}:{self.smtp_port} inet n - n - - smtpd", master, count=1)
        (self.conf / "master.cf").write_text(master)

        (self.conf / "main.cf").write_text(
            "compatibility_level = 3.6\n"
            f"queue_directory = {self.queue}\n"
            f"data_directory = {self.data}\n"
            "mail_owner = postfix\n"
            "setgid_group = postdrop\n"
            f"inet_interfaces = {HOST}\n"
            "inet_protocols = ipv4\n"
            "myhostname = mx.example.test\n"
            f"mydomain = {DOMAIN}\n"
            f"mydestination = {DOMAIN}\n"
            f"local_transport = lmtp:inet:{HOST}:{self.lmtp_port}\n"
            "local_recipient_maps =\n"
            "mynetworks = 127.0.0.0/8\n"
            "alias_maps =\n"
            "alias_database =\n"
            f"maillog_file = {self.maillog}\n"
            "maillog_file_prefixes = /tmp\n"
            "smtputf8_enable = no\n"
            "biff = no\n"
            # Retry quickly when a test makes Bushbuck answer 4xx.
            "queue_run_delay = 1s\n"
            "minimal_backoff_time = 1s\n"
            "maximal_backoff_time = 2s\n"
            "lmtp_connect_timeout = 10s\n"
        )

    def postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(POSTFIX), "-c", str(self.conf), *args],
                              capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            pytest.fail(f"postfix {' '.join(args)} exited {proc.returncode}\n{proc.stdout}{proc.stderr}\n"
                        f"--- maillog ---\n{self.log()}")
        return proc

    def start(self) -> "PostfixInstance":
        self._write_config()
        self.postfix("check")
        self.postfix("start")
        self.started = True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.smtp_port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"Postfix did not listen on {HOST}:{self.smtp_port} within 30 s\n--- maillog ---\n{self.log()}")

    def stop(self) -> None:
        if self.started:
            self.postfix("stop", check=False)
            self.started = False
            # Wait for the master to go away before removing its queue directory.
            pid_file = self.queue / "pid" / "master.pid"
            deadline = time.monotonic() + 15
            while pid_file.exists() and time.monotonic() < deadline:
                try:
                    pid = int(pid_file.read_text().split()[0])
                    os.kill(pid, 0)
                except (ValueError, OSError, IndexError):
                    break
                time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PostfixInstance":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- use ------------------------------------------------------------------------------

    def log(self) -> str:
        try:
            return self.maillog.read_text(errors="replace")
        except OSError:
            return "(no maillog)"

    def flush(self) -> None:
        self.postfix("flush", check=False)

    def wait_log(self, pattern: str, timeout: float = 30) -> re.Match:
        """Waits until the maillog matches PATTERN (a regex, searched line-wise)."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        last_flush = 0.0
        while True:
            m = rx.search(self.log())
            if m:
                return m
            if time.monotonic() > deadline:
                pytest.fail(f"maillog never matched {pattern!r} within {timeout} s\n--- maillog ---\n{self.log()}")
            if time.monotonic() - last_flush > 5:
                self.flush()
                last_flush = time.monotonic()
            time.sleep(0.2)
