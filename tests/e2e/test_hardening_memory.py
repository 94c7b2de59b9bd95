"""Memory exhaustion (issue #14 item 1): what a client can make the server hold.

Before login, IMAP accepts only the literals LOGIN and AUTHENTICATE need (8 KiB) and command
lines of 8 KiB: a larger synchronizing literal is refused at once with a tagged NO and no
continuation, a larger LITERAL+ literal ends the connection with BYE. After login, a large
APPEND literal goes to an unnamed file in DATA/tmp instead of memory. POP3, LMTP, ManageSieve
and the HTTP listener are bounded the same way. Memory is the server process's VmRSS.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time

from e2e_helpers import HOST, USERS, RawImap, close_quietly, fetch_one, sasl_plain
from test_sieve_managesieve import ManageSieve, literal, quote

BIG = 60_000_000
MB = 1024 * 1024


def rss(srv) -> int:
    """The server's resident memory in bytes (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{srv.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc status")


def send_until_closed(sock: socket.socket, total: int, chunk: bytes) -> int:
    """Sends up to TOTAL octets of CHUNK repeated; returns how many went out before the server
    closed the connection."""
    sent = 0
    try:
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


def read_all(sock: socket.socket, timeout: float = 10) -> bytes:
    """Everything the server sends until it closes (a reset counts as closing)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return data


def test_prelogin_literal_floods_do_not_grow_memory(server):
    pid = server.proc.pid
    before = rss(server)
    replies: list[bytes] = [b""] * 16
    closings: list[bytes] = [b""] * 16
    peak = [before]

    def attack(i: int) -> None:
        c = RawImap(HOST, server.imap_port)
        c.send(b"a APPEND INBOX {60000000}\r\n")
        replies[i] = c.read_line()
        send_until_closed(c.sock, BIG, b"x" * 65536)
        closings[i] = c.buf + read_all(c.sock)
        c.close()

    threads = [threading.Thread(target=attack, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak[0] = max(peak[0], rss(server))
        time.sleep(0.02)
    for t in threads:
        t.join()
    peak[0] = max(peak[0], rss(server))

    for reply in replies:
        # Answered at once, without a "+" continuation: nothing of the literal was invited.
        assert reply.startswith(b"a NO [TOOBIG]"), reply
        assert b"log in first" in reply, reply
    for closing in closings:
        assert b"* BYE" in closing, closing[:200]
    assert peak[0] - before < 5 * MB, f"RSS grew by {(peak[0] - before) / MB:.1f} MiB"
    assert server.proc.poll() is None and server.proc.pid == pid
    m = server.imap("alice")
    assert m.noop()[0] == "OK"
    close_quietly(m)


def test_prelogin_literal_plus_over_the_limit_gets_bye(server):
    c = RawImap(HOST, server.imap_port)
    c.send(b"a LOGIN alice {9000+}\r\n")
    send_until_closed(c.sock, 9000, b"y" * 9000)
    rest = read_all(c.sock)
    assert rest.startswith(b"* BYE"), rest[:200]
    assert b"a OK" not in rest
    c.close()
    # A literal within the limit is fine before login: LOGIN with a literal password.
    c = RawImap(HOST, server.imap_port)
    password = USERS["alice"].encode()
    c.send(b"b LOGIN alice {%d}\r\n" % len(password))
    assert c.read_line().startswith(b"+ ")
    c.send(password + b"\r\n")
    tagged, _ = c.read_until_tagged("b")
    assert tagged.startswith(b"b OK"), tagged
    c.close()


def test_prelogin_command_line_is_bounded(server):
    c = RawImap(HOST, server.imap_port)
    # 8 KiB is the limit before login; a line of 9000 octets is answered with BYE.
    c.send(b"a LOGIN alice " + b"z" * 9000 + b"\r\n")
    rest = read_all(c.sock)
    assert rest.startswith(b"* BYE Command line longer than 8192 octets"), rest[:200]
    c.close()
    # After login the configured limit (64 KiB) applies.
    c = RawImap(HOST, server.imap_port)
    c.login("alice", USERS["alice"])
    c.ok("SELECT INBOX")
    tagged, _ = c.command(b'SEARCH HEADER Subject "' + b"z" * 9000 + b'"')
    assert tagged.startswith(b"t3 OK"), tagged
    c.close()


def big_message() -> bytes:
    header = b"From: alice@example.org\r\nTo: alice@example.org\r\nSubject: big\r\n\r\n"
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
    body = line * ((BIG - len(header)) // len(line))
    message = header + body
    return message + b"." * (BIG - len(message) - 2) + b"\r\n"


def test_large_append_after_login_is_spooled_not_held_in_memory(server):
    message = big_message()
    assert len(message) == BIG
    c = RawImap(HOST, server.imap_port, timeout=60)
    c.login("alice", USERS["alice"])
    before = rss(server)
    c.send(b"a APPEND INBOX {%d}\r\n" % BIG)
    assert c.read_line().startswith(b"+ ")
    peak = before
    for i in range(0, BIG, MB):
        c.send(message[i:i + MB])
        peak = max(peak, rss(server))
    # Everything is in: the server's memory did not grow with the literal.
    time.sleep(0.2)
    peak = max(peak, rss(server))
    c.send(b"\r\n")
    tagged, _ = c.read_until_tagged("a")
    assert tagged.startswith(b"a OK [APPENDUID"), tagged
    after = rss(server)
    assert peak - before < 16 * MB, f"RSS grew by {(peak - before) / MB:.1f} MiB while receiving"
    assert after - before < 16 * MB, f"RSS grew by {(after - before) / MB:.1f} MiB after storing"
    assert list((server.data / "tmp").iterdir()) == [], "the spool file is gone"
    c.close()

    m = server.imap("alice")
    m.select("INBOX")
    entry = fetch_one(m, 1, "(RFC822.SIZE BODY.PEEK[])")
    assert int(entry["RFC822.SIZE"]) == BIG
    body = next(v for k, v in entry.items() if k.startswith("BODY["))
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(message).hexdigest()
    close_quietly(m)


def test_pop3_prelogin_line_is_bounded(server):
    before = rss(server)
    with socket.create_connection((HOST, server.pop3_port), timeout=10) as s:
        assert s.recv(1024).startswith(b"+OK")
        send_until_closed(s, 4 * MB, b"USER " + b"u" * 65536)
        rest = read_all(s)
    assert rest.startswith(b"-ERR Line too long"), rest[:200]
    assert rss(server) - before < 5 * MB
    assert server.proc.poll() is None


def test_lmtp_command_lines_are_bounded_before_and_after_mail_from(server):
    for setup in ([], [b"LHLO test\r\n", b"MAIL FROM:<a@example.org>\r\n"]):
        with socket.create_connection((HOST, server.lmtp_port), timeout=10) as s:
            f = s.makefile("rb")
            assert f.readline().startswith(b"220")
            for command in setup:
                s.sendall(command)
                while (line := f.readline())[3:4] == b"-":
                    pass
                assert line.startswith(b"250"), line
            s.sendall(b"RCPT TO:<" + b"r" * 2100 + b"@example.org>\r\n")
            rest = f.read()
            assert rest.startswith(b"500 5.5.2 Command line longer than 2048 octets"), rest[:200]
    # A 2048-octet command line is still a command.
    with socket.create_connection((HOST, server.lmtp_port), timeout=10) as s:
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"NOOP " + b"n" * 2043 + b"\r\n")
        assert f.readline().startswith(b"250"), "NOOP of 2048 octets"


def test_lmtp_data_needs_a_recipient(server):
    with socket.create_connection((HOST, server.lmtp_port), timeout=10) as s:
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"LHLO test\r\nMAIL FROM:<a@example.org>\r\nDATA\r\n")
        replies = []
        while len(replies) < 3:
            line = f.readline()
            if line[3:4] != b"-":
                replies.append(line)
        assert replies[2].startswith(b"503 5.5.1"), replies


def test_managesieve_prelogin_literals_are_bounded(server):
    c = ManageSieve(server.sieve_port)
    c.send(b'AUTHENTICATE "PLAIN" {9000+}\r\n' + b"a" * 9000 + b"\r\n")
    r = c.response()
    assert r.status == "BYE" and "9000" in r.text, r
    # Within 8 KiB a literal works before login, and scripts may be larger after it.
    c = ManageSieve(server.sieve_port)
    r = c.command(b'AUTHENTICATE "PLAIN"', literal(sasl_plain("alice", USERS["alice"]).encode()))
    assert r.status == "OK", r
    script = b"# " + b"c" * 20000 + b"\r\nkeep;\r\n"
    assert c.command(b"PUTSCRIPT", quote("big"), literal(script)).status == "OK"


def http_exchange(port: int, data: bytes, timeout: float = 20) -> bytes:
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(data)
        return read_all(s, timeout)


def test_http_header_count_and_size_are_bounded(server):
    many = b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(100)) + b"\r\n"
    assert http_exchange(server.http_port, many).startswith(b"HTTP/1.1 431")
    huge = b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 10000 + b"\r\n\r\n"
    assert http_exchange(server.http_port, huge).startswith(b"HTTP/1.1 431")
    fine = b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(20)) + b"\r\n"
    assert http_exchange(server.http_port, fine).startswith(b"HTTP/1.1 200")


def test_http_slow_header_is_cut_off(server):
    with socket.create_connection((HOST, server.http_port), timeout=30) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        # A header field every 2 s would keep a per-read timeout happy forever.
        try:
            for _ in range(12):
                time.sleep(2)
                s.sendall(b"X-Slow: 1\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        rest = read_all(s, 30)
        elapsed = time.monotonic() - started
    assert rest == b"", rest
    assert elapsed < 20, f"closed after {elapsed:.1f} s"
