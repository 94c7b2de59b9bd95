"""First run (#15): a new user's default folders with SPECIAL-USE, APPEND creating a missing
default folder, and the TLS certificate's fingerprint printed at start."""

import hashlib
import re
import ssl

from e2e_helpers import USERS, close_quietly, imap_ok, make_message

DEFAULTS = {"Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash", "Junk": "\\Junk", "Archive": "\\Archive"}


def special_uses(m) -> dict[str, set[str]]:
    """Mailbox name -> its attributes, from LIST RETURN (SPECIAL-USE)."""
    typ, data = m._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
    imap_ok((typ, data), "LIST RETURN (SPECIAL-USE)")
    _, lines = m._untagged_response(typ, data, "LIST")
    found = {}
    for line in lines:
        text = line.decode()
        match = re.match(r'\(([^)]*)\) (?:"[^"]*"|NIL) "?([^"]*)"?$', text)
        assert match, text
        found[match.group(2)] = set(match.group(1).split())
    return found


def test_user_add_creates_the_default_folders_with_their_special_use(make_server):
    srv = make_server(users={}, start=False)
    out = srv.cli("user", "add", "alice", "--password", USERS["alice"]).stdout
    assert "INBOX, Sent, Drafts, Trash, Junk, Archive" in out, out
    srv.start()
    m = srv.imap("alice")
    try:
        found = special_uses(m)
        assert set(found) == {"INBOX", *DEFAULTS}, found
        for name, use in DEFAULTS.items():
            assert use in found[name], (name, found[name])
        assert not found["INBOX"] & set(DEFAULTS.values())
    finally:
        close_quietly(m)


def test_no_folders_gives_only_inbox(make_server):
    srv = make_server(users={}, start=False)
    srv.cli("user", "add", "alice", "--password", USERS["alice"], "--no-folders")
    srv.start()
    m = srv.imap("alice")
    try:
        assert set(special_uses(m)) == {"INBOX"}
    finally:
        close_quietly(m)


def test_default_folders_from_the_config_file(make_server, tmp_path):
    srv = make_server(users={}, start=False)
    config = tmp_path / "folders.toml"
    config.write_text('default_folders = ["Sent", "Notes"]\n')
    srv.cli("user", "add", "alice", "--password", USERS["alice"], "--config", str(config))
    config_empty = tmp_path / "none.toml"
    config_empty.write_text("default_folders = []\n")
    srv.cli("user", "add", "bob", "--password", USERS["bob"], "--config", str(config_empty))
    srv.start()
    m = srv.imap("alice")
    try:
        found = special_uses(m)
        assert set(found) == {"INBOX", "Sent", "Notes"}, found
        assert "\\Sent" in found["Sent"]
        assert not found["Notes"] & set(DEFAULTS.values())
    finally:
        close_quietly(m)
    m = srv.imap("bob")
    try:
        assert set(special_uses(m)) == {"INBOX"}
    finally:
        close_quietly(m)


def test_append_to_a_missing_default_folder_creates_it(make_server):
    srv = make_server(users={}, start=False)
    srv.cli("user", "add", "alice", "--password", USERS["alice"], "--no-folders")
    srv.start()
    m = srv.imap("alice")
    try:
        typ, data = m.append("Sent", "(\\Seen)", None, make_message("Copy of what I sent"))
        assert typ == "OK", data
        found = special_uses(m)
        assert "\\Sent" in found["Sent"], found
        imap_ok(m.select("Sent"))
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"Copy of what I sent" in data[0][1], data
    finally:
        close_quietly(m)


def test_append_to_a_missing_other_name_still_says_trycreate(server, alice):
    typ, data = alice.append("Receipts", None, None, make_message("Kept"))
    assert typ == "NO", data
    assert data[0].startswith(b"[TRYCREATE]"), data
    assert "Receipts" not in special_uses(alice)


def test_serve_prints_the_certificate_path_and_fingerprint(server):
    cert = server.data / "tls" / "cert.pem"
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    digest = hashlib.sha256(der).hexdigest().upper()
    expected = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
    log = server.stderr()
    assert f"TLS certificate {cert} (SHA-256 fingerprint {expected})" in log, log
    # The served certificate is the one printed.
    served = ssl.get_server_certificate(("127.0.0.1", server.imaps_port))
    assert hashlib.sha256(ssl.PEM_cert_to_DER_cert(served)).hexdigest().upper() == digest


def test_python_trusts_the_certificate_by_cafile_as_the_readme_shows(server):
    import imaplib

    context = ssl.create_default_context(cafile=str(server.data / "tls" / "cert.pem"))
    m = imaplib.IMAP4_SSL("localhost", server.imaps_port, ssl_context=context, timeout=15)
    try:
        imap_ok(m.login("alice", USERS["alice"]))
    finally:
        close_quietly(m)
