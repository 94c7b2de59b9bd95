"""Bushbuck against Dovecot: a QRESYNC resynchronisation (RFC 7162 3.2) of a mailbox that
changed while the client was away.

Uses the ``sides`` fixture of test_fetch_vs_dovecot (a private Dovecot and a private
Bushbuck). On both servers the same steps run in a mailbox of their own, ``Resync``: twelve
messages, a client caches it (UIDVALIDITY, HIGHESTMODSEQ) and leaves, another session
flags, unflags, expunges and appends; then the client comes back with SELECT (QRESYNC ...)
in several forms and UID FETCH (CHANGEDSINCE ... VANISHED). UIDs are the same on both
servers (the messages were appended in the same order to a new mailbox). Compared: the
expanded VANISHED (EARLIER) UIDs, the UIDs and flags of the FETCH answers, EXISTS. Not
compared, by design: the MODSEQ numbers (each server counts its own, RFC 7162 3.1.1 only
asks that they grow) and \\Recent (which session claims it is each server's choice, RFC
3501 2.3.2)."""

from __future__ import annotations

import re

import pytest

# First: it puts tests/compat and tests/e2e on the import path.
from test_fetch_vs_dovecot import PASSWORD, USER, sides  # noqa: F401  (sides is the fixture)

from dovecot import PASSWORD as DOVECOT_PASSWORD  # noqa: E402
from e2e_helpers import RawImap  # noqa: E402

MAILBOX = "Resync"
COUNT = 12


def _message(i: int) -> bytes:
    return b"From: r%d@example.org\r\nSubject: resync %d\r\nMessage-ID: <r%d@example.org>\r\n\r\nbody %d\r\n" % (
        i, i, i, i)


def _login(side) -> RawImap:
    c = RawImap(side.m.host, side.m.port, timeout=30)
    c.login(USER, DOVECOT_PASSWORD if side.name == "dovecot" else PASSWORD)
    return c


def _uids(text: bytes) -> list[int]:
    out = []
    for part in text.decode().split(","):
        lo, _, hi = part.partition(":")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return sorted(out)


def _answer(untagged: list[bytes]) -> dict[str, object]:
    """What a resync told the client, without the per-server MODSEQ numbers."""
    vanished: list[int] = []
    fetched = {}
    exists = None
    for line in untagged:
        if line.startswith(b"* VANISHED (EARLIER) "):
            vanished += _uids(line.split()[-1])
        m = re.match(rb"\* (\d+) EXISTS$", line)
        if m:
            exists = int(m.group(1))
        if b" FETCH (" in line:
            uid = re.search(rb"UID (\d+)", line)
            flags = re.search(rb"FLAGS \(([^)]*)\)", line)
            assert uid and flags and b"MODSEQ (" in line, line
            fetched[int(uid.group(1))] = sorted(f for f in flags.group(1).decode().split() if f != "\\Recent")
    return {"vanished": sorted(vanished), "fetched": fetched, "exists": exists}


def _code(untagged: list[bytes], name: str) -> int:
    for line in untagged:
        m = re.search(rb"\[" + name.encode() + rb" (\d+)\]", line)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no [{name}] in {untagged!r}")


def _run(side) -> dict[str, dict[str, object]]:
    other = _login(side)
    other.ok(f"CREATE {MAILBOX}")
    for i in range(1, COUNT + 1):
        other.ok(b"APPEND " + MAILBOX.encode() + b" {%d+}\r\n" % len(_message(i)) + _message(i))
    other.ok(f"SELECT {MAILBOX}")
    client = _login(side)
    assert client.ok("ENABLE QRESYNC") == [b"* ENABLED QRESYNC"]
    untagged = client.ok(f"SELECT {MAILBOX}")
    validity, cached = _code(untagged, "UIDVALIDITY"), _code(untagged, "HIGHESTMODSEQ")
    client.ok("LOGOUT")
    # While the client is away (sequence numbers as the other session sees them).
    other.ok("STORE 2 +FLAGS (\\Flagged $Work)")
    other.ok("STORE 4 +FLAGS (\\Seen)")
    other.ok("STORE 4 -FLAGS (\\Seen)")  # changed and changed back: a new MODSEQ, same flags
    other.ok("STORE 3,5,9 +FLAGS (\\Deleted)")
    other.ok("EXPUNGE")  # UIDs 3, 5, 9
    other.ok("STORE 6 +FLAGS (\\Answered)")  # UID 8
    other.ok(b"APPEND " + MAILBOX.encode() + b" {%d+}\r\n" % len(_message(13)) + _message(13))
    other.ok("UID STORE 12 +FLAGS (\\Deleted)")
    other.ok("UID EXPUNGE 12")
    other.ok("LOGOUT")

    client = _login(side)
    client.ok("ENABLE QRESYNC")
    results = {}
    for label, command in (
        ("SELECT (QRESYNC (v m))", f"SELECT {MAILBOX} (QRESYNC ({validity} {cached}))"),
        ("EXAMINE known 1:8", f"EXAMINE {MAILBOX} (QRESYNC ({validity} {cached} 1:8))"),
        ("EXAMINE known + seq-match", f"EXAMINE {MAILBOX} (QRESYNC ({validity} {cached} 1:12 (1:4 1:4)))"),
        ("EXAMINE other UIDVALIDITY", f"EXAMINE {MAILBOX} (QRESYNC ({validity + 1} {cached}))"),
    ):
        results[label] = _answer(client.ok(command))
    for label, command in (
        ("UID FETCH 1:* CHANGEDSINCE VANISHED", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {cached} VANISHED)"),
        ("UID FETCH 6:12 CHANGEDSINCE VANISHED", f"UID FETCH 6:12 (FLAGS) (CHANGEDSINCE {cached} VANISHED)"),
    ):
        results[label] = _answer(client.ok(command))
    client.ok("LOGOUT")
    return results


@pytest.fixture(scope="module")
def resyncs(sides):  # noqa: F811
    return {name: _run(sides[name]) for name in ("dovecot", "bushbuck")}


def test_resync_is_not_trivial(resyncs):
    # A comparison of empty answers would prove nothing.
    first = resyncs["dovecot"]["SELECT (QRESYNC (v m))"]
    assert first["vanished"] and first["fetched"], first


def test_qresync_resync_agrees_with_dovecot(resyncs):
    differ = [(label, resyncs["dovecot"][label], answer)
              for label, answer in resyncs["bushbuck"].items() if resyncs["dovecot"][label] != answer]
    report = "\n".join(f"{label}\n  dovecot:  {d}\n  bushbuck: {b}" for label, d, b in differ)
    assert not differ, f"{len(differ)} QRESYNC answers differ from Dovecot's:\n{report}"
