"""ManageSieve with a real client: Debian's ``sieve-connect`` (package sieve-connect) against
``bushbuck serve --sieve``. It STARTTLSes (certificate not verified: --notlsverify), then
authenticates with SASL PLAIN (password on a file descriptor), and uploads, activates,
lists, downloads, checks, deactivates and deletes scripts. The uploaded filter is then seen
working on mail delivered over LMTP.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from e2e_helpers import HOST, USERS, make_message
from test_sieve_delivery import create_mailbox, lmtp_ok, messages, subjects

pytestmark = pytest.mark.skipif(shutil.which("sieve-connect") is None,
                                reason="sieve-connect not installed (Debian package sieve-connect; .ci/run installs it)")

FILTER = (
    'require ["fileinto", "imap4flags"];\n'
    '# uploaded with sieve-connect\n'
    'if header :contains "subject" "[sc]" {\n'
    '    fileinto :flags "\\\\Flagged" "FromSieveConnect";\n'
    '}\n'
)


def sieve_connect(server, *args: str, user: str = "alice", password: str | None = None,
                  tls: bool = True) -> subprocess.CompletedProcess:
    """Runs sieve-connect against SERVER; the password goes in on fd 0."""
    cmd = [
        "sieve-connect", "--nosrv", "--server", HOST, "--port", str(server.sieve_port),
        "--user", user, "--passwordfd", "0", "--notlsverify", "--authmech", "PLAIN",
    ]
    if tls:
        # Refuse to go on without TLS: proves STARTTLS works.
        cmd.append("--noclearchan")
    cmd += list(args)
    env = dict(os.environ, HOME=str(server.data.parent))
    env.pop("SIEVECONNECT_INSECURE_CLEARTEXT_FALLBACK", None)
    pw = USERS[user] if password is None else password
    return subprocess.run(cmd, input=pw + "\n", capture_output=True, text=True, timeout=60, env=env,
                          cwd=str(server.data.parent))


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"{' '.join(proc.args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def listing(server) -> dict[str, bool]:
    """{name: active} from `sieve-connect --list` (it prints LISTSCRIPTS lines as sent)."""
    out = {}
    for line in ok(sieve_connect(server, "--list")).splitlines():
        line = line.strip()
        if not line:
            continue
        assert line.startswith('"'), f"unexpected --list line {line!r}"
        name, _, rest = line[1:].partition('"')
        out[name] = rest.strip().upper() == "ACTIVE"
    return out


def test_upload_activate_list_download_delete(server, tmp_path):
    local = tmp_path / "sc.sieve"
    local.write_text(FILTER)
    ok(sieve_connect(server, "--upload", "--localsieve", str(local), "--remotesieve", "main"))
    assert listing(server) == {"main": False}

    ok(sieve_connect(server, "--activate", "--remotesieve", "main"))
    assert listing(server) == {"main": True}

    down = tmp_path / "downloaded.sieve"
    ok(sieve_connect(server, "--download", "--remotesieve", "main", "--localsieve", str(down)))
    assert down.read_bytes() == FILTER.encode(), f"downloaded {down.read_bytes()!r}"

    # The same script through the command line.
    assert server.cli("sieve", "list", "alice").stdout.splitlines() == ["main (active)"]

    # The filter works on delivery.
    create_mailbox(server, "FromSieveConnect")
    lmtp_ok(server, make_message("[sc] filtered", to="alice@example.org"))
    lmtp_ok(server, make_message("not filtered", to="alice@example.org"))
    filed = messages(server, "FromSieveConnect")
    assert subjects(filed) == ["[sc] filtered"]
    assert "\\flagged" in filed[0]["flags"], filed[0]["flags"]
    assert subjects(messages(server)) == ["not filtered"]

    # Deleting the active script is refused; after --deactivate it works.
    proc = sieve_connect(server, "--delete", "--remotesieve", "main")
    assert proc.returncode != 0 or "main" in listing(server), "deleted the active script"
    assert listing(server) == {"main": True}
    ok(sieve_connect(server, "--deactivate"))
    assert listing(server) == {"main": False}
    ok(sieve_connect(server, "--delete", "--remotesieve", "main"))
    assert listing(server) == {}

    lmtp_ok(server, make_message("[sc] after delete", to="alice@example.org"))
    assert subjects(messages(server)) == ["not filtered", "[sc] after delete"]


def test_upload_invalid_script_fails(server, tmp_path):
    bad = tmp_path / "bad.sieve"
    bad.write_text('require "fileinto";\nfileinto "X"\n')
    proc = sieve_connect(server, "--upload", "--localsieve", str(bad), "--remotesieve", "bad")
    assert proc.returncode != 0, (proc.stdout, proc.stderr)
    assert "line" in proc.stderr.lower(), f"the parser's message did not reach the client: {proc.stderr}"
    assert listing(server) == {}


def test_checkscript(server, tmp_path):
    good = tmp_path / "good.sieve"
    good.write_text(FILTER)
    ok(sieve_connect(server, "--checkscript", "--localsieve", str(good)))
    bad = tmp_path / "bad.sieve"
    bad.write_text("keep;\nfrobnicate;\n")
    proc = sieve_connect(server, "--checkscript", "--localsieve", str(bad))
    assert proc.returncode != 0, (proc.stdout, proc.stderr)
    assert "line 2" in proc.stderr, proc.stderr
    assert listing(server) == {}


def test_wrong_password_refused(server, tmp_path):
    proc = sieve_connect(server, "--list", password="wrong-password")
    assert proc.returncode != 0, (proc.stdout, proc.stderr)


def test_plaintext_session_on_loopback(server, tmp_path):
    """Without --noclearchan sieve-connect still STARTTLSes when offered; with the
    insecure-cleartext fallback it works either way. Here: exec mode with several commands
    in one session."""
    local = tmp_path / "v.sieve"
    local.write_text('require "vacation";\nvacation :days 3 "Away.";\n')
    cmds = tmp_path / "cmds"
    cmds.write_text(f"put {local} vac\nactivate vac\nlist\nquit\n")
    proc = sieve_connect(server, "--exec", str(cmds), tls=False)
    ok(proc)
    assert '"vac"' in proc.stdout and "ACTIVE" in proc.stdout.upper(), proc.stdout
    assert listing(server) == {"vac": True}


def test_bob_does_not_see_alices_scripts(server, tmp_path):
    local = tmp_path / "a.sieve"
    local.write_text(FILTER)
    ok(sieve_connect(server, "--upload", "--localsieve", str(local), "--remotesieve", "alices"))
    out = ok(sieve_connect(server, "--list", user="bob"))
    assert "alices" not in out, out
