"""Real POP3 clients against ``bushbuck serve``: Python's poplib, fetchmail and getmail6
(Debian packages fetchmail and getmail6; .ci/run installs them). Mail is put in over IMAP and
what the clients download, keep and delete is checked against what IMAP sees."""

from __future__ import annotations

import mailbox
import os
import poplib
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from e2e_helpers import (
    HOST,
    USERS,
    append,
    close_quietly,
    fetch,
    flags_of,
    insecure_tls_context,
    make_message,
    status,
)


def seed(server, *messages: bytes, user: str = "alice") -> list[int]:
    m = server.imap(user)
    try:
        return [append(m, msg) for msg in messages]
    finally:
        close_quietly(m)


def inbox_state(server, user: str = "alice") -> dict[int, set[str]]:
    """{uid: flags} of INBOX, read-only."""
    m = server.imap(user)
    try:
        typ, data = m.select("INBOX", readonly=True)
        assert typ == "OK", data
        if int(data[0]) == 0:
            return {}
        return {int(e["UID"]): flags_of(e) for e in fetch(m, "1:*", "(UID FLAGS)").values()}
    finally:
        close_quietly(m)


def normalized(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def need(exe: str, package: str) -> str:
    path = shutil.which(exe)
    if not path:
        pytest.fail(f"{exe} not found: install the Debian package {package} (.ci/run does)")
    return path


# ---------------------------------------------------------------------------------------
# poplib
# ---------------------------------------------------------------------------------------


def test_poplib_full_session(server):
    msgs = [make_message("p1", body="one\n"), make_message("p2", body=".starts with a dot\nx\n")]
    uids = seed(server, *msgs)
    m = server.imap("alice")
    validity = status(m, "INBOX")["UIDVALIDITY"]
    close_quietly(m)
    p = poplib.POP3(HOST, server.pop3_port, timeout=15)
    try:
        assert p.getwelcome().startswith(b"+OK")
        caps = p.capa()
        assert {"TOP", "UIDL", "USER", "STLS", "PIPELINING", "RESP-CODES"} <= set(caps), caps
        assert p.user("alice").startswith(b"+OK")
        assert p.pass_(USERS["alice"]).startswith(b"+OK")
        assert p.stat() == (2, sum(len(m) for m in msgs))
        resp, listing, _ = p.list()
        assert listing == [f"{i} {len(m)}".encode() for i, m in enumerate(msgs, 1)]
        resp, ids, _ = p.uidl()
        assert ids == [f"{i} {validity}.{u}".encode() for i, u in enumerate(uids, 1)]
        assert p.uidl(1) == f"+OK 1 {validity}.{uids[0]}".encode()
        for i, m in enumerate(msgs, 1):
            resp, lines, octets = p.retr(i)
            assert b"\r\n".join(lines) + b"\r\n" == m
            assert octets == len(m)  # poplib counts the octets after un-stuffing
        resp, lines, _ = p.top(2, 1)
        assert lines[-2:] == [b"", b".starts with a dot"]
        assert p.dele(1).startswith(b"+OK")
        with pytest.raises(poplib.error_proto) as e:
            p.retr(1)
        assert e.value.args[0].startswith(b"-ERR")
        assert p.stat() == (1, len(msgs[1]))
        assert p.rset().startswith(b"+OK")
        assert p.stat() == (2, sum(len(m) for m in msgs))
        assert p.noop().startswith(b"+OK")
        p.dele(2)
        assert p.quit().startswith(b"+OK")
    except BaseException:
        p.close()
        raise
    state = inbox_state(server)
    assert list(state) == [uids[0]]
    assert "\\seen" in state[uids[0]]


def test_poplib_bad_password_raises_with_auth_code(server):
    p = poplib.POP3(HOST, server.pop3_port, timeout=15)
    p.user("alice")
    with pytest.raises(poplib.error_proto) as e:
        p.pass_("not-the-password")
    assert e.value.args[0].startswith(b"-ERR [AUTH]"), e.value.args
    p.user("alice")
    assert p.pass_(USERS["alice"]).startswith(b"+OK")
    p.quit()


def test_poplib_in_use(server):
    p1 = poplib.POP3(HOST, server.pop3_port, timeout=15)
    p1.user("alice")
    p1.pass_(USERS["alice"])
    p2 = poplib.POP3(HOST, server.pop3_port, timeout=15)
    p2.user("alice")
    with pytest.raises(poplib.error_proto) as e:
        p2.pass_(USERS["alice"])
    assert e.value.args[0].startswith(b"-ERR [IN-USE]"), e.value.args
    p2.quit()
    p1.quit()


def test_poplib_stls(server):
    msg = make_message("tls")
    seed(server, msg)
    p = poplib.POP3(HOST, server.pop3_port, timeout=15)
    assert p.stls(context=insecure_tls_context()).startswith(b"+OK")
    assert "STLS" not in p.capa()
    p.user("alice")
    p.pass_(USERS["alice"])
    resp, lines, octets = p.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == msg
    p.quit()


def test_poplib_pop3s(server):
    msg = make_message("pop3s")
    seed(server, msg)
    p = poplib.POP3_SSL(HOST, server.pop3s_port, context=insecure_tls_context(), timeout=15)
    assert p.getwelcome().startswith(b"+OK")
    p.user("bob")
    with pytest.raises(poplib.error_proto):
        p.pass_(USERS["alice"])
    p.user("alice")
    p.pass_(USERS["alice"])
    assert p.stat() == (1, len(msg))
    resp, lines, _ = p.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == msg
    p.quit()


# ---------------------------------------------------------------------------------------
# fetchmail
# ---------------------------------------------------------------------------------------


class Fetchmail:
    def __init__(self, server, workdir: Path):
        self.exe = need("fetchmail", "fetchmail")
        self.server = server
        self.dir = workdir / "fetchmail"
        self.out = self.dir / "out"
        self.out.mkdir(parents=True)
        self.runs = 0

    def run(self, *, keep: bool, port: int | None = None, ssl: bool = False, extra: str = "") -> subprocess.CompletedProcess:
        self.runs += 1
        rc = self.dir / f"fetchmailrc{self.runs}"
        port = port or self.server.pop3_port
        rc.write_text(
            f'set idfile "{self.dir}/fetchids"\n'
            "set no bouncemail\n"
            f"poll {HOST} service {port} protocol POP3 uidl timeout 30\n"
            f'  user "alice" password "{USERS["alice"]}" is "root" here\n'
            f"  {'keep' if keep else 'no keep'} {'ssl' if ssl else ''} no sslcertck {extra}\n"
            f'  mda "cat > {self.out}/msg.$$"\n'
        )
        rc.chmod(0o600)
        env = dict(os.environ, HOME=str(self.dir), FETCHMAILHOME=str(self.dir))
        proc = subprocess.run(
            [self.exe, "-f", str(rc), "--nodetach", "--nosyslog", "-v"],
            capture_output=True, text=True, timeout=90, env=env)
        return proc

    def take(self) -> list[bytes]:
        """The messages delivered so far (and forgets them)."""
        out = []
        for f in sorted(self.out.iterdir()):
            out.append(f.read_bytes())
            f.unlink()
        return out


def has_message(downloaded: list[bytes], msg: bytes) -> bool:
    # fetchmail prepends its own Received header and hands LF-ended lines to the MDA.
    return any(normalized(d).endswith(normalized(msg)) for d in downloaded)


def test_fetchmail_keep_then_no_keep(server, tmp_path):
    msgs = [make_message("fm1", body="first\n"), make_message("fm2", body=".dot line\nsecond\n")]
    uids = seed(server, *msgs)
    fm = Fetchmail(server, tmp_path)

    proc = fm.run(keep=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log  # 0: mail was retrieved
    got = fm.take()
    assert len(got) == 2, log
    for m in msgs:
        assert has_message(got, m), (got, log)
    state = inbox_state(server)
    assert list(state) == uids, "keep must leave the messages on the server"
    # With keep, fetchmail downloads with TOP n 99999999 (which leaves \Seen alone); with RETR
    # the server must have set \Seen.
    if "POP3> RETR" in log:
        assert all("\\seen" in f for f in state.values()), state
    else:
        assert "POP3> TOP 1 " in log, log
        assert not any("\\seen" in f for f in state.values()), state

    # Second run: UIDL says nothing is new.
    proc = fm.run(keep=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1, log  # 1: no new mail
    assert fm.take() == []

    new = make_message("fm3", body="third\n")
    uids += seed(server, new)
    proc = fm.run(keep=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    got = fm.take()
    assert len(got) == 1 and has_message(got, new), (got, log)

    # no keep + fetchall: everything is downloaded and deleted at QUIT.
    proc = fm.run(keep=False, extra="fetchall")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    got = fm.take()
    assert len(got) == 3, log
    assert inbox_state(server) == {}, log


def test_fetchmail_over_pop3s(server, tmp_path):
    msg = make_message("fetched over pop3s")
    seed(server, msg)
    fm = Fetchmail(server, tmp_path)
    proc = fm.run(keep=False, port=server.pop3s_port, ssl=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    got = fm.take()
    assert len(got) == 1 and has_message(got, msg), (got, log)
    assert inbox_state(server) == {}


def test_fetchmail_sslproto_stls(server, tmp_path):
    """fetchmail told to use STLS (sslproto tls1.2+ without ssl: upgrade with STLS)."""
    msg = make_message("fetched after STLS")
    seed(server, msg)
    fm = Fetchmail(server, tmp_path)
    proc = fm.run(keep=True, extra="sslproto tls1.2+")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "STLS" in log, log
    got = fm.take()
    assert len(got) == 1 and has_message(got, msg), (got, log)


def test_fetchmail_bad_password_fails(server, tmp_path):
    seed(server, make_message("not fetched"))
    fm = Fetchmail(server, tmp_path)
    rc = fm.dir / "badrc"
    rc.write_text(
        f'set idfile "{fm.dir}/fetchids"\n'
        f"poll {HOST} service {server.pop3_port} protocol POP3\n"
        f'  user "alice" password "wrong" is "root" here keep sslproto "" mda "cat > {fm.out}/msg.$$"\n')
    rc.chmod(0o600)
    env = dict(os.environ, HOME=str(fm.dir), FETCHMAILHOME=str(fm.dir))
    proc = subprocess.run([fm.exe, "-f", str(rc), "--nodetach", "--nosyslog", "-v"],
                          capture_output=True, text=True, timeout=90, env=env)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 3, log  # 3: authentication failed
    assert "-ERR [AUTH]" in log, log
    assert fm.take() == []
    assert len(inbox_state(server)) == 1


# ---------------------------------------------------------------------------------------
# getmail6
# ---------------------------------------------------------------------------------------


class Getmail:
    """getmail6 with its state (oldmail files) in WORKDIR. getmail refuses to deliver as root,
    so when the tests run as root the Maildir and mbox live in a 0755 directory under /tmp
    owned by nobody and the destinations say ``user = nobody``."""

    def __init__(self, server, workdir: Path):
        self.exe = need("getmail", "getmail6")
        self.server = server
        self.dir = workdir / "getmail"
        self.dir.mkdir()
        self.as_root = os.geteuid() == 0
        self.spool = Path(tempfile.mkdtemp(prefix="bushbuck-getmail-"))
        self.spool.chmod(0o755)
        self.maildir = self.spool / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        self.mbox = self.spool / "mbox"
        self.mbox.write_bytes(b"")
        if self.as_root:
            nobody = pwd.getpwnam("nobody")
            for path in [self.maildir, self.mbox, *self.maildir.iterdir()]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        self.runs = 0

    def cleanup(self) -> None:
        shutil.rmtree(self.spool, ignore_errors=True)

    def run(self, *, delete: bool, read_all: bool, dest: str = "Maildir", ssl: bool = False) -> subprocess.CompletedProcess:
        self.runs += 1
        rc = self.dir / f"getmailrc{self.runs}"
        path = f"{self.maildir}/" if dest == "Maildir" else str(self.mbox)
        rc.write_text(
            "[retriever]\n"
            f"type = {'SimplePOP3SSLRetriever' if ssl else 'SimplePOP3Retriever'}\n"
            f"server = {HOST}\n"
            f"port = {self.server.pop3s_port if ssl else self.server.pop3_port}\n"
            "username = alice\n"
            f"password = {USERS['alice']}\n"
            "timeout = 30\n"
            "\n[destination]\n"
            f"type = {'Maildir' if dest == 'Maildir' else 'Mboxrd'}\n"
            f"path = {path}\n"
            + ("user = nobody\n" if self.as_root else "")
            + "\n[options]\n"
            "verbose = 2\n"
            f"delete = {str(delete).lower()}\n"
            f"read_all = {str(read_all).lower()}\n"
            "delivered_to = false\n"
            "received = false\n"
        )
        return subprocess.run([self.exe, f"--rcfile={rc}", f"--getmaildir={self.dir}"],
                              capture_output=True, text=True, timeout=90)

    def take_maildir(self) -> list[bytes]:
        out = []
        for sub in ("new", "cur"):
            for f in sorted((self.maildir / sub).iterdir()):
                out.append(f.read_bytes())
                f.unlink()
        return out


@pytest.fixture
def getmail(server, tmp_path):
    gm = Getmail(server, tmp_path)
    yield gm
    gm.cleanup()


def same_message(got: bytes, msg: bytes) -> bool:
    # getmail adds Return-Path (delivered_to/received are off) and stores LF line endings.
    return normalized(got).endswith(normalized(msg))


def test_getmail_maildir_new_only_then_delete(server, getmail):
    msgs = [make_message("gm1", body="first\n"), make_message("gm2", body=".dot\n..two dots\n")]
    uids = seed(server, *msgs)
    gm = getmail

    proc = gm.run(delete=False, read_all=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    got = gm.take_maildir()
    assert len(got) == 2, log
    for m in msgs:
        assert any(same_message(g, m) for g in got), (got, log)
    assert list(inbox_state(server)) == uids

    # Nothing new: getmail remembers the UIDLs.
    proc = gm.run(delete=False, read_all=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert gm.take_maildir() == []

    new = make_message("gm3")
    uids += seed(server, new)
    proc = gm.run(delete=False, read_all=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    got = gm.take_maildir()
    assert len(got) == 1 and same_message(got[0], new), (got, log)

    proc = gm.run(delete=True, read_all=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert len(gm.take_maildir()) == 3, log
    assert inbox_state(server) == {}, log


def test_getmail_mbox_over_pop3s(server, getmail):
    msgs = [make_message("mb1", body="From the start\nbody\n"), make_message("mb2")]
    seed(server, *msgs)
    gm = getmail
    proc = gm.run(delete=True, read_all=True, dest="Mbox", ssl=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    box = mailbox.mbox(str(gm.mbox))
    subjects = sorted(m["Subject"] for m in box)
    assert subjects == ["mb1", "mb2"], (subjects, log)
    bodies = {m["Subject"]: m.get_payload() for m in box}
    # mbox quotes a body line starting with "From " as ">From " (Python's mbox keeps the quote).
    assert bodies["mb1"].replace("\r\n", "\n").lstrip(">") == "From the start\nbody\n", bodies
    assert inbox_state(server) == {}
