"""A private Dovecot IMAP server for the compatibility tests.

``DovecotServer(port).start()`` writes a self-contained Dovecot 2.3 configuration into a
fresh temporary directory (its own base_dir, log file and maildir root, nothing read from
/etc/dovecot), runs ``dovecot -c CONF -F`` in the background as root and waits until the
IMAP port accepts connections. ``stop()`` ends that one process and removes the directory.

Any user name logs in with the password ``PASSWORD`` (static passdb); mail is stored as
the unprivileged ``dovecot`` system user under ``TMP/mail/<user>``. The Debian package
``dovecot-imapd`` provides the binary: ``ensure_installed()`` installs it when missing
(the package's own service is not needed and is left alone; it uses other ports and
another base_dir).

``DovecotUnavailable`` is raised when Dovecot cannot be installed or started, so that the
caller can skip with that message.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
PASSWORD = "pw"
MAIL_USER = "dovecot"  # the Debian package's unprivileged user; owns the mail directory


class DovecotUnavailable(Exception):
    pass


def dovecot_binary() -> str | None:
    for cand in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def ensure_installed() -> str:
    """The dovecot binary, installing Debian's dovecot-imapd first if it is missing."""
    binary = dovecot_binary()
    if binary:
        return binary
    if os.geteuid() != 0:
        raise DovecotUnavailable("dovecot is not installed and we are not root to apt-get install dovecot-imapd")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log = []
    for cmd in (["apt-get", "install", "-y", "--no-install-recommends", "dovecot-imapd"],
                ["apt-get", "update"],
                ["apt-get", "install", "-y", "--no-install-recommends", "dovecot-imapd"]):
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.append(f"{' '.join(cmd)}: {exc}")
            continue
        log.append(f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stderr[-2000:]}")
        binary = dovecot_binary()
        if binary:
            return binary
    raise DovecotUnavailable("could not install dovecot-imapd:\n" + "\n".join(log))


def dovecot_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


CONFIG = """\
# Private Dovecot for tests/compat (generated; Dovecot 2.3 syntax).
base_dir = {tmp}/run
state_dir = {tmp}/state
instance_name = bushbuck-compat-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {tmp}/dovecot.log
info_log_path = {tmp}/dovecot.log
debug_log_path = {tmp}/dovecot.log
mail_location = maildir:{tmp}/mail/%u
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_fsync = never
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={tmp}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


class DovecotServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.tmp: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.binary: str | None = None
        self.version = ""

    @property
    def log_path(self) -> Path:
        return self.tmp / "dovecot.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except (OSError, TypeError):
            return ""

    def start(self, timeout: float = 20.0) -> "DovecotServer":
        self.binary = ensure_installed()
        self.version = dovecot_version(self.binary)
        if not self.version.startswith("2."):
            raise DovecotUnavailable(f"unsupported dovecot version {self.version!r} (config is 2.3 syntax)")
        if os.geteuid() != 0:
            raise DovecotUnavailable("dovecot must be started as root (it drops to its own users)")
        try:
            pw = pwd.getpwnam(MAIL_USER)
        except KeyError as exc:
            raise DovecotUnavailable(f"system user {MAIL_USER!r} missing: {exc}") from exc
        self.tmp = Path(tempfile.mkdtemp(prefix="bushbuck-compat-dovecot-"))
        os.chmod(self.tmp, 0o755)  # the mail user must traverse it
        for sub in ("mail", "home"):
            (self.tmp / sub).mkdir()
            os.chown(self.tmp / sub, pw.pw_uid, pw.pw_gid)
        (self.tmp / "state").mkdir()
        conf = self.tmp / "dovecot.conf"
        conf.write_text(CONFIG.format(tmp=self.tmp, port=self.port, uid=pw.pw_uid, gid=pw.pw_gid,
                                      password=PASSWORD))
        env = dict(os.environ)
        # Maildir keeps INTERNALDATE as a file time; Dovecot reports it in its local zone.
        env["TZ"] = "UTC"
        out = open(self.tmp / "dovecot-stdout.log", "wb")
        self.proc = subprocess.Popen([self.binary, "-c", str(conf), "-F"], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                msg = (self.tmp / "dovecot-stdout.log").read_text(errors="replace") + self.log()
                self.stop()
                raise DovecotUnavailable(f"dovecot exited {self.proc.returncode} at start:\n{msg}")
            if port_open(self.port):
                return self
            time.sleep(0.1)
        msg = self.log()
        self.stop()
        raise DovecotUnavailable(f"dovecot did not listen on {HOST}:{self.port} within {timeout} s:\n{msg}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # SIGTERM to the master only: it stops its own children.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.tmp is not None and os.environ.get("COMPAT_KEEP_DOVECOT") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    def imap(self, user: str = "alice", timeout: float = 30):
        import imaplib

        m = imaplib.IMAP4(HOST, self.port, timeout=timeout)
        m.login(user, PASSWORD)
        return m


if __name__ == "__main__":
    srv = DovecotServer().start()
    print("dovecot", srv.version, "on port", srv.port, "dir", srv.tmp)
    try:
        m = srv.imap()
        print(m.capabilities)
        print(m.select("INBOX"))
        m.logout()
    finally:
        srv.stop()
