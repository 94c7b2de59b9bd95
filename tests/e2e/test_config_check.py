"""`bushbuck config check` (#15): the effective configuration key by key with its source,
secrets masked, and what is wrong with it (exit 0 when nothing, 78 when something)."""

import os
import re
import socket
import subprocess
from pathlib import Path

from e2e_helpers import HOST, bushbuck_bin, free_port


def config_check(*args: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess:
    """Runs `bushbuck config check ARGS` with only the BUSHBUCK_* store variables given here."""
    env = {key: value for key, value in os.environ.items() if key not in ("BUSHBUCK_STORE_URL", "BUSHBUCK_BLOB_URL")}
    env.update({"XDG_DATA_HOME": str(cwd / "xdg-data"), "XDG_RUNTIME_DIR": str(cwd)}, **variables)
    return subprocess.run([str(bushbuck_bin()), "config", "check", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def effective(stdout: str) -> dict[str, tuple[str, str]]:
    """key -> (value, source) from the `key = value  # source` lines."""
    found = {}
    for line in stdout.splitlines():
        match = re.match(r"^(\w+) = (.*?)\s+# (.*)$", line)
        if match:
            found[match.group(1)] = (match.group(2), match.group(3))
    return found


def test_a_good_configuration_is_shown_with_sources_and_passes(tmp_path):
    ports = {key: free_port() for key in ("imap", "imaps", "pop3", "pop3s", "lmtp", "sieve")}
    config = tmp_path / "good.toml"
    config.write_text("".join(f'{key} = "{HOST}:{port}"\n' for key, port in ports.items())
                      + f'data = "{tmp_path / "mail"}"\n'
                      + 'blob_secret_key = "very-secret-key"\n'
                      + '[access.imap]\nrules = ["allow 127.0.0.0/8", "deny all"]\n')
    proc = config_check("--config", str(config), cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    shown = effective(proc.stdout)
    assert shown["imap"] == (f'"{HOST}:{ports["imap"]}"', "file")
    assert shown["data"] == (f'"{tmp_path / "mail"}"', "file")
    assert shown["max_connections"] == ("5000", "default")
    assert shown["store_url"] == ("(unset)", "default")
    assert shown["blob_secret_key"][0] == '"********"' and "very-secret-key" not in proc.stdout
    assert "allow 127.0.0.0/8" in shown["access"][0]
    assert "configuration OK" in proc.stdout
    assert "problem:" not in proc.stdout
    # --data wins over the file, and says so.
    other = config_check("--config", str(config), "--data", str(tmp_path / "other"), cwd=tmp_path)
    assert effective(other.stdout)["data"] == (f'"{tmp_path / "other"}"', "flag"), other.stdout


def test_the_environment_points_every_subcommand_at_the_shared_engines(tmp_path):
    config = tmp_path / "node.toml"
    config.write_text('store_url = "postgres://file@127.0.0.1:1/mail"\n')
    url = "postgres://env@127.0.0.1:1/mail"
    blobs = "s3://mail?endpoint=http://127.0.0.1:1&region=garage"
    proc = config_check("--config", str(config), "--data", str(tmp_path / "d"), cwd=tmp_path,
                        BUSHBUCK_STORE_URL=url, BUSHBUCK_BLOB_URL=blobs)
    shown = effective(proc.stdout)
    assert shown["store_url"] == (f'"{url}"', "environment BUSHBUCK_STORE_URL"), proc.stdout
    assert shown["blob_url"] == (f'"{blobs}"', "environment BUSHBUCK_BLOB_URL"), proc.stdout
    # An empty variable is no setting: the file's value stays.
    proc = config_check("--config", str(config), "--data", str(tmp_path / "d"), cwd=tmp_path, BUSHBUCK_STORE_URL="")
    assert effective(proc.stdout)["store_url"] == ('"postgres://file@127.0.0.1:1/mail"', "file"), proc.stdout


def test_a_bad_configuration_lists_every_problem_and_exits_78(tmp_path):
    busy = socket.socket()
    busy.bind((HOST, 0))
    busy.listen()
    busy_port = busy.getsockname()[1]
    missing_cert = tmp_path / "nowhere" / "cert.pem"
    config = tmp_path / "bad.toml"
    config.write_text(
        f'imap = "{HOST}:{busy_port}"\n'
        f'imaps = "{HOST}:{free_port()}"\npop3 = "{HOST}:{free_port()}"\nlmtp = "{HOST}:{free_port()}"\n'
        f'sieve = "{HOST}:{free_port()}"\n'
        'pop3s = ""\n'
        f'tls_cert = "{missing_cert}"\ntls_key = "{missing_cert}"\n'
        f'[partitions]\narchive = "{tmp_path / "no-such-partition"}"\n'
        '[access.pop3s]\nrules = ["deny all"]\n')
    try:
        proc = config_check("--config", str(config), "--data", str(tmp_path / "data"), cwd=tmp_path)
    finally:
        busy.close()
    assert proc.returncode == 78, (proc.stdout, proc.stderr)
    problems = [line for line in proc.stdout.splitlines() if line.startswith("problem: ")]
    text = "\n".join(problems)
    assert f"imap: {HOST}:{busy_port} is in use" in text, text
    assert str(missing_cert) in text and "tls_cert" in text, text
    assert f"partition archive: {tmp_path / 'no-such-partition'} is not a directory" in text, text
    assert "access names the listener pop3s, which is off" in text, text
    assert len(problems) == 4, text
    assert "4 problem(s)" in proc.stderr
    # The effective configuration is still shown above the problems.
    assert effective(proc.stdout)["pop3s"] == ('""', "file")


def test_an_unknown_key_names_the_nearest_known_one(tmp_path):
    config = tmp_path / "typo.toml"
    config.write_text('imap = "127.0.0.1:1143"\nmax_conections = 10\n')
    proc = config_check("--config", str(config), cwd=tmp_path)
    assert proc.returncode == 78, (proc.stdout, proc.stderr)
    assert 'unknown key "max_conections"; did you mean "max_connections"?' in proc.stderr, proc.stderr
    # serve refuses the same file with the same words.
    serve = subprocess.run([str(bushbuck_bin()), "serve", "--config", str(config), "--data", str(tmp_path / "d")],
                           capture_output=True, text=True, timeout=60)
    assert serve.returncode == 78 and 'did you mean "max_connections"?' in serve.stderr, serve.stderr
