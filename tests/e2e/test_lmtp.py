"""LMTP (RFC 2033) into ``bushbuck serve``: spoken byte by byte, with Python's smtplib.LMTP
and with swaks (Debian package swaks). Delivered mail is checked over IMAP."""

from __future__ import annotations

import re
import shutil
import smtplib
import socket
import subprocess
import time

import pytest

from e2e_helpers import HOST, body_item, close_quietly, crlf, fetch, fetch_one, flags_of, make_message


class LmtpRaw:
    def __init__(self, port: int, timeout: float = 30):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data: bytes | str) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"server closed the connection; unread: {self.buf[:200]!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self) -> tuple[int, list[bytes]]:
        """One (possibly multi-line) reply: (code, [text of each line])."""
        texts = []
        while True:
            ln = self.line()
            m = re.match(rb"^(\d{3})([ -])(.*)$", ln)
            assert m, f"not an SMTP reply line: {ln!r}"
            texts.append(m.group(3))
            if m.group(2) == b" ":
                return int(m.group(1)), texts

    def cmd(self, text: str) -> tuple[int, list[bytes]]:
        self.send(text + "\r\n")
        return self.reply()

    def expect(self, text: str, code: int) -> list[bytes]:
        got, lines = self.cmd(text)
        assert got == code, f"{text!r} -> {got} {lines!r}, expected {code}"
        return lines

    def read_until_closed(self, timeout: float = 10) -> bytes:
        self.sock.settimeout(timeout)
        data, self.buf = self.buf, b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            return data

    def close(self) -> None:
        self.sock.close()


def stuff(message: bytes) -> bytes:
    return b"".join((b"." + ln if ln.startswith(b".") else ln) for ln in message.splitlines(keepends=True))


def messages_in(server, user: str = "alice", mailbox: str = "INBOX") -> list[bytes]:
    m = server.imap(user)
    try:
        typ, data = m.select(mailbox, readonly=True)
        assert typ == "OK", (mailbox, data)
        if int(data[0]) == 0:
            return []
        res = fetch(m, "1:*", "(BODY.PEEK[])")
        return [body_item(res[k], "BODY[") for k in sorted(res)]
    finally:
        close_quietly(m)


def original_of(stored: bytes) -> bytes:
    """The message without the trace headers delivery prepends (Return-Path, Received with
    its continuation lines)."""
    lines = stored.split(b"\r\n")
    assert lines[0].startswith(b"Return-Path: <"), stored[:200]
    assert lines[1].startswith(b"Received: "), stored[:200]
    i = 2
    while lines[i].startswith((b"\t", b" ")):
        i += 1
    return b"\r\n".join(lines[i:])


def lmtp(server) -> LmtpRaw:
    c = LmtpRaw(server.lmtp_port)
    assert c.greeting[0] == 220, c.greeting
    return c


# ---------------------------------------------------------------------------------------
# Raw protocol
# ---------------------------------------------------------------------------------------


def test_greeting_and_lhlo_extensions(server):
    c = lmtp(server)
    lines = c.expect("LHLO client.example", 250)
    keywords = {ln.split()[0].upper().decode() for ln in lines[1:] if ln}
    assert {"PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SIZE"} <= keywords, lines
    size = [ln for ln in lines if ln.upper().startswith(b"SIZE")]
    assert len(size) == 1 and re.fullmatch(rb"SIZE \d+", size[0]), size
    c.expect("NOOP", 250)
    c.expect("QUIT", 221)
    assert c.read_until_closed() == b""


def test_helo_and_ehlo_are_refused(server):
    c = lmtp(server)
    code, lines = c.cmd("EHLO client.example")
    assert code == 500, (code, lines)  # RFC 2033 section 4.1: LHLO, not HELO/EHLO
    code, lines = c.cmd("HELO client.example")
    assert code == 500, (code, lines)
    c.expect("LHLO client.example", 250)
    c.expect("QUIT", 221)


def test_mail_before_lhlo_is_503(server):
    c = lmtp(server)
    code, lines = c.cmd("MAIL FROM:<a@example.org>")
    assert code == 503, (code, lines)
    assert lines[0].startswith(b"5.5.1"), lines
    c.expect("LHLO client.example", 250)
    c.expect("MAIL FROM:<a@example.org>", 250)
    c.expect("QUIT", 221)


def test_sequence_errors(server):
    c = lmtp(server)
    c.expect("LHLO client.example", 250)
    assert c.cmd("RCPT TO:<alice@example.org>")[0] == 503  # no MAIL yet
    assert c.cmd("DATA")[0] == 503
    c.expect("MAIL FROM:<a@example.org>", 250)
    assert c.cmd("MAIL FROM:<b@example.org>")[0] == 503  # nested MAIL
    assert c.cmd("DATA")[0] == 503  # no valid recipient
    assert c.cmd("RCPT TO:alice@example.org")[0] == 501  # no angle brackets
    assert c.cmd("FROB")[0] == 500
    c.expect("RSET", 250)
    c.expect("MAIL FROM:<b@example.org>", 250)
    c.expect("QUIT", 221)
    assert messages_in(server) == []


def test_one_reply_per_accepted_recipient_unknown_user_550(server):
    msg = make_message("to three", to="alice@example.org, bob@example.org")
    c = lmtp(server)
    c.expect("LHLO client.example", 250)
    c.expect("MAIL FROM:<sender@example.net>", 250)
    c.expect("RCPT TO:<alice@example.org>", 250)
    code, lines = c.cmd("RCPT TO:<nobody@example.org>")
    assert code == 550 and lines[0].startswith(b"5.1.1"), (code, lines)
    c.expect("RCPT TO:<bob@example.org>", 250)
    c.expect("DATA", 354)
    c.send(stuff(msg) + b".\r\n")
    replies = [c.reply(), c.reply()]  # RFC 2033 section 4.2: one per successful RCPT, in order
    assert [r[0] for r in replies] == [250, 250], replies
    assert b"alice@example.org" in replies[0][1][0] and b"bob@example.org" in replies[1][1][0], replies
    # Nothing more: the next reply belongs to NOOP.
    c.expect("NOOP", 250)
    c.expect("QUIT", 221)
    for user in ("alice", "bob"):
        stored = messages_in(server, user)
        assert len(stored) == 1, user
        assert original_of(stored[0]) == msg
        assert stored[0].startswith(b"Return-Path: <sender@example.net>\r\nReceived: "), stored[0][:200]


def test_trace_headers_and_dot_unstuffing(server):
    msg = crlf("From: x@example.net\nTo: alice@example.org\nSubject: dots\n\n.leading dot\n..two\nend\n")
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    c.expect("MAIL FROM:<x@example.net> BODY=8BITMIME", 250)
    c.expect("RCPT TO:<alice@example.org>", 250)
    c.expect("DATA", 354)
    c.send(stuff(msg) + b".\r\n")
    assert c.reply()[0] == 250
    c.expect("QUIT", 221)
    [stored] = messages_in(server)
    assert original_of(stored) == msg
    received = stored.split(b"\r\n")[1:5]
    assert b"relay.example" in b" ".join(received), received  # the LHLO name is traced


def test_null_sender_return_path(server):
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    c.expect("MAIL FROM:<>", 250)
    c.expect("RCPT TO:<alice@example.org>", 250)
    c.expect("DATA", 354)
    c.send(make_message("bounce") + b".\r\n")
    assert c.reply()[0] == 250
    c.expect("QUIT", 221)
    [stored] = messages_in(server)
    assert stored.startswith(b"Return-Path: <>\r\n"), stored[:100]


def test_two_transactions_on_one_connection(server):
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    for subject in ("first", "second"):
        c.expect("MAIL FROM:<x@example.net>", 250)
        c.expect("RCPT TO:<alice@example.org>", 250)
        c.expect("DATA", 354)
        c.send(make_message(subject) + b".\r\n")
        assert c.reply()[0] == 250
    c.expect("QUIT", 221)
    subjects = [re.search(rb"Subject: (\w+)", m).group(1) for m in messages_in(server)]
    assert subjects == [b"first", b"second"]


def test_pipelined_transaction(server):
    msg = make_message("pipelined")
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    c.send("MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<ghost@example.org>\r\n"
           "RCPT TO:<bob@example.org>\r\nDATA\r\n")
    codes = [c.reply()[0] for _ in range(5)]
    assert codes == [250, 250, 550, 250, 354], codes
    c.send(msg + b".\r\nQUIT\r\n")
    assert [c.reply()[0] for _ in range(3)] == [250, 250, 221]
    assert len(messages_in(server, "alice")) == 1 and len(messages_in(server, "bob")) == 1


def test_plus_addressing_into_existing_folder_else_inbox(server):
    m = server.imap("alice")
    assert m.create("Work")[0] == "OK"
    # Plus-addressing files into a folder only where anyone may post (RFC 4314 p right).
    assert m._simple_command("SETACL", "Work", "anyone", "+p")[0] == "OK"
    close_quietly(m)
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    c.expect("MAIL FROM:<x@example.net>", 250)
    c.expect("RCPT TO:<alice+Work@example.org>", 250)
    c.expect("DATA", 354)
    c.send(make_message("work mail") + b".\r\n")
    assert c.reply()[0] == 250
    c.expect("MAIL FROM:<x@example.net>", 250)
    c.expect("RCPT TO:<alice+NoSuchFolder@example.org>", 250)
    c.expect("DATA", 354)
    c.send(make_message("no folder") + b".\r\n")
    assert c.reply()[0] == 250
    c.expect("QUIT", 221)
    work = messages_in(server, "alice", "Work")
    inbox = messages_in(server, "alice", "INBOX")
    assert len(work) == 1 and b"Subject: work mail" in work[0]
    assert len(inbox) == 1 and b"Subject: no folder" in inbox[0]


def test_unknown_plus_address_user_is_550(server):
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    c.expect("MAIL FROM:<x@example.net>", 250)
    code, lines = c.cmd("RCPT TO:<carol+Work@example.org>")
    assert code == 550 and lines[0].startswith(b"5.1.1"), (code, lines)
    c.expect("QUIT", 221)


def test_declared_size_over_limit_is_552(server):
    c = lmtp(server)
    lines = c.expect("LHLO relay.example", 250)
    limit = int([ln for ln in lines if ln.upper().startswith(b"SIZE")][0].split()[1])
    code, lines = c.cmd(f"MAIL FROM:<x@example.net> SIZE={limit + 1}")
    assert code == 552, (code, lines)  # RFC 1870 section 6.1
    c.expect(f"MAIL FROM:<x@example.net> SIZE={limit // 2}", 250)
    c.expect("QUIT", 221)


def test_message_over_size_is_refused_552_per_recipient(server):
    c = lmtp(server)
    lines = c.expect("LHLO relay.example", 250)
    limit = int([ln for ln in lines if ln.upper().startswith(b"SIZE")][0].split()[1])
    c.expect("MAIL FROM:<x@example.net>", 250)
    c.expect("RCPT TO:<alice@example.org>", 250)
    c.expect("RCPT TO:<bob@example.org>", 250)
    c.expect("DATA", 354)
    c.send(b"Subject: huge\r\n\r\n")
    line = b"x" * 998 + b"\r\n"
    chunk = line * 1024
    sent = 0
    while sent <= limit:
        c.send(chunk)
        sent += len(chunk)
    c.send(b".\r\n")
    replies = [c.reply(), c.reply()]
    assert [r[0] for r in replies] == [552, 552], replies
    # The connection is still usable and nothing was stored.
    c.expect("NOOP", 250)
    c.expect("QUIT", 221)
    assert messages_in(server, "alice") == [] and messages_in(server, "bob") == []


def test_rset_forgets_recipients(server):
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    c.expect("MAIL FROM:<x@example.net>", 250)
    c.expect("RCPT TO:<bob@example.org>", 250)
    c.expect("RSET", 250)
    c.expect("MAIL FROM:<x@example.net>", 250)
    c.expect("RCPT TO:<alice@example.org>", 250)
    c.expect("DATA", 354)
    c.send(make_message("after rset") + b".\r\n")
    assert c.reply()[0] == 250
    c.expect("QUIT", 221)
    assert len(messages_in(server, "alice")) == 1
    assert messages_in(server, "bob") == []


def test_dropped_connection_during_data_stores_nothing(server):
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    c.expect("MAIL FROM:<x@example.net>", 250)
    c.expect("RCPT TO:<alice@example.org>", 250)
    c.expect("DATA", 354)
    c.send(make_message("cut off"))
    c.close()
    time.sleep(0.5)
    assert messages_in(server) == []


def test_delivered_mail_is_unseen_and_recent_over_imap(server):
    c = lmtp(server)
    c.expect("LHLO relay.example", 250)
    c.expect("MAIL FROM:<x@example.net>", 250)
    c.expect("RCPT TO:<ALICE@EXAMPLE.ORG>", 250)  # user names are case-insensitive
    c.expect("DATA", 354)
    c.send(make_message("flags") + b".\r\n")
    assert c.reply()[0] == 250
    c.expect("QUIT", 221)
    m = server.imap("alice")
    try:
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) == 1
        entry = fetch_one(m, 1, "(FLAGS)")
        assert "\\seen" not in flags_of(entry)
    finally:
        close_quietly(m)


# ---------------------------------------------------------------------------------------
# smtplib.LMTP
# ---------------------------------------------------------------------------------------


def test_smtplib_lmtp_per_recipient_replies(server):
    """smtplib.LMTP's sendmail() reads one reply after DATA, so a multi-recipient
    transaction goes through mail/rcpt/data and getreply() for the other replies."""
    msg = make_message("via smtplib", to="alice@example.org, bob@example.org")
    with smtplib.LMTP(HOST, server.lmtp_port, timeout=30) as s:
        code, _ = s.ehlo("smtplib.example")  # smtplib.LMTP sends LHLO
        assert code == 250
        assert s.has_extn("pipelining") and s.has_extn("enhancedstatuscodes") and s.has_extn("size")
        assert s.mail("sender@example.net")[0] == 250
        assert s.rcpt("alice@example.org")[0] == 250
        code, text = s.rcpt("nobody@example.org")
        assert (code, text[:5]) == (550, b"5.1.1")
        assert s.rcpt("bob+Nope@example.org")[0] == 250
        code, text = s.data(msg)
        assert code == 250 and b"alice@example.org" in text, text
        code, text = s.getreply()
        assert code == 250 and b"bob+Nope@example.org" in text, text
        assert s.noop()[0] == 250
    for user in ("alice", "bob"):
        [stored] = messages_in(server, user)
        assert original_of(stored) == msg


def test_smtplib_lmtp_sendmail_refused(server):
    msg = make_message("refused")
    with smtplib.LMTP(HOST, server.lmtp_port, timeout=30) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("sender@example.net", ["nobody@example.org"], msg)
        assert e.value.recipients["nobody@example.org"][0] == 550
        assert s.sendmail("sender@example.net", ["alice@example.org"], msg) == {}
    [stored] = messages_in(server, "alice")
    assert original_of(stored) == msg


def test_smtplib_lmtp_partial_refusal(server):
    msg = make_message("partial")
    with smtplib.LMTP(HOST, server.lmtp_port, timeout=30) as s:
        refused = s.sendmail("sender@example.net", ["alice@example.org", "ghost@example.org"], msg)
        assert set(refused) == {"ghost@example.org"}
        assert refused["ghost@example.org"][0] == 550
        assert refused["ghost@example.org"][1].startswith(b"5.1.1")
    assert len(messages_in(server, "alice")) == 1


# ---------------------------------------------------------------------------------------
# swaks
# ---------------------------------------------------------------------------------------


def swaks(server, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("swaks")
    if not exe:
        pytest.fail("swaks not found: install the Debian package swaks (.ci/run does)")
    return subprocess.run([exe, "--protocol", "LMTP", "--server", f"{HOST}:{server.lmtp_port}",
                           "--helo", "swaks.example", *args],
                          capture_output=True, text=True, timeout=60)


def test_swaks_delivers(server):
    proc = swaks(server, "--to", "alice@example.org", "--from", "x@example.net",
                 "--header", "Subject: swaks test", "--body", "Hello from swaks\n.dot line")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "LHLO swaks.example" in out, out
    assert re.search(r"<-\s+250 2\.0\.0 .*alice@example\.org", out), out  # the reply after DATA
    [stored] = messages_in(server)
    assert stored.startswith(b"Return-Path: <x@example.net>\r\n")
    assert b"Subject: swaks test" in stored
    assert b"\r\n\r\nHello from swaks\r\n.dot line" in stored


def test_swaks_multiple_recipients_and_unknown(server):
    proc = swaks(server, "--to", "alice@example.org,bob@example.org", "--from", "x@example.net")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert len(messages_in(server, "alice")) == 1 and len(messages_in(server, "bob")) == 1

    proc = swaks(server, "--to", "nobody@example.org", "--from", "x@example.net")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out  # swaks exits 24 when no recipient was accepted
    assert re.search(r"<\*\*\s+550 5\.1\.1", out), out
