"""ESORT and CONTEXT=SEARCH / CONTEXT=SORT (RFC 5267): SORT RETURN (MIN MAX COUNT ALL) in
sort order, and UID SEARCH / UID SORT RETURN (UPDATE) contexts that announce ADDTO and
REMOVEFROM while another session appends, flags and expunges, also during IDLE, until
CANCELUPDATE or the mailbox is left."""

from __future__ import annotations

import re

from e2e_helpers import append, make_message


def esearch(lines: list[bytes], tag: str) -> list[str]:
    """The ESEARCH data (after the correlator) of the responses naming `tag`."""
    prefix = f'* ESEARCH (TAG "{tag}") '.encode()
    return [line[len(prefix):].decode() for line in lines if line.startswith(prefix)]


def load(server, sizes=(300, 100, 200, 50)) -> list[int]:
    """Messages with the given body sizes (one more, expunged first, so UIDs start at 2);
    their UIDs."""
    m = server.imap("bob")
    append(m, make_message("gone"))
    m.select("INBOX")
    m.store("1", "+FLAGS", "(\\Deleted)")
    m.expunge()
    uids = []
    for i, size in enumerate(sizes):
        typ, data = m.append("INBOX", None, None, make_message(f"m{i}", "x" * size))
        uids.append(int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)))
    m.logout()
    return uids


def test_capabilities(server):
    caps = server.raw("alice").ok("CAPABILITY")[0].split()
    for cap in (b"ESORT", b"CONTEXT=SEARCH", b"CONTEXT=SORT"):
        assert cap in caps


def test_esort_return_options(server):
    uids = load(server)
    c = server.raw("bob")
    c.ok("SELECT INBOX")
    # By size: 4 (50), 2 (100), 3 (200), 1 (300). MIN and MAX are the first and last in sort order.
    tagged, lines = c.command("UID SORT RETURN (MIN MAX COUNT ALL) (SIZE) UTF-8 ALL", tag="E1")
    assert tagged.startswith(b"E1 OK")
    u = uids
    assert esearch(lines, "E1") == [f"UID MIN {u[3]} MAX {u[0]} ALL {u[3]},{u[1]}:{u[2]},{u[0]} COUNT 4"]
    # RETURN () is ALL, in sort order; sequence numbers without UID.
    tagged, lines = c.command("SORT RETURN () (REVERSE SIZE) UTF-8 ALL", tag="E2")
    assert esearch(lines, "E2") == ["ALL 1,3,2,4"]
    # Without RETURN the answer stays a plain SORT.
    assert b"* SORT 4 2 3 1" in c.ok("SORT (SIZE) UTF-8 ALL")
    # Nothing matches: no MIN/MAX/ALL, COUNT 0.
    tagged, lines = c.command("SORT RETURN (MIN ALL COUNT) (SIZE) UTF-8 KEYWORD nothing", tag="E3")
    assert esearch(lines, "E3") == ["COUNT 0"]


def test_search_context_follows_other_sessions(server):
    uids = load(server)
    watcher, other = server.raw("bob"), server.imap("bob")
    watcher.ok("SELECT INBOX")
    other.select("INBOX")
    tagged, lines = watcher.command("UID SEARCH RETURN (ALL UPDATE) UNSEEN", tag="S1")
    assert tagged.startswith(b"S1 OK")
    assert esearch(lines, "S1") == [f"UID ALL {uids[0]}:{uids[3]}"]
    # A new unseen message: ADDTO at position 0 (a SEARCH context), after its EXISTS.
    typ, data = other.append("INBOX", None, None, make_message("new"))
    new_uid = int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))
    lines = watcher.ok("NOOP")
    assert esearch(lines, "S1") == [f"UID ADDTO (0 {new_uid})"]
    assert lines.index(b"* 5 EXISTS") < lines.index(f'* ESEARCH (TAG "S1") UID ADDTO (0 {new_uid})'.encode())
    # Marked seen elsewhere: no longer matches.
    other.uid("STORE", str(uids[1]), "+FLAGS", "(\\Seen)")
    assert esearch(watcher.ok("NOOP"), "S1") == [f"UID REMOVEFROM (0 {uids[1]})"]
    # Expunged elsewhere, announced while IDLE.
    other.uid("STORE", str(uids[2]), "+FLAGS", "(\\Deleted)")
    assert esearch(watcher.ok("NOOP"), "S1") == []  # \Deleted alone does not change UNSEEN
    watcher.send("I1 IDLE\r\n")
    assert watcher.read_line().startswith(b"+")
    other.expunge()
    seen = []
    while not esearch(seen, "S1"):
        seen.append(watcher.read_response())
    assert esearch(seen, "S1") == [f"UID REMOVEFROM (0 {uids[2]})"]
    watcher.send("DONE\r\n")
    watcher.read_until_tagged("I1")
    # The command's own changes count too; CANCELUPDATE ends the announcements.
    assert esearch(watcher.ok(f"UID STORE {uids[0]} +FLAGS (\\Seen)"), "S1") == [f"UID REMOVEFROM (0 {uids[0]})"]
    tagged, _ = watcher.command('CANCELUPDATE "S1"')
    assert b"OK" in tagged
    other.uid("STORE", str(uids[0]), "-FLAGS", "(\\Seen)")
    assert esearch(watcher.ok("NOOP"), "S1") == []
    tagged, _ = watcher.command('CANCELUPDATE "S1"')
    assert b"BAD" in tagged


def test_sort_context_gives_positions(server):
    uids = load(server)
    watcher, other = server.raw("bob"), server.imap("bob")
    watcher.ok("SELECT INBOX")
    other.select("INBOX")
    tagged, lines = watcher.command("UID SORT RETURN (UPDATE ALL) (REVERSE SIZE) UTF-8 UNSEEN", tag="R1")
    u = uids  # sizes 300, 100, 200, 50: reverse size order u0, u2, u1, u3
    assert esearch(lines, "R1") == [f"UID ALL {u[0]},{u[2]},{u[1]},{u[3]}"]
    # A 150-octet body sorts between u2 (200) and u1 (100): third place.
    typ, data = other.append("INBOX", None, None, make_message("m4", "x" * 150))
    new_uid = int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))
    assert esearch(watcher.ok("NOOP"), "R1") == [f"UID ADDTO (3 {new_uid})"]
    # u2 (second place) and u3 (last, fifth) are read: removed from the last position back.
    other.uid("STORE", f"{u[2]},{u[3]}", "+FLAGS", "(\\Seen)")
    assert esearch(watcher.ok("NOOP"), "R1") == [f"UID REMOVEFROM (5 {u[3]}) REMOVEFROM (2 {u[2]})"]


def test_refusals_and_end_of_contexts(server):
    load(server)
    c = server.raw("bob")
    c.ok("SELECT INBOX")
    # Updates are for UID commands: the search still answers, with an untagged NOUPDATE.
    tagged, lines = c.command("SEARCH RETURN (UPDATE COUNT) ALL", tag="N1")
    assert tagged.startswith(b"N1 OK")
    assert any(line.startswith(b'* NO [NOUPDATE "N1"]') for line in lines)
    assert esearch(lines, "N1") == ["COUNT 4"]
    # A tag in use by an open context cannot open another.
    assert c.command("UID SEARCH RETURN (UPDATE) ALL", tag="U1")[0].startswith(b"U1 OK")
    assert c.command("UID SORT RETURN (UPDATE) (SIZE) UTF-8 ALL", tag="U1")[0].startswith(b"U1 BAD")
    # Leaving the mailbox closes every context.
    c.ok("SELECT INBOX")
    assert b"BAD" in c.command('CANCELUPDATE "U1"')[0]
