"""Index rows whose values do not decode (issue #18, item 1): one damaged row costs only that
row's cached data. The server recomputes it from the message file, logs it and serves every
message; `reconstruct` finds such rows by reading every value, `reconstruct --check` reports
them without changing anything."""

from __future__ import annotations

import sqlite3

import pytest

from e2e_helpers import close_quietly, fetch, imap_ok
from ops_helpers import append, message

# About the embedded store's files (index rows damaged by hand): embedded pass only (conftest.py).
pytestmark = pytest.mark.embedded_only


def populate(server) -> None:
    m = server.imap("alice")
    try:
        for n in (1, 2, 3):
            append(m, "INBOX", message(n), "\\Seen $Work" if n == 2 else "\\Seen")
    finally:
        close_quietly(m)


def index_of(server):
    return server.data / "users" / "alice" / "index.sqlite3"


def damage(server, sql: str) -> None:
    db = sqlite3.connect(index_of(server))
    try:
        with db:
            assert db.execute(sql).rowcount == 1
    finally:
        db.close()  # reconstruct refuses while another process has the index open


def column(server, name: str, uid: int):
    db = sqlite3.connect(index_of(server))
    try:
        return db.execute(f"SELECT {name} FROM messages WHERE uid = ?", (uid,)).fetchone()[0]
    finally:
        db.close()


def envelopes_and_bodies(server) -> tuple[dict, dict]:
    m = server.imap("alice")
    try:
        imap_ok(m.select("INBOX"), "SELECT")
        envelopes = fetch(m, "1:*", "(ENVELOPE)")
        bodies = fetch(m, "1:*", "(BODY.PEEK[])", uid=True)
        return envelopes, bodies
    finally:
        close_quietly(m)


def test_damaged_envelope_costs_only_its_row(server):
    populate(server)
    envelopes, bodies = envelopes_and_bodies(server)
    server.stop()
    damage(server, "UPDATE messages SET envelope = X'00FF17FE' WHERE uid = 2")
    damage(server, "UPDATE messages SET bodystructure = 'not a structure' WHERE uid = 3")
    server.start()
    after_envelopes, after_bodies = envelopes_and_bodies(server)  # fetch() asserts OK
    assert after_envelopes == envelopes
    assert after_bodies == bodies
    assert column(server, "envelope", 2).startswith("(")
    assert column(server, "bodystructure", 3).startswith("(")
    log = server.stderr()
    assert "damaged index row repaired from its message file" in log and "uid=2" in log, log


def test_damaged_keywords_do_not_fail_select(server):
    populate(server)
    server.stop()
    # Text that is not UTF-8 in the keywords column, and in a keyword spelling.
    damage(server, "UPDATE messages SET keywords = CAST(X'FFFE24' AS TEXT) WHERE uid = 2")
    damage(server, "UPDATE keywords SET name = CAST(X'C3' AS TEXT)")
    server.start()
    m = server.imap("alice")
    try:
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) == 3, data
        flags = fetch(m, "1:*", "(FLAGS)")
        seen = [sorted(set(f["FLAGS"]) - {"\\Recent"}) for f in flags.values()]
        assert seen == [["\\Seen"], ["\\Seen"], ["\\Seen"]], flags
    finally:
        close_quietly(m)


def test_reconstruct_check_reports_and_reconstruct_repairs(server):
    populate(server)
    envelopes, _ = envelopes_and_bodies(server)
    server.stop()
    damage(server, "UPDATE messages SET envelope = X'2829FF' WHERE uid = 1")
    check = server.cli("reconstruct", "--check", "alice", check=False)
    assert check.returncode == 65, (check.stdout, check.stderr)
    assert "INBOX UID 1" in check.stdout and "envelope" in check.stdout, check.stdout
    assert column(server, "envelope", 1) == b"()\xff"  # --check changed nothing
    out = server.cli("reconstruct", "alice").stdout
    assert "repaired INBOX UID 1" in out, out
    assert column(server, "envelope", 1).startswith("(")
    clean = server.cli("reconstruct", "--check", "alice", check=False)
    assert clean.returncode == 0, (clean.stdout, clean.stderr)
    server.start()
    assert envelopes_and_bodies(server)[0] == envelopes
