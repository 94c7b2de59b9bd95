"""The verified-password cache (`login_cache_seconds`): by default a password verified once is
recognised again without an Argon2 run, counted in bushbuck_auth_cache_hits_total; with
`login_cache_seconds = 0` every login verifies the hash (the benchmark's bushbuck-nocache row
relies on this), and a password changed while the server runs is never let in from the cache."""

from __future__ import annotations

import imaplib
import urllib.request

import pytest

from e2e_helpers import HOST, USERS, configured, run_cli

LOGINS = 4


def cache_hits(srv) -> float:
    with urllib.request.urlopen(f"http://{HOST}:{srv.http_port}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("bushbuck_auth_cache_hits_total "):
                return float(line.split()[1])
    raise AssertionError("/metrics has no bushbuck_auth_cache_hits_total")


def log_in(srv, user: str, password: str) -> None:
    m = imaplib.IMAP4(HOST, srv.imap_port, timeout=30)
    try:
        m.login(user, password)
    finally:
        m.logout()


@pytest.mark.parametrize("config, expected_hits", [("", LOGINS - 1), ("login_cache_seconds = 0\n", 0)],
                         ids=["default", "off"])
def test_login_cache_hits_follow_the_setting(make_server, tmp_path, config, expected_hits):
    srv = configured(make_server, tmp_path, config)
    before = cache_hits(srv)
    for _ in range(LOGINS):
        log_in(srv, "alice", USERS["alice"])
    assert cache_hits(srv) - before == expected_hits


def test_a_changed_password_is_not_let_in_from_the_cache(make_server, tmp_path):
    srv = configured(make_server, tmp_path, "")
    log_in(srv, "alice", USERS["alice"])
    log_in(srv, "alice", USERS["alice"])
    run_cli("user", "passwd", "alice", "--password", "a-new-secret", data=srv.data)
    with pytest.raises(imaplib.IMAP4.error):
        log_in(srv, "alice", USERS["alice"])
    log_in(srv, "alice", "a-new-secret")
