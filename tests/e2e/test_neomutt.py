"""First run with a real mail client (#15): neomutt, driven in a tmux pane, logs in over IMAPS
trusting the server's self-signed certificate the way the README says
(`ssl_ca_certificates_file`), reads a message delivered over LMTP, and sends one: the copy it
records lands in Sent (the default folder `user add` created) and the sendmail command gets
the message."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from e2e_helpers import HOST, USERS, close_quietly, lmtp_transaction, make_message

pytestmark = pytest.mark.skipif(
    not (shutil.which("neomutt") and shutil.which("tmux")), reason="neomutt and tmux are not installed"
)

SUBJECT_IN = "Welcome to Bushbuck"
SUBJECT_OUT = "Hello from neomutt"


class Tmux:
    """A private tmux server (its own socket) with one pane running a command."""

    def __init__(self, socket: Path, command: list[str], env: dict[str, str]):
        self.socket = str(socket)
        exports = " ".join(f"{k}={v!r}" for k, v in env.items())
        shell = f"env {exports} {' '.join(repr(c) for c in command)}"
        self.tmux("new-session", "-d", "-s", "t", "-x", "200", "-y", "50", shell)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], check=True, capture_output=True,
                              text=True, timeout=20).stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared in neomutt's screen:\n{screen}")
            time.sleep(0.2)

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=20)


def test_neomutt_reads_over_imaps_and_its_sent_copy_lands_in_sent(server, tmp_path):
    message = make_message(SUBJECT_IN, "Your mailbox is ready.\n", sender="postmaster@example.org", to="alice@example.org")
    answers = lmtp_transaction(server.lmtp_port, b"postmaster@example.org", [b"alice@example.org"], message)
    assert answers[0].startswith("250"), answers
    outbox = tmp_path / "sent-by-sendmail.eml"
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(f"#!/bin/sh\ncat > {outbox}\n")
    sendmail.chmod(0o755)
    editor = tmp_path / "editor"
    editor.write_text('#!/bin/sh\nprintf "Sent with neomutt.\\n" >> "$1"\n')
    editor.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    muttrc = home / ".neomuttrc"
    cert = server.data / "tls" / "cert.pem"
    muttrc.write_text(
        f'set folder="imaps://alice@{HOST}:{server.imaps_port}/"\n'
        f'set imap_pass="{USERS["alice"]}"\n'
        'set spoolfile="+INBOX"\n'
        'set record="+Sent"\n'
        # The README's line for mutt/neomutt: trust exactly the server's own certificate.
        f'set ssl_ca_certificates_file="{cert}"\n'
        'set ssl_force_tls=yes\n'
        f'set sendmail="{sendmail}"\n'
        f'set editor="{editor}"\n'
        'set from="alice@example.org"\n'
        'set edit_headers=no\n'
        'set autoedit=no\n'
        'set fast_reply=yes\n'
        'set include=no\n'
        'set copy=yes\n'
        'set confirmappend=no\n'
        'set mail_check=1\n'
        'set header_cache=""\n'
        'set message_cachedir=""\n'
    )
    pane = Tmux(tmp_path / "tmux.sock", ["neomutt", "-n", "-F", str(muttrc)],
                {"HOME": str(home), "TERM": "xterm-256color", "LANG": "C.UTF-8"})
    try:
        pane.wait_for(SUBJECT_IN)
        pane.keys("m")  # compose
        pane.wait_for("To:")
        pane.keys("bob@example.org", "Enter")
        pane.wait_for("Subject:")
        pane.keys(SUBJECT_OUT, "Enter")
        pane.wait_for("y:Send")  # the compose menu, after the editor ran
        pane.keys("y")
        deadline = time.monotonic() + 30
        while not outbox.exists() or SUBJECT_OUT not in outbox.read_text(errors="replace"):
            assert time.monotonic() < deadline, f"neomutt did not send:\n{pane.screen()}"
            time.sleep(0.2)
        pane.keys("q")
    finally:
        pane.close()
    sent = outbox.read_text(errors="replace")
    assert "To: bob@example.org" in sent and "Sent with neomutt." in sent, sent

    m = server.imap("alice")
    try:
        typ, data = m.select("Sent", readonly=True)
        assert typ == "OK" and int(data[0]) == 1, (typ, data)
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT TO)] BODY.PEEK[TEXT])")
        assert typ == "OK", data
        header, text = data[0][1].decode(), data[1][1].decode()
        assert SUBJECT_OUT in header and "bob@example.org" in header, header
        assert "Sent with neomutt." in text, text
    finally:
        close_quietly(m)
