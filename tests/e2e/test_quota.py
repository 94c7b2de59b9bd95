"""Quotas (RFC 9208): limits set with `bushbuck quota set`, GETQUOTAROOT/GETQUOTA/SETQUOTA,
APPEND and COPY refused with [OVERQUOTA], an ALERT on SELECT near the limit, and LMTP
answering 452 4.2.2 (retry later) or 552 5.2.2 (never fits)."""

from __future__ import annotations

from e2e_helpers import lmtp_transaction


def msg(size: int, subject: str = "q") -> bytes:
    head = f"From: a@example.org\r\nSubject: {subject}\r\n\r\n".encode()
    return head + b"x" * max(0, size - len(head) - 2) + b"\r\n"


def lmtp_one(port: int, rcpt: bytes, message: bytes) -> str:
    return lmtp_transaction(port, b"a@example.org", [rcpt], message)[0]


def test_quota_limits_append_copy_and_report(server):
    server.cli("quota", "set", "alice", "--storage", "4", "--messages", "10")
    m = server.imap("alice")
    try:
        assert m.append("INBOX", None, None, msg(2000))[0] == "OK"
        typ, data = m.getquotaroot("INBOX")
        assert typ == "OK"
        assert data[0] == [b'INBOX "user/alice"']
        assert data[1] == [b'"user/alice" (STORAGE 2 4 MESSAGE 1 10)']
        typ, data = m.getquota('"user/alice"')
        assert data == [b'"user/alice" (STORAGE 2 4 MESSAGE 1 10)']
        typ, data = m.append("INBOX", None, None, msg(3000))
        assert typ == "NO" and b"[OVERQUOTA]" in data[0]
        m.select("INBOX")
        typ, data = m.copy("1", "INBOX")
        assert typ == "OK"  # 2 KiB more still fits
        typ, data = m.copy("1:2", "INBOX")
        assert typ == "NO" and b"[OVERQUOTA]" in data[0]
        typ, data = m.setquota('"user/alice"', "(STORAGE 100000)")
        assert typ == "NO" and b"[NOPERM]" in data[0]
        assert b"QUOTA=RES-STORAGE" in m.capability()[1][0]
    finally:
        m.logout()


def test_select_alerts_near_the_limit(server):
    server.cli("quota", "set", "bob", "--messages", "10")
    m = server.imap("bob")
    try:
        for i in range(9):
            m.append("INBOX", None, None, msg(200, f"m{i}"))
        m.select("INBOX")
        alerts = [r for r in m.untagged_responses.get("OK", []) if b"[ALERT]" in r]
        assert alerts and b"90%" in alerts[0], m.untagged_responses
    finally:
        m.logout()


def test_lmtp_over_quota_is_temporary_and_too_big_is_permanent(server):
    server.cli("quota", "set", "alice", "--storage", "4")
    assert lmtp_one(server.lmtp_port, b"alice@example.org", msg(3000)).startswith("250 2.0.0")
    assert lmtp_one(server.lmtp_port, b"alice@example.org", msg(3000)).startswith("452 4.2.2")
    assert lmtp_one(server.lmtp_port, b"alice@example.org", msg(9000)).startswith("552 5.2.2")
    over = server.cli("deliver", "alice", stdin=msg(3000).decode(), check=False)
    assert over.returncode == 75, over.stderr
    forced = server.cli("deliver", "--ignore-quota", "alice", stdin=msg(3000).decode())
    assert "delivered to INBOX" in forced.stdout
    listing = server.cli("quota", "list", "alice").stdout
    assert "user/alice" in listing and " 4 " in listing


def test_quota_list_shows_the_usage_of_a_user_without_limits(server):
    """`quota list` reported 0 for every unlimited user while `quota fix` saw the real usage."""
    for i in range(3):
        assert lmtp_one(server.lmtp_port, b"bob@example.org", msg(4000, f"u{i}")).startswith("250 2.0.0")
    line = next(row for row in server.cli("quota", "list", "bob").stdout.splitlines()
                if row.startswith("user/bob "))
    root, used_kib, limit_kib, messages, limit = line.split()
    assert (limit_kib, limit) == ("-", "-"), line
    assert int(messages) == 3 and int(used_kib) >= 12, line
