"""`bushbuck import imap`: a second Bushbuck on loopback is the remote server. Its folders
(nested, non-ASCII, excluded, renamed by --folder-map) are filled over IMAP APPEND with flags,
keywords and dates, imported, and compared message by message (octets, flags, INTERNALDATE).
Later runs copy only what is new, a changed UIDVALIDITY or a lost state record does not
duplicate anything, and a dry run changes nothing."""

from __future__ import annotations

import re

import pytest

from e2e_helpers import HOST, USERS, close_quietly
from ops_helpers import append, message, read_store

# A remote and a local site, each with a store of its own: the distributed pass gives a test one.
pytestmark = pytest.mark.embedded_only

REMOTE_USER, REMOTE_PW = "carol", "carol-remote-pw"

FILLING = {
    "INBOX": [
        (b"From: x@example.org\r\nSubject: no message-id\r\n\r\nbare\nLF body\n", "\\Seen $Label1", '"01-Jan-2020 10:00:00 +0200"'),
        (message(1), "\\Flagged \\Answered", '"15-Mar-2021 23:59:59 -0500"'),
        (message(2, " big") + b"y" * 200_000 + b"\r\n", "", None),
    ],
    "Work": [(message(3), "Project_X \\Seen", '"02-Feb-2022 02:02:02 +0000"'), (message(4), "", None)],
    "Work/Projects": [(message(5), "\\Draft", None)],
    "Archive/2023": [(message(6), "\\Seen", '"31-Dec-2023 12:00:00 +0100"'), (message(7), "$Forwarded", '"01-Jun-2023 08:00:00 +0000"')],
    "Entw&APw-rfe": [("Subject: =?utf-8?q?Entw=C3=BCrfe?=\r\nMessage-ID: <d@x>\r\n\r\n\xe4\r\n".encode("latin-1"), "", None)],
    "Trash": [(message(8), "\\Deleted", None)],
}
# What the import is asked to do with the names.
FOLDER_MAP = ["--folder-map", "Archive=Old", "--exclude", "Trash"]
LOCAL_NAME = {"Archive": "Old", "Archive/2023": "Old/2023"}


def read_all(server, user: str, password: str | None = None) -> dict[str, list]:
    """Every folder of USER as (flags, INTERNALDATE, octets) per message."""
    return read_store(server, user, password, dates=True)


def expected_local(remote: dict[str, list]) -> dict[str, list]:
    """The remote store as it should look after import: mapped names, excluded folders gone."""
    out = {}
    for name, messages in remote.items():
        if name == "Trash":
            continue
        out[LOCAL_NAME.get(name, name)] = messages
    return out


def fill(server, folders: dict) -> None:
    m = server.imap(REMOTE_USER, password=REMOTE_PW)
    try:
        for name, messages in folders.items():
            if name != "INBOX":
                m.create(f'"{name}"')
            for data, flags, date in messages:
                append(m, name, data, flags, date)
    finally:
        close_quietly(m)


def bare_server(make_server, user: str, password: str):
    """A server whose one user has only INBOX, so that the folder sets compared are exact."""
    srv = make_server(users={}, start=False)
    srv.cli("user", "add", user, "--password", password, "--no-folders")
    return srv.start()


def test_import_from_another_imap_server(make_server, tmp_path):
    remote = bare_server(make_server, REMOTE_USER, REMOTE_PW)
    local = bare_server(make_server, "alice", USERS["alice"])
    fill(remote, FILLING)
    password_file = tmp_path / "remote-password"
    password_file.write_text(REMOTE_PW + "\n")

    def run_import(*extra: str) -> str:
        proc = local.cli(
            "import", "imap", "--host", HOST, "--port", str(remote.imap_port), "--user", REMOTE_USER,
            "--password-file", str(password_file), "--to", "alice", *FOLDER_MAP, *extra,
        )
        return proc.stdout

    # A dry run first: it lists the plan and changes nothing, not even the state.
    before = read_all(local, "alice")
    out = run_import("--dry-run")
    assert "INBOX -> INBOX: would copy 3 messages" in out, out
    assert "Archive/2023 -> Old/2023: would copy 2 messages" in out, out
    assert "Trash: excluded" in out, out
    assert read_all(local, "alice") == before
    assert not (local.data / "import-imap").exists()

    # The real import: every message byte for byte, with flags, keywords and dates.
    out = run_import()
    assert "INBOX -> INBOX: 3 copied, 0 already here" in out, out
    assert "6 folders: 9 messages" in out, out
    remote_store = read_all(remote, REMOTE_USER, REMOTE_PW)
    assert read_all(local, "alice") == expected_local(remote_store)
    assert "Entw&APw-rfe" in read_all(local, "alice")

    # Again: nothing new, nothing copied twice.
    out = run_import()
    assert "6 folders: 0 messages (0 KiB) copied, 0 already here" in out, out
    assert read_all(local, "alice") == expected_local(remote_store)

    # New mail on the remote side: only that comes over.
    fill(remote, {"INBOX": [(message(20), "\\Seen", '"05-May-2025 05:05:05 +0530"')]})
    extra = remote.imap(REMOTE_USER, password=REMOTE_PW)
    append(extra, "Work/Projects", message(21), "Later")
    # A folder deleted and re-created with the same mail gets a new UIDVALIDITY.
    extra.delete('"Archive/2023"')
    extra.create('"Archive/2023"')
    for data, flags, date in FILLING["Archive/2023"]:
        append(extra, "Archive/2023", data, flags, date)
    close_quietly(extra)
    out = run_import()
    assert "INBOX -> INBOX: 1 copied" in out, out
    assert "Work/Projects -> Work/Projects: 1 copied" in out, out
    assert "Archive/2023: UIDVALIDITY changed" in out, out
    assert "Archive/2023 -> Old/2023: 0 copied, 2 already here" in out, out
    remote_store = read_all(remote, REMOTE_USER, REMOTE_PW)
    assert read_all(local, "alice") == expected_local(remote_store)

    # An import interrupted after storing but before recording its progress: the state says
    # less than was copied. The next run recognises the copies instead of storing them twice.
    state = local.data / "import-imap" / "alice.toml"
    text = state.read_text()
    rewound = re.sub(r'(folder = "Work"\n(?:.*\n)*?last_uid = )\d+', r"\g<1>0", text, count=1)
    assert rewound != text, text
    state.write_text(rewound)
    out = run_import()
    assert "Work -> Work: 0 copied, 2 already here" in out, out
    assert read_all(local, "alice") == expected_local(remote_store)

    # A dry run with news pending reports them and still changes nothing.
    fill(remote, {"INBOX": [(message(22), "", None)]})
    before = read_all(local, "alice")
    saved_state = state.read_text()
    out = run_import("--dry-run")
    assert "INBOX -> INBOX: would copy 1 messages" in out, out
    assert read_all(local, "alice") == before
    assert state.read_text() == saved_state


def test_import_imap_errors_say_what_to_do(make_server, tmp_path):
    remote = make_server(users={REMOTE_USER: REMOTE_PW})
    local = make_server()
    base = ["import", "imap", "--host", HOST, "--port", str(remote.imap_port), "--user", REMOTE_USER]
    proc = local.cli(*base, "--password-stdin", "--to", "alice", stdin="wrong\n", check=False)
    assert proc.returncode != 0
    assert "LOGIN refused" in proc.stderr and "check the user and password" in proc.stderr, proc.stderr
    proc = local.cli(*base, "--password-stdin", "--to", "nobody", stdin=REMOTE_PW + "\n", check=False)
    assert proc.returncode == 67 and "add the user first" in proc.stderr, proc.stderr
    proc = local.cli(*base, "--to", "alice", check=False)
    assert proc.returncode != 0 and "--password-stdin" in proc.stderr
    # Over implicit TLS with the remote's self-signed certificate.
    proc = local.cli(
        "import", "imap", "--host", HOST, "--port", str(remote.imaps_port), "--tls", "--user", REMOTE_USER,
        "--password-stdin", "--to", "alice", stdin=REMOTE_PW + "\n", check=False,
    )
    assert proc.returncode != 0 and "--insecure" in proc.stderr, proc.stderr
    fill(remote, {"INBOX": [(message(1), "\\Seen", None)]})
    proc = local.cli(
        "import", "imap", "--host", "localhost", "--port", str(remote.imaps_port), "--tls", "--insecure",
        "--user", REMOTE_USER, "--password-stdin", "--to", "alice", stdin=REMOTE_PW + "\n",
    )
    assert "INBOX -> INBOX: 1 copied" in proc.stdout, proc.stdout
    # STARTTLS on the plain port.
    fill(remote, {"INBOX": [(message(2), "", None)]})
    proc = local.cli(
        *base, "--starttls", "--insecure", "--password-stdin", "--to", "alice", stdin=REMOTE_PW + "\n",
    )
    assert "INBOX -> INBOX: 1 copied" in proc.stdout, proc.stdout
