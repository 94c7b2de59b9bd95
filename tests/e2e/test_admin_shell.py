"""`bushbuck admin`, the cyradm-like shell, against a real server: scripts on standard input
and with --file, mailbox, quota and user commands, TLS, refusal of non-admins, stopping at the
first failing command, and (once the server has RFC 4314 ACLs) the ACL commands."""

from __future__ import annotations

import imaplib
import subprocess

import pytest

from e2e_helpers import HOST, USERS, bushbuck_bin, close_quietly, imap_ok, list_mailboxes, parse_sexp

ADMIN = "postmaster"
ADMIN_PW = "pm-secret-9"


@pytest.fixture
def srv(make_server, tmp_path):
    """A server with alice, bob and the administrator postmaster."""
    config = tmp_path / "bushbuck.toml"
    config.write_text(f'admins = ["{ADMIN}"]\n')
    server = make_server(users={**USERS, ADMIN: ADMIN_PW}, start=False)
    server.extra_args = ["--config", str(config)]
    return server.start()


def admin(srv, script: str = "", *args: str, user: str = ADMIN, password: str = ADMIN_PW,
          port: int | None = None, tls: bool = False) -> subprocess.CompletedProcess:
    """Runs `bushbuck admin` with the password and then SCRIPT on standard input."""
    cmd = [str(bushbuck_bin()), "admin", "--host", HOST, "--user", user, "--password-stdin", "--insecure"]
    cmd += ["--tls", "--port", str(port or srv.imaps_port)] if tls else ["--port", str(port or srv.imap_port)]
    cmd += list(args)
    return subprocess.run(cmd, input=f"{password}\n{script}", capture_output=True, text=True, timeout=60)


def ok(proc: subprocess.CompletedProcess) -> list[str]:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout.splitlines()


def login(srv, user: str, password: str) -> imaplib.IMAP4:
    m = imaplib.IMAP4(HOST, srv.imap_port, timeout=15)
    m.login(user, password)
    return m


def test_createuser_makes_folders_with_special_use_and_quota(srv):
    out = ok(admin(srv, "createuser carol --password 'carol pw' --quota 2048\nlistusers\n"))
    assert "user carol created with INBOX, Sent, Drafts, Trash, Junk, Archive" in out
    assert "quota of user/carol set to 2048 KiB" in out
    assert {"alice", "bob", "carol", ADMIN} <= set(out)
    m = login(srv, "carol", "carol pw")
    try:
        boxes = list_mailboxes(m)
        assert set(boxes) == DEFAULT_NAMES
        for name in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
            assert f"\\{name.lower()}" in boxes[name][0], boxes[name]
        typ, data = m.getquotaroot("INBOX")
        assert typ == "OK"
        assert data[0] == [b'INBOX "user/carol"']
        assert data[1] == [b'"user/carol" (STORAGE 0 2048)']
    finally:
        close_quietly(m)


def test_createuser_password_from_stdin_line_and_own_folders(srv):
    out = ok(admin(srv, "createuser dora --password-stdin-line --folders Sent,Notes\ndora-pw\nlistusers\n"))
    assert "user dora created with INBOX, Sent, Notes" in out
    assert "dora" in out
    m = login(srv, "dora", "dora-pw")
    try:
        boxes = list_mailboxes(m)
        assert set(boxes) == {"INBOX", "Sent", "Notes"}
        assert "\\sent" in boxes["Sent"][0] and "\\sent" not in boxes["Notes"][0]
    finally:
        close_quietly(m)


# The admin's own mailboxes as `lm` prints them: INBOX and the default folders `user add` made.
OWN_DEFAULT = [
    "Archive (\\HasNoChildren \\Archive)",
    "Drafts (\\HasNoChildren \\Drafts)",
    "INBOX (\\HasNoChildren)",
    "Junk (\\HasNoChildren \\Junk)",
    "Sent (\\HasNoChildren \\Sent)",
    "Trash (\\HasNoChildren \\Trash)",
]
DEFAULT_NAMES = {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}


def own(listed: list[str]) -> list[str]:
    """The admin's own mailboxes among `lm` lines: an admin may list every user's mailboxes
    (the `l` right everywhere), which show under the other-users prefix."""
    return [line for line in listed if not line.startswith(("Other Users", "user/"))]


def test_mailbox_commands_from_a_file(srv, tmp_path):
    script = tmp_path / "boxes.txt"
    script.write_text(
        "# mailboxes of the admin\n"
        "cm Work\n"
        "createmailbox Work/2024\n"
        "create 'Work/2024/Q1 Reports'\n"
        "cm Entwürfe\n"
        "renm Work/2024 Work/Archive\n"
        "lm Work/*\n"
        "dm Work\n"
        "lm\n"
    )
    proc = subprocess.run(
        [str(bushbuck_bin()), "admin", "--port", str(srv.imap_port), "--user", ADMIN, "--password-stdin",
         "--insecure", "--file", str(script)],
        input=f"{ADMIN_PW}\n", capture_output=True, text=True, timeout=60,
    )
    out = ok(proc)
    assert "renamed Work/2024 to Work/Archive" in out
    first_list = out[out.index("renamed Work/2024 to Work/Archive") + 1:]
    assert first_list[:2] == ["Work/Archive (\\HasChildren)", "Work/Archive/Q1 Reports (\\HasNoChildren)"]
    assert "deleted Work and 2 mailboxes below it" in out
    final = out[out.index("deleted Work and 2 mailboxes below it") + 1:]
    assert own(final) == sorted([*OWN_DEFAULT, "Entwürfe (\\HasNoChildren)"])
    m = login(srv, ADMIN, ADMIN_PW)
    try:
        # The shell sent the name in modified UTF-7, as the wire wants it.
        assert set(own(list(list_mailboxes(m)))) == {*DEFAULT_NAMES, "Entw&APw-rfe"}
    finally:
        close_quietly(m)


def test_quota_commands(srv):
    out = ok(admin(srv, "sq user/alice STORAGE 100 MESSAGE 10\nlq user/alice\nlqr INBOX\n"
                        "setquota user/alice none\nlistquota user/alice\n"))
    assert out.count("user/alice STORAGE 0/100 KiB (0%)") == 2, out
    assert out.count("user/alice MESSAGE 0/10 (0%)") == 2, out
    assert f"INBOX -> user/{ADMIN}" in out
    assert out[-1] == "user/alice no limits"
    m = srv.imap("alice")
    try:
        typ, data = m.getquotaroot("INBOX")
        assert data[1] == [b'"user/alice" ()']
    finally:
        close_quietly(m)


def test_deleteuser_and_setpassword(srv):
    out = ok(admin(srv, "setpassword alice --password-stdin-line\nnew-alice\ndeleteuser bob\nlistusers\n"))
    assert "password of alice changed" in out and "user bob deleted" in out
    assert "bob" not in out and "alice" in out
    with pytest.raises(imaplib.IMAP4.error):
        login(srv, "bob", USERS["bob"])
    close_quietly(login(srv, "alice", "new-alice"))
    assert not (srv.data / "users" / "bob").exists()
    proc = admin(srv, "deleteuser bob\n")
    assert proc.returncode != 0
    assert "NONEXISTENT" in proc.stderr


def test_non_admins_are_refused(srv):
    proc = admin(srv, "createuser mallory --password x\n", user="alice", password=USERS["alice"])
    assert proc.returncode != 0
    assert "did not offer XADMIN to alice" in proc.stderr and "admins setting" in proc.stderr
    c = srv.raw("alice")
    try:
        caps = c.ok("CAPABILITY")
        assert b"XADMIN" not in b" ".join(caps)
        tagged, _ = c.command("XADMIN USER ADD mallory x")
        assert b"NO [NOPERM]" in tagged
        tagged, _ = c.command("XADMIN USER LIST")
        assert b"NO [NOPERM]" in tagged
    finally:
        c.close()
    c = srv.raw()
    try:
        c.login(ADMIN, ADMIN_PW)
        assert b"XADMIN" in b" ".join(c.ok("CAPABILITY"))
    finally:
        c.close()
    m = login(srv, ADMIN, ADMIN_PW)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            login(srv, "mallory", "x")
    finally:
        close_quietly(m)


def test_implicit_tls(srv):
    out = ok(admin(srv, "lm\n", tls=True))
    assert own(out) == OWN_DEFAULT
    proc = subprocess.run(
        [str(bushbuck_bin()), "admin", "--tls", "--port", str(srv.imaps_port), "--user", ADMIN, "--password-stdin"],
        input=f"{ADMIN_PW}\nlm\n", capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0
    assert "--insecure or --ca" in proc.stderr


def test_ca_file_verifies_the_server_certificate(srv):
    proc = subprocess.run(
        [str(bushbuck_bin()), "admin", "--host", "localhost", "--starttls", "--port", str(srv.imap_port),
         "--user", ADMIN, "--password-stdin", "--ca", str(srv.data / "tls" / "cert.pem")],
        input=f"{ADMIN_PW}\nlm\n", capture_output=True, text=True, timeout=60,
    )
    assert own(ok(proc)) == OWN_DEFAULT


def test_a_failing_command_stops_the_script(srv):
    script = "cm A\ncm A\ncm B\n"
    proc = admin(srv, script)
    assert proc.returncode != 0
    assert "line 2" in proc.stderr and "ALREADYEXISTS" in proc.stderr
    assert "created B" not in proc.stdout
    proc = admin(srv, "cm A\ncm B\nfrobnicate\nlm\n", "--keep-going")
    assert proc.returncode != 0
    assert "unknown command" in proc.stderr
    assert "created B" in proc.stdout and "INBOX (\\HasNoChildren)" in proc.stdout
    proc = admin(srv, "dm inbox\n")
    assert proc.returncode != 0 and "INBOX cannot be deleted" in proc.stderr
    bad_login = admin(srv, "lm\n", password="wrong")
    assert bad_login.returncode != 0 and "login as postmaster failed" in bad_login.stderr


def test_acl_commands(srv):
    m = srv.imap("alice")
    try:
        typ, data = m.capability()
        assert b"ACL" in data[0].split(), "the server must advertise ACL (RFC 4314)"
        typ, data = m.namespace()
        other_users = parse_sexp(data[0])[1]
        imap_ok(m.create("Project"))
        imap_ok(m.setacl("Project", ADMIN, "lra"))
    finally:
        close_quietly(m)
    out = ok(admin(srv, "cm Team\nsam Team bob read alice lrswi\nlam Team\n"))
    assert "bob lrs" in out and "alice lrswi" in out
    out = ok(admin(srv, "sam Team alice none\ndam Team bob\nlistaclmailbox Team\n"))
    assert not any(line.startswith(("bob ", "alice ")) for line in out), out
    assert other_users, "the server must name an other-users namespace so that user/NAME maps to it"
    out = ok(admin(srv, "lam user/alice/Project\nsam user/alice/Project bob post\nlam user/alice/Project\n"))
    assert f"{ADMIN} lra" in out and "bob lrsp" in out


def test_interactive_terminal_keeps_history_and_goes_on_after_errors(srv, tmp_path):
    """On a terminal: the password is asked for, errors do not end the shell, and the
    commands are kept in ~/.bushbuck_admin_history."""
    import fcntl
    import os
    import pty
    import select
    import termios
    import time

    def controlling_tty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    leader, follower = pty.openpty()
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "dumb"}
    proc = subprocess.Popen(
        [str(bushbuck_bin()), "admin", "--port", str(srv.imap_port), "--user", ADMIN, "--insecure"],
        stdin=follower, stdout=follower, stderr=follower, env=env, preexec_fn=controlling_tty,
    )
    os.close(follower)
    seen = b""

    def wait_for(text: bytes, timeout: float = 20) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen:
            assert time.monotonic() < deadline, f"waited for {text!r}; the terminal shows {seen!r}"
            if select.select([leader], [], [], 0.2)[0]:
                try:
                    seen += os.read(leader, 4096)
                except OSError:
                    break
        assert text in seen, seen

    try:
        wait_for(b"password for postmaster")
        os.write(leader, ADMIN_PW.encode() + b"\n")
        wait_for(b"> ")
        os.write(leader, b"cm Interactive\r")
        wait_for(b"created Interactive")
        os.write(leader, b"cm Interactive\r")
        wait_for(b"ALREADYEXISTS")
        os.write(leader, b"lm\r")
        wait_for(b"Interactive (\\HasNoChildren)")
        os.write(leader, b"exit\r")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    history = (tmp_path / ".bushbuck_admin_history").read_text()
    assert "cm Interactive" in history and "lm" in history


@pytest.mark.embedded_only  # partitions are directories of the embedded store
def test_partitions_from_the_shell(make_server, tmp_path):
    """cm with a partition places a user's new store; renm of a user onto itself with a
    partition moves them while they stay logged in (the book's cyradm usage)."""
    archive = tmp_path / "archive-disk"
    config = tmp_path / "partitions.toml"
    config.write_text(f'admins = ["{ADMIN}"]\n[partitions]\narchive = "{archive}"\n')
    server = make_server(users={**USERS, ADMIN: ADMIN_PW}, start=False)
    server.extra_args = ["--config", str(config)]
    server.start()
    m = login(server, "alice", USERS["alice"])
    try:
        imap_ok(m.append("INBOX", None, None, b"Subject: before the move\r\n\r\nhello\r\n"))
        imap_ok(m.select("INBOX"))
        ok(admin(server, "dm user/bob\ncm user/bob archive\nrenm user/alice user/alice archive\n"))
        assert (archive / "users" / "bob" / "index.sqlite3").is_file()
        assert (archive / "users" / "alice" / "index.sqlite3").is_file()
        assert (server.data / "users" / "alice").is_symlink()
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK" and b"before the move" in data[0][1]
        imap_ok(m.append("INBOX", None, None, b"Subject: after the move\r\n\r\nhello\r\n"))
    finally:
        close_quietly(m)
    proc = admin(server, "cm user/carol nowhere\n")
    assert proc.returncode != 0 and "nowhere" in (proc.stdout + proc.stderr)


def test_user_add_admin_makes_an_administrator_without_configuration(make_server):
    """The README's first-run path: `bushbuck user add postmaster --admin` on a default setup
    (no configuration file), then the admin shell works as postmaster; `user admin --off`
    takes it away again for new logins."""
    server = make_server(start=False)
    out = server.cli("user", "add", ADMIN, "--password", ADMIN_PW, "--admin").stdout
    assert f"user {ADMIN} added as an administrator with INBOX" in out, out
    assert str(server.data) in out, "the data directory is printed"
    listed = server.cli("user", "list").stdout.splitlines()
    assert f"{ADMIN} (admin)" in listed and "alice" in listed, listed
    server.start()
    lines = ok(admin(server, "createuser erin --password 'erin pw'\nlistusers\n"))
    assert "user erin created with INBOX, Sent, Drafts, Trash, Junk, Archive" in lines
    assert {"alice", "bob", "erin", ADMIN} <= set(lines)
    close_quietly(login(server, "erin", "erin pw"))
    assert "no longer an administrator" in server.cli("user", "admin", ADMIN, "--off").stdout
    proc = admin(server, "listusers\n")
    assert proc.returncode != 0 and f"did not offer XADMIN to {ADMIN}" in proc.stderr, proc.stderr
    assert ADMIN in server.cli("user", "list").stdout.splitlines(), "the mark is gone from the list"
    assert "is now an administrator" in server.cli("user", "admin", ADMIN).stdout
    ok(admin(server, "listusers\n"))
