"""Helpers for Bushbuck's end-to-end tests (fixtures are in conftest.py).

Every test that asks for ``server`` gets its own data directory, its own free loopback
ports and its own ``bushbuck serve`` process, with the users ``alice`` and ``bob`` created
through the command line first. Nothing is shared between tests, so they can run in any
order.

The binary is ``$BUSHBUCK_BIN`` if set, else ``target/release/bushbuck`` of this workspace.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import imaplib
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 20.0
# Seconds one test may take before it is interrupted (a hung server must not hang CI).
TEST_TIMEOUT = int(os.environ.get("BUSHBUCK_TEST_TIMEOUT", "120"))

# The pass the suite runs in: embedded (default), or every server on PostgreSQL + object
# storage (BUSHBUCK_TEST_BACKEND=distributed; conftest.py). Tests that look at the embedded
# store's files check them only in the embedded pass.
DISTRIBUTED = os.environ.get("BUSHBUCK_TEST_BACKEND", "embedded") == "distributed"
USERS = {"alice": "alice-pw-1", "bob": "bob-pw-2"}
# The mailboxes `bushbuck user add` gives every new user (the default `default_folders`).
DEFAULT_MAILBOXES = {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}


def bushbuck_bin() -> Path:
    return Path(os.environ.get("BUSHBUCK_BIN") or REPO / "target" / "release" / "bushbuck")


# ---------------------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def run_cli(*args: str, data: Path, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Runs ``bushbuck ARGS --data DATA`` and returns the finished process."""
    binary = bushbuck_bin()
    if not binary.exists():
        pytest.fail(f"bushbuck binary not found at {binary}; run `cargo build --release` or set BUSHBUCK_BIN")
    cmd = [str(binary), *args, "--data", str(data)]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


class BushbuckServer:
    """One ``bushbuck serve`` process on a data directory, restartable on the same ports."""

    def __init__(self, data: Path, logdir: Path, extra_args: list[str] | None = None):
        self.data = data
        self.logdir = logdir
        # Appended to the serve command line (e.g. ["--smtp-relay", "127.0.0.1:2525"]);
        # may also be set on the object before start().
        self.extra_args: list[str] = list(extra_args or [])
        # Set before start() to run serve without --data (so that it finds its data
        # directory itself), in another working directory, or with more environment.
        self.data_flag = True
        self.cwd: Path | None = None
        self.env: dict[str, str] = {}
        self.imap_port = free_port()
        self.imaps_port = free_port()
        # The other services get free ports too, so that no fixed default port is ever
        # bound (tests and parallel servers must not collide).
        self.pop3_port = free_port()
        self.pop3s_port = free_port()
        self.lmtp_port = free_port()
        self.sieve_port = free_port()
        self.http_port = free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.logs: list[Path] = []

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, attempt: int = 0) -> "BushbuckServer":
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        binary = bushbuck_bin()
        if not binary.exists():
            pytest.fail(f"bushbuck binary not found at {binary}; run `cargo build --release` or set BUSHBUCK_BIN")
        self.starts += 1
        log = self.logdir / f"{self.data.name}-stderr-{self.starts}.log"
        self.logs.append(log)
        cmd = [
            str(binary), "serve",
            *(["--data", str(self.data)] if self.data_flag else []),
            "--imap", f"{HOST}:{self.imap_port}",
            "--imaps", f"{HOST}:{self.imaps_port}",
            "--pop3", f"{HOST}:{self.pop3_port}",
            "--pop3s", f"{HOST}:{self.pop3s_port}",
            "--lmtp", f"{HOST}:{self.lmtp_port}",
            "--sieve", f"{HOST}:{self.sieve_port}",
            "--http", f"{HOST}:{self.http_port}",
            *self.extra_args,
        ]
        env = {**os.environ, **self.env}
        env.setdefault("RUST_BACKTRACE", "1")
        env.setdefault("NO_COLOR", "1")
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT, env=env,
                                         cwd=self.cwd)
        # The listeners are bound in order, HTTP last: once it answers, all of them do.
        if not self.wait_ready(self.http_port, fail=self.starts > 1 or attempt >= 4):
            # A port picked as free was taken by someone else meanwhile: pick new ones.
            self.imap_port, self.imaps_port, self.pop3_port, self.pop3s_port = (free_port() for _ in range(4))
            self.lmtp_port, self.sieve_port, self.http_port = (free_port() for _ in range(3))
            self.starts -= 1
            return self.start(attempt + 1)
        return self

    def wait_ready(self, port: int, timeout: float = START_TIMEOUT, fail: bool = True) -> bool:
        """Waits until PORT accepts; False (unless FAIL) when the server exited because one of
        its ports was in use."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if not fail and "Address already in use" in self.stderr():
                    return False
                pytest.fail(f"bushbuck serve exited with {self.proc.returncode} before listening on {port}\n"
                            f"--- server stderr ---\n{self.stderr()}")
            if port_open(port):
                return True
            time.sleep(0.05)
        pytest.fail(f"bushbuck serve did not accept connections on {HOST}:{port} within {timeout} s\n"
                    f"--- server stderr ---\n{self.stderr()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def kill9(self) -> None:
        """Kills the server with SIGKILL (no chance to flush anything) and reaps it."""
        assert self.proc is not None and self.proc.poll() is None, "server is not running"
        self.proc.kill()
        self.proc.wait(timeout=10)

    def restart(self) -> "BushbuckServer":
        """Stops the server (if running) and starts it again on the same data and ports."""
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr(self) -> str:
        parts = []
        for log in self.logs:
            try:
                text = log.read_text(errors="replace")
            except OSError:
                continue
            if len(self.logs) > 1:
                parts.append(f"=== {log.name} ===")
            parts.append(text[-20000:])
        return "\n".join(parts)

    # -- conveniences -----------------------------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return run_cli(*args, data=self.data, stdin=stdin, check=check)

    def imap(self, user: str | None = "alice", password: str | None = None, timeout: float = 15) -> imaplib.IMAP4:
        """An imaplib connection to the plain port, logged in as USER unless USER is None."""
        m = imaplib.IMAP4(HOST, self.imap_port, timeout=timeout)
        if user is not None:
            m.login(user, password if password is not None else USERS[user])
        return m

    def imaps(self, user: str | None = "alice", timeout: float = 15) -> imaplib.IMAP4_SSL:
        m = imaplib.IMAP4_SSL(HOST, self.imaps_port, ssl_context=insecure_tls_context(), timeout=timeout)
        if user is not None:
            m.login(user, USERS[user])
        return m

    def raw(self, user: str | None = None, timeout: float = 15, tls: bool = False) -> "RawImap":
        c = RawImap(HOST, self.imaps_port if tls else self.imap_port, timeout=timeout, tls=tls)
        if user is not None:
            c.login(user, USERS[user])
        return c


def close_quietly(m: imaplib.IMAP4) -> None:
    try:
        m.logout()
    except Exception:
        try:
            m.shutdown()
        except Exception:
            pass


def insecure_tls_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ---------------------------------------------------------------------------------------
# A raw IMAP client for what imaplib cannot express (tagged response codes, IDLE,
# LITERAL+, malformed input, exact untagged responses)
# ---------------------------------------------------------------------------------------

LITERAL_AT_END = re.compile(rb"\{(\d+)\+?\}$")


class RawImap:
    def __init__(self, host: str, port: int, timeout: float = 15, tls: bool = False):
        sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            sock = insecure_tls_context().wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.buf = b""
        self.counter = 0
        self.greeting = self.read_response()

    # -- bytes --------------------------------------------------------------------------------

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection; unread: %r" % self.buf[:200])
        self.buf += chunk

    def read_line(self) -> bytes:
        """One line without its CRLF."""
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self) -> bytes:
        """One whole response: a line plus any literals it announces, spliced in as sent
        (``{n}\\r\\n`` followed by the n octets)."""
        out = self.read_line()
        while True:
            m = LITERAL_AT_END.search(out)
            if not m:
                return out
            out += b"\r\n" + self.read_exact(int(m.group(1)))
            out += self.read_line()

    def read_until_closed(self, timeout: float = 10) -> bytes:
        """Everything until the server closes (tolerates a reset)."""
        self.sock.settimeout(timeout)
        data, self.buf = self.buf, b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
        return data

    # -- commands -------------------------------------------------------------------------------

    def next_tag(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    def read_until_tagged(self, tag: str) -> tuple[bytes, list[bytes]]:
        untagged = []
        while True:
            resp = self.read_response()
            if resp.startswith(tag.encode() + b" "):
                return resp, untagged
            untagged.append(resp)

    def command(self, text: bytes | str, tag: str | None = None) -> tuple[bytes, list[bytes]]:
        """Sends ``TAG TEXT CRLF`` (TEXT must contain no synchronizing literal) and returns
        (tagged line, untagged responses in order)."""
        tag = tag or self.next_tag()
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        return self.read_until_tagged(tag)

    def ok(self, text: bytes | str) -> list[bytes]:
        tagged, untagged = self.command(text)
        status = tagged.split(b" ", 2)[1].upper()
        assert status == b"OK", f"{text!r} -> {tagged!r}"
        return untagged

    def login(self, user: str, password: str) -> None:
        self.ok(f'LOGIN {user} "{password}"')

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def readable(self, timeout: float) -> bool:
        if self.buf:
            return True
        r, _, _ = select.select([self.sock], [], [], timeout)
        return bool(r)


def status_of(tagged: bytes) -> str:
    """'OK', 'NO' or 'BAD' of a tagged response line."""
    return tagged.split(b" ", 2)[1].upper().decode()


def resp_code(line: bytes) -> str | None:
    """The response code inside [...] of a status response, e.g. 'READ-ONLY', or None."""
    m = re.search(rb"^(?:\S+) (?:OK|NO|BAD|BYE|PREAUTH) \[([^\]]*)\]", line, re.I)
    return m.group(1).decode() if m else None


# ---------------------------------------------------------------------------------------
# Parsing IMAP data (lists, strings, literals, NIL, atoms)
# ---------------------------------------------------------------------------------------


class Atom(str):
    """An atom or number as sent (strings and literals come back as bytes, NIL as None)."""


def parse_sexp(data: bytes) -> list:
    """Parses a sequence of IMAP data items into Python values: atoms -> Atom (str),
    quoted strings and literals -> bytes, NIL -> None, parenthesized lists -> list.
    An atom may contain a bracketed section and a partial (``BODY[HEADER.FIELDS (A B)]<0>``)."""
    pos = 0
    n = len(data)

    def skip_space():
        nonlocal pos
        while pos < n and data[pos:pos + 1] in (b" ", b"\r", b"\n"):
            pos += 1

    def parse_one():
        nonlocal pos
        c = data[pos:pos + 1]
        if c == b"(":
            pos += 1
            items = []
            while True:
                skip_space()
                if pos >= n:
                    raise ValueError(f"unterminated list in {data!r}")
                if data[pos:pos + 1] == b")":
                    pos += 1
                    return items
                items.append(parse_one())
        if c == b'"':
            pos += 1
            out = bytearray()
            while True:
                if pos >= n:
                    raise ValueError(f"unterminated string in {data!r}")
                ch = data[pos]
                if ch == 0x5C:  # backslash
                    out.append(data[pos + 1])
                    pos += 2
                    continue
                if ch == 0x22:
                    pos += 1
                    return bytes(out)
                out.append(ch)
                pos += 1
        if c in (b"{", b"~") and re.match(rb"~?\{\d+\+?\}\r\n", data[pos:pos + 24]):
            m = re.match(rb"~?\{(\d+)\+?\}\r\n", data[pos:])
            size = int(m.group(1))
            pos += m.end()
            lit = data[pos:pos + size]
            pos += size
            return lit
        start = pos
        depth = 0
        while pos < n:
            ch = data[pos:pos + 1]
            if ch == b"[":
                depth += 1
            elif ch == b"]":
                depth -= 1
            elif depth == 0 and ch in (b" ", b"(", b")", b"\r", b"\n"):
                break
            pos += 1
        word = data[start:pos].decode("utf-8", "replace")
        if word.upper() == "NIL":
            return None
        if not word:
            raise ValueError(f"unexpected {data[pos:pos + 20]!r} at {pos} in {data!r}")
        return Atom(word)

    items = []
    skip_space()
    while pos < n:
        items.append(parse_one())
        skip_space()
    return items


def imaplib_responses(data: list) -> list[bytes]:
    """Turns imaplib's response data (bytes lines and (head, literal) tuples) back into
    whole responses with literals spliced in."""
    out = []
    current = None
    for el in data:
        if el is None:
            continue
        if isinstance(el, tuple):
            head, lit = el
            current = (current or b"") + head + b"\r\n" + lit
            continue
        current = (current or b"") + el
        out.append(current)
        current = None
    if current is not None:
        out.append(current)
    return out


def parse_fetch_responses(responses: list[bytes]) -> dict[int, dict[str, object]]:
    """{seq: {ITEM-NAME-UPPERCASE: value}} from FETCH response bodies ('1 (FLAGS ...)').
    Items of several responses for one message are merged."""
    result: dict[int, dict[str, object]] = {}
    for resp in responses:
        parsed = parse_sexp(resp)
        # Accept both "1 (..)" (imaplib) and "* 1 FETCH (..)" (raw).
        if parsed and parsed[0] == "*":
            parsed = parsed[1:]
        if len(parsed) >= 3 and str(parsed[1]).upper() == "FETCH":
            parsed = [parsed[0], parsed[2]]
        assert len(parsed) == 2 and isinstance(parsed[1], list), f"not a FETCH response: {resp!r}"
        seq, items = int(parsed[0]), parsed[1]
        assert len(items) % 2 == 0, f"odd FETCH item list: {resp!r}"
        entry = result.setdefault(seq, {})
        for k, v in zip(items[0::2], items[1::2]):
            entry[str(k).upper()] = v
    return result


def fetch(m: imaplib.IMAP4, seqset: str, items: str, uid: bool = False) -> dict[int, dict[str, object]]:
    """FETCH via imaplib, parsed. Fails the test unless the answer is OK."""
    if uid:
        typ, data = m.uid("FETCH", seqset, items)
    else:
        typ, data = m.fetch(seqset, items)
    assert typ == "OK", (typ, data)
    return parse_fetch_responses(imaplib_responses(data))


def fetch_one(m: imaplib.IMAP4, seq, items: str, uid: bool = False) -> dict[str, object]:
    res = fetch(m, str(seq), items, uid=uid)
    if uid:
        for entry in res.values():
            if int(entry.get("UID", -1)) == int(seq):
                return entry
        raise AssertionError(f"UID FETCH {seq} {items}: no response for that UID: {res!r}")
    assert int(seq) in res, f"FETCH {seq} {items}: no response for message {seq}: {res!r}"
    return res[int(seq)]


def body_item(entry: dict[str, object], prefix: str) -> bytes:
    """The value of the FETCH item whose name starts with PREFIX (case-insensitive), e.g.
    'BODY[HEADER.FIELDS' whatever field list case the server echoes."""
    matches = [v for k, v in entry.items() if k.upper().startswith(prefix.upper())]
    assert len(matches) == 1, f"expected one {prefix}... item in {list(entry)}"
    value = matches[0]
    return b"" if value is None else value


def flags_of(entry: dict[str, object]) -> set[str]:
    return {str(f).lower() for f in entry["FLAGS"]}


def astr(v) -> str | None:
    """An astring/nstring value as str."""
    if v is None:
        return None
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return str(v)


def imap_ok(result, what: str = ""):
    typ, data = result
    assert typ == "OK", f"{what}: {typ} {data!r}"
    return data


def configured(make_server, tmp_path, text: str) -> BushbuckServer:
    """Starts a server (from the ``make_server`` fixture) with TEXT as its --config file."""
    config = tmp_path / "bushbuck.toml"
    config.write_text(text)
    srv = make_server(start=False)
    srv.extra_args = ["--config", str(config)]
    return srv.start()


def expect_refused(fn, *args) -> str:
    """Runs an imaplib call that must fail with NO or BAD (imaplib raises on BAD and, for
    some commands, on NO). Returns 'NO' or 'BAD'."""
    try:
        typ, data = fn(*args)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as e:
        # imaplib raises for BAD (and for NO on LOGIN/SELECT); either is a refusal.
        return "BAD" if "BAD" in str(e) or "command" in str(e).lower() else "NO"
    assert typ in ("NO", "BAD"), f"expected NO or BAD, got {typ} {data!r}"
    return typ


def tagged_text(m: imaplib.IMAP4, *args) -> tuple[str, bytes]:
    """Runs a command through imaplib's low-level path and returns (status, tagged text),
    which keeps the tagged response code (imaplib's high-level methods drop it)."""
    name = args[0].upper()
    if name not in imaplib.Commands:
        imaplib.Commands[name] = ("NONAUTH", "AUTH", "SELECTED")
    typ, data = m._simple_command(*args)
    text = data[-1] if data and data[-1] is not None else b""
    return typ, text


# ---------------------------------------------------------------------------------------
# Message and date helpers
# ---------------------------------------------------------------------------------------


def crlf(text: str, encoding: str = "utf-8") -> bytes:
    """TEXT with every line ending made CRLF."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode(encoding)


def make_message(subject: str = "Hello", body: str = "Hello, world.\n", sender: str = "alice@example.org",
                 to: str = "bob@example.org", date: str = "Tue, 01 Sep 2020 10:00:00 +0000",
                 extra_headers: str = "", message_id: str | None = None) -> bytes:
    mid = message_id or f"<{abs(hash((subject, body, sender)))}@example.org>"
    return crlf(
        f"From: {sender}\n"
        f"To: {to}\n"
        f"Subject: {subject}\n"
        f"Date: {date}\n"
        f"Message-ID: {mid}\n"
        f"{extra_headers}"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
        f"{body}"
    )


def append(m: imaplib.IMAP4, message: bytes, mailbox: str = "INBOX", flags: str | None = None,
           date: str | None = None) -> int:
    """APPENDs MESSAGE and returns its UID from APPENDUID."""
    typ, data = m.append(mailbox, flags, f'"{date}"' if date else None, message)
    assert typ == "OK", f"APPEND to {mailbox}: {typ} {data!r}"
    return appenduid(data[-1])[1]


def appenduid(text: bytes) -> tuple[int, int]:
    m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", text, re.I)
    assert m, f"no [APPENDUID v uid] in {text!r} (UIDPLUS)"
    return int(m.group(1)), int(m.group(2))


def uid_set(text: str) -> list[int]:
    """Expands an IMAP uid-set like '3:5,9' (ranges in either order)."""
    out = []
    for part in text.split(","):
        if ":" in part:
            a, b = (int(x) for x in part.split(":"))
            lo, hi = min(a, b), max(a, b)
            out.extend(range(lo, hi + 1))
        else:
            out.append(int(part))
    return out


def parse_copyuid(text: bytes) -> tuple[int, list[int], list[int]] | None:
    m = re.search(rb"\[COPYUID (\d+) ([0-9:,]+) ([0-9:,]+)\]", text, re.I)
    if not m:
        return None
    return int(m.group(1)), uid_set(m.group(2).decode()), uid_set(m.group(3).decode())


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def parse_internaldate(value) -> dt.datetime:
    """'01-Jan-2020 10:11:12 +0100' (day may be space-padded) -> aware datetime."""
    text = astr(value).strip()
    m = re.fullmatch(r"(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})", text)
    assert m, f"INTERNALDATE {text!r} is not date-time syntax"
    day, mon, year, hh, mm, ss, sign, tzh, tzm = m.groups()
    offset = dt.timedelta(hours=int(tzh), minutes=int(tzm)) * (1 if sign == "+" else -1)
    return dt.datetime(int(year), MONTHS.index(mon.capitalize()) + 1, int(day), int(hh), int(mm), int(ss),
                       tzinfo=dt.timezone(offset))


def list_mailboxes(m: imaplib.IMAP4, ref: str = '""', pattern: str = '"*"', command: str = "LIST") -> dict[str, tuple[set[str], str | None]]:
    """{name: ({attributes lowercase}, delimiter)} from LIST (or LSUB)."""
    if command == "LIST":
        typ, data = m.list(ref, pattern)
    else:
        typ, data = m.lsub(ref, pattern)
    assert typ == "OK", (typ, data)
    out = {}
    for resp in imaplib_responses(data):
        attrs, delim, name = parse_sexp(resp)
        out[astr(name)] = ({str(a).lower() for a in attrs}, astr(delim))
    return out


def status(m: imaplib.IMAP4, mailbox: str, items: str = "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)") -> dict[str, int]:
    typ, data = m.status(mailbox, items)
    assert typ == "OK", f"STATUS {mailbox}: {typ} {data!r}"
    resp = imaplib_responses(data)[-1]
    name, values = parse_sexp(resp)
    return {str(k).upper(): int(v) for k, v in zip(values[0::2], values[1::2])}


def sasl_plain(user: str, password: str, authzid: str = "") -> str:
    return base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()


def lmtp_exchange(port: int, sender: bytes, recipients: list[bytes], message: bytes) -> tuple[list[str], list[str]]:
    """One LMTP transaction by hand: (the RCPT replies, the replies after DATA, one per accepted
    recipient; smtplib.LMTP reads only one). DATA is skipped when no recipient was accepted."""
    with socket.create_connection((HOST, port), timeout=10) as s:
        f = s.makefile("rb")

        def reply() -> str:
            while True:
                line = f.readline().decode().rstrip("\r\n")
                if line[3:4] != "-":
                    return line

        assert reply().startswith("220")
        for command in [b"LHLO test", b"MAIL FROM:<" + sender + b">"]:
            s.sendall(command + b"\r\n")
            assert reply().startswith("250"), command
        rcpts = []
        for r in recipients:
            s.sendall(b"RCPT TO:<" + r + b">\r\n")
            rcpts.append(reply())
        answers = []
        accepted = sum(1 for r in rcpts if r.startswith("250"))
        if accepted:
            s.sendall(b"DATA\r\n")
            assert reply().startswith("354")
            s.sendall(message + b".\r\n")
            answers = [reply() for _ in range(accepted)]
        s.sendall(b"QUIT\r\n")
        assert reply().startswith("221")
        return rcpts, answers


def lmtp_transaction(port: int, sender: bytes, recipients: list[bytes], message: bytes) -> list[str]:
    """One LMTP transaction whose every recipient must be accepted; returns the replies after
    DATA, one per recipient."""
    rcpts, answers = lmtp_exchange(port, sender, recipients, message)
    assert all(r.startswith("250") for r in rcpts), rcpts
    return answers


def inbox_by_message_id(srv: BushbuckServer, user: str) -> dict[str, bytes]:
    """Message-ID -> octets of every message in USER's INBOX; fails if one cannot be read,
    has no Message-ID (its content was lost) or is stored twice."""
    m = srv.imap(user)
    try:
        typ, data = m.select("INBOX", readonly=True)
        assert typ == "OK", data
        found = {}
        if int(data[0]):
            typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
            assert typ == "OK", f"{user}'s messages cannot all be read: {data}"
            for item in data:
                if isinstance(item, tuple):
                    uid = item[0].split(b"UID ")[1].split()[0].decode() if b"UID " in item[0] else "?"
                    ident = email.message_from_bytes(item[1])["Message-ID"]
                    assert ident is not None, f"{user}'s UID {uid} lost its content: {item[1][:200]!r}"
                    assert ident not in found, f"{ident} stored twice"
                    found[ident] = item[1]
        return found
    finally:
        close_quietly(m)


def read_until(client, pattern: bytes, timeout: float) -> list[bytes]:
    """Reads responses until one matches PATTERN (regex); fails after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if not client.readable(max(0.0, deadline - time.monotonic())):
            break
        line = client.read_response()
        seen.append(line)
        if re.fullmatch(pattern, line.strip(), re.I):
            return seen
    raise AssertionError(f"no {pattern!r} within {timeout} s; got {seen!r}")
