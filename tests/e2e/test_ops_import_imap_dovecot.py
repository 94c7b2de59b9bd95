"""`bushbuck import imap` from a private Dovecot (tests/compat/dovecot.py: Maildir, `.` as
the hierarchy delimiter), when Dovecot is installed: folders come over as `/` hierarchies,
messages byte for byte with flags, keywords and INTERNALDATE, and a second run copies nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from e2e_helpers import DEFAULT_MAILBOXES, HOST, close_quietly
from ops_helpers import append, mailbox_names, message, read_mailbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compat"))
from dovecot import PASSWORD, DovecotServer, DovecotUnavailable, dovecot_binary  # noqa: E402

FILLING = {
    "INBOX": [(message(1), "\\Seen $Label1", '"01-Jan-2020 10:00:00 +0000"'), (message(2), "\\Flagged", None)],
    "Work": [(message(3), "\\Answered Project_X", '"02-Feb-2022 02:02:02 +0000"')],
    "Work.Projects": [(message(4), "\\Draft", None), (message(5), "", None)],
}


@pytest.fixture
def dovecot():
    if dovecot_binary() is None:
        pytest.skip("Dovecot is not installed (/usr/sbin/dovecot)")
    srv = DovecotServer()
    try:
        srv.start()
    except DovecotUnavailable as exc:
        pytest.skip(f"Dovecot unavailable: {exc}")
    yield srv
    srv.stop()


def read_dovecot(dovecot) -> dict[str, list]:
    m = dovecot.imap("carol")
    try:
        return {name.replace(".", "/"): read_mailbox(m, name, dates=True) for name in mailbox_names(m)}
    finally:
        close_quietly(m)


def test_import_from_dovecot(dovecot, server):
    m = dovecot.imap("carol")
    for name, messages in FILLING.items():
        if name != "INBOX":
            m.create(name)
        for data, flags, date in messages:
            append(m, name, data, flags, date)
    close_quietly(m)
    args = ["import", "imap", "--host", HOST, "--port", str(dovecot.port), "--user", "carol",
            "--password-stdin", "--to", "alice"]

    out = server.cli(*args, stdin=PASSWORD + "\n").stdout
    assert "Work.Projects -> Work/Projects: 2 copied" in out, out
    remote = read_dovecot(dovecot)
    m = server.imap("alice")
    try:
        local = {name: read_mailbox(m, name, dates=True) for name in mailbox_names(m)}
    finally:
        close_quietly(m)
    # alice's default folders are there besides what came over.
    assert local == {**{name: [] for name in DEFAULT_MAILBOXES}, **remote}

    out = server.cli(*args, stdin=PASSWORD + "\n").stdout
    assert "3 folders: 0 messages (0 KiB) copied" in out, out
