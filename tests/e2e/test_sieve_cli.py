"""``bushbuck sieve``: put, list, activate, get, delete and check, on the data directory of a
running server (so ManageSieve and delivery see the same scripts).

Contract: ``sieve list`` prints one line per script, "name" or "name (active)"; ``sieve
get`` prints the script; ``sieve check FILE`` exits 0, or 65 (EX_DATAERR) with
"line N, column M: ..." on stderr.
"""

from __future__ import annotations

import re
import subprocess

from e2e_helpers import bushbuck_bin

EX_DATAERR = 65

GOOD = b'require ["fileinto"];\r\nif header :contains "subject" "[x]" {\r\n    fileinto "X";\r\n}\r\n'
# The missing ";" after fileinto "X" is seen at "}" (line 4, column 1).
BAD = b'require ["fileinto"];\nif header :contains "subject" "[x]" {\n    fileinto "X"\n}\n'


def raw(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Runs the binary with exactly ARGS, bytes in and out."""
    return subprocess.run([str(bushbuck_bin()), *args], input=stdin, capture_output=True, timeout=60)


def script_file(tmp_path, name: str, content: bytes):
    p = tmp_path / name
    p.write_bytes(content)
    return str(p)


def listed(server, user: str = "alice") -> list[str]:
    return server.cli("sieve", "list", user).stdout.splitlines()


def test_put_list_activate_get_delete(server, tmp_path):
    assert listed(server) == []
    server.cli("sieve", "put", "alice", "first", script_file(tmp_path, "a.sieve", GOOD))
    assert listed(server) == ["first"]
    server.cli("sieve", "put", "alice", "second", script_file(tmp_path, "b.sieve", b"keep;\n"), "--activate")
    assert sorted(listed(server)) == ["first", "second (active)"]
    server.cli("sieve", "activate", "alice", "first")
    assert sorted(listed(server)) == ["first (active)", "second"]

    got = raw("sieve", "get", "alice", "first", "--data", str(server.data))
    assert got.returncode == 0, got.stderr
    assert got.stdout == GOOD, f"sieve get printed {got.stdout!r}, put {GOOD!r}"

    server.cli("sieve", "delete", "alice", "second")
    assert listed(server) == ["first (active)"]
    assert listed(server, "bob") == []


def test_put_replaces(server, tmp_path):
    server.cli("sieve", "put", "alice", "s", script_file(tmp_path, "1.sieve", GOOD), "--activate")
    server.cli("sieve", "put", "alice", "s", script_file(tmp_path, "2.sieve", b"discard;\n"))
    assert listed(server) == ["s (active)"]
    assert raw("sieve", "get", "alice", "s", "--data", str(server.data)).stdout == b"discard;\n"


def test_put_invalid_script_refused_with_position(server, tmp_path):
    proc = server.cli("sieve", "put", "alice", "bad", script_file(tmp_path, "bad.sieve", BAD), check=False)
    assert proc.returncode != 0, proc
    assert re.search(r"line \d+", proc.stderr), proc.stderr
    assert listed(server) == []


def test_get_and_activate_missing_script_fail(server):
    for args in (("get", "alice", "nope"), ("activate", "alice", "nope"), ("delete", "alice", "nope")):
        proc = server.cli("sieve", *args, check=False)
        assert proc.returncode != 0, (args, proc.stdout, proc.stderr)
        assert proc.stderr.strip(), (args, "no error message")


def test_put_for_unknown_user_fails(server, tmp_path):
    proc = server.cli("sieve", "put", "mallory", "s", script_file(tmp_path, "m.sieve", GOOD), check=False)
    assert proc.returncode != 0, (proc.stdout, proc.stderr)


def test_check_valid(tmp_path):
    proc = raw("sieve", "check", script_file(tmp_path, "good.sieve", GOOD))
    assert proc.returncode == 0, proc.stderr


def test_check_invalid_exits_65_with_line_and_column(tmp_path):
    proc = raw("sieve", "check", script_file(tmp_path, "bad.sieve", BAD))
    assert proc.returncode == EX_DATAERR, (proc.returncode, proc.stderr)
    err = proc.stderr.decode()
    m = re.search(r"line (\d+), column (\d+): \S", err)
    assert m, err
    assert m.group(1) in ("3", "4"), f"error reported on line {m.group(1)}, expected 3 or 4: {err}"


def test_check_reports_the_line_of_a_misplaced_require(tmp_path):
    proc = raw("sieve", "check", script_file(tmp_path, "regex.sieve", b'keep;\n\nrequire "regex";\n'))
    assert proc.returncode == EX_DATAERR, (proc.returncode, proc.stderr)
    assert re.search(r"line 3, column \d+: ", proc.stderr.decode()), proc.stderr


def test_check_missing_file_fails(tmp_path):
    proc = raw("sieve", "check", str(tmp_path / "does-not-exist.sieve"))
    assert proc.returncode not in (0, EX_DATAERR) or proc.stderr, proc
    assert proc.returncode != 0


def test_sieve_help():
    proc = raw("sieve", "--help")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    for sub in ("put", "list", "activate", "get", "delete", "check"):
        assert re.search(rf"\b{sub}\b", out), f"`bushbuck sieve --help` does not mention {sub}:\n{out}"


INCLUDES_LEAF = b'require "include";\ninclude "leaf";\n'


def test_put_refuses_a_missing_personal_include(server, tmp_path):
    proc = server.cli("sieve", "put", "alice", "main", script_file(tmp_path, "m.sieve", INCLUDES_LEAF), check=False)
    assert proc.returncode == EX_DATAERR, (proc.returncode, proc.stderr)
    assert 'included script "leaf" does not exist' in proc.stderr, proc.stderr
    assert listed(server) == []
    # once the included script is there, the same upload is fine; :optional never needs it
    server.cli("sieve", "put", "alice", "leaf", script_file(tmp_path, "l.sieve", b"keep;\n"))
    server.cli("sieve", "put", "alice", "main", script_file(tmp_path, "m.sieve", INCLUDES_LEAF))
    optional = b'require "include";\ninclude :optional "nowhere";\n'
    server.cli("sieve", "put", "alice", "opt", script_file(tmp_path, "o.sieve", optional))
    assert sorted(listed(server)) == ["leaf", "main", "opt"]


def test_put_refuses_an_include_cycle(server, tmp_path):
    server.cli("sieve", "put", "alice", "b", script_file(tmp_path, "b.sieve", b"keep;\n"))
    server.cli("sieve", "put", "alice", "a", script_file(tmp_path, "a.sieve", b'require "include";\ninclude "b";\n'))
    # b now including a would make a -> b -> a
    back = script_file(tmp_path, "b2.sieve", b'require "include";\ninclude "a";\n')
    proc = server.cli("sieve", "put", "alice", "b", back, check=False)
    assert proc.returncode == EX_DATAERR, (proc.returncode, proc.stderr)
    assert "include cycle: b -> a -> b" in proc.stderr, proc.stderr
    assert raw("sieve", "get", "alice", "b", "--data", str(server.data)).stdout == b"keep;\n"
    # a script including itself is a cycle too, unless :once
    selfish = script_file(tmp_path, "s.sieve", b'require "include";\ninclude "s";\n')
    proc = server.cli("sieve", "put", "alice", "s", selfish, check=False)
    assert "include cycle: s -> s" in proc.stderr, proc.stderr
    once = script_file(tmp_path, "s1.sieve", b'require "include";\ninclude :once "s";\n')
    server.cli("sieve", "put", "alice", "s", once)


def test_check_with_user_finds_include_problems(server, tmp_path):
    main = script_file(tmp_path, "m.sieve", INCLUDES_LEAF)
    # without --user only the syntax is checked
    assert raw("sieve", "check", main).returncode == 0
    proc = server.cli("sieve", "check", main, "--user", "alice", check=False)
    assert proc.returncode == EX_DATAERR, (proc.returncode, proc.stderr)
    assert 'included script "leaf" does not exist; upload it first or include it with :optional' in proc.stderr
    server.cli("sieve", "put", "alice", "leaf", script_file(tmp_path, "l.sieve", b"keep;\n"))
    assert server.cli("sieve", "check", main, "--user", "alice").returncode == 0
    # under the name "leaf" it would include itself
    proc = server.cli("sieve", "check", main, "--user", "alice", "--name", "leaf", check=False)
    assert proc.returncode == EX_DATAERR, (proc.returncode, proc.stderr)
    assert "include cycle: leaf -> leaf" in proc.stderr, proc.stderr
