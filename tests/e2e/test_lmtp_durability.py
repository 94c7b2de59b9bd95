"""Acknowledged means durable: every message answered 250 over LMTP is there, byte-exact,
after the server is killed with SIGKILL right after the answer."""

from __future__ import annotations

import socket

from e2e_helpers import HOST


def deliver_and_read_reply(port: int, message: bytes) -> str:
    with socket.create_connection((HOST, port), timeout=10) as s:
        f = s.makefile("rb")

        def reply():
            while True:
                line = f.readline().decode().rstrip("\r\n")
                if line[3:4] != "-":
                    return line

        reply()
        for cmd in [b"LHLO t", b"MAIL FROM:<a@example.org>", b"RCPT TO:<alice@example.org>", b"DATA"]:
            s.sendall(cmd + b"\r\n")
            reply()
        s.sendall(message + b".\r\n")
        return reply()


def test_messages_answered_250_survive_kill_9(server):
    bodies = []
    for i in range(20):
        body = f"Subject: durable {i}\r\nMessage-ID: <d{i}@example.org>\r\n\r\n".encode() + bytes([65 + i]) * (1000 * i + 1) + b"\r\n"
        assert deliver_and_read_reply(server.lmtp_port, body).startswith("250 2.0.0")
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
