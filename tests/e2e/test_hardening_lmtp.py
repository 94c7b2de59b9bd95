"""LMTP hardening (issue #14 items 2 and 4): SMTP smuggling and the recipient cap.

Only CRLF . CRLF ends DATA. A bare LF or CR in the data refuses the message with
``550 5.6.11`` after reading to the real end, so a forged end of data (``\\n.\\n``,
``\\r\\n.\\n``, ``\\n.\\r\\n``) cannot smuggle a second transaction in one message. At most
``max_lmtp_recipients`` (100) RCPTs are taken per transaction; more get ``452 4.5.3``.
"""

from __future__ import annotations

import socket

import pytest

from e2e_helpers import HOST, USERS, RawImap, lmtp_exchange, make_message


class Lmtp:
    """A raw LMTP client that reads exactly one reply per command."""

    def __init__(self, port: int):
        self.sock = socket.create_connection((HOST, port), timeout=15)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith("220")

    def reply(self) -> str:
        while True:
            line = self.file.readline().decode()
            assert line, "server closed the connection"
            if line[3:4] != "-":
                return line.rstrip("\r\n")

    def command(self, line: bytes) -> str:
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def envelope(self, *recipients: bytes) -> None:
        assert self.command(b"LHLO test").startswith("250")
        assert self.command(b"MAIL FROM:<sender@example.org>").startswith("250")
        for r in recipients:
            assert self.command(b"RCPT TO:<" + r + b">").startswith("250")
        assert self.command(b"DATA").startswith("354")

    def close(self) -> None:
        self.sock.close()


def subjects(srv, user: str) -> list[bytes]:
    c = RawImap(HOST, srv.imap_port)
    c.login(user, USERS[user])
    c.ok("SELECT INBOX")
    _, untagged = c.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    c.close()
    return [line.split(b"Subject: ", 1)[1].split(b"\r\n")[0] for line in untagged if b"Subject: " in line]


FORGED = (
    b"MAIL FROM:<ceo@example.org>\r\n"
    b"RCPT TO:<bob@example.org>\r\n"
    b"DATA\r\n"
    b"From: ceo@example.org\r\nSubject: forged\r\n\r\nPlease wire the money.\r\n"
)


@pytest.mark.parametrize("fake_end", [b"\n.\n", b"\r\n.\n", b"\n.\r\n"], ids=["LF.LF", "CRLF.LF", "LF.CRLF"])
def test_bare_lf_end_of_data_cannot_smuggle_a_second_message(server, fake_end):
    c = Lmtp(server.lmtp_port)
    c.envelope(b"alice@example.org")
    first = b"From: sender@example.org\r\nSubject: carrier\r\n\r\nHello" + fake_end + FORGED
    c.sock.sendall(first + b".\r\n")
    refused = c.reply()
    assert refused.startswith("550 5.6.11 bare LF/CR in message"), refused
    # Nothing of the forged transaction ran: the next reply is NOOP's.
    assert c.command(b"NOOP") == "250 2.0.0 OK"
    # The connection goes on: a clean message is accepted.
    assert c.command(b"MAIL FROM:<sender@example.org>").startswith("250")
    assert c.command(b"RCPT TO:<alice@example.org>").startswith("250")
    assert c.command(b"DATA").startswith("354")
    c.sock.sendall(make_message("clean") + b".\r\n")
    assert c.reply().startswith("250 2.0.0"), "clean message"
    assert c.command(b"QUIT").startswith("221")
    c.close()
    assert subjects(server, "alice") == [b"clean"]
    assert subjects(server, "bob") == []


def test_bare_cr_inside_data_is_refused(server):
    c = Lmtp(server.lmtp_port)
    c.envelope(b"alice@example.org", b"bob@example.org")
    c.sock.sendall(b"Subject: cr\r\n\r\nline one\rMAIL FROM:<x@example.org>\r\n.\r\n")
    assert [c.reply(), c.reply()] == ["550 5.6.11 bare LF/CR in message; end every line with CRLF"] * 2
    assert c.command(b"NOOP") == "250 2.0.0 OK"
    c.close()
    assert subjects(server, "alice") == []


def test_crlf_message_with_leading_dots_is_stored_unstuffed(server):
    body = b"Subject: dots\r\n\r\n..leading-dot\r\n...\r\n. \r\nend\r\n"
    c = Lmtp(server.lmtp_port)
    c.envelope(b"alice@example.org")
    c.sock.sendall(body + b".\r\n")
    assert c.reply().startswith("250 2.0.0")
    c.close()
    m = RawImap(HOST, server.imap_port)
    m.login("alice", USERS["alice"])
    m.ok("SELECT INBOX")
    _, untagged = m.command("FETCH 1 (BODY.PEEK[TEXT])")
    m.close()
    assert b"\r\n.leading-dot\r\n..\r\n \r\nend\r\n" in b"\r\n" + untagged[0], untagged


def test_recipients_beyond_the_cap_get_452(server):
    recipients = [b"alice+r%d@example.org" % i for i in range(150)]
    rcpts, answers = lmtp_exchange(server.lmtp_port, b"sender@example.org", recipients, make_message("many"))
    assert all(r.startswith("250") for r in rcpts[:100]), rcpts[:100]
    assert rcpts[100:] == ["452 4.5.3 Too many recipients; send the others in a new transaction"] * 50
    assert len(answers) == 100 and all(a.startswith("250 2.0.0") for a in answers), answers
    assert subjects(server, "alice") == [b"many"] * 100
