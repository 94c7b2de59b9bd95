"""CONDSTORE (RFC 7162 section 3.1) as a client tracking MODSEQs sees it (issue #17): the
first CONDSTORE-enabling command on a selected mailbox reports HIGHESTMODSEQ once, FETCH
answers caused by flag changes then carry MODSEQ, answers that did not ask carry none, and a
MODSEQ a session reported stays until the session announces another."""

from __future__ import annotations

import re

MESSAGE = b"From: a@example.org\r\nSubject: condstore\r\n\r\nbody\r\n"

FETCH = re.compile(rb"^\* (\d+) FETCH \((.*)\)$", re.S)
MODSEQ = re.compile(rb"MODSEQ \((\d+)\)")
UID = re.compile(rb"UID (\d+)")
FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")


def _highest_modseq_lines(untagged: list[bytes]) -> list[bytes]:
    return [u for u in untagged if u.startswith(b"* OK [HIGHESTMODSEQ ")]


def _fetches(untagged: list[bytes]) -> list[bytes]:
    return [u for u in untagged if FETCH.match(u)]


def _mailbox_with(server, count: int):
    c = server.raw("alice")
    for _ in range(count):
        c.ok(b"APPEND INBOX {%d+}\r\n" % len(MESSAGE) + MESSAGE)
    c.ok("SELECT INBOX")
    return c


def test_enabling_commands_report_highestmodseq_once(server):
    # RFC 7162 3.1: "the server MUST return ... an untagged OK response with the
    # HIGHESTMODSEQ response code" for the first CONDSTORE-enabling command issued while a
    # mailbox is selected; later ones do not repeat it. STATUS with HIGHESTMODSEQ is one of
    # them (the list on page 7).
    enabling = ["FETCH 1 (FLAGS MODSEQ)", "SEARCH MODSEQ 1", "FETCH 1:* (FLAGS) (CHANGEDSINCE 1)",
                "STORE 1 (UNCHANGEDSINCE 1000) +FLAGS (\\Answered)", "STATUS INBOX (HIGHESTMODSEQ)"]
    for command in enabling:
        c = _mailbox_with(server, 2)
        # Read by another session: STATUS HIGHESTMODSEQ is itself an enabling command.
        other = server.raw("alice")
        highest = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"".join(other.ok("STATUS INBOX (HIGHESTMODSEQ)"))).group(1))
        other.close()
        untagged = c.ok(command)
        lines = _highest_modseq_lines(untagged)
        assert lines == [b"* OK [HIGHESTMODSEQ %d] Highest" % highest], (command, untagged)
        for again in enabling:
            assert _highest_modseq_lines(c.ok(again)) == [], (command, again)
        c.ok("LOGOUT")
    # Not before a mailbox is selected: there is none to report.
    c = server.raw("alice")
    assert _highest_modseq_lines(c.ok("ENABLE CONDSTORE")) == []
    c.close()


def test_modseq_only_where_asked_or_flags_changed(server):
    c = _mailbox_with(server, 2)
    # Before any CONDSTORE-enabling command no answer carries MODSEQ.
    for line in _fetches(c.ok("STORE 1 +FLAGS (\\Flagged)")) + _fetches(c.ok("FETCH 1:* (FLAGS)")):
        assert b"MODSEQ" not in line, line
    c.ok("FETCH 1 (MODSEQ)")
    # RFC 7162 3.1: after it, untagged FETCH caused by a STORE or by FETCH setting \Seen
    # carry MODSEQ; a solicited FETCH that did not ask for it does not.
    (stored,) = _fetches(c.ok("STORE 1 -FLAGS (\\Flagged)"))
    assert MODSEQ.search(stored), stored
    for line in _fetches(c.ok("FETCH 1:* (FLAGS ENVELOPE)")):
        assert b"MODSEQ" not in line, line
    (read,) = _fetches(c.ok("FETCH 2 (BODY[TEXT])"))
    assert b"\\Seen" in read and MODSEQ.search(read), read
    (again,) = _fetches(c.ok("FETCH 2 (BODY[TEXT])"))
    assert b"MODSEQ" not in again and b"FLAGS" not in again, again
    c.ok("LOGOUT")


def _track(known: dict[int, tuple[int, bytes]], untagged: list[bytes], solicited_modseq: bool) -> None:
    """Checks each FETCH (by sequence number: nothing is expunged here) against what the
    session said before: MODSEQ never goes back, and an answer to `FETCH ... MODSEQ`
    (answered from the session's view) repeats the MODSEQ last reported unless it comes with
    the news of a change (RFC 7162 3.1)."""
    for line in _fetches(untagged):
        seq = int(FETCH.match(line).group(1))
        modseq_m, flags_m = MODSEQ.search(line), FLAGS.search(line)
        assert modseq_m, line
        modseq = int(modseq_m.group(1))
        flags = flags_m.group(1) if flags_m else None
        if seq in known:
            before, before_flags = known[seq]
            assert modseq >= before, (line, known[seq])
            if solicited_modseq and flags is None:
                assert modseq == before, f"MODSEQ of message {seq} went {before} -> {modseq} unannounced"
            flags = before_flags if flags is None else flags
        known[seq] = (modseq, flags)


def test_a_reported_modseq_stays_until_a_change_is_announced(server):
    # Another session changes a flag and changes it back: the flags are as before, the
    # MODSEQ is not. The watching session must announce the new MODSEQ (with its flags)
    # before a FETCH MODSEQ shows it, never "change" it silently.
    a = _mailbox_with(server, 3)
    b = server.raw("alice")
    b.ok("SELECT INBOX")
    known: dict[int, tuple[int, bytes]] = {}
    _track(known, a.ok("FETCH 1:* (UID MODSEQ)"), True)
    first = known[1][0]
    b.ok("STORE 1 +FLAGS (\\Flagged)")
    b.ok("STORE 1 -FLAGS (\\Flagged)")
    untagged = a.ok("NOOP")
    (announced,) = _fetches(untagged)
    assert UID.search(announced).group(1) == b"1" and FLAGS.search(announced).group(1) in (b"", b"\\Recent"), announced
    assert int(MODSEQ.search(announced).group(1)) > first, announced
    _track(known, untagged, False)
    _track(known, a.ok("FETCH 1:* (UID MODSEQ)"), True)

    # The same under load: B flips flags of every message while A keeps asking.
    for round_ in range(30):
        b.ok(f"STORE {round_ % 3 + 1} {'+' if round_ % 2 else '-'}FLAGS (\\Seen $work)")
        if round_ % 4 == 0:
            b.ok("STORE 1:* FLAGS ()")
        _track(known, a.ok("FETCH 1:* (UID MODSEQ)"), True)
        _track(known, a.ok("NOOP"), False)
        _track(known, a.ok("STORE 2 +FLAGS (\\Answered)"), False)
    a.ok("LOGOUT")
    b.ok("LOGOUT")
