#!/usr/bin/env python3
"""A FUSE filesystem that forgets what was not synced, to test durability against power loss.

Usage: lazyfs.py MOUNTPOINT IMAGE_DIR [CAPACITY_BYTES]

Everything lives in memory. Each file keeps its live octets and the octets as of its last
fsync; each directory keeps its live entries and its entries as of its last fsync of the
directory. That is the strict model of the Linux filesystem test suites and of LazyFS: a
file's data is durable after fsync of the file, a name (create, link, rename, unlink) after
fsync of the directory holding it, and nothing else is. A kill -9 of a program keeps the page
cache, so it cannot show a missing fsync; this can.

Writing anything to `/.powercut` cuts the power: the durable state (what a machine would find
after a power cut at this instant) is written to IMAGE_DIR as ordinary files, hard links kept,
and every later operation fails with EIO, as on a dead disk. `/.stats` reads the counts of
writes and syncs seen so far (one line of JSON), so a test can cut at a point of its choice.

With CAPACITY_BYTES the filesystem holds at most that many octets of file data (all files
reachable by a name, each counted once): a write or truncate beyond it fails with ENOSPC, as
on a full disk, and statfs reports the space left.

Needs libfuse3 (Debian's fuse3) and the mfusepy package.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import stat
import sys
import time

import mfusepy as fuse

CONTROL = "/.powercut"
STATS = "/.stats"


class Node:
    """A file or a directory: its live state and its durable state."""

    numbers = itertools.count(2)

    def __init__(self, mode: int):
        self.ino = next(Node.numbers)
        self.mode = mode
        self.data = bytearray()
        self.synced_data: bytes = b""
        self.entries: dict[str, Node] = {}
        self.synced_entries: dict[str, Node] = {}
        self.mtime = time.time_ns()

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


def failing(method):
    """Turns OSError into the errno FUSE answers with, and every call after the cut into EIO."""

    def wrapper(self, *args):
        if self.cut:
            raise fuse.FuseOSError(errno.EIO)
        try:
            return method(self, *args)
        except KeyError:
            raise fuse.FuseOSError(errno.ENOENT) from None

    wrapper.__name__ = method.__name__
    return wrapper


class LazyFS:
    """The operations mfusepy calls, one thread at a time (the mount runs with -s)."""

    use_ns = True

    def __init__(self, image: str, capacity: int | None = None):
        self.image = image
        self.capacity = capacity
        self.root = Node(stat.S_IFDIR | 0o755)
        self.cut = False
        self.stats = {"writes": 0, "fsyncs": 0, "dirsyncs": 0, "renames": 0, "links": 0}

    # -- the tree --------------------------------------------------------------------------

    def lookup(self, path: str) -> Node:
        node = self.root
        for part in filter(None, path.split("/")):
            if not node.is_dir:
                raise fuse.FuseOSError(errno.ENOTDIR)
            node = node.entries[part]
        return node

    def parent(self, path: str) -> tuple[Node, str]:
        head, name = path.rsplit("/", 1)
        parent = self.lookup(head or "/")
        if not parent.is_dir:
            raise fuse.FuseOSError(errno.ENOTDIR)
        return parent, name

    def links(self, node: Node) -> int:
        """The live link count of `node` (directories: 2 plus subdirectories)."""
        if node.is_dir:
            return 2 + sum(1 for child in node.entries.values() if child.is_dir)
        return max(1, self._counts().get(node.ino, 1))

    def used(self) -> int:
        """Octets of file data held by every file that has a name, each file counted once."""
        return sum(len(node.data) for node in {n.ino: n for n in self._named_files()}.values())

    def make_room(self, node: Node, new_length: int) -> None:
        """Raises ENOSPC when growing `node` to `new_length` octets would exceed the capacity."""
        growth = new_length - len(node.data)
        if self.capacity is not None and growth > 0 and self.used() + growth > self.capacity:
            raise fuse.FuseOSError(errno.ENOSPC)

    def _named_files(self):
        """Every file reachable by a name, once per name (hard links repeat it)."""
        stack = [self.root]
        while stack:
            for child in stack.pop().entries.values():
                if child.is_dir:
                    stack.append(child)
                else:
                    yield child

    def _counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for node in self._named_files():
            counts[node.ino] = counts.get(node.ino, 0) + 1
        return counts

    # -- the power cut ---------------------------------------------------------------------

    def power_cut(self) -> None:
        """Writes the durable tree to the image directory and fails everything from now on."""
        self.cut = True
        written: dict[int, str] = {}

        def dump(node: Node, into: str) -> None:
            for name, child in sorted(node.synced_entries.items()):
                path = os.path.join(into, name)
                if child.is_dir:
                    os.mkdir(path, stat.S_IMODE(child.mode))
                    dump(child, path)
                elif child.ino in written:
                    os.link(written[child.ino], path)
                else:
                    with open(path, "wb") as f:
                        f.write(child.synced_data)
                    os.chmod(path, stat.S_IMODE(child.mode))
                    written[child.ino] = path

        os.makedirs(self.image, exist_ok=True)
        dump(self.root, self.image)
        with open(os.path.join(self.image, ".powercut-done"), "w") as f:
            json.dump(self.stats, f)

    # -- operations ------------------------------------------------------------------------

    def getattr(self, path, fh=None):
        if path in (CONTROL, STATS):
            size = len(json.dumps(self.stats)) + 1 if path == STATS else 0
            return {"st_mode": stat.S_IFREG | 0o666, "st_nlink": 1, "st_size": size}
        if self.cut:
            raise fuse.FuseOSError(errno.EIO)
        try:
            node = self.lookup(path)
        except KeyError:
            raise fuse.FuseOSError(errno.ENOENT) from None
        return {
            "st_mode": node.mode,
            "st_ino": node.ino,
            "st_nlink": self.links(node),
            "st_size": len(node.data),
            "st_uid": os.getuid(),
            "st_gid": os.getgid(),
            "st_atime": node.mtime,
            "st_mtime": node.mtime,
            "st_ctime": node.mtime,
            "st_blocks": (len(node.data) + 511) // 512,
        }

    @failing
    def readdir(self, path, fh):
        return [".", "..", *self.lookup(path).entries]

    @failing
    def mkdir(self, path, mode):
        parent, name = self.parent(path)
        if name in parent.entries:
            raise fuse.FuseOSError(errno.EEXIST)
        parent.entries[name] = Node(stat.S_IFDIR | mode)
        return 0

    @failing
    def rmdir(self, path):
        parent, name = self.parent(path)
        node = parent.entries[name]
        if not node.is_dir:
            raise fuse.FuseOSError(errno.ENOTDIR)
        if node.entries:
            raise fuse.FuseOSError(errno.ENOTEMPTY)
        del parent.entries[name]
        return 0

    @failing
    def unlink(self, path):
        parent, name = self.parent(path)
        if parent.entries[name].is_dir:
            raise fuse.FuseOSError(errno.EISDIR)
        del parent.entries[name]
        return 0

    @failing
    def rename(self, old, new):
        self.stats["renames"] += 1
        old_parent, old_name = self.parent(old)
        new_parent, new_name = self.parent(new)
        node = old_parent.entries[old_name]
        target = new_parent.entries.get(new_name)
        if target is not None and target.is_dir and target.entries:
            raise fuse.FuseOSError(errno.ENOTEMPTY)
        del old_parent.entries[old_name]
        new_parent.entries[new_name] = node
        return 0

    @failing
    def link(self, target, source):
        self.stats["links"] += 1
        node = self.lookup(source)
        parent, name = self.parent(target)
        if name in parent.entries:
            raise fuse.FuseOSError(errno.EEXIST)
        parent.entries[name] = node
        return 0

    def create(self, path, mode, fi=None):
        if path == CONTROL:
            return 0
        return self._create(path, mode)

    @failing
    def _create(self, path, mode):
        parent, name = self.parent(path)
        if name not in parent.entries:
            parent.entries[name] = Node(stat.S_IFREG | stat.S_IMODE(mode))
        return 0

    def open(self, path, flags):
        if path in (CONTROL, STATS):
            return 0
        return self._open(path, flags)

    @failing
    def _open(self, path, flags):
        self.lookup(path)
        return 0

    def read(self, path, size, offset, fh):
        if path == STATS:
            return (json.dumps(self.stats) + "\n").encode()[offset:offset + size]
        return self._read(path, size, offset, fh)

    @failing
    def _read(self, path, size, offset, fh):
        return bytes(self.lookup(path).data[offset:offset + size])

    def write(self, path, data, offset, fh):
        if path == CONTROL:
            if not self.cut:
                self.power_cut()
            return len(data)
        return self._write(path, data, offset, fh)

    @failing
    def _write(self, path, data, offset, fh):
        self.stats["writes"] += 1
        node = self.lookup(path)
        self.make_room(node, offset + len(data))
        if offset > len(node.data):
            node.data.extend(b"\0" * (offset - len(node.data)))
        node.data[offset:offset + len(data)] = data
        node.mtime = time.time_ns()
        return len(data)

    def truncate(self, path, length, fh=None):
        if path == CONTROL:
            return 0
        return self._truncate(path, length, fh)

    @failing
    def _truncate(self, path, length, fh):
        node = self.lookup(path)
        self.make_room(node, length)
        if length < len(node.data):
            del node.data[length:]
        else:
            node.data.extend(b"\0" * (length - len(node.data)))
        return 0

    @failing
    def fsync(self, path, datasync, fh):
        self.stats["fsyncs"] += 1
        node = self.lookup(path)
        node.synced_data = bytes(node.data)
        return 0

    @failing
    def fsyncdir(self, path, datasync, fh):
        self.stats["dirsyncs"] += 1
        node = self.lookup(path)
        node.synced_entries = dict(node.entries)
        return 0

    @failing
    def chmod(self, path, mode):
        node = self.lookup(path)
        node.mode = stat.S_IFMT(node.mode) | stat.S_IMODE(mode)
        return 0

    def chown(self, path, uid, gid):
        return 0

    def utimens(self, path, times=None):
        return 0

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return 0

    def opendir(self, path):
        return 0

    def releasedir(self, path, fh):
        return 0

    def access(self, path, amode):
        return 0

    def statfs(self, path):
        blocks, free = 1 << 22, 1 << 21
        if self.capacity is not None:
            blocks = self.capacity // 4096
            free = max(0, self.capacity - self.used()) // 4096
        return {"f_bsize": 4096, "f_frsize": 4096, "f_blocks": blocks, "f_bfree": free,
                "f_bavail": free, "f_files": 1 << 20, "f_ffree": 1 << 19, "f_namemax": 255}


def main() -> None:
    mountpoint, image = sys.argv[1], sys.argv[2]
    capacity = int(sys.argv[3]) if len(sys.argv) > 3 else None
    # The root exists on the "disk" from the start.
    fs = LazyFS(image, capacity)
    fuse.FUSE(fs, mountpoint, foreground=True, nothreads=True, attr_timeout=0, entry_timeout=0,
              negative_timeout=0, default_permissions=True)


if __name__ == "__main__":
    main()
