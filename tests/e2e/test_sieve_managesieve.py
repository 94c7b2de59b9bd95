"""ManageSieve (RFC 5804) on ``bushbuck serve --sieve``, spoken byte by byte.

ManageSieve is the protocol mail clients use to upload, activate and manage a user's Sieve
scripts. The client here is a raw socket with just enough of RFC 5804 section 4 to see
what the server really sends: quoted strings, literals (``{n}`` from the server, ``{n+}``
from the client) and response codes in parentheses.

Contract checked (besides the RFC): the greeting is the capability list then OK; SASL
PLAIN only, plaintext allowed on loopback; at most 16 scripts (NO (QUOTA/MAXSCRIPTS)), at
most 64 KiB each (NO (QUOTA/MAXSIZE)); a script with a syntax error is refused with the
parser's "line N" message; GETSCRIPT returns exactly the bytes put.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
from pathlib import Path

import pytest

from e2e_helpers import HOST, USERS, insecure_tls_context, sasl_plain

MAX_SCRIPTS = 16
MAX_SIZE = 64 * 1024

SIMPLE = b'require "fileinto";\r\nif header :contains "subject" "x" {\r\n  fileinto "X";\r\n}\r\n'


# ---------------------------------------------------------------------------------------
# A raw ManageSieve client
# ---------------------------------------------------------------------------------------


class Atom(str):
    """An atom as sent by the server (OK, NO, BYE, ACTIVE, ...)."""


class Response:
    """A final response (OK / NO / BYE) and the lines that came before it."""

    def __init__(self, items: list, lines: list[list], raw: bytes):
        self.status = str(items[0]).upper()
        self.items = items
        self.lines = lines   # earlier lines of the same response, each a list of items
        self.raw = raw       # every byte of the response as received
        rest = items[1:]
        self.code: list | None = None
        if rest and isinstance(rest[0], list):
            self.code = rest[0]
            rest = rest[1:]
        self.text: str = rest[0].decode("utf-8", "replace") if rest and isinstance(rest[0], bytes) else ""

    @property
    def code_name(self) -> str | None:
        """The response code's first atom, upper-cased ('QUOTA/MAXSIZE', 'NONEXISTENT', ...)."""
        if not self.code:
            return None
        return str(self.code[0]).upper()

    def __repr__(self) -> str:
        return f"<{self.raw!r}>"


def quote(s: str | bytes) -> bytes:
    """A ManageSieve quoted string."""
    if isinstance(s, str):
        s = s.encode()
    return b'"' + s.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def literal(data: bytes) -> bytes:
    """A client-to-server (non-synchronizing) literal."""
    return b"{%d+}\r\n" % len(data) + data


class ManageSieve:
    def __init__(self, port: int, timeout: float = 20):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        self.received = b""
        self.greeting = self.response()

    # -- bytes ----------------------------------------------------------------------------

    def send(self, data: bytes | str) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"server closed the connection; unread: {self.buf[:300]!r}; "
                           f"last received: {self.received[-300:]!r}")
        self.buf += chunk

    def _peek(self, n: int = 1) -> bytes:
        while len(self.buf) < n:
            self._fill()
        return self.buf[:n]

    def _take(self, n: int) -> bytes:
        self._peek(n)
        out, self.buf = self.buf[:n], self.buf[n:]
        self.received += out
        return out

    # -- parsing (RFC 5804 section 4) ---------------------------------------------------------

    def _item(self):
        c = self._peek()
        if c == b'"':
            self._take(1)
            out = bytearray()
            while True:
                ch = self._take(1)
                if ch == b"\\":
                    out += self._take(1)
                elif ch == b'"':
                    return bytes(out)
                elif ch in (b"\r", b"\n"):
                    raise AssertionError(f"line break inside a quoted string: {self.received[-200:]!r}")
                else:
                    out += ch
        if c == b"{":
            head = b""
            while not head.endswith(b"}"):
                head += self._take(1)
                assert len(head) < 24, f"bad literal header {head!r}"
            m = re.fullmatch(rb"\{(\d+)(\+?)\}", head)
            assert m, f"bad literal header {head!r}"
            crlf = self._take(2)
            assert crlf == b"\r\n", f"literal header {head!r} not followed by CRLF but {crlf!r}"
            return self._take(int(m.group(1)))
        if c == b"(":
            self._take(1)
            items = []
            while True:
                while self._peek() == b" ":
                    self._take(1)
                if self._peek() == b")":
                    self._take(1)
                    return items
                assert self._peek() not in (b"\r", b"\n"), f"unterminated list: {self.received[-200:]!r}"
                items.append(self._item())
        word = b""
        while self._peek() not in (b" ", b"\r", b"\n", b"(", b")"):
            word += self._take(1)
        assert word, f"unexpected {self._peek()!r} after {self.received[-200:]!r}"
        return Atom(word.decode("utf-8", "replace"))

    def line(self) -> list:
        """One line as a list of items: Atom, bytes (quoted string or literal), list."""
        items = []
        while True:
            c = self._peek()
            if c == b" ":
                self._take(1)
                continue
            if c == b"\r":
                end = self._take(2)
                assert end == b"\r\n", f"CR not followed by LF: {self.received[-200:]!r}"
                return items
            assert c != b"\n", f"bare LF in a response line: {self.received[-200:]!r}"
            items.append(self._item())

    def response(self) -> Response:
        start = len(self.received)
        lines = []
        while True:
            items = self.line()
            if items and isinstance(items[0], Atom) and items[0].upper() in ("OK", "NO", "BYE"):
                return Response(items, lines, self.received[start:])
            lines.append(items)

    # -- commands --------------------------------------------------------------------------

    def command(self, *parts: bytes | str) -> Response:
        """Sends the parts joined by spaces plus CRLF and reads the response."""
        data = b" ".join(p.encode() if isinstance(p, str) else p for p in parts)
        self.send(data + b"\r\n")
        return self.response()

    def ok(self, *parts: bytes | str) -> Response:
        r = self.command(*parts)
        assert r.status == "OK", f"{b' '.join(p.encode() if isinstance(p, str) else p for p in parts)[:200]!r} -> {r!r}"
        return r

    def authenticate(self, user: str = "alice", password: str | None = None) -> Response:
        pw = USERS[user] if password is None else password
        return self.command(b'AUTHENTICATE "PLAIN"', quote(sasl_plain(user, pw)))

    def login(self, user: str = "alice") -> "ManageSieve":
        r = self.authenticate(user)
        assert r.status == "OK", f"AUTHENTICATE PLAIN as {user} -> {r!r}"
        return self

    def putscript(self, name: str | bytes, script: bytes) -> Response:
        return self.command(b"PUTSCRIPT", quote(name), literal(script))

    def listscripts(self) -> dict[str, bool]:
        """{name: active} from LISTSCRIPTS."""
        r = self.ok("LISTSCRIPTS")
        out = {}
        for items in r.lines:
            assert items and isinstance(items[0], bytes), f"LISTSCRIPTS line is not a string: {items!r} in {r!r}"
            assert len(items) in (1, 2), f"LISTSCRIPTS line {items!r} in {r!r}"
            active = len(items) == 2
            if active:
                assert isinstance(items[1], Atom) and items[1].upper() == "ACTIVE", f"{items!r} in {r!r}"
            out[items[0].decode()] = active
        assert sum(out.values()) <= 1, f"more than one active script: {r!r}"
        return out

    def getscript(self, name: str | bytes) -> bytes:
        r = self.command(b"GETSCRIPT", quote(name))
        assert r.status == "OK", f"GETSCRIPT {name!r} -> {r!r}"
        assert len(r.lines) == 1 and len(r.lines[0]) == 1 and isinstance(r.lines[0][0], bytes), \
            f"GETSCRIPT answer is not one string then OK: {r!r}"
        return r.lines[0][0]

    def capabilities(self, resp: Response) -> dict[str, str | None]:
        return caps_of(resp)

    def starttls(self) -> Response:
        """STARTTLS, the handshake, then the capability list the server must send again."""
        r = self.command("STARTTLS")
        assert r.status == "OK", f"STARTTLS -> {r!r}"
        assert not self.buf, f"data after STARTTLS OK before the handshake: {self.buf!r}"
        self.sock = insecure_tls_context().wrap_socket(self.sock, server_hostname=HOST)
        return self.response()

    def logout(self) -> None:
        try:
            self.command("LOGOUT")
        except (OSError, EOFError):
            pass
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def closed_by_server(self, timeout: float = 5) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(4096)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except (socket.timeout, ssl.SSLError):
            return False


def caps_of(resp: Response) -> dict[str, str | None]:
    caps: dict[str, str | None] = {}
    for items in resp.lines:
        assert items and isinstance(items[0], bytes) and len(items) <= 2, f"capability line {items!r}"
        name = items[0].decode().upper()
        assert name not in caps, f"capability {name} twice: {resp!r}"
        value = items[1] if len(items) == 2 else None
        if value is not None:
            assert isinstance(value, bytes), f"capability value not a string: {items!r}"
            value = value.decode()
        caps[name] = value
    return caps


def no_with(r: Response, code: str | None = None, *, text: str | None = None) -> None:
    assert r.status == "NO", f"expected NO{f' ({code})' if code else ''}, got {r!r}"
    if code is not None:
        assert r.code_name == code, f"expected response code ({code}), got {r!r}"
    if text is not None:
        assert re.search(text, r.text, re.I), f"expected text matching {text!r}, got {r!r}"


def refused(r: Response) -> None:
    """NO or BAD with some human-readable text."""
    assert r.status in ("NO", "BAD"), f"expected NO or BAD, got {r!r}"
    assert r.text.strip(), f"refusal without text: {r!r}"


@pytest.fixture
def ms(server):
    c = ManageSieve(server.sieve_port)
    yield c
    c.close()


@pytest.fixture
def alice_ms(ms):
    return ms.login("alice")


# ---------------------------------------------------------------------------------------
# Greeting, CAPABILITY, NOOP, LOGOUT
# ---------------------------------------------------------------------------------------


def test_greeting_is_the_capability_list(ms):
    g = ms.greeting
    assert g.status == "OK", g
    caps = caps_of(g)
    assert caps.get("IMPLEMENTATION", "").startswith("Bushbuck"), g
    assert caps.get("SASL") is not None and "PLAIN" in caps["SASL"].upper().split(), g
    assert "STARTTLS" in caps, g
    assert caps.get("VERSION") == "1.0", g
    assert caps.get("MAXREDIRECTS") == "4", g
    sieve = set(caps.get("SIEVE", "").split())
    expected = {"fileinto", "reject", "ereject", "envelope", "copy", "body", "variables", "vacation",
                "relational", "subaddress", "imap4flags", "date", "index", "editheader", "mailbox",
                "include", "duplicate"}
    assert expected <= sieve, f"SIEVE lacks {sorted(expected - sieve)}: {g!r}"
    assert "regex" not in sieve, g


def test_capability_command_repeats_the_list(ms):
    r = ms.ok("CAPABILITY")
    assert caps_of(r) == caps_of(ms.greeting), (r, ms.greeting)
    ms.login()
    r2 = ms.ok("CAPABILITY")
    after = caps_of(r2)
    assert after.get("IMPLEMENTATION") == caps_of(ms.greeting)["IMPLEMENTATION"], r2
    assert after.get("VERSION") == "1.0", r2


def test_noop_and_noop_tag(ms):
    ms.ok("NOOP")
    r = ms.ok('NOOP "ping-42"')
    # RFC 5804 2.14: the tag is echoed in a TAG response code.
    assert r.code and str(r.code[0]).upper() == "TAG" and r.code[1:] == [b"ping-42"], r


def test_logout_answers_ok_and_closes(alice_ms):
    r = alice_ms.command("LOGOUT")
    assert r.status == "OK", r
    assert alice_ms.closed_by_server(), "server kept the connection open after LOGOUT"


def test_logout_before_authentication(ms):
    r = ms.command("LOGOUT")
    assert r.status == "OK", r
    assert ms.closed_by_server()


# ---------------------------------------------------------------------------------------
# AUTHENTICATE
# ---------------------------------------------------------------------------------------


def test_authenticate_plain_initial_response(ms):
    r = ms.authenticate("alice")
    assert r.status == "OK", r
    assert ms.listscripts() == {}


def test_authenticate_plain_initial_response_as_literal(ms):
    # sieve-connect sends the initial response as a literal.
    r = ms.command(b'AUTHENTICATE "PLAIN"', literal(sasl_plain("alice", USERS["alice"]).encode()))
    assert r.status == "OK", r


def test_authenticate_plain_with_continuation(ms):
    ms.send(b'AUTHENTICATE "PLAIN"\r\n')
    challenge = ms.line()
    # RFC 5804 2.1: the server's challenge is a string (empty for PLAIN).
    assert len(challenge) == 1 and isinstance(challenge[0], bytes), challenge
    assert base64.b64decode(challenge[0]) == b"", challenge
    ms.send(quote(sasl_plain("alice", USERS["alice"])) + b"\r\n")
    r = ms.response()
    assert r.status == "OK", r
    assert ms.listscripts() == {}


def test_authenticate_continuation_answer_as_literal(ms):
    ms.send(b'AUTHENTICATE "PLAIN"\r\n')
    ms.line()
    ms.send(literal(sasl_plain("bob", USERS["bob"]).encode()) + b"\r\n")
    r = ms.response()
    assert r.status == "OK", r


def test_authenticate_cancelled_by_client(ms):
    ms.send(b'AUTHENTICATE "PLAIN"\r\n')
    ms.line()
    ms.send(b'"*"\r\n')
    r = ms.response()
    assert r.status == "NO", f"RFC 5804 2.1: a cancelled exchange answers NO, got {r!r}"
    ms.login("alice")


def test_authenticate_wrong_password_then_right(ms):
    r = ms.authenticate("alice", "not-the-password")
    no_with(r)
    r = ms.authenticate("nobody", "x")
    no_with(r)
    ms.ok("NOOP")
    ms.login("alice")


def test_authenticate_as_another_user_refused(ms):
    # authzid bob with alice's credentials: acting as another user is not allowed.
    creds = sasl_plain("alice", USERS["alice"], authzid="bob")
    r = ms.command(b'AUTHENTICATE "PLAIN"', quote(creds))
    assert r.status == "NO", r
    ms.login("alice")


def test_authenticate_garbage_and_unknown_mechanism(ms):
    refused(ms.command(b'AUTHENTICATE "PLAIN"', quote("!!! not base64 !!!")))
    refused(ms.command(b'AUTHENTICATE "PLAIN"', quote(base64.b64encode(b"only-one-part").decode())))
    refused(ms.command(b'AUTHENTICATE "CRAM-MD5"'))
    refused(ms.command(b'AUTHENTICATE "X-NOPE"', quote("AAAA")))
    ms.login("alice")


def test_commands_need_authentication(ms):
    for cmd in (b"LISTSCRIPTS", b'GETSCRIPT "x"', b'SETACTIVE "x"', b'DELETESCRIPT "x"',
                b'RENAMESCRIPT "x" "y"', b'HAVESPACE "x" 10'):
        refused(ms.command(cmd))
    refused(ms.command(b'PUTSCRIPT "x"', literal(SIMPLE)))
    ms.ok("NOOP")
    ms.login("alice")
    assert ms.listscripts() == {}, "a refused PUTSCRIPT before authentication stored a script"


def test_authenticate_twice_refused(alice_ms):
    refused(alice_ms.authenticate("bob"))
    alice_ms.ok("NOOP")
    # Still alice.
    alice_ms.ok(b"PUTSCRIPT", quote("mine"), literal(SIMPLE))
    assert "mine" in alice_ms.listscripts()


def test_scripts_are_per_user(server):
    a = ManageSieve(server.sieve_port).login("alice")
    b = ManageSieve(server.sieve_port).login("bob")
    try:
        a.ok(b"PUTSCRIPT", quote("alices"), literal(SIMPLE))
        a.ok('SETACTIVE "alices"')
        assert b.listscripts() == {}
        no_with(b.command('GETSCRIPT "alices"'))
        no_with(b.command('SETACTIVE "alices"'))
        no_with(b.command('DELETESCRIPT "alices"'))
        assert a.listscripts() == {"alices": True}
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------------------------------
# PUTSCRIPT, LISTSCRIPTS, GETSCRIPT
# ---------------------------------------------------------------------------------------


def test_getscript_returns_exact_bytes(alice_ms):
    scripts = {
        "crlf": SIMPLE,
        "lf": b'# LF line ends\nrequire ["fileinto", "imap4flags"];\nif address :is "from" "a@b.c" {\n\taddflag "\\\\Flagged";\n}\n',
        "utf8": 'require "fileinto";\r\n# Grüße, 日本語, emoji \U0001F600\r\nif header :contains "subject" "Café" { fileinto "Ünïcödé"; }\r\n'.encode(),
        "no-final-newline": b"keep;",
        "dots-and-braces": b'require "vacation";\r\n# {5}\r\n# "quoted" \\ backslash\r\nvacation text:\r\n..leading dot\r\n{7}\r\n.\r\n;\r\n',
        "empty-ish": b"# only a comment\r\n",
    }
    for name, script in scripts.items():
        r = alice_ms.putscript(name, script)
        assert r.status == "OK", f"PUTSCRIPT {name} -> {r!r}"
    assert alice_ms.listscripts() == {name: False for name in scripts}
    for name, script in scripts.items():
        got = alice_ms.getscript(name)
        assert got == script, f"GETSCRIPT {name}: put {script!r}, got {got!r}"
        # Contract: the script comes back as a literal {n} (RFC 5804: literal-s2c has no "+").
        alice_ms.send(b"GETSCRIPT " + quote(name) + b"\r\n")
        r = alice_ms.response()
        assert r.raw.startswith(b"{%d}\r\n" % len(script) + script + b"\r\nOK"), r


def test_putscript_script_as_quoted_string(alice_ms):
    # RFC 5804 2.6: the script argument is a string, so quoted is allowed as well as a literal.
    alice_ms.ok(b'PUTSCRIPT "q" "keep;"')
    assert alice_ms.getscript("q") == b"keep;"
    alice_ms.ok(b'CHECKSCRIPT "discard;"')


def test_putscript_replaces(alice_ms):
    alice_ms.ok(b"PUTSCRIPT", quote("s"), literal(SIMPLE))
    alice_ms.ok(b"PUTSCRIPT", quote("s"), literal(b"discard;\r\n"))
    assert alice_ms.getscript("s") == b"discard;\r\n"
    assert alice_ms.listscripts() == {"s": False}


def test_putscript_replaces_the_active_script_and_keeps_it_active(alice_ms):
    alice_ms.ok(b"PUTSCRIPT", quote("s"), literal(SIMPLE))
    alice_ms.ok('SETACTIVE "s"')
    alice_ms.ok(b"PUTSCRIPT", quote("s"), literal(b"keep;\r\n"))
    assert alice_ms.listscripts() == {"s": True}
    assert alice_ms.getscript("s") == b"keep;\r\n"


def test_script_names_quoted_escaped_and_literal(alice_ms):
    names = ['with space', 'quote"and\\backslash', "Ünïcode-名前"]
    for n in names:
        alice_ms.ok(b"PUTSCRIPT", quote(n), literal(SIMPLE))
    # A name sent as a literal (RFC 5804: string = quoted / literal).
    alice_ms.ok(b"PUTSCRIPT", literal(b"lit-name"), literal(b"keep;\r\n"))
    listed = alice_ms.listscripts()
    assert listed == {n: False for n in names + ["lit-name"]}, listed
    assert alice_ms.getscript('quote"and\\backslash') == SIMPLE
    r = alice_ms.command(b"GETSCRIPT", literal(b"lit-name"))
    assert r.status == "OK" and r.lines == [[b"keep;\r\n"]], r
    alice_ms.ok(b"SETACTIVE", quote("Ünïcode-名前"))
    assert alice_ms.listscripts()["Ünïcode-名前"] is True


def test_bad_script_names_refused(alice_ms):
    refused(alice_ms.putscript("", SIMPLE))
    refused(alice_ms.putscript(b"ctl\x01char", SIMPLE))
    refused(alice_ms.command(b"PUTSCRIPT", literal(b"line\r\nbreak"), literal(SIMPLE)))
    alice_ms.ok("NOOP")
    assert alice_ms.listscripts() == {}


def test_path_like_names_stay_inside_the_store(server, alice_ms, tmp_path):
    for name in ("../../../../evil-escape", "/tmp/evil-absolute", "..", ".", "a/../../evil-mid"):
        r = alice_ms.putscript(name, b"# evil\r\nkeep;\r\n")
        if r.status == "OK":
            # Accepted: it must be an ordinary script under exactly that name.
            assert alice_ms.listscripts().get(name) is False, (name, alice_ms.listscripts())
            assert alice_ms.getscript(name) == b"# evil\r\nkeep;\r\n"
        else:
            refused(r)
    alice_ms.ok("NOOP")
    outside = [p for p in tmp_path.rglob("*evil*") if server.data not in p.parents]
    assert outside == [], f"script names escaped the data directory: {outside}"
    assert not list(Path("/tmp").glob("evil-absolute*")), "wrote /tmp/evil-absolute"


def test_putscript_syntax_error_refused_with_line(alice_ms):
    bad = b'require "fileinto";\r\nif header :contains "subject" "x" {\r\n  fileinto "X"\r\n}\r\n'
    r = alice_ms.putscript("bad", bad)
    # The missing ";" is noticed at the "}" on line 4 (or at the end of line 3).
    no_with(r, text=r"line [34]")
    assert alice_ms.listscripts() == {}
    # A bad replacement leaves the stored script alone.
    alice_ms.ok(b"PUTSCRIPT", quote("good"), literal(SIMPLE))
    no_with(alice_ms.putscript("good", b"keep;\r\nif true {\r\n  stop;\r\n"), text=r"line \d+")
    assert alice_ms.getscript("good") == SIMPLE


def test_putscript_validation_errors(alice_ms):
    cases = {
        b'require "regex";\r\nkeep;\r\n': r"line 1",                  # unsupported extension
        b'keep;\r\nfileinto "X";\r\n': r"line 2",                      # fileinto without require
        b'keep;\r\n\r\nfrobnicate;\r\n': r"line 3",                    # unknown command
        b'if header :is "subject" {\r\n keep;\r\n}\r\n': r"line 1",    # missing key list
        b'require "vacation";\r\nvacation :days "x" "away";\r\n': r"line 2",  # :days needs a number
    }
    for script, where in cases.items():
        r = alice_ms.putscript("v", script)
        no_with(r, text=where)
        r = alice_ms.command(b"CHECKSCRIPT", literal(script))
        no_with(r, text=where)
    assert alice_ms.listscripts() == {}


def test_putscript_invalid_utf8_refused(alice_ms):
    refused(alice_ms.putscript("latin1", b"# caf\xe9\r\nkeep;\r\n"))
    alice_ms.ok("NOOP")
    assert alice_ms.listscripts() == {}


def test_checkscript(alice_ms):
    r = alice_ms.command(b"CHECKSCRIPT", literal(SIMPLE))
    assert r.status == "OK", r
    r = alice_ms.command(b"CHECKSCRIPT", literal(b'keep;\r\n\r\nif exists "x" {\r\n  keep\r\n  stop;\r\n}\r\n'))
    no_with(r, text=r"line [45]")
    assert alice_ms.listscripts() == {}, "CHECKSCRIPT stored something"


# ---------------------------------------------------------------------------------------
# SETACTIVE, DELETESCRIPT, RENAMESCRIPT
# ---------------------------------------------------------------------------------------


def test_setactive_switches_and_deactivates(alice_ms):
    alice_ms.ok(b"PUTSCRIPT", quote("one"), literal(SIMPLE))
    alice_ms.ok(b"PUTSCRIPT", quote("two"), literal(b"keep;\r\n"))
    alice_ms.ok('SETACTIVE "one"')
    assert alice_ms.listscripts() == {"one": True, "two": False}
    alice_ms.ok('SETACTIVE "two"')
    assert alice_ms.listscripts() == {"one": False, "two": True}
    alice_ms.ok('SETACTIVE "two"')  # again: still fine
    assert alice_ms.listscripts() == {"one": False, "two": True}
    alice_ms.ok('SETACTIVE ""')
    assert alice_ms.listscripts() == {"one": False, "two": False}
    alice_ms.ok('SETACTIVE ""')  # nothing active: still OK


def test_setactive_missing_script(alice_ms):
    no_with(alice_ms.command('SETACTIVE "nope"'), "NONEXISTENT")


def test_deletescript(alice_ms):
    alice_ms.ok(b"PUTSCRIPT", quote("a"), literal(SIMPLE))
    alice_ms.ok(b"PUTSCRIPT", quote("b"), literal(SIMPLE))
    alice_ms.ok('SETACTIVE "a"')
    no_with(alice_ms.command('DELETESCRIPT "a"'), "ACTIVE")
    assert alice_ms.listscripts() == {"a": True, "b": False}
    alice_ms.ok('DELETESCRIPT "b"')
    assert alice_ms.listscripts() == {"a": True}
    no_with(alice_ms.command('GETSCRIPT "b"'), "NONEXISTENT")
    no_with(alice_ms.command('DELETESCRIPT "b"'), "NONEXISTENT")
    alice_ms.ok('SETACTIVE ""')
    alice_ms.ok('DELETESCRIPT "a"')
    assert alice_ms.listscripts() == {}


def test_getscript_missing(alice_ms):
    no_with(alice_ms.command('GETSCRIPT "nope"'), "NONEXISTENT")


def test_renamescript(alice_ms):
    alice_ms.ok(b"PUTSCRIPT", quote("old"), literal(SIMPLE))
    alice_ms.ok(b"PUTSCRIPT", quote("other"), literal(b"keep;\r\n"))
    alice_ms.ok('RENAMESCRIPT "old" "new"')
    assert alice_ms.listscripts() == {"new": False, "other": False}
    assert alice_ms.getscript("new") == SIMPLE
    no_with(alice_ms.command('RENAMESCRIPT "gone" "x"'), "NONEXISTENT")
    no_with(alice_ms.command('RENAMESCRIPT "new" "other"'), "ALREADYEXISTS")
    assert alice_ms.getscript("other") == b"keep;\r\n", "a refused RENAMESCRIPT overwrote the target"
    assert alice_ms.getscript("new") == SIMPLE


def test_renaming_the_active_script_keeps_it_active(alice_ms):
    alice_ms.ok(b"PUTSCRIPT", quote("act"), literal(SIMPLE))
    alice_ms.ok('SETACTIVE "act"')
    alice_ms.ok('RENAMESCRIPT "act" "renamed"')
    assert alice_ms.listscripts() == {"renamed": True}
    no_with(alice_ms.command('DELETESCRIPT "renamed"'), "ACTIVE")


# ---------------------------------------------------------------------------------------
# Quotas and HAVESPACE
# ---------------------------------------------------------------------------------------


def padded_script(size: int) -> bytes:
    """A valid script of exactly SIZE bytes."""
    head, tail = b"# ", b"\r\nkeep;\r\n"
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_maxscripts_quota(alice_ms):
    for i in range(MAX_SCRIPTS):
        alice_ms.ok(b"PUTSCRIPT", quote(f"s{i:02}"), literal(SIMPLE))
    alice_ms.ok('HAVESPACE "s00" 100')  # replacing an existing one is fine
    no_with(alice_ms.command('HAVESPACE "one-too-many" 100'), "QUOTA/MAXSCRIPTS")
    no_with(alice_ms.putscript("one-too-many", SIMPLE), "QUOTA/MAXSCRIPTS")
    alice_ms.ok("NOOP")
    assert len(alice_ms.listscripts()) == MAX_SCRIPTS
    alice_ms.ok(b"PUTSCRIPT", quote("s03"), literal(b"keep;\r\n"))  # replace at the limit
    # RENAMESCRIPT does not add a script.
    alice_ms.ok('RENAMESCRIPT "s04" "renamed"')
    alice_ms.ok('DELETESCRIPT "s05"')
    alice_ms.ok('HAVESPACE "one-more" 100')
    alice_ms.ok(b"PUTSCRIPT", quote("one-more"), literal(SIMPLE))
    assert len(alice_ms.listscripts()) == MAX_SCRIPTS


def test_maxsize_quota(alice_ms):
    alice_ms.ok(f'HAVESPACE "big" {MAX_SIZE}')
    no_with(alice_ms.command(f'HAVESPACE "big" {MAX_SIZE + 1}'), "QUOTA/MAXSIZE")
    no_with(alice_ms.command('HAVESPACE "big" 10000000'), "QUOTA/MAXSIZE")
    r = alice_ms.putscript("big", padded_script(MAX_SIZE + 1))
    no_with(r, "QUOTA/MAXSIZE")
    # The refused literal was consumed: the session goes on in step.
    alice_ms.ok("NOOP")
    assert alice_ms.listscripts() == {}
    r = alice_ms.command(b"CHECKSCRIPT", literal(padded_script(MAX_SIZE + 1)))
    assert r.status == "NO", r
    alice_ms.ok("NOOP")
    exact = padded_script(MAX_SIZE)
    alice_ms.ok(b"PUTSCRIPT", quote("big"), literal(exact))
    assert alice_ms.getscript("big") == exact


def test_havespace_syntax(alice_ms):
    alice_ms.ok('HAVESPACE "x" 0')
    r = alice_ms.command('HAVESPACE "x" 99999999999999999999999999')
    assert r.status in ("NO", "BAD"), r
    refused(alice_ms.command('HAVESPACE "x"'))
    refused(alice_ms.command('HAVESPACE "x" notanumber'))
    refused(alice_ms.command('HAVESPACE "x" -5'))
    alice_ms.ok("NOOP")


# ---------------------------------------------------------------------------------------
# Malformed input
# ---------------------------------------------------------------------------------------


def test_bad_commands_answered_and_session_goes_on(alice_ms):
    bad = [
        b"FROBNICATE",
        b"GETSCRIPT",
        b"GETSCRIPT unquoted",
        b'GETSCRIPT "unterminated',
        b'SETACTIVE "a" "b"',
        b'RENAMESCRIPT "only-one"',
        b'DELETESCRIPT',
        b'PUTSCRIPT "no-literal"',
        b'LISTSCRIPTS "extra"',
        b'NOOP "a" "b"',
    ]
    for cmd in bad:
        r = alice_ms.command(cmd)
        refused(r)
        alice_ms.ok("NOOP")
    assert alice_ms.listscripts() == {}


def test_starttls_after_authentication_refused(alice_ms):
    # RFC 5804 2.2: STARTTLS belongs to the non-authenticated state (no SASL security
    # layer or authorization may be carried over into a new TLS session).
    refused(alice_ms.command("STARTTLS"))
    alice_ms.ok("NOOP")


def test_huge_literal_announcement_does_not_exhaust_memory(server, alice_ms):
    """A literal announced as 100 GB must not be buffered: refuse (NO/BAD/BYE) or drop the
    connection; the server stays up and small."""
    alice_ms.send(b'PUTSCRIPT "huge" {100000000000+}\r\n')
    try:
        for _ in range(8):
            alice_ms.send(b"#" * (1 << 20))
    except OSError:
        pass  # the server closed the connection: fine
    rss_kb = 0
    for line in open(f"/proc/{server.proc.pid}/status"):
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    assert server.running, "the server died"
    assert rss_kb < 400_000, f"server RSS {rss_kb} kB after an announced 100 GB literal"
    c = ManageSieve(server.sieve_port).login("alice")
    c.ok("NOOP")
    assert c.listscripts() == {}
    c.close()


def test_lowercase_commands_accepted(alice_ms):
    # RFC 5804 section 4: command names are case-insensitive.
    alice_ms.ok(b"putscript", quote("lc"), literal(SIMPLE))
    alice_ms.ok('setactive "lc"')
    r = alice_ms.ok("listscripts")
    assert r.lines == [[b"lc", Atom("ACTIVE")]], r


def test_long_line_does_not_kill_the_server(server, alice_ms):
    r = alice_ms.command(b'GETSCRIPT "' + b"a" * 200_000 + b'"')
    assert r.status in ("NO", "BAD", "BYE"), r
    # Whatever happened to that connection, the server still serves others.
    c = ManageSieve(server.sieve_port).login("alice")
    c.ok("NOOP")
    c.close()


# ---------------------------------------------------------------------------------------
# STARTTLS
# ---------------------------------------------------------------------------------------


def test_starttls_then_everything_over_tls(ms):
    caps = ms.starttls()
    assert caps.status == "OK", caps
    after = caps_of(caps)
    # RFC 5804 2.2: capabilities are sent again after the handshake, without STARTTLS.
    assert "STARTTLS" not in after, caps
    assert after.get("IMPLEMENTATION", "").startswith("Bushbuck"), caps
    assert "PLAIN" in (after.get("SASL") or "").upper().split(), caps
    assert isinstance(ms.sock, ssl.SSLSocket)
    refused(ms.command("STARTTLS"))
    ms.login("alice")
    ms.ok(b"PUTSCRIPT", quote("tls"), literal(SIMPLE))
    ms.ok('SETACTIVE "tls"')
    assert ms.getscript("tls") == SIMPLE
    assert ms.listscripts() == {"tls": True}
    r = ms.command("LOGOUT")
    assert r.status == "OK", r


def test_starttls_with_plaintext_pipelined_after_is_not_honoured(ms):
    # Bytes sent after STARTTLS in the clear must not be treated as commands inside TLS
    # (the STARTTLS command-injection class of bugs).
    ms.send(b"STARTTLS\r\nNOOP\r\n")
    r = ms.response()
    if r.status != "OK":
        return  # refusing is fine
    try:
        tls = insecure_tls_context().wrap_socket(ms.sock, server_hostname=HOST)
    except (ssl.SSLError, OSError):
        return  # the server dropped the connection: fine
    ms.sock, ms.buf = tls, b""
    try:
        caps = ms.response()
    except (EOFError, OSError, ssl.SSLError):
        return
    assert caps.status == "OK", caps
    ms.sock.settimeout(1.5)
    try:
        extra = ms.sock.recv(4096)
    except (socket.timeout, ssl.SSLError):
        extra = b""
    assert extra == b"", f"the server answered a command sent in the clear after STARTTLS: {extra!r}"


# ---------------------------------------------------------------------------------------
# Durability and the command line sharing the store
# ---------------------------------------------------------------------------------------


def test_scripts_survive_restart(server):
    c = ManageSieve(server.sieve_port).login("alice")
    c.ok(b"PUTSCRIPT", quote("keepme"), literal(SIMPLE))
    c.ok(b"PUTSCRIPT", quote("other"), literal(b"keep;\r\n"))
    c.ok('SETACTIVE "keepme"')
    c.logout()
    server.restart()
    c = ManageSieve(server.sieve_port).login("alice")
    try:
        assert c.listscripts() == {"keepme": True, "other": False}
        assert c.getscript("keepme") == SIMPLE
    finally:
        c.close()


def test_managesieve_and_cli_see_the_same_scripts(server, alice_ms, tmp_path):
    alice_ms.ok(b"PUTSCRIPT", quote("from-ms"), literal(SIMPLE))
    alice_ms.ok('SETACTIVE "from-ms"')
    out = server.cli("sieve", "list", "alice").stdout.splitlines()
    assert "from-ms (active)" in out, out
    f = tmp_path / "cli.sieve"
    f.write_bytes(b"discard;\r\n")
    server.cli("sieve", "put", "alice", "from-cli", str(f))
    assert alice_ms.listscripts() == {"from-ms": True, "from-cli": False}
    assert alice_ms.getscript("from-cli") == b"discard;\r\n"
    server.cli("sieve", "activate", "alice", "from-cli")
    assert alice_ms.listscripts() == {"from-ms": False, "from-cli": True}


# ---------------------------------------------------------------------------------------
# include (RFC 6609) checked at upload, as Pigeonhole does
# ---------------------------------------------------------------------------------------


def includes(name: str, once: bool = False) -> bytes:
    return b'require "include";\r\ninclude %s"%s";\r\n' % (b":once " if once else b"", name.encode())


def test_putscript_and_checkscript_refuse_a_missing_personal_include(alice_ms):
    for r in (alice_ms.putscript("main", includes("leaf")), alice_ms.command(b"CHECKSCRIPT", literal(includes("leaf")))):
        no_with(r, text=r'included script "leaf" does not exist; upload it first or include it with :optional')
    assert alice_ms.listscripts() == {}
    alice_ms.ok(b"PUTSCRIPT", quote("leaf"), literal(b"keep;\r\n"))
    alice_ms.ok(b"CHECKSCRIPT", literal(includes("leaf")))
    alice_ms.ok(b"PUTSCRIPT", quote("main"), literal(includes("leaf")))
    optional = b'require "include";\r\ninclude :optional "nowhere";\r\n'
    alice_ms.ok(b"PUTSCRIPT", quote("opt"), literal(optional))
    assert alice_ms.listscripts() == {"leaf": False, "main": False, "opt": False}


def test_putscript_refuses_an_include_cycle(alice_ms):
    alice_ms.ok(b"PUTSCRIPT", quote("b"), literal(b"keep;\r\n"))
    alice_ms.ok(b"PUTSCRIPT", quote("a"), literal(includes("b")))
    no_with(alice_ms.putscript("b", includes("a")), text=r"include cycle: b -> a -> b")
    assert alice_ms.getscript("b") == b"keep;\r\n", "a refused upload replaced the stored script"
    no_with(alice_ms.putscript("self", includes("self")), text=r"include cycle: self -> self")
    alice_ms.ok(b"PUTSCRIPT", quote("self"), literal(includes("self", once=True)))


def test_checkscript_checks_includes_of_the_authenticated_user_only(server, alice_ms):
    alice_ms.ok(b"PUTSCRIPT", quote("leaf"), literal(b"keep;\r\n"))
    bob = ManageSieve(server.sieve_port).login("bob")
    try:
        no_with(bob.command(b"CHECKSCRIPT", literal(includes("leaf"))), text=r'"leaf" does not exist')
    finally:
        bob.close()
    alice_ms.ok(b"CHECKSCRIPT", literal(includes("leaf")))
