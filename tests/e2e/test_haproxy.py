"""Load balancing (#16): Debian's HAProxy in front of two Bushbuck nodes, speaking the PROXY
protocol (v2) to them, as docs/operations.md shows. Connections are spread over both nodes,
and each node sees the client's address, not the proxy's: in its log and in its per-address
limits. HAProxy's own health checks (PROXY v2 LOCAL) are served without a login."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time

import pytest

from e2e_helpers import HOST, USERS, free_port, port_open

pytestmark = pytest.mark.skipif(not shutil.which("haproxy"), reason="haproxy is not installed")

NODE_CONFIG = """
proxy_protocol = ["imap", "pop3"]
proxy_trusted = ["127.0.0.1"]
max_connections_per_ip = 2
"""


def haproxy_config(imap_port: int, pop3_port: int, nodes) -> str:
    """The configuration docs/operations.md gives, with the test's ports."""
    def backend(name: str, attr: str) -> str:
        servers = "\n".join(
            f"    server node{i} {HOST}:{getattr(node, attr)} send-proxy-v2 check check-send-proxy inter 500ms"
            for i, node in enumerate(nodes)
        )
        return f"backend {name}\n    mode tcp\n    balance roundrobin\n{servers}\n"

    return (
        "global\n    maxconn 1000\n    log stdout format raw local0 info\n"
        "defaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 5s\n    timeout client 30m\n    timeout server 30m\n"
        f"frontend imap\n    bind {HOST}:{imap_port}\n    default_backend imap_nodes\n"
        f"frontend pop3\n    bind {HOST}:{pop3_port}\n    default_backend pop3_nodes\n"
        + backend("imap_nodes", "imap_port")
        + backend("pop3_nodes", "pop3_port")
    )


@pytest.fixture
def balanced(make_server, tmp_path):
    """Two nodes with alice and bob, behind a private HAProxy: (imap port, pop3 port, nodes)."""
    nodes = []
    for i in range(2):
        config = tmp_path / f"node{i}.toml"
        config.write_text(NODE_CONFIG)
        node = make_server(start=False)
        node.extra_args = ["--config", str(config)]
        nodes.append(node.start())
    imap_port, pop3_port = free_port(), free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_config(imap_port, pop3_port, nodes))
    log = open(tmp_path / "haproxy.log", "wb")
    proxy = subprocess.Popen(["haproxy", "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not (port_open(imap_port) and port_open(pop3_port)):
            assert proxy.poll() is None, (tmp_path / "haproxy.log").read_text()
            assert time.monotonic() < deadline, "haproxy did not listen within 10 s"
            time.sleep(0.05)
        yield imap_port, pop3_port, nodes
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        log.close()


def connect(port: int, source: str) -> tuple[socket.socket, bytes]:
    s = socket.create_connection((HOST, port), timeout=10, source_address=(source, 0))
    return s, s.makefile("rb").readline()


def imap_login(s: socket.socket, user: str) -> bytes:
    reader = s.makefile("rb")
    s.sendall(f'a LOGIN {user} "{USERS[user]}"\r\n'.encode())
    while True:
        line = reader.readline()
        if not line or line.startswith(b"a "):
            return line


def test_connections_are_spread_and_each_node_sees_the_client(balanced):
    imap_port, pop3_port, nodes = balanced
    clients = ["127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.24"]
    for source in clients:
        s, greeting = connect(imap_port, source)
        try:
            assert greeting.startswith(b"* OK"), greeting
            assert imap_login(s, "alice").startswith(b"a OK"), source
        finally:
            s.close()
    s, greeting = connect(pop3_port, "127.0.0.25")
    assert greeting.startswith(b"+OK"), greeting
    s.close()
    time.sleep(0.3)  # the log lines of the last logins
    logs = [node.stderr() for node in nodes]
    for node, log in zip(nodes, logs):
        logged_in = set(re.findall(r"peer=(127\.0\.0\.2[1-4]):\d+", log))
        assert logged_in, f"node on {node.imap_port} served no client:\n{log[-3000:]}"
    served = [set(re.findall(r"peer=(127\.0\.0\.2[1-4]):\d+", log)) for log in logs]
    assert served[0] | served[1] == set(clients), served
    assert not served[0] & served[1], f"round robin sent a client to both nodes: {served}"
    # The proxy's own address never appears as a client's.
    assert all("peer=127.0.0.1:" not in log.split("login", 1)[-1] for log in logs)


def test_per_address_limits_count_the_client_behind_the_proxy(balanced):
    imap_port, _, nodes = balanced
    # max_connections_per_ip = 2 on each node: of six connections from one client, at most
    # two per node are served (however HAProxy spreads them), the rest refused for the
    # client's address, although every connection reaches the nodes from the proxy.
    held = [connect(imap_port, "127.0.0.31") for _ in range(6)]
    try:
        served = [g for _, g in held if g.startswith(b"* OK")]
        refused = [g for _, g in held if not g.startswith(b"* OK")]
        assert 2 <= len(served) <= 4, held
        assert refused and all(g == b"* BYE Too many connections from your address\r\n" for g in refused), refused
        # Another client is not affected.
        s, greeting = connect(imap_port, "127.0.0.32")
        assert greeting.startswith(b"* OK"), greeting
        s.close()
    finally:
        for s, _ in held:
            s.close()
