"""`bushbuck import mbox|maildir` and `bushbuck export mbox|maildir`: importing generated
mail, exporting it, importing the export into another user, and comparing both stores over
IMAP (octets, flags, folders, order)."""

from __future__ import annotations

import imaplib
import os
import time
from pathlib import Path

from ops_helpers import read_store
from e2e_helpers import close_quietly

FROM_LINE_DATE = "Sat Feb 29 12:30:05 2020"


def write_mbox(path: Path) -> None:
    path.write_bytes(
        (
            f"From someone@example.org {FROM_LINE_DATE}\n"
            "From: someone@example.org\nSubject: first\nStatus: RO\nX-Status: AF\nX-Keywords: $Work\n\n"
            "Hello.\n>From the mbox quoting\n>>From twice\n\n"
            "From other@example.org Sun Mar  1 08:00:00 2020\n"
            "From: other@example.org\nSubject: second\n\nsecond body\nFrom inside a line? no: here\n\n"
            "From third@example.org Mon Mar  2 09:00:00 2020\n"
            "From: third@example.org\nSubject: third\nStatus: O\n\nthird body\n"
        ).encode()
    )


def write_maildir(root: Path) -> None:
    def folder(path: Path, files: list[tuple[str, str, bytes, int]]):
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        for sub, name, data, mtime in files:
            f = path / sub / name
            f.write_bytes(data)
            os.utime(f, (mtime, mtime))

    folder(root, [
        ("cur", "1600000001.M1P1.host:2,RS", b"Subject: inbox one\n\nreplied and seen\n", 1600000001),
        ("new", "1600000002.M2P1.host", b"Subject: inbox two\n\nnew mail\n", 1600000002),
    ])
    folder(root / ".Sub.Folder", [
        ("cur", "1600000003.M3P1.host:2,Fab", b"Subject: sub one\n\nflagged with keywords\n", 1600000003),
        ("cur", "1600000004.M4P1.host:2,DT", b"Subject: sub two\n\ndraft deleted\n", 1600000004),
    ])
    (root / ".Sub.Folder" / "dovecot-keywords").write_text("0 $Label1\n1 Junk\n")


def internal_dates(server, user, password, mailbox) -> list[float]:
    m = server.imap(user, password=password)
    try:
        m.select(mailbox, readonly=True)
        typ, data = m.fetch("1:*", "(INTERNALDATE)")
        return [time.mktime(imaplib.Internaldate2tuple(d)) for d in data]
    finally:
        close_quietly(m)


def test_import_export_round_trip(server, tmp_path):
    mbox = tmp_path / "in.mbox"
    write_mbox(mbox)
    maildir = tmp_path / "Maildir"
    write_maildir(maildir)

    dry = server.cli("import", "mbox", "alice", str(mbox), "--folder", "Imported", "--dry-run").stdout
    assert "Imported: 3 messages (dry run" in dry, dry
    assert "Imported" not in read_store(server, "alice")

    out = server.cli("import", "mbox", "alice", str(mbox), "--folder", "Imported").stdout
    assert "Imported: 3 messages imported" in out, out
    out = server.cli("import", "maildir", "alice", str(maildir)).stdout
    assert "INBOX: 2 messages imported" in out and "Sub/Folder: 2 messages imported" in out, out

    alice = read_store(server, "alice")
    imported = alice["Imported"]
    assert [f for f, _ in imported] == [frozenset({"\\Seen", "\\Answered", "\\Flagged", "$Work"}), frozenset(),
                                        frozenset()]
    assert imported[0][1] == (b"From: someone@example.org\r\nSubject: first\r\n\r\n"
                              b"Hello.\r\nFrom the mbox quoting\r\n>From twice\r\n")
    assert [f for f, _ in alice["INBOX"]] == [frozenset({"\\Answered", "\\Seen"}), frozenset()]
    assert [f for f, _ in alice["Sub/Folder"]] == [frozenset({"\\Flagged", "$Label1", "Junk"}),
                                                   frozenset({"\\Draft", "\\Deleted"})]
    m = server.imap("alice")
    m.select("Imported", readonly=True)
    typ, data = m.fetch("1", "(INTERNALDATE)")
    assert b'"29-Feb-2020 12:30:05 +0000"' in data[0], data
    close_quietly(m)

    # mbox: export, import the tree into bob, compare
    out_mbox = tmp_path / "export-mbox"
    out = server.cli("export", "mbox", "alice", str(out_mbox)).stdout
    assert "Imported: 3 messages exported" in out, out
    assert (out_mbox / "Sub" / "Folder.mbox").is_file()
    server.cli("import", "mbox", "bob", str(out_mbox))
    assert read_store(server, "bob") == alice

    # Maildir: export, import into carol, compare
    server.cli("user", "add", "carol", "--password", "carol-pw")
    out_md = tmp_path / "export-maildir"
    server.cli("export", "maildir", "alice", str(out_md))
    assert (out_md / ".Sub.Folder" / "dovecot-keywords").is_file()
    server.cli("import", "maildir", "carol", str(out_md))
    assert read_store(server, "carol", password="carol-pw") == alice
    assert internal_dates(server, "carol", "carol-pw", "Imported") == internal_dates(server, "alice", None, "Imported")


def test_import_errors(server, tmp_path):
    proc = server.cli("import", "mbox", "nobody", str(tmp_path / "x.mbox"), check=False)
    assert proc.returncode in (67, 78), proc.stderr
    (tmp_path / "notmaildir").mkdir()
    proc = server.cli("import", "maildir", "alice", str(tmp_path / "notmaildir"), check=False)
    assert proc.returncode == 78 and "not a Maildir" in proc.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    proc = server.cli("export", "mbox", "alice", str(tmp_path / "full"), check=False)
    assert proc.returncode == 78 and "not empty" in proc.stderr
