"""pytest fixtures for Bushbuck's end-to-end tests.

Every test that asks for ``server`` gets its own data directory, its own free loopback
ports and its own ``bushbuck serve`` process, with the users ``alice`` and ``bob`` created
through the command line first (``make_server`` makes more, or a server without users).
Nothing is shared between tests. Helpers live in e2e_helpers.py.
"""

from __future__ import annotations

import signal

import pytest

from e2e_helpers import DISTRIBUTED, TEST_TIMEOUT, USERS, BushbuckServer, close_quietly
from engines import Garage, Postgres, garage_installed, postgres_installed


# ---------------------------------------------------------------------------------------
# pytest plumbing: per-test timeout, server stderr in failure reports
# ---------------------------------------------------------------------------------------


# BUSHBUCK_TEST_BACKEND=distributed (e2e_helpers.DISTRIBUTED) runs the suite with every server and tool of a test on a
# fresh database of a private PostgreSQL and a fresh prefix of a private Garage bucket (through
# BUSHBUCK_STORE_URL/BUSHBUCK_BLOB_URL); tests marked `embedded_only` (about the embedded
# store's own files: index files, fsync order, reconstruct, backup of the data directory) are
# deselected in that pass, the others must pass on both.


def pytest_configure(config):
    config.addinivalue_line("markers", "embedded_only: only in the embedded pass (the store's files, or engines of its own)")


def pytest_collection_modifyitems(config, items):
    if not DISTRIBUTED:
        return
    dropped = [item for item in items if item.get_closest_marker("embedded_only")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("embedded_only")]


@pytest.fixture(autouse=True)
def store_backend(request, monkeypatch):
    """In the distributed pass: a fresh database and object prefix for this test's processes."""
    if DISTRIBUTED:
        postgres = request.getfixturevalue("postgres_engine")
        garage = request.getfixturevalue("garage_engine")
        access, secret = garage.credentials()
        monkeypatch.setenv("BUSHBUCK_STORE_URL", postgres.fresh_database())
        monkeypatch.setenv("BUSHBUCK_BLOB_URL", garage.fresh_prefix())
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", access)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    return "distributed" if DISTRIBUTED else "embedded"


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
        # In the distributed pass every server of a test shares one store: the users exist
        # once the first server has them.
        if not (DISTRIBUTED and n > 0):
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


@pytest.fixture(scope="session")
def postgres_engine():
    """The session's private PostgreSQL (skips when PostgreSQL is not installed)."""
    if not postgres_installed():
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    engine = Postgres()
    engine.start()
    yield engine
    engine.remove()


@pytest.fixture(scope="session")
def garage_engine():
    """The session's private Garage (skips when Garage is not installed)."""
    if not garage_installed():
        pytest.skip("Garage is not installed (cargo install garage --locked)")
    engine = Garage()
    engine.start()
    yield engine
    engine.remove()
