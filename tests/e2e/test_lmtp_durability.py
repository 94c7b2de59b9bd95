"""Acknowledged means durable: every message answered 250 over LMTP is there, byte-exact,
after the server is killed with SIGKILL right after the answer."""

from __future__ import annotations

from e2e_helpers import lmtp_transaction


def test_messages_answered_250_survive_kill_9(server):
    bodies = []
    for i in range(20):
        body = f"Subject: durable {i}\r\nMessage-ID: <d{i}@example.org>\r\n\r\n".encode() + bytes([65 + i]) * (1000 * i + 1) + b"\r\n"
        assert lmtp_transaction(server.lmtp_port, b"a@example.org", [b"alice@example.org"], body)[0].startswith("250 2.0.0")
        bodies.append(body)
    server.kill9()
    server.start()
    m = server.imap("alice")
    try:
        typ, data = m.select("INBOX")
        assert data[-1] == str(len(bodies)).encode()
        for seq, body in enumerate(bodies, start=1):
            typ, data = m.fetch(str(seq), "(BODY.PEEK[])")
            assert data[0][1].endswith(body), f"message {seq} differs after kill -9"
    finally:
        m.logout()
