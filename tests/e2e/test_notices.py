"""Admin notices: msg/motd is an [ALERT] at IMAP login; while msg/shutdown exists new
connections are refused with its text (IMAP BYE, POP3 -ERR, LMTP 421), existing ones go on."""

from __future__ import annotations

import imaplib
import poplib
import socket

import pytest

from e2e_helpers import HOST, USERS


def test_motd_is_an_alert_at_login(server):
    (server.data / "msg").mkdir()
    (server.data / "msg" / "motd").write_text("Maintenance on Sunday 02:00 UTC\n")
    m = imaplib.IMAP4(HOST, server.imap_port, timeout=10)
    m.login("alice", USERS["alice"])
    alerts = [r for r in m.untagged_responses.get("OK", []) if b"[ALERT]" in r]
    assert alerts == [b"[ALERT] Maintenance on Sunday 02:00 UTC"]
    m.logout()


def test_shutdown_file_refuses_new_connections(server):
    existing = server.imap("alice")
    (server.data / "msg").mkdir()
    (server.data / "msg" / "shutdown").write_text("Down for the upgrade until 03:00\n")
    with pytest.raises(imaplib.IMAP4.error, match="Down for the upgrade"):
        imaplib.IMAP4(HOST, server.imap_port, timeout=10)
    with pytest.raises(poplib.error_proto, match="Down for the upgrade"):
        poplib.POP3(HOST, server.pop3_port, timeout=10)
    with socket.create_connection((HOST, server.lmtp_port), timeout=10) as s:
        assert s.makefile("rb").readline().startswith(b"421 4.3.2 Down for the upgrade")
    assert existing.noop()[0] == "OK"  # sessions already open go on
    existing.logout()
    (server.data / "msg" / "shutdown").unlink()
    server.imap("bob").logout()
