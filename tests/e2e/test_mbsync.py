"""isync's mbsync (Debian package isync) syncing a Bushbuck account with a local Maildir in
both directions: new mail, flags, new folders, deletions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from e2e_helpers import HOST, USERS, append, fetch, flags_of, make_message, status


def mbsync_version() -> tuple[int, ...]:
    exe = shutil.which("mbsync")
    if not exe:
        pytest.fail("mbsync not found: install the Debian package isync (.ci/run does)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    assert m, f"cannot parse `mbsync --version`: {out!r}"
    return tuple(int(x or 0) for x in m.groups())


class Mbsync:
    def __init__(self, server, workdir: Path, user: str = "alice"):
        self.server = server
        self.maildir = workdir / "Mail"
        self.rc = workdir / "mbsyncrc"
        self.maildir.mkdir()  # mbsync creates folders under Path, not Path itself
        # isync 1.4 calls it SSLType, 1.5 renamed it TLSType.
        tls_key = "TLSType" if mbsync_version() >= (1, 5) else "SSLType"
        self.rc.write_text(
            f"""IMAPAccount bushbuck
Host {HOST}
Port {server.imap_port}
User {user}
Pass {USERS[user]}
{tls_key} None
AuthMechs LOGIN
Timeout 30

IMAPStore bushbuck-remote
Account bushbuck

MaildirStore bushbuck-local
Path {self.maildir}/
Inbox {self.maildir}/INBOX
SubFolders Verbatim

Channel bushbuck
Far :bushbuck-remote:
Near :bushbuck-local:
Patterns *
Create Both
Expunge Both
SyncState *
"""
        )

    def sync(self) -> str:
        proc = subprocess.run(["mbsync", "-c", str(self.rc), "-a"], capture_output=True, text=True, timeout=180,
                              env={**os.environ, "HOME": str(self.rc.parent)})
        output = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        assert proc.returncode == 0, f"mbsync failed: {output}"
        return output

    def folder(self, name: str = "INBOX") -> Path:
        return self.maildir / name

    def files(self, name: str = "INBOX") -> list[Path]:
        out = []
        for sub in ("cur", "new"):
            d = self.folder(name) / sub
            if d.is_dir():
                out.extend(p for p in d.iterdir() if p.is_file())
        return out

    def find(self, subject: str, name: str = "INBOX") -> Path | None:
        needle = f"Subject: {subject}\n".encode()
        for p in self.files(name):
            if needle in p.read_bytes().replace(b"\r\n", b"\n"):
                return p
        return None


def normalized(data: bytes) -> bytes:
    """LF line ends, without the X-TUID header mbsync adds to messages it copies."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    return b"\n".join(line for line in lines if not line.startswith(b"X-TUID: "))


def maildir_flags(path: Path) -> str:
    """The flag letters of a Maildir file name ("...:2,FS" -> "FS")."""
    name = path.name
    return name.split(":2,", 1)[1] if ":2," in name else ""


def set_maildir_flags(path: Path, letters: str) -> Path:
    base = path.name.split(":2,", 1)[0]
    target = path.parent.parent / "cur" / f"{base}:2,{''.join(sorted(letters))}"
    path.rename(target)
    return target


def server_flags(m, subject: str, mailbox: str = "INBOX") -> set[str]:
    m.select(mailbox)
    typ, data = m.search(None, "SUBJECT", f'"{subject}"')
    seqs = data[0].split()
    assert len(seqs) == 1, f"expected one {subject!r} in {mailbox}, found {seqs}"
    return flags_of(fetch(m, seqs[0].decode(), "(FLAGS)")[int(seqs[0])])


@pytest.fixture
def mbsync(server, tmp_path):
    work = tmp_path / "mbsync"
    work.mkdir()
    return Mbsync(server, work)


def test_server_mail_arrives_in_maildir(server, alice, mbsync):
    msg = make_message(subject="from the server", body="synced body\n")
    append(alice, msg)
    append(alice, make_message(subject="already read"), flags="(\\Seen)")
    alice.create("Lists")
    append(alice, make_message(subject="in a folder"), mailbox="Lists")
    mbsync.sync()
    p = mbsync.find("from the server")
    assert p is not None, f"not in the Maildir: {mbsync.files()}"
    assert normalized(p.read_bytes()) == normalized(msg)
    assert "S" not in maildir_flags(p)
    seen = mbsync.find("already read")
    assert seen is not None and "S" in maildir_flags(seen)
    assert mbsync.find("in a folder", name="Lists") is not None


def test_maildir_mail_arrives_on_server(server, alice, mbsync):
    mbsync.sync()  # creates the Maildir
    new = mbsync.folder() / "new"
    new.mkdir(parents=True, exist_ok=True)
    body = make_message(subject="written locally", body="from the Maildir side\n").replace(b"\r\n", b"\n")
    (new / f"{int(time.time())}.e2e{os.getpid()}.localhost").write_bytes(body)
    mbsync.sync()
    alice.select("INBOX")
    typ, data = alice.search(None, "SUBJECT", '"written locally"')
    assert typ == "OK" and len(data[0].split()) == 1, "the local message is not on the server"
    seq = data[0].split()[0].decode()
    got = fetch(alice, seq, "(BODY.PEEK[])")[int(seq)]["BODY[]"]
    assert normalized(got) == normalized(body)
    # Sync again: nothing is duplicated either way.
    mbsync.sync()
    assert status(alice, "INBOX", "(MESSAGES)")["MESSAGES"] == 1
    assert len(mbsync.files()) == 1


def test_flags_propagate_both_ways(server, alice, mbsync):
    append(alice, make_message(subject="flag me locally"))
    append(alice, make_message(subject="flag me on the server"))
    mbsync.sync()
    local = mbsync.find("flag me locally")
    assert local is not None
    set_maildir_flags(local, maildir_flags(local) + "FS")
    alice.select("INBOX")
    typ, data = alice.search(None, "SUBJECT", '"flag me on the server"')
    alice.store(data[0].split()[0].decode(), "+FLAGS", "(\\Flagged \\Answered)")
    mbsync.sync()
    assert {"\\flagged", "\\seen"} <= server_flags(alice, "flag me locally")
    remote = mbsync.find("flag me on the server")
    assert remote is not None
    assert {"F", "R"} <= set(maildir_flags(remote)), remote.name
    # And removing a flag locally removes it on the server.
    local = mbsync.find("flag me locally")
    set_maildir_flags(local, maildir_flags(local).replace("F", ""))
    mbsync.sync()
    assert "\\flagged" not in server_flags(alice, "flag me locally")


def test_local_folder_appears_on_server(server, alice, mbsync):
    mbsync.sync()
    for sub in ("cur", "new", "tmp"):
        (mbsync.folder("Projects") / sub).mkdir(parents=True)
    (mbsync.folder("Projects") / "new" / f"{int(time.time())}.proj.localhost").write_bytes(
        make_message(subject="project mail").replace(b"\r\n", b"\n"))
    mbsync.sync()
    typ, data = alice.list('""', '"*"')
    assert any(re.search(rb'"?Projects"?$', d) for d in data if d), data
    assert status(alice, "Projects", "(MESSAGES)")["MESSAGES"] == 1


def test_server_folder_appears_locally(server, alice, mbsync):
    alice.create("Work")
    alice.create("Work/Reports")
    append(alice, make_message(subject="report"), mailbox="Work/Reports")
    mbsync.sync()
    assert (mbsync.folder("Work") / "cur").is_dir()
    assert mbsync.find("report", name="Work/Reports") is not None


def test_deletions_propagate(server, alice, mbsync):
    append(alice, make_message(subject="delete locally"))
    append(alice, make_message(subject="delete on server"))
    append(alice, make_message(subject="keep"))
    mbsync.sync()
    # Local: mark trashed (T) -> expunged on both sides with Expunge Both.
    local = mbsync.find("delete locally")
    set_maildir_flags(local, maildir_flags(local) + "T")
    alice.select("INBOX")
    typ, data = alice.search(None, "SUBJECT", '"delete on server"')
    alice.store(data[0].split()[0].decode(), "+FLAGS", "(\\Deleted)")
    alice.expunge()
    mbsync.sync()
    alice.select("INBOX")
    typ, data = alice.search(None, "ALL")
    assert len(data[0].split()) == 1
    assert mbsync.find("delete on server") is None
    assert mbsync.find("delete locally") is None
    assert mbsync.find("keep") is not None
