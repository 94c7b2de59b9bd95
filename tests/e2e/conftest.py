"""pytest fixtures for Bushbuck's end-to-end tests.

Every test that asks for ``server`` gets its own data directory, its own free loopback
ports and its own ``bushbuck serve`` process, with the users ``alice`` and ``bob`` created
through the command line first (``make_server`` makes more, or a server without users).
Nothing is shared between tests. Helpers live in e2e_helpers.py.
"""

from __future__ import annotations

import signal

import pytest

from e2e_helpers import TEST_TIMEOUT, USERS, BushbuckServer, close_quietly


# ---------------------------------------------------------------------------------------
# pytest plumbing: per-test timeout, server stderr in failure reports
# ---------------------------------------------------------------------------------------


class E2ETimeout(Exception):
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    def on_alarm(signum, frame):
        raise E2ETimeout(f"test exceeded {TEST_TIMEOUT} s (BUSHBUCK_TEST_TIMEOUT)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for i, srv in enumerate(getattr(item, "_bushbuck_servers", [])):
            report.sections.append((f"bushbuck serve stderr #{i} (data {srv.data})", srv.stderr() or "(empty)"))


@pytest.fixture
def make_server(tmp_path, request):
    """Factory: make_server(users=USERS, start=True) -> a new server on its own data dir."""
    servers: list[BushbuckServer] = []
    request.node._bushbuck_servers = servers

    def make(users: dict[str, str] | None = None, start: bool = True) -> BushbuckServer:
        n = len(servers)
        data = tmp_path / f"data{n}"
        data.mkdir()
        srv = BushbuckServer(data, tmp_path)
        servers.append(srv)
        for name, password in (USERS if users is None else users).items():
            srv.cli("user", "add", name, "--password", password)
        if start:
            srv.start()
        return srv

    yield make
    for srv in servers:
        if srv.running:
            srv.stop()
            if srv.proc.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
                # A crash at shutdown is a bug even when the test passed.
                pytest.fail(f"bushbuck serve exited {srv.proc.returncode} at SIGTERM\n{srv.stderr()}")


@pytest.fixture
def server(make_server) -> BushbuckServer:
    """A running server with alice and bob."""
    return make_server()


@pytest.fixture
def alice(server):
    """alice logged in over plain IMAP with imaplib."""
    m = server.imap("alice")
    yield m
    close_quietly(m)


@pytest.fixture
def bob(server):
    m = server.imap("bob")
    yield m
    close_quietly(m)
