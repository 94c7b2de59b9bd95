"""What an operator watches: /metrics in the Prometheus text format, /healthz, one log line per
login and failed login with the client address, and the per-user telemetry log."""

from __future__ import annotations

import imaplib
import time
import urllib.error
import urllib.request

import pytest

from e2e_helpers import HOST, USERS, lmtp_transaction


def get(server, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{server.http_port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{line_start} not in metrics:\n{text}")


def test_metrics_and_health(server):
    assert get(server, "/healthz") == (200, "ok\n")
    assert get(server, "/nope")[0] == 404
    m = server.imap("alice")
    m.select("INBOX")
    m.noop()
    bad = imaplib.IMAP4(HOST, server.imap_port, timeout=10)
    with pytest.raises(imaplib.IMAP4.error):
        bad.login("alice", "wrong")
    status, text = get(server, "/metrics")
    assert status == 200
    assert metric(text, 'bushbuck_logins_total{protocol="imap"}') == 1
    assert metric(text, 'bushbuck_login_failures_total{protocol="imap"}') == 1
    assert metric(text, 'bushbuck_connections_open{protocol="imap"}') == 2
    assert metric(text, 'bushbuck_command_duration_seconds_count{protocol="imap",command="SELECT"}') == 1
    assert "# TYPE bushbuck_command_duration_seconds histogram" in text
    m.logout()
    bad.shutdown()
    time.sleep(0.2)
    _, text = get(server, "/metrics")
    assert metric(text, 'bushbuck_connections_open{protocol="imap"}') == 0


def test_login_and_badlogin_are_logged_with_the_client_address(server):
    m = server.imap("alice")
    m.logout()
    bad = imaplib.IMAP4(HOST, server.imap_port, timeout=10)
    with pytest.raises(imaplib.IMAP4.error):
        bad.login("bob", "wrong")
    bad.shutdown()
    time.sleep(0.2)
    log = server.stderr()
    assert any("login" in l and "user=alice" in l and "peer=127.0.0.1:" in l for l in log.splitlines())
    assert any("badlogin" in l and "user=bob" in l and "peer=127.0.0.1:" in l for l in log.splitlines())


def test_per_user_telemetry_log(server):
    (server.data / "log" / "alice").mkdir(parents=True)
    m = server.imap("alice")
    m.select("INBOX")
    m.logout()
    n = server.imap("bob")
    n.logout()
    files = list((server.data / "log" / "alice").iterdir())
    assert len(files) == 1
    text = files[0].read_text()
    assert "SELECT INBOX" in text and "EXISTS" in text and "LOGOUT" in text
    assert USERS["alice"] not in text, "the password must not be recorded"
    assert not (server.data / "log" / "bob").exists()


def test_store_and_quota_gauges_after_a_delivery(server):
    server.cli("quota", "set", "alice", "--storage", "100", "--messages", "50")
    message = b"From: a@example.org\r\nSubject: gauge\r\n\r\n" + b"x" * 3000 + b"\r\n"
    reply = lmtp_transaction(server.lmtp_port, b"a@example.org", [b"alice@example.org", b"bob@example.org"], message)
    assert all(r.startswith("250") for r in reply), reply
    status, text = get(server, "/metrics")
    assert status == 200
    assert "# TYPE bushbuck_store_bytes gauge" in text
    assert metric(text, "bushbuck_store_messages") == 2
    assert metric(text, "bushbuck_store_bytes") >= 2 * len(message)  # plus the Return-Path / Received lines
    stored = metric(text, 'bushbuck_quota_used_bytes{user="alice"}')
    assert len(message) <= stored < len(message) + 1000
    assert metric(text, 'bushbuck_quota_limit_bytes{user="alice"}') == 100 * 1024
    assert metric(text, 'bushbuck_quota_used_messages{user="alice"}') == 1
    assert metric(text, 'bushbuck_quota_limit_messages{user="alice"}') == 50
    assert 'user="bob"' not in text, "users without a limit get no quota gauges"
