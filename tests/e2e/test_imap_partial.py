"""PARTIAL result windows (RFC 5267 4.4 as updated by RFC 9394 3.1 and 3.2) on SEARCH and
SORT: 1-based positions from the first result or, with minus signs, from the last; windows
past the end shortened or NIL; SAVE keeping the window; PARTIAL with ALL refused."""

from __future__ import annotations

from test_imap_contexts import esearch, load


def test_search_windows(server):
    u = load(server)  # UIDs of 4 messages, sequence numbers 1-4
    c = server.raw("bob")
    c.ok("SELECT INBOX")
    assert esearch(c.command("UID SEARCH RETURN (PARTIAL 1:2) ALL", tag="P1")[1], "P1") == [
        f"UID PARTIAL (1:2 {u[0]}:{u[1]})"
    ]
    # From the newest: -1 is the last result; the range is echoed as asked, ends in order.
    assert esearch(c.command("SEARCH RETURN (PARTIAL -2:-1 COUNT) ALL", tag="P2")[1], "P2") == [
        "PARTIAL (-1:-2 3:4) COUNT 4"
    ]
    # A window past the end is shortened, or NIL when nothing is in it.
    assert esearch(c.command("SEARCH RETURN (PARTIAL 3:10) ALL", tag="P3")[1], "P3") == ["PARTIAL (3:10 3:4)"]
    assert esearch(c.command("SEARCH RETURN (PARTIAL -5:-9 MIN) ALL", tag="P4")[1], "P4") == [
        "MIN 1 PARTIAL (-5:-9 NIL)"
    ]


def test_sort_windows_follow_sort_order(server):
    u = load(server)  # sizes 300, 100, 200, 50
    c = server.raw("bob")
    c.ok("SELECT INBOX")
    lines = c.command("UID SORT RETURN (PARTIAL 1:3) (SIZE) UTF-8 ALL", tag="S1")[1]
    assert esearch(lines, "S1") == [f"UID PARTIAL (1:3 {u[3]},{u[1]}:{u[2]})"]
    lines = c.command("SORT RETURN (PARTIAL -1:-1) (SIZE) UTF-8 ALL", tag="S2")[1]
    assert esearch(lines, "S2") == ["PARTIAL (-1:-1 1)"]


def test_save_keeps_the_window(server):
    u = load(server)
    c = server.raw("bob")
    c.ok("SELECT INBOX")
    lines = c.command("UID SEARCH RETURN (SAVE PARTIAL -1:-2) ALL", tag="V1")[1]
    assert esearch(lines, "V1") == [f"UID PARTIAL (-1:-2 {u[2]}:{u[3]})"]
    assert f"* SEARCH {u[2]} {u[3]}".encode() in c.ok("UID SEARCH UID $")


def test_partial_errors(server):
    load(server)
    c = server.raw("bob")
    c.ok("SELECT INBOX")
    for bad in ("SEARCH RETURN (PARTIAL 1:5 ALL) ALL", "SEARCH RETURN (PARTIAL -1:5) ALL",
                "SEARCH RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL", "SORT RETURN (PARTIAL 0:3) (SIZE) UTF-8 ALL"):
        tagged, _ = c.command(bad, tag="B1")
        assert tagged.startswith(b"B1 BAD"), (bad, tagged)


def test_uid_fetch_partial(server):
    u = load(server)
    c = server.raw("bob")
    assert b"PARTIAL" in c.ok("CAPABILITY")[0].split()
    c.ok("SELECT INBOX")

    def fetched(command: str) -> list[int]:
        return [int(line.split(b"UID ")[1].split()[0].rstrip(b")")) for line in c.ok(command) if b" FETCH (" in line]

    # RFC 9394 3.3: the last two, the first one, and a window past the end, of the messages
    # the UID set names (a set wider than the mailbox).
    assert fetched("UID FETCH 1:* (UID FLAGS) (PARTIAL -1:-2)") == [u[2], u[3]]
    assert fetched(f"UID FETCH {u[1]}:{u[3] + 100} (UID) (PARTIAL 1:1)") == [u[1]]
    assert fetched("UID FETCH 1:* (UID) (PARTIAL 4:9)") == [u[3]]
    assert fetched("UID FETCH 1:* (UID) (PARTIAL 5:9)") == []
    # With CHANGEDSINCE, the window is taken among the changed messages.
    c.ok(f"UID STORE {u[0]},{u[2]} +FLAGS (\\Flagged)")
    line = next(x for x in c.ok(f"UID FETCH {u[0]} (MODSEQ)") if b"MODSEQ (" in x)
    since = int(line.split(b"MODSEQ (")[1].split(b")")[0]) - 1
    assert fetched(f"UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE {since} PARTIAL -1:-1)") == [u[2]]
    tagged, _ = c.command("FETCH 1:* (UID) (PARTIAL 1:2)", tag="F1")
    assert tagged.startswith(b"F1 BAD")
