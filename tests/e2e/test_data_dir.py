"""The data directory is findable (#15): `serve` and the other subcommands agree on it from
any working directory, every subcommand that creates something names it, and no subcommand
silently makes a second, empty store beside a running server's."""

import os
import subprocess
from pathlib import Path

import pytest

from e2e_helpers import BushbuckServer, USERS, bushbuck_bin, close_quietly

# Where the embedded store's data directory is found; the distributed pass has none to find.
pytestmark = pytest.mark.embedded_only


@pytest.fixture
def isolated(tmp_path) -> dict[str, str]:
    """An environment with its own XDG data and runtime directories (the server record)."""
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg-data"), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    (tmp_path / "run").mkdir()
    return env


def bushbuck(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs `bushbuck ARGS` in CWD with ENV added, without --data unless ARGS has it."""
    return subprocess.run([str(bushbuck_bin()), *args], cwd=cwd, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def start_without_data_flag(tmp_path: Path, cwd: Path, env: dict[str, str], data: Path) -> BushbuckServer:
    """A server started in CWD that finds its data directory (expected: DATA) itself."""
    cwd.mkdir(exist_ok=True)
    srv = BushbuckServer(data, tmp_path)
    srv.data_flag, srv.cwd, srv.env = False, cwd, env
    return srv.start()


def other_directory(tmp_path: Path) -> Path:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return elsewhere


def test_user_add_from_another_directory_finds_the_servers_store(tmp_path, isolated):
    data = tmp_path / "xdg-data" / "bushbuck"
    srv = start_without_data_flag(tmp_path, tmp_path / "checkout", isolated, data)
    try:
        assert str(data) in srv.stderr(), srv.stderr()
        elsewhere = other_directory(tmp_path)
        added = bushbuck("user", "add", "alice", "--password", USERS["alice"], cwd=elsewhere, env=isolated)
        assert added.returncode == 0, added.stderr
        assert f"user alice added with INBOX, Sent, Drafts, Trash, Junk, Archive in {data}" in added.stdout
        assert not (elsewhere / "bushbuck-data").exists()
        m = srv.imap("alice")
        close_quietly(m)
    finally:
        srv.stop()


def test_refuses_a_second_store_while_a_server_uses_another(make_server, tmp_path, isolated):
    srv = make_server(users={}, start=False)
    srv.env = isolated
    srv.start()
    default = tmp_path / "xdg-data" / "bushbuck"
    elsewhere = other_directory(tmp_path)
    refused = bushbuck("user", "add", "alice", "--password", USERS["alice"], cwd=elsewhere, env=isolated)
    assert refused.returncode == 78, (refused.stdout, refused.stderr)
    assert str(default) in refused.stderr and str(srv.data) in refused.stderr, refused.stderr
    assert f"--data {srv.data}" in refused.stderr, refused.stderr
    assert not default.exists() and not (elsewhere / "bushbuck-data").exists()
    # Picking the server's directory, as the message says, works.
    added = bushbuck("user", "add", "alice", "--password", USERS["alice"], "--data", str(srv.data),
                     cwd=elsewhere, env=isolated)
    assert added.returncode == 0, added.stderr
    assert f"in {srv.data}" in added.stdout
    close_quietly(srv.imap("alice"))


def test_a_killed_servers_record_refuses_nothing(make_server, tmp_path, isolated):
    srv = make_server(users={}, start=False)
    srv.env = isolated
    srv.start()
    srv.kill9()
    elsewhere = other_directory(tmp_path)
    added = bushbuck("user", "add", "alice", "--password", USERS["alice"], cwd=elsewhere, env=isolated)
    assert added.returncode == 0, added.stderr
    default = tmp_path / "xdg-data" / "bushbuck"
    assert f"in {default}" in added.stdout
    grouped = bushbuck("group", "add", "staff", "alice", cwd=elsewhere, env=isolated)
    assert f"group staff: added alice in {default}" in grouped.stdout, grouped.stderr
    assert os.listdir(tmp_path / "run" / "bushbuck" / "servers") == [], "the dead server's record is removed"


def test_bushbuck_data_in_the_working_directory_is_kept(tmp_path, isolated):
    checkout = tmp_path / "checkout"
    (checkout / "bushbuck-data").mkdir(parents=True)
    added = bushbuck("user", "add", "alice", "--password", USERS["alice"], cwd=checkout, env=isolated)
    assert added.returncode == 0, added.stderr
    assert f"in {checkout / 'bushbuck-data'}" in added.stdout
    assert any((checkout / "bushbuck-data").iterdir())
    assert not (tmp_path / "xdg-data").exists()
