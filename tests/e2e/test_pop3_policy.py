"""POP3 server policy in CAPA (RFC 2449): EXPIRE NEVER always (Bushbuck never deletes mail on
its own), LOGIN-DELAY when configured, and enforced with the LOGIN-DELAY response code."""

from __future__ import annotations

import poplib

import pytest

from e2e_helpers import HOST, USERS


def test_expire_never_is_advertised(server):
    p = poplib.POP3(HOST, server.pop3_port, timeout=10)
    try:
        assert p.capa().get("EXPIRE") == ["NEVER"]
        assert "LOGIN-DELAY" not in p.capa()
    finally:
        p.quit()


def test_login_delay_is_advertised_and_enforced(make_server, tmp_path):
    config = tmp_path / "delay.toml"
    config.write_text("pop3_login_delay_secs = 600\n")
    srv = make_server(start=False)
    srv.extra_args = ["--config", str(config)]
    srv.start()
    p = poplib.POP3(HOST, srv.pop3_port, timeout=10)
    assert p.capa().get("LOGIN-DELAY") == ["600"]
    p.user("alice")
    p.pass_(USERS["alice"])
    p.quit()
    again = poplib.POP3(HOST, srv.pop3_port, timeout=10)
    again.user("alice")
    with pytest.raises(poplib.error_proto, match=r"\[LOGIN-DELAY\]"):
        again.pass_(USERS["alice"])
    again.user("bob")
    assert again.pass_(USERS["bob"]).startswith(b"+OK")
    again.quit()
