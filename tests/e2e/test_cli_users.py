"""The `bushbuck user` command line: add (with --password and --password-stdin), list,
passwd and del, as seen by IMAP logins."""

from __future__ import annotations

import imaplib

import pytest

from e2e_helpers import USERS, close_quietly


def can_login(server, user, password) -> bool:
    m = server.imap(user=None)
    try:
        m.login(user, password)
        return True
    except imaplib.IMAP4.error:
        return False
    finally:
        close_quietly(m)


def test_user_list_shows_users(server):
    out = server.cli("user", "list").stdout.split()
    assert "alice" in out and "bob" in out


def test_new_user_has_inbox(make_server):
    srv = make_server(users={"carol": "carol-pw"})
    m = srv.imap("carol", password="carol-pw")
    typ, data = m.list('""', '"*"')
    assert typ == "OK" and any(b"INBOX" in d for d in data)
    typ, data = m.select("INBOX")
    assert typ == "OK" and data[-1] == b"0"
    close_quietly(m)


def test_password_stdin(make_server):
    srv = make_server(users={}, start=False)
    srv.cli("user", "add", "dave", "--password-stdin", stdin="dave secret pw\n")
    srv.start()
    assert can_login(srv, "dave", "dave secret pw")
    assert not can_login(srv, "dave", "dave secret pw\n")


def test_duplicate_user_is_an_error(server):
    proc = server.cli("user", "add", "alice", "--password", "x", check=False)
    assert proc.returncode != 0
    assert can_login(server, "alice", USERS["alice"]), "the failed add must not change alice"


def test_passwd_and_del(server):
    server.stop()
    server.cli("user", "passwd", "alice", "--password", "new-alice-pw")
    server.cli("user", "del", "bob")
    assert "bob" not in server.cli("user", "list").stdout.split()
    server.start()
    assert can_login(server, "alice", "new-alice-pw")
    assert not can_login(server, "alice", USERS["alice"])
    assert not can_login(server, "bob", USERS["bob"])


def test_passwd_unknown_user_is_an_error(server):
    assert server.cli("user", "passwd", "nobody", "--password", "x", check=False).returncode != 0
    assert server.cli("user", "del", "nobody", check=False).returncode != 0


@pytest.mark.parametrize("bad", ["../evil", "a/b", "", "UPPER CASE", "x\ny"])
def test_bad_user_names_refused(server, bad):
    proc = server.cli("user", "add", bad, "--password", "x", check=False)
    assert proc.returncode != 0, f"user name {bad!r} was accepted"
    assert not (server.data / "users" / bad).exists() if bad else True
