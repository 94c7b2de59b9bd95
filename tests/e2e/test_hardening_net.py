"""Network hardening (issue #14, items 4 and 7): the total and pre-login connection limits,
host access rules per listener, and the HAProxy PROXY protocol (v1 and v2) on listeners
behind a proxy. Clients connect from several loopback source addresses (Linux accepts any
127/8 source); every refusal comes before the greeting with the protocol's own answer, is
counted in /metrics, and leaves the server running with the same PID.
"""

from __future__ import annotations

import base64
import imaplib
import ipaddress
import socket
import struct
import time

import pytest

from e2e_helpers import HOST, USERS, lmtp_transaction, make_message
from test_limits import configured
from test_observability import get, metric

V2_SIGNATURE = b"\r\n\r\n\0\r\nQUIT\n"


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def connect(port: int, source: str = HOST, first: bytes = b"") -> socket.socket:
    """A TCP connection to PORT from the loopback address SOURCE, sending FIRST at once."""
    s = socket.create_connection((HOST, port), timeout=10, source_address=(source, 0))
    if first:
        s.sendall(first)
    return s


def first_line(s: socket.socket) -> bytes:
    """The first line the server sends (the greeting or the refusal)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def greet(port: int, source: str = HOST, first: bytes = b"") -> tuple[socket.socket, bytes]:
    s = connect(port, source, first)
    return s, first_line(s)


def command(s: socket.socket, line: bytes) -> bytes:
    s.sendall(line + b"\r\n")
    return first_line(s)


def refused_count(srv, listener: str, reason: str) -> float:
    _, text = get(srv, "/metrics")
    try:
        return metric(text, f'bushbuck_connections_refused_total{{listener="{listener}",reason="{reason}"}}')
    except AssertionError:
        return 0.0


def closed_by_server(s: socket.socket) -> bool:
    s.settimeout(10)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def wait_accepted(port: int, source: str = HOST) -> bytes:
    """The greeting once the server has seen released slots (closing is asynchronous)."""
    deadline = time.monotonic() + 10
    while True:
        s, line = greet(port, source)
        s.close()
        if line.startswith((b"* OK", b"+OK", b"OK", b"220")) or time.monotonic() > deadline:
            return line
        time.sleep(0.05)


def proxy_v1(source: str, port: int = 40000, dest: str = "127.0.0.1", dport: int = 143) -> bytes:
    family = "TCP6" if ":" in source else "TCP4"
    return f"PROXY {family} {source} {dest} {port} {dport}\r\n".encode()


def proxy_v2(source: str | None, port: int = 40000, dest: str = "127.0.0.1", dport: int = 143,
             tlvs: bytes = b"") -> bytes:
    """A v2 header; SOURCE None makes a LOCAL command (a proxy's own health check)."""
    if source is None:
        return V2_SIGNATURE + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(dest)
    family = 0x11 if src.version == 4 else 0x21
    body = src.packed + dst.packed + struct.pack("!HH", port, dport) + tlvs
    return V2_SIGNATURE + bytes([0x21, family]) + struct.pack("!H", len(body)) + body


# ---------------------------------------------------------------------------------------
# max_connections, max_prelogin_connections
# ---------------------------------------------------------------------------------------


def test_total_connection_limit_counts_every_protocol(make_server, tmp_path):
    srv = configured(make_server, tmp_path, "max_connections = 4\nmax_prelogin_connections = 100\n")
    pid = srv.proc.pid
    held = [greet(srv.imap_port, "127.0.0.2"), greet(srv.pop3_port, "127.0.0.3"),
            greet(srv.lmtp_port, "127.0.0.4"), greet(srv.sieve_port, "127.0.0.5")]
    try:
        assert all(line and not line.startswith((b"* BYE", b"-ERR", b"421", b"BYE")) for _, line in held), held
        for port, refusal in [(srv.imap_port, b"* BYE Server too busy; try again later"),
                              (srv.pop3_port, b"-ERR [SYS/TEMP] Server too busy"),
                              (srv.lmtp_port, b"421 4.7.0 Server too busy"),
                              (srv.sieve_port, b'BYE "Server too busy')]:
            s, line = greet(port, "127.0.0.6")
            assert line.startswith(refusal), line
            assert closed_by_server(s)
            s.close()
        assert refused_count(srv, "imap", "max_connections") == 1
        assert refused_count(srv, "lmtp", "max_connections") == 1
        _, text = get(srv, "/metrics")
        assert metric(text, "bushbuck_connections_open_all") == 4
        assert metric(text, "bushbuck_connections_limit") == 4
    finally:
        for s, _ in held:
            s.close()
    assert wait_accepted(srv.imap_port, "127.0.0.6").startswith(b"* OK")
    assert srv.running and srv.proc.pid == pid


def imap_login(s: socket.socket, user: str) -> bytes:
    return command(s, f"a1 LOGIN {user} {USERS[user]}".encode())


def pop3_login(s: socket.socket, user: str) -> bytes:
    assert command(s, f"USER {user}".encode()).startswith(b"+OK")
    return command(s, f"PASS {USERS[user]}".encode())


def sieve_login(s: socket.socket, user: str) -> bytes:
    # The greeting is the capability list ending in OK; read up to it.
    line = b""
    while not line.startswith(b"OK"):
        line = first_line(s)
        assert line, "ManageSieve greeting ended early"
    token = base64.b64encode(f"\0{user}\0{USERS[user]}".encode()).decode()
    return command(s, f'AUTHENTICATE "PLAIN" "{token}"'.encode())


@pytest.mark.parametrize("service,login,ok", [
    ("imap", imap_login, b"a1 OK"),
    ("pop3", pop3_login, b"+OK"),
    ("sieve", sieve_login, b"OK"),
])
def test_prelogin_limit_and_login_releases_the_slot(make_server, tmp_path, service, login, ok):
    srv = configured(make_server, tmp_path, "max_prelogin_connections = 3\n")
    pid = srv.proc.pid
    port = getattr(srv, f"{service}_port")
    held = [greet(port, f"127.0.0.{i}") for i in (2, 3, 4)]
    try:
        s, line = greet(srv.imap_port, "127.0.0.5")
        assert line == b"* BYE Too many connections waiting to log in; try again later\r\n", line
        s.close()
        assert refused_count(srv, "imap", "max_prelogin_connections") == 1
        # LMTP never logs in and is not held back by waiting IMAP, POP3 or ManageSieve clients.
        answers = lmtp_transaction(srv.lmtp_port, b"a@example.net", [b"bob@example.org"], make_message("still delivered"))
        assert answers[0].startswith("250"), answers
        _, text = get(srv, "/metrics")
        assert metric(text, "bushbuck_prelogin_connections_open") == 3
        # Logging in one of the waiting clients gives its pre-login slot back before the
        # server answers the login, so a new client is accepted at once.
        assert login(held[0][0], "alice").startswith(ok)
        held.append(greet(srv.imap_port, "127.0.0.5"))
        assert held[-1][1].startswith(b"* OK"), held[-1][1]
        _, text = get(srv, "/metrics")
        assert metric(text, "bushbuck_prelogin_connections_open") == 3
    finally:
        for s, _ in held:
            s.close()
    assert srv.running and srv.proc.pid == pid


def test_limits_are_visible_with_their_defaults(server):
    _, text = get(server, "/metrics")
    assert metric(text, "bushbuck_connections_limit") == 5000
    assert metric(text, "bushbuck_prelogin_connections_limit") == 500


# ---------------------------------------------------------------------------------------
# Host access rules
# ---------------------------------------------------------------------------------------

ACCESS = """
[access.imap]
rules = ["deny 127.0.0.3", "allow 127.0.0.0/8", "deny all"]
[access.lmtp]
rules = ["allow 127.0.0.1", "deny 127.0.0.0/8"]
"""


def test_access_rules_first_match_wins_per_listener(make_server, tmp_path):
    srv = configured(make_server, tmp_path, ACCESS)
    pid = srv.proc.pid
    s, line = greet(srv.imap_port, "127.0.0.3")
    assert line == b"* BYE Connections from your address are not accepted here\r\n", line
    assert closed_by_server(s)
    s.close()
    m = imaplib.IMAP4(HOST, srv.imap_port, timeout=10)  # from 127.0.0.1: allowed by the /8
    m.login("alice", USERS["alice"])
    m.logout()
    s, line = greet(srv.imap_port, "127.0.0.4")
    assert line.startswith(b"* OK"), line
    s.close()
    # Rules belong to their listener: POP3 has none.
    s, line = greet(srv.pop3_port, "127.0.0.3")
    assert line.startswith(b"+OK"), line
    s.close()
    s, line = greet(srv.lmtp_port, "127.0.0.2")
    assert line == b"554 5.7.1 Connections from your address are not accepted here\r\n", line
    s.close()
    answers = lmtp_transaction(srv.lmtp_port, b"a@example.net", [b"alice@example.org"], make_message("allowed"))
    assert answers[0].startswith("250")
    assert refused_count(srv, "imap", "access") == 1 and refused_count(srv, "lmtp", "access") == 1
    log = srv.stderr()
    assert "denied by an access rule" in log and "127.0.0.3" in log and "deny 127.0.0.3/32" in log
    assert srv.running and srv.proc.pid == pid


@pytest.mark.parametrize("text,expected", [
    ('[access.imapx]\nrules = ["deny all"]\n', "access names the listener \"imapx\""),
    ('[access.imap]\nrules = ["permit 10.0.0.0/8"]\n', "must start with \"allow\" or \"deny\""),
    ('[access.imap]\nrules = ["deny 10.0.0.0/33"]\n', "not an address, a network"),
    ('proxy_protocol = ["imap"]\n', "proxy_trusted is empty"),
    ('proxy_protocol = ["imap4"]\nproxy_trusted = ["127.0.0.1"]\n', "proxy_protocol names the listener"),
    ('proxy_protocol = ["imap"]\nproxy_trusted = ["localhost"]\n', "not an address, a network"),
])
def test_bad_access_and_proxy_configuration_is_refused_with_a_reason(make_server, tmp_path, text, expected):
    srv = make_server(start=False)
    config = tmp_path / "bad.toml"
    config.write_text(text)
    proc = srv.cli("user", "list", "--config", str(config), check=False)
    assert proc.returncode != 0
    assert expected in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------------------
# PROXY protocol
# ---------------------------------------------------------------------------------------

PROXIED = """
proxy_protocol = ["imap", "pop3"]
proxy_trusted = ["127.0.0.1"]
login_timeout_secs = 2
max_connections_per_ip = 2
[access.imap]
rules = ["deny 192.0.2.66", "allow all"]
"""


@pytest.fixture
def proxied(make_server, tmp_path):
    return configured(make_server, tmp_path, PROXIED)


@pytest.mark.parametrize("header", [proxy_v1, proxy_v2], ids=["v1", "v2"])
def test_proxy_header_gives_the_real_client_address(proxied, header):
    srv = proxied
    pid = srv.proc.pid
    # A loopback client behind the proxy may log in in plaintext, and is logged as itself.
    s, line = greet(srv.imap_port, first=header("127.0.0.77", 50123))
    assert line.startswith(b"* OK"), line
    assert imap_login(s, "alice").startswith(b"a1 OK")
    s.close()
    assert "127.0.0.77:50123" in srv.stderr()
    # A remote client behind the proxy is remote: the plaintext policy (loopback) applies.
    s, line = greet(srv.imap_port, first=header("198.51.100.7", 40001))
    assert line.startswith(b"* OK") and b"LOGINDISABLED" in line, line
    assert b"PRIVACYREQUIRED" in imap_login(s, "alice")
    s.close()
    # The header and a command in the same segment: the command is not lost.
    s, line = greet(srv.pop3_port, first=header("127.0.0.78", dport=110) + b"CAPA\r\n")
    assert line.startswith(b"+OK"), line
    assert first_line(s).startswith(b"+OK")
    s.close()
    assert srv.running and srv.proc.pid == pid


def test_proxy_v2_ipv6_tlvs_and_local(proxied):
    srv = proxied
    s, line = greet(srv.imap_port, first=proxy_v2("2001:db8::5", dest="::1", tlvs=b"\x04\x00\x02ab"))
    assert line.startswith(b"* OK") and b"LOGINDISABLED" in line, line
    s.close()
    # LOCAL (the proxy's own health check): the proxy's address stands, a loopback one.
    s, line = greet(srv.imap_port, first=proxy_v2(None))
    assert line.startswith(b"* OK") and b"LOGINDISABLED" not in line, line
    s.close()


@pytest.mark.parametrize("header", [proxy_v1, proxy_v2], ids=["v1", "v2"])
def test_access_rules_and_limits_see_the_declared_address(proxied, header):
    srv = proxied
    s, line = greet(srv.imap_port, first=header("192.0.2.66"))
    assert line == b"* BYE Connections from your address are not accepted here\r\n", line
    s.close()
    assert refused_count(srv, "imap", "access") == 1
    # max_connections_per_ip = 2 counts the client, not the proxy all of them come from.
    held = [greet(srv.imap_port, first=header("203.0.113.5", 40000 + i)) for i in range(2)]
    try:
        assert all(line.startswith(b"* OK") for _, line in held), held
        s, line = greet(srv.imap_port, first=header("203.0.113.5", 40009))
        assert line == b"* BYE Too many connections from your address\r\n", line
        s.close()
        s, line = greet(srv.imap_port, first=header("203.0.113.6"))
        assert line.startswith(b"* OK"), line
        s.close()
    finally:
        for s, _ in held:
            s.close()


@pytest.mark.parametrize("first", [
    b"a1 CAPABILITY\r\n",
    b"PROXY TCP4 not-an-address 127.0.0.1 1 143\r\n",
    b"PROXY TCP4 192.0.2.1 127.0.0.1 1\r\n",
    b"PROXY " + b"9" * 200 + b"\r\n",
    V2_SIGNATURE + b"\x31\x11\x00\x0c" + b"\0" * 12,      # version 3
    V2_SIGNATURE + b"\x21\x11\x00\x04" + b"\0" * 4,       # too short for IPv4 addresses
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",        # a TLS ClientHello
], ids=["command", "bad-address", "missing-port", "too-long", "v2-version", "v2-short", "tls"])
def test_missing_or_garbage_header_is_refused(proxied, first):
    srv = proxied
    pid = srv.proc.pid
    before = refused_count(srv, "imap", "proxy_header")
    s, line = greet(srv.imap_port, first=first)
    assert line == b"* BYE This port only accepts connections from a trusted proxy that sends a PROXY header\r\n", line
    assert closed_by_server(s)
    s.close()
    assert refused_count(srv, "imap", "proxy_header") == before + 1
    assert srv.running and srv.proc.pid == pid
    # The listener still serves proxied clients.
    s, line = greet(srv.imap_port, first=proxy_v1("127.0.0.80"))
    assert line.startswith(b"* OK"), line
    s.close()


def test_silence_and_untrusted_proxies_are_refused(proxied):
    srv = proxied
    started = time.monotonic()
    s, line = greet(srv.imap_port)  # says nothing: refused after login_timeout_secs (2)
    assert line.startswith(b"* BYE This port only accepts"), line
    assert 1.5 < time.monotonic() - started < 30
    s.close()
    # 127.0.0.2 is not in proxy_trusted: refused at once, its header is not believed.
    s, line = greet(srv.pop3_port, "127.0.0.2", first=proxy_v1("127.0.0.9"))
    assert line.startswith(b"-ERR [SYS/PERM] This port only accepts"), line
    s.close()
    assert refused_count(srv, "pop3", "proxy_untrusted") == 1
    # Listeners not behind the proxy take direct connections as before.
    s, line = greet(srv.sieve_port, "127.0.0.2")
    assert not line.startswith(b"BYE"), line
    s.close()
