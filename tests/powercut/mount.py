"""Mounting tests/powercut/lazyfs.py for a test: the power-cut and the disk-full tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

LAZYFS = Path(__file__).resolve().parent / "lazyfs.py"


def fuse_usable() -> str | None:
    """Why a FUSE mount cannot be made here, or None when it can."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing"
    if not shutil.which("fusermount3"):
        return "fusermount3 is missing (Debian's fuse3)"
    try:
        import mfusepy  # noqa: F401
    except (ImportError, OSError) as e:
        return f"mfusepy cannot load libfuse3: {e}"
    return None


class LazyMount:
    """lazyfs.py mounted at BASE/mnt, writing its power-cut image to BASE/image; with
    `capacity`, a filesystem that holds at most that many octets (ENOSPC beyond)."""

    def __init__(self, base: Path, capacity: int | None = None):
        self.mount, self.image = base / "mnt", base / "image"
        self.mount.mkdir()
        self.log_path = base / "lazyfs.log"
        self.log = open(self.log_path, "wb")
        args = [sys.executable, str(LAZYFS), str(self.mount), str(self.image)]
        if capacity is not None:
            args.append(str(capacity))
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.ismount(self.mount):
            assert self.proc.poll() is None, self.log_path.read_text()
            assert time.monotonic() < deadline, "lazyfs did not mount within 10 s"
            time.sleep(0.05)

    def cut(self) -> None:
        """Cuts the power: the image holds what was durable at this instant."""
        with open(self.mount / ".powercut", "w") as f:
            f.write("now")
        assert (self.image / ".powercut-done").exists()

    def close(self) -> None:
        subprocess.run(["fusermount3", "-uz", str(self.mount)], capture_output=True, timeout=20)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
