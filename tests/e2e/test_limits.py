"""Limits against abuse, each with a clear protocol answer: connections per client address,
sessions per user, search nesting depth, and the configuration that sets them."""

from __future__ import annotations

import imaplib
import socket
import time

import pytest

from e2e_helpers import HOST, USERS, configured


def test_connections_per_address_are_limited(make_server, tmp_path):
    srv = configured(make_server, tmp_path, "max_connections_per_ip = 3\n")
    held = [socket.create_connection((HOST, srv.imap_port), timeout=10) for _ in range(3)]
    try:
        for s in held:
            assert s.makefile("rb").readline().startswith(b"* OK")
        extra = socket.create_connection((HOST, srv.imap_port), timeout=10)
        assert extra.makefile("rb").readline().startswith(b"* BYE Too many connections")
        extra.close()
        pop = socket.create_connection((HOST, srv.pop3_port), timeout=10)
        assert pop.makefile("rb").readline().startswith(b"-ERR [SYS/TEMP] Too many connections")
        pop.close()
    finally:
        for s in held:
            s.close()
    # Slots are given back once the server has seen the connections close.
    deadline = time.monotonic() + 10
    while True:
        try:
            m = imaplib.IMAP4(HOST, srv.imap_port, timeout=10)
            break
        except imaplib.IMAP4.error as e:
            assert b"Too many connections" in e.args[0] and time.monotonic() < deadline, e
            time.sleep(0.05)
    m.logout()


def test_sessions_per_user_are_limited(make_server, tmp_path):
    srv = configured(make_server, tmp_path, "max_connections_per_user = 2\n")
    first, second = srv.imap("alice"), srv.imap("alice")
    try:
        third = imaplib.IMAP4(HOST, srv.imap_port, timeout=10)
        with pytest.raises(imaplib.IMAP4.error, match=r"\[LIMIT\]"):
            third.login("alice", USERS["alice"])
        bob = srv.imap("bob")  # other users are not affected
        bob.logout()
        third.shutdown()
    finally:
        first.logout()
        second.logout()
    # The slots are free once the server has finished those sessions.
    deadline = time.monotonic() + 10
    while True:
        try:
            again = srv.imap("alice")
            break
        except imaplib.IMAP4.error as e:
            assert "[LIMIT]" in str(e) and time.monotonic() < deadline, e
            time.sleep(0.05)
    again.logout()


def test_search_nesting_is_bounded(server):
    c = server.raw("alice")
    c.send(b"s SELECT INBOX\r\n")
    c.read_until_tagged("s")
    deep = b"(" * 200 + b"ALL" + b")" * 200
    c.send(b"n SEARCH " + deep + b"\r\n")
    status, lines = c.read_until_tagged("n")
    assert status.startswith(b"n BAD"), status
    c.send(b"o NOOP\r\n")
    status, _ = c.read_until_tagged("o")
    assert status.startswith(b"o OK")


def test_unknown_configuration_keys_are_refused(make_server, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("max_lien_length = 5\n")
    srv = make_server(start=False)
    proc = srv.cli("user", "list", "--config", str(config), check=False)
    assert proc.returncode == 78
    assert "max_lien_length" in proc.stderr
