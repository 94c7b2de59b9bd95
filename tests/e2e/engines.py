"""Private PostgreSQL and Garage (S3) servers for the end-to-end tests of the distributed store.

Each is started once per test session by its ``tests/services/NAME`` script in a temporary
directory and stopped at the end; every test gets a fresh database and a fresh key prefix of
its own, so tests never see each other's mail. A test that needs an engine which is not
installed skips (and ``strict_skips`` turns that into a failure in CI, which installs both).
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

SERVICES = Path(__file__).resolve().parent.parent / "services"
_ids = itertools.count(1)


class Engine:
    """One private server run by ``tests/services/NAME start|stop DIR``."""

    def __init__(self, name: str):
        self.name = name
        # Under /tmp: as root the PostgreSQL script runs the server as `nobody`, which must
        # be able to reach the directory.
        self.dir = Path(tempfile.mkdtemp(prefix=f"bushbuck-e2e-{name}-", dir="/tmp"))
        os.chmod(self.dir, 0o755)
        self.vars: dict[str, str] = {}

    def start(self) -> None:
        out = self._run("start")
        for line in out.splitlines():
            key, _, value = line.partition("=")
            if key:
                self.vars[key] = shlex.split(value)[0] if value else ""

    def stop(self) -> None:
        self._run("stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, action: str) -> str:
        proc = subprocess.run([str(SERVICES / self.name), action, str(self.dir)], capture_output=True, text=True,
                              timeout=180)
        if proc.returncode != 0:
            raise RuntimeError(f"tests/services/{self.name} {action} failed:\n{proc.stderr}")
        return proc.stdout


class Postgres(Engine):
    """The private PostgreSQL server."""

    def __init__(self):
        super().__init__("postgres")

    def fresh_database(self) -> str:
        """The URL of a new, empty database on this server."""
        admin_url = self.vars["BUSHBUCK_TEST_PG_URL"]
        server, _, _ = admin_url.rpartition("/")
        name = f"e2e_{os.getpid()}_{next(_ids)}"
        psql = _pg_bin() / "psql"
        subprocess.run([str(psql), admin_url, "-qAt", "-c", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True, timeout=60)
        return f"{server}/{name}"


class Garage(Engine):
    """The private Garage server (S3-compatible object storage)."""

    def __init__(self):
        super().__init__("garage")

    def fresh_prefix(self) -> str:
        """A ``blob_url`` naming a key prefix nobody else uses in the test bucket."""
        bucket, _, query = self.vars["BUSHBUCK_TEST_S3_URL"].partition("?")
        return f"{bucket}/e2e{os.getpid()}-{next(_ids)}?{query}"

    def credentials(self) -> tuple[str, str]:
        return self.vars["AWS_ACCESS_KEY_ID"], self.vars["AWS_SECRET_ACCESS_KEY"]


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent


def postgres_installed() -> bool:
    return Path("/usr/lib/postgresql").is_dir() and any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def garage_installed() -> bool:
    return shutil.which("garage") is not None or (Path.home() / ".cargo/bin/garage").exists()
