"""`bushbuck check`: the monitoring probe and its Nagios exit codes."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

from e2e_helpers import HOST, USERS, bushbuck_bin, free_port


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(bushbuck_bin()), "check", *args], capture_output=True, text=True, timeout=60)


def test_all_services_ok_with_login(server):
    proc = check(HOST, "--imap", str(server.imap_port), "--pop3", str(server.pop3_port),
                 "--lmtp", str(server.lmtp_port), "--sieve", str(server.sieve_port),
                 "--user", "alice", "--password", USERS["alice"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("BUSHBUCK OK - imap ") and "| imap=" in proc.stdout, proc.stdout
    for service in ("pop3", "lmtp", "sieve"):
        assert f"{service}=" in proc.stdout


def test_wrong_password_is_critical(server):
    proc = check(HOST, "--imap", str(server.imap_port), "--user", "alice", "--password", "wrong")
    assert proc.returncode == 2 and "login failed" in proc.stdout, proc.stdout
    proc = check(HOST, "--pop3", str(server.pop3_port), "--user", "alice", "--password", "wrong")
    assert proc.returncode == 2 and "login failed" in proc.stdout, proc.stdout


def test_down_is_critical(server):
    proc = check(HOST, "--imap", str(server.imap_port), "--pop3", str(free_port()))
    assert proc.returncode == 2 and "BUSHBUCK CRITICAL" in proc.stdout and "pop3 down" in proc.stdout, proc.stdout


def test_slow_is_warning(tmp_path):
    # A fake IMAP server that greets after 0.3 s: slower than --warning 0.1, so WARNING.
    srv = socket.socket()
    srv.bind((HOST, 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve():
        conn, _ = srv.accept()
        time.sleep(0.3)
        conn.sendall(b"* OK slow server\r\n")
        conn.recv(100)
        conn.sendall(b"* BYE\r\nc2 OK bye\r\n")
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    proc = check(HOST, "--imap", str(port), "--warning", "0.1")
    t.join()
    srv.close()
    assert proc.returncode == 1 and "BUSHBUCK WARNING - imap slow" in proc.stdout, proc.stdout


def test_bad_arguments_are_unknown():
    assert check(HOST).returncode == 3
    assert check(HOST, "--imap", "not-a-port").returncode == 3
    assert check(HOST, "--imap", "143", "--user", "x").returncode == 3
