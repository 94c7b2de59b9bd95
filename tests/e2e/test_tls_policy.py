"""Plaintext policy: with allow_plaintext = "never", IMAP advertises LOGINDISABLED and refuses
LOGIN until STARTTLS; POP3 and ManageSieve likewise require TLS first."""

from __future__ import annotations

import imaplib
import poplib

import pytest

from e2e_helpers import HOST, USERS, insecure_tls_context


@pytest.fixture
def strict(make_server, tmp_path):
    config = tmp_path / "strict.toml"
    config.write_text('allow_plaintext = "never"\n')
    srv = make_server(start=False)
    srv.extra_args = ["--config", str(config)]
    return srv.start()


def test_imap_requires_starttls_before_login(strict):
    m = imaplib.IMAP4(HOST, strict.imap_port, timeout=10)
    try:
        caps = m.capabilities
        assert "LOGINDISABLED" in caps and "STARTTLS" in caps
        assert not any(c.startswith("AUTH=") for c in caps)
        typ, data = m._simple_command("LOGIN", "alice", USERS["alice"])
        assert typ == "NO" and b"[PRIVACYREQUIRED]" in data[0]
        m.starttls(ssl_context=insecure_tls_context())
        typ, data = m.capability()
        caps = data[0].split()
        assert b"LOGINDISABLED" not in caps and b"AUTH=PLAIN" in caps and b"STARTTLS" not in caps
        assert m.login("alice", USERS["alice"])[0] == "OK"
    finally:
        m.logout()


def test_imaps_allows_login_at_once(strict):
    m = strict.imaps("alice")
    assert m.select("INBOX")[0] == "OK"
    m.logout()


def test_pop3_requires_stls(strict):
    p = poplib.POP3(HOST, strict.pop3_port, timeout=10)
    try:
        assert "USER" not in p.capa()
        with pytest.raises(poplib.error_proto, match="STLS"):
            p.user("alice")
        p.stls(context=insecure_tls_context())
        p.user("alice")
        p.pass_(USERS["alice"])
        assert p.stat() == (0, 0)
    finally:
        p.quit()
