"""POP3 (RFC 1939, CAPA and response codes of RFC 2449, STLS of RFC 2595, AUTH of RFC 5034)
spoken byte by byte to ``bushbuck serve``, with the mail put in and checked over IMAP.

Each test gets its own server (fixture ``server``): users alice and bob, INBOX empty."""

from __future__ import annotations

import base64
import re
import socket
import ssl
import time


from e2e_helpers import (
    HOST,
    USERS,
    append,
    close_quietly,
    crlf,
    fetch,
    fetch_one,
    flags_of,
    insecure_tls_context,
    make_message,
    sasl_plain,
    status,
)

UIDL_SYNTAX = re.compile(rb"^[\x21-\x7e]{1,70}$")  # RFC 1939 section 7


class Pop3Raw:
    """A POP3 client that shows every byte (poplib hides response codes and stuffing)."""

    def __init__(self, port: int, timeout: float = 15, tls: bool = False):
        sock = socket.create_connection((HOST, port), timeout=timeout)
        if tls:
            sock = insecure_tls_context().wrap_socket(sock, server_hostname=HOST)
        self.sock = sock
        self.buf = b""
        self.greeting = self.line()

    def send(self, data: bytes | str) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"server closed the connection; unread: {self.buf[:200]!r}")
        self.buf += chunk

    def line(self) -> bytes:
        """One line without CRLF. Fails the test on a bare LF (RFC 1939: lines end in CRLF)."""
        while b"\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\n", 1)
        assert line.endswith(b"\r"), f"line not ended by CRLF: {line!r}"
        return line[:-1]

    def multiline(self) -> list[bytes]:
        """The lines of a multi-line answer up to the terminating '.', still byte-stuffed."""
        out = []
        while True:
            ln = self.line()
            if ln == b".":
                return out
            out.append(ln)

    def cmd(self, text: str | bytes) -> bytes:
        self.send((text.encode() if isinstance(text, str) else text) + b"\r\n")
        return self.line()

    def ok(self, text: str | bytes) -> bytes:
        resp = self.cmd(text)
        assert resp.startswith(b"+OK"), f"{text!r} -> {resp!r}"
        return resp

    def ok_multi(self, text: str | bytes) -> tuple[bytes, list[bytes]]:
        first = self.ok(text)
        return first, self.multiline()

    def login(self, user: str = "alice", password: str | None = None) -> bytes:
        self.ok(f"USER {user}")
        return self.ok(f"PASS {password if password is not None else USERS[user]}")

    def starttls(self) -> None:
        resp = self.cmd("STLS")
        assert resp.startswith(b"+OK"), f"STLS -> {resp!r}"
        assert self.buf == b"", f"data after +OK to STLS before the handshake: {self.buf!r}"
        self.sock = insecure_tls_context().wrap_socket(self.sock, server_hostname=HOST)

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
        try:
            self.sock.close()
        except OSError:
            pass


def unstuff(lines: list[bytes]) -> bytes:
    return b"".join((ln[1:] if ln.startswith(b".") else ln) + b"\r\n" for ln in lines)


def seed(server, *messages: bytes, user: str = "alice") -> list[int]:
    """APPENDs the messages to INBOX over IMAP; returns their UIDs."""
    m = server.imap(user)
    try:
        return [append(m, msg) for msg in messages]
    finally:
        close_quietly(m)


def pop(server, user: str | None = "alice", tls: bool = False) -> Pop3Raw:
    c = Pop3Raw(server.pop3s_port if tls else server.pop3_port, tls=tls)
    if user is not None:
        c.login(user)
    return c


def inbox_uids(server, user: str = "alice") -> list[int]:
    m = server.imap(user)
    try:
        typ, _ = m.select("INBOX", readonly=True)
        assert typ == "OK"
        typ, data = m.uid("SEARCH", "ALL")
        assert typ == "OK", data
        return [int(x) for x in data[0].split()]
    finally:
        close_quietly(m)


def login_retrying_in_use(server, user: str = "alice", timeout: float = 10) -> Pop3Raw:
    """Logs in, retrying while a just-dropped session still holds the maildrop lock."""
    deadline = time.monotonic() + timeout
    while True:
        c = pop(server, None)
        c.ok(f"USER {user}")
        resp = c.cmd(f"PASS {USERS[user]}")
        if resp.startswith(b"+OK"):
            return c
        c.close()
        assert resp.startswith(b"-ERR [IN-USE]"), resp
        assert time.monotonic() < deadline, "maildrop lock not released after the client went away"
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------
# Greeting, CAPA
# ---------------------------------------------------------------------------------------


def test_greeting_is_ok(server):
    c = pop(server, None)
    assert c.greeting.startswith(b"+OK"), c.greeting
    assert c.ok("QUIT").startswith(b"+OK")
    assert c.read_until_closed() == b""


def capa(c: Pop3Raw) -> list[str]:
    _, lines = c.ok_multi("CAPA")
    return [ln.decode() for ln in lines]


def test_capa_before_login(server):
    c = pop(server, None)
    caps = capa(c)
    upper = {x.upper() for x in caps}
    for cap in ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "STLS"]:
        assert cap in upper, f"{cap} missing from CAPA {caps}"
    sasl = [x for x in caps if x.upper().startswith("SASL ")]
    assert len(sasl) == 1, caps
    assert set(sasl[0].upper().split()[1:]) >= {"PLAIN", "LOGIN"}, sasl
    impl = [x for x in caps if x.upper().startswith("IMPLEMENTATION ")]
    assert len(impl) == 1 and "Bushbuck" in impl[0], caps
    c.ok("QUIT")


def test_capa_after_login_has_no_login_capabilities(server):
    c = pop(server)
    upper = {x.upper().split()[0] for x in capa(c)}
    assert {"TOP", "UIDL", "RESP-CODES", "PIPELINING"} <= upper
    # RFC 2449 section 5: USER, SASL and STLS are only for the AUTHORIZATION state.
    assert not upper & {"USER", "SASL", "STLS"}, upper
    c.ok("QUIT")


# ---------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------


def test_user_pass_good_and_stat_of_empty_maildrop(server):
    c = pop(server, None)
    assert c.ok("USER alice").startswith(b"+OK")
    assert c.ok(f"PASS {USERS['alice']}").startswith(b"+OK")
    assert c.ok("STAT") == b"+OK 0 0"
    _, lines = c.ok_multi("LIST")
    assert lines == []
    c.ok("QUIT")


def test_user_pass_bad_password_has_auth_code_and_session_goes_on(server):
    c = pop(server, None)
    c.ok("USER alice")
    resp = c.cmd("PASS wrong-password")
    assert resp.startswith(b"-ERR [AUTH]"), resp  # RFC 3206 / AUTH-RESP-CODE
    # Still in AUTHORIZATION: transaction commands are refused, a good login works.
    assert c.cmd("STAT").startswith(b"-ERR")
    c.ok("USER alice")
    c.ok(f"PASS {USERS['alice']}")
    assert c.ok("STAT") == b"+OK 0 0"
    c.ok("QUIT")


def test_unknown_user_answer_looks_like_bad_password(server):
    c = pop(server, None)
    first = c.cmd("USER nosuchuser")
    assert first.startswith(b"+OK"), first  # no user enumeration at USER
    resp = c.cmd("PASS whatever")
    assert resp.startswith(b"-ERR [AUTH]"), resp
    c.ok("QUIT")


def test_pass_without_user_is_refused(server):
    c = pop(server, None)
    assert c.cmd(f"PASS {USERS['alice']}").startswith(b"-ERR")
    c.login()
    c.ok("QUIT")


def test_auth_plain_with_initial_response(server):
    c = pop(server, None)
    resp = c.ok(f"AUTH PLAIN {sasl_plain('alice', USERS['alice'])}")
    assert resp.startswith(b"+OK"), resp
    assert c.ok("STAT") == b"+OK 0 0"
    c.ok("QUIT")


def test_auth_plain_without_initial_response(server):
    c = pop(server, None)
    cont = c.cmd("AUTH PLAIN")
    # RFC 5034 section 4: a continuation is "+" SP [base64]; PLAIN's first challenge is empty.
    assert cont in (b"+ ", b"+"), cont
    assert c.cmd(sasl_plain("bob", USERS["bob"])).startswith(b"+OK")
    assert c.ok("STAT") == b"+OK 0 0"
    c.ok("QUIT")


def test_auth_plain_bad_password(server):
    c = pop(server, None)
    resp = c.cmd(f"AUTH PLAIN {sasl_plain('alice', 'nope')}")
    assert resp.startswith(b"-ERR [AUTH]"), resp
    c.login()
    c.ok("QUIT")


def test_auth_plain_authzid_of_another_user_is_refused(server):
    """RFC 4616 section 2: with a non-empty authzid the server must check that the authcid may
    act as it and fail the exchange otherwise (IMAP AUTHENTICATE PLAIN does: NO). alice's
    credentials with authzid "bob" must not open any maildrop."""
    seed(server, make_message("bob's mail"), user="bob")
    c = pop(server, None)
    resp = c.cmd(f"AUTH PLAIN {sasl_plain('alice', USERS['alice'], authzid='bob')}")
    assert resp.startswith(b"-ERR"), f"AUTH PLAIN with authzid=bob, authcid=alice -> {resp!r}"
    # authzid equal to authcid is fine.
    assert c.cmd(f"AUTH PLAIN {sasl_plain('alice', USERS['alice'], authzid='alice')}").startswith(b"+OK")
    c.ok("QUIT")


def test_auth_login(server):
    c = pop(server, None)
    cont = c.cmd("AUTH LOGIN")
    assert cont.startswith(b"+ "), cont
    assert base64.b64decode(cont[2:]).lower().startswith(b"user"), cont
    cont = c.cmd(base64.b64encode(b"alice"))
    assert cont.startswith(b"+ "), cont
    assert base64.b64decode(cont[2:]).lower().startswith(b"pass"), cont
    assert c.cmd(base64.b64encode(USERS["alice"].encode())).startswith(b"+OK")
    assert c.ok("STAT") == b"+OK 0 0"
    c.ok("QUIT")


def test_auth_cancelled_with_star(server):
    c = pop(server, None)
    assert c.cmd("AUTH PLAIN").startswith(b"+")
    # RFC 5034 section 4: "*" cancels; the server MUST reject the AUTH command.
    assert c.cmd("*").startswith(b"-ERR")
    c.login()
    c.ok("QUIT")


def test_auth_unknown_mechanism(server):
    c = pop(server, None)
    assert c.cmd("AUTH CRAM-MD5").startswith(b"-ERR")
    c.login()
    c.ok("QUIT")


def test_three_failed_logins_close_the_connection(server):
    c = pop(server, None)
    for i in range(2):
        c.ok("USER alice")
        resp = c.cmd(f"PASS wrong{i}")
        assert resp.startswith(b"-ERR [AUTH]"), resp
    c.ok("USER alice")
    assert c.cmd("PASS wrong3").startswith(b"-ERR")
    rest = c.read_until_closed()
    # The connection is closed; each command gets exactly one response (RFC 1939 section 3),
    # so nothing else may follow the -ERR line answering PASS.
    assert rest == b"", f"unsolicited data after the answer to the third PASS: {rest!r}"


def test_second_login_of_same_user_is_in_use_imap_keeps_working(server):
    seed(server, make_message("one"), make_message("two"), make_message("three"))
    first = pop(server)
    second = pop(server, None)
    second.ok("USER alice")
    resp = second.cmd(f"PASS {USERS['alice']}")
    assert resp.startswith(b"-ERR [IN-USE]"), resp  # RFC 2449 section 8.1.1
    # Another user is not locked out.
    other = pop(server, None)
    other.login("bob")
    other.ok("QUIT")

    imap = server.imap("alice")
    try:
        typ, data = imap.select("INBOX")
        assert typ == "OK" and int(data[0]) == 3
        first.ok("DELE 2")
        assert first.ok("QUIT").startswith(b"+OK")
        typ, data = imap.noop()
        assert typ == "OK"
        exp = imap.untagged_responses.get("EXPUNGE", [])
        assert [int(x) for x in exp] == [2], imap.untagged_responses
        typ, data = imap.search(None, "ALL")
        assert data[0].split() == [b"1", b"2"]
    finally:
        close_quietly(imap)
    # The lock went with the session.
    again = login_retrying_in_use(server)
    assert again.ok("STAT").startswith(b"+OK 2 ")
    again.ok("QUIT")


# ---------------------------------------------------------------------------------------
# TRANSACTION commands
# ---------------------------------------------------------------------------------------


def test_stat_list_retr_sizes_match(server):
    msgs = [make_message("first", body="a\n"), make_message("second", body="bb\n" * 50),
            make_message("third", body="ccc\n" * 500)]
    seed(server, *msgs)
    c = pop(server)
    total = sum(len(m) for m in msgs)
    assert c.ok("STAT") == f"+OK 3 {total}".encode()
    _, lines = c.ok_multi("LIST")
    assert lines == [f"{i} {len(m)}".encode() for i, m in enumerate(msgs, 1)]
    assert c.ok("LIST 2") == f"+OK 2 {len(msgs[1])}".encode()
    for i, m in enumerate(msgs, 1):
        _, body = c.ok_multi(f"RETR {i}")
        assert unstuff(body) == m
    c.ok("QUIT")


def test_list_and_retr_of_missing_message(server):
    seed(server, make_message())
    c = pop(server)
    for bad in ["LIST 2", "RETR 2", "TOP 2 0", "DELE 2", "UIDL 2"]:
        resp = c.cmd(bad)
        assert resp.startswith(b"-ERR"), f"{bad} -> {resp!r}"
    assert c.ok("STAT").startswith(b"+OK 1 ")
    c.ok("QUIT")


def test_uidl_is_uidvalidity_dot_uid_and_stable(server):
    uids = seed(server, make_message("a"), make_message("b"))
    m = server.imap("alice")
    validity = status(m, "INBOX")["UIDVALIDITY"]
    close_quietly(m)
    expected = [f"{validity}.{u}".encode() for u in uids]

    c = pop(server)
    _, lines = c.ok_multi("UIDL")
    assert lines == [f"{i} ".encode() + e for i, e in enumerate(expected, 1)]
    for e in expected:
        assert UIDL_SYNTAX.match(e)
    assert c.ok("UIDL 2") == b"+OK 2 " + expected[1]
    c.ok("QUIT")

    seed(server, make_message("c"))
    c = pop(server)
    _, lines = c.ok_multi("UIDL")
    assert lines[:2] == [f"{i} ".encode() + e for i, e in enumerate(expected, 1)]
    assert len(lines) == 3 and lines[2] not in lines[:2]
    c.ok("QUIT")
    # Also after a restart of the server.
    server.restart()
    c = pop(server)
    _, lines2 = c.ok_multi("UIDL")
    assert lines2 == lines
    c.ok("QUIT")


def test_top(server):
    msg = crlf("From: a@example.org\nTo: b@example.org\nSubject: top\n\nline1\nline2\nline3\n")
    seed(server, msg)
    c = pop(server)
    _, lines = c.ok_multi("TOP 1 0")
    assert unstuff(lines) == crlf("From: a@example.org\nTo: b@example.org\nSubject: top\n\n")
    _, lines = c.ok_multi("TOP 1 2")
    assert unstuff(lines) == crlf("From: a@example.org\nTo: b@example.org\nSubject: top\n\nline1\nline2\n")
    _, lines = c.ok_multi("TOP 1 100")
    assert unstuff(lines) == msg
    assert c.cmd("TOP 1").startswith(b"-ERR")
    assert c.cmd("TOP 1 x").startswith(b"-ERR")
    c.ok("QUIT")


def test_byte_stuffing(server):
    msg = crlf("Subject: dots\n\n.hidden\n..two\nnormal\n.\n. \nlast.\n")
    seed(server, msg)
    c = pop(server)
    assert c.ok("LIST 1") == f"+OK 1 {len(msg)}".encode()
    first = c.ok("RETR 1")
    raw = c.multiline()
    assert raw == [b"Subject: dots", b"", b"..hidden", b"...two", b"normal", b"..", b".. ", b"last."], raw
    assert unstuff(raw) == msg
    assert str(len(msg)).encode() in first  # "+OK <octets> octets"
    c.ok("QUIT")


def test_dele_rset_and_quit_deletes(server):
    uids = seed(server, make_message("a"), make_message("b"), make_message("c"))
    c = pop(server)
    sizes = [int(x.split()[1]) for x in c.ok_multi("LIST")[1]]
    assert c.ok("DELE 2").startswith(b"+OK")
    assert c.cmd("DELE 2").startswith(b"-ERR")  # already deleted
    assert c.cmd("RETR 2").startswith(b"-ERR")
    assert c.cmd("LIST 2").startswith(b"-ERR")
    assert c.ok("STAT") == f"+OK 2 {sizes[0] + sizes[2]}".encode()
    _, lines = c.ok_multi("LIST")
    assert lines == [f"1 {sizes[0]}".encode(), f"3 {sizes[2]}".encode()]  # numbers don't shift
    _, lines = c.ok_multi("UIDL")
    assert [ln.split()[0] for ln in lines] == [b"1", b"3"]
    assert c.ok("RSET").startswith(b"+OK")
    assert c.ok("STAT") == f"+OK 3 {sum(sizes)}".encode()
    c.ok("DELE 1")
    c.ok("DELE 3")
    assert c.ok("NOOP").startswith(b"+OK")
    # Not deleted before QUIT.
    assert inbox_uids(server) == uids
    assert c.ok("QUIT").startswith(b"+OK")
    assert c.read_until_closed() == b""
    assert inbox_uids(server) == [uids[1]]


def test_dropped_connection_deletes_nothing(server):
    uids = seed(server, make_message("a"), make_message("b"))
    c = pop(server)
    c.ok("DELE 1")
    c.ok("DELE 2")
    c.close()  # no QUIT: RFC 1939 section 6, no UPDATE state
    c2 = login_retrying_in_use(server)
    assert c2.ok("STAT").startswith(b"+OK 2 ")
    c2.ok("QUIT")
    assert inbox_uids(server) == uids


def test_quit_without_deletions_keeps_everything(server):
    uids = seed(server, make_message("a"))
    c = pop(server)
    c.ok_multi("RETR 1")
    assert c.ok("QUIT").startswith(b"+OK")
    assert inbox_uids(server) == uids


def test_retr_sets_seen_visible_over_imap_top_does_not(server):
    uids = seed(server, make_message("a"), make_message("b"))
    m = server.imap("alice")
    try:
        m.select("INBOX")
        assert all("\\seen" not in flags_of(e) for e in fetch(m, "1:*", "(FLAGS)").values())
        c = pop(server)
        c.ok_multi("TOP 2 1")
        c.ok_multi("RETR 1")
        m.noop()
        entry = fetch_one(m, uids[0], "(FLAGS)", uid=True)
        assert "\\seen" in flags_of(entry)
        entry = fetch_one(m, uids[1], "(FLAGS)", uid=True)
        assert "\\seen" not in flags_of(entry)
        c.ok("QUIT")
    finally:
        close_quietly(m)


def test_maildrop_is_a_snapshot_at_login(server):
    seed(server, make_message("a"))
    c = pop(server)
    assert c.ok("STAT").startswith(b"+OK 1 ")
    seed(server, make_message("b"))
    assert c.ok("STAT").startswith(b"+OK 1 ")
    c.ok("QUIT")
    c = pop(server)
    assert c.ok("STAT").startswith(b"+OK 2 ")
    c.ok("QUIT")


def test_pop3_sees_only_inbox(server):
    m = server.imap("alice")
    assert m.create("Kept")[0] == "OK"
    append(m, make_message("archived"), mailbox="Kept")
    append(m, make_message("inbox"))
    close_quietly(m)
    c = pop(server)
    assert c.ok("STAT").startswith(b"+OK 1 ")
    _, lines = c.ok_multi("RETR 1")
    assert b"Subject: inbox" in lines
    c.ok("QUIT")


def test_users_have_separate_maildrops(server):
    seed(server, make_message("for alice"))
    seed(server, make_message("for bob 1"), make_message("for bob 2"), user="bob")
    a, b = pop(server, "alice"), pop(server, "bob")
    assert a.ok("STAT").startswith(b"+OK 1 ")
    assert b.ok("STAT").startswith(b"+OK 2 ")
    a.ok("QUIT")
    b.ok("QUIT")


# ---------------------------------------------------------------------------------------
# Errors, limits, pipelining
# ---------------------------------------------------------------------------------------


def test_bad_commands_get_err_and_session_goes_on(server):
    seed(server, make_message())
    c = pop(server, None)
    assert c.cmd("STAT").startswith(b"-ERR")  # not logged in
    assert c.cmd("RETR 1").startswith(b"-ERR")
    c.login()
    for bad in ["FOO", "RETR", "RETR 0", "RETR -1", "RETR x", "DELE 1 2", "LIST a", "TOP 1",
                "USER bob", "STLS", "", "STAT extra"]:
        resp = c.cmd(bad)
        assert resp.startswith(b"-ERR"), f"{bad!r} -> {resp!r}"
    assert c.ok("STAT").startswith(b"+OK 1 ")
    assert c.ok("NOOP").startswith(b"+OK")
    assert c.ok("stat").startswith(b"+OK 1 ")  # keywords are case-insensitive
    c.ok("QUIT")


def test_overlong_line_closes(server):
    c = pop(server, None)
    c.send(b"USER " + b"a" * 9000 + b"\r\n")
    resp = c.line()
    assert resp.startswith(b"-ERR"), resp
    assert c.read_until_closed() == b""


def test_long_line_under_limit_is_an_ordinary_error(server):
    c = pop(server, None)
    resp = c.cmd(b"XYZZY " + b"a" * 4000)
    assert resp.startswith(b"-ERR"), resp
    c.login()
    c.ok("QUIT")


def test_pipelining(server):
    msg = make_message("pipelined")
    seed(server, msg)
    c = pop(server, None)
    c.send(f"USER alice\r\nPASS {USERS['alice']}\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 1\r\nNOOP\r\nQUIT\r\n")
    assert c.line().startswith(b"+OK")  # USER
    assert c.line().startswith(b"+OK")  # PASS
    assert c.line() == f"+OK 1 {len(msg)}".encode()
    assert c.line().startswith(b"+OK")
    assert c.multiline() == [f"1 {len(msg)}".encode()]
    assert c.line().startswith(b"+OK 1 ")
    assert c.line().startswith(b"+OK")
    assert unstuff(c.multiline()) == msg
    assert c.line().startswith(b"+OK")  # NOOP
    assert c.line().startswith(b"+OK")  # QUIT
    assert c.read_until_closed() == b""


# ---------------------------------------------------------------------------------------
# TLS
# ---------------------------------------------------------------------------------------


def test_stls_upgrades(server):
    msg = make_message("secret")
    seed(server, msg)
    c = pop(server, None)
    c.starttls()
    assert isinstance(c.sock, ssl.SSLSocket) and c.sock.version() is not None
    caps = {x.upper().split()[0] for x in capa(c)}
    assert "STLS" not in caps and "USER" in caps, caps
    assert c.cmd("STLS").startswith(b"-ERR")
    c.login()
    assert c.ok("STAT") == f"+OK 1 {len(msg)}".encode()
    _, lines = c.ok_multi("RETR 1")
    assert unstuff(lines) == msg
    c.ok("QUIT")


def test_stls_discards_pipelined_plaintext(server):
    c = pop(server, None)
    # A command injected after STLS in the same packet must not run inside TLS (RFC 2595 / the
    # STARTTLS command-injection problem, CVE-2011-0411 style).
    c.send(b"STLS\r\nUSER alice\r\n")
    resp = c.line()
    assert resp.startswith(b"+OK"), resp
    c.sock = insecure_tls_context().wrap_socket(c.sock, server_hostname=HOST)
    resp = c.cmd(f"PASS {USERS['alice']}")
    assert resp.startswith(b"-ERR"), f"the injected USER was honoured: {resp!r}"
    c.login()
    c.ok("QUIT")


def test_pop3s_implicit_tls(server):
    msg = make_message("over pop3s")
    seed(server, msg)
    c = pop(server, None, tls=True)
    assert c.greeting.startswith(b"+OK")
    caps = {x.upper().split()[0] for x in capa(c)}
    assert "STLS" not in caps
    c.login()
    assert c.ok("STAT") == f"+OK 1 {len(msg)}".encode()
    _, lines = c.ok_multi("RETR 1")
    assert unstuff(lines) == msg
    c.ok("QUIT")


def test_plain_tcp_to_pop3s_port_gets_no_plaintext_greeting(server):
    s = socket.create_connection((HOST, server.pop3s_port), timeout=5)
    try:
        s.settimeout(1.5)
        try:
            data = s.recv(100)
        except socket.timeout:
            data = b""
        assert not data.startswith(b"+OK"), data
    finally:
        s.close()


def test_list_size_equals_retr_octets_for_lf_message_from_deliver(server):
    """A message piped into `bushbuck deliver` with Unix line endings (what an MTA's pipe
    gives): RFC 1939 section 11 says each end of line counts as the two octets of CRLF, so
    LIST/STAT must give the octets RETR sends (before byte-stuffing)."""
    proc = server.cli("deliver", "alice", stdin="From: a@example.org\nSubject: lf\n\nline one\n.dot\n")
    assert proc.returncode == 0, proc.stderr
    c = pop(server)
    listed = int(c.ok("LIST 1").split()[2])
    _, lines = c.ok_multi("RETR 1")
    sent = unstuff(lines)
    assert sent.endswith(b"From: a@example.org\r\nSubject: lf\r\n\r\nline one\r\n.dot\r\n")
    assert listed == len(sent), f"LIST says {listed} octets, RETR sent {len(sent)}"
    stat_size = int(c.ok("STAT").split()[2])
    assert stat_size == len(sent)
    c.ok("QUIT")
