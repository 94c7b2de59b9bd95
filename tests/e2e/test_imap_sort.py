"""SORT (RFC 5256) and SORT=DISPLAY (RFC 5957): order by the keys webmail clients use, ties by
sequence number, with a search program selecting the messages."""

from __future__ import annotations

MESSAGES = [
    ("Re: [list] beta", "Carol <carol@example.org>", "Tue, 02 Jan 2024 10:00:00 +0000", 300),
    ("alpha", "\"Bob\" <zed@example.org>", "Mon, 01 Jan 2024 10:00:00 +0000", 100),
    ("Fwd: gamma", "alice@example.org", "Wed, 03 Jan 2024 10:00:00 +0000", 200),
]


def load(m):
    for subject, sender, date, size in MESSAGES:
        head = f"From: {sender}\r\nTo: x@example.org\r\nSubject: {subject}\r\nDate: {date}\r\n\r\n".encode()
        m.append("INBOX", None, None, head + b"x" * size + b"\r\n")
    m.select("INBOX")


def sort(m, criteria: str, search: str = "ALL", uid: bool = False) -> list[int]:
    if uid:
        typ, data = m.uid("SORT", criteria, "UTF-8", search)
    else:
        typ, data = m.sort(criteria, "UTF-8", search)
    assert typ == "OK", data
    return [int(n) for n in data[0].split()]


def test_sort_keys_and_reverse(alice):
    assert b"SORT" in alice.capability()[1][0].split()
    load(alice)
    assert sort(alice, "(SUBJECT)") == [2, 1, 3]        # alpha, beta, gamma (base subjects)
    assert sort(alice, "(REVERSE SUBJECT)") == [3, 1, 2]
    assert sort(alice, "(DATE)") == [2, 1, 3]
    assert sort(alice, "(SIZE)") == [2, 3, 1]
    assert sort(alice, "(FROM)") == [3, 1, 2]           # alice, carol, zed (mailbox names)
    assert sort(alice, "(DISPLAYFROM)") == [3, 2, 1]    # alice@..., Bob, Carol
    assert sort(alice, "(ARRIVAL)") == [1, 2, 3]
    assert sort(alice, "(TO SUBJECT)") == [2, 1, 3]     # equal To, then subject


def test_sort_with_search_and_uids(alice):
    load(alice)
    assert sort(alice, "(SUBJECT)", "NOT SUBJECT alpha") == [1, 3]
    uids = sort(alice, "(REVERSE DATE)", "ALL", uid=True)
    typ, data = alice.uid("SEARCH", None, "ALL")
    all_uids = [int(n) for n in data[0].split()]
    assert uids == [all_uids[2], all_uids[0], all_uids[1]]


def test_sort_errors(alice):
    load(alice)
    try:
        alice._simple_command("SORT", "(BOGUS)", "UTF-8", "ALL")
        raise AssertionError("an unknown sort key must be refused")
    except alice.error as e:
        assert "BAD" in str(e) and "BOGUS" in str(e)
    typ, data = alice._simple_command("SORT", "(DATE)", "KLINGON", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0]
