"""Bushbuck against Dovecot: ESEARCH answers of SEARCH and SORT with RETURN options (RFC
4731, ESORT and PARTIAL of RFC 5267) and the ADDTO/REMOVEFROM announcements of a
CONTEXT=SEARCH update context, on the compatibility corpus.

Uses the ``sides`` fixture of test_fetch_vs_dovecot. Sorting is by ARRIVAL, which both
servers take from the same INTERNALDATEs (other sort keys are compared elsewhere). PARTIAL
ranges counted from the last result (RFC 9394) are not compared: Dovecot 2.3 implements RFC
5267's positive ranges only.
"""

from __future__ import annotations

import imaplib

import pytest

from test_fetch_vs_dovecot import PASSWORD, USER, sides  # noqa: F401  (sides is the fixture)

from e2e_helpers import RawImap  # noqa: E402  (on the path test_fetch_vs_dovecot sets)

DOVECOT_PASSWORD = "pw"

CHECKS = [
    "SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN",
    "SEARCH RETURN () SEEN",
    "UID SEARCH RETURN (COUNT) ALL",
    "SEARCH RETURN (CONTEXT) ALL",
    "SEARCH RETURN (PARTIAL 1:10) ALL",
    "SEARCH RETURN (PARTIAL 150:170 COUNT) ALL",
    "SEARCH RETURN (PARTIAL 400:500) ALL",
    "UID SEARCH RETURN (PARTIAL 9:2) SEEN",
    "SORT RETURN (MIN MAX COUNT ALL) (ARRIVAL) UTF-8 ALL",
    "SORT RETURN () (REVERSE ARRIVAL) UTF-8 SEEN",
    "SORT RETURN (PARTIAL 1:7) (REVERSE ARRIVAL) UTF-8 ALL",
    "UID SORT RETURN (COUNT PARTIAL 20:30) (ARRIVAL) UTF-8 UNSEEN",
]


def esearch_data(lines: list[bytes], tag: str) -> list[str]:
    prefix = f'* ESEARCH (TAG "{tag}")'.encode()
    return [line[len(prefix):].decode().strip() for line in lines if line.startswith(prefix)]


@pytest.fixture(scope="module")
def raw_sides(sides):  # noqa: F811
    conns = {}
    for name, password in (("dovecot", DOVECOT_PASSWORD), ("bushbuck", PASSWORD)):
        m = sides[name].m
        c = RawImap(m.host, m.port, timeout=60)
        c.login(USER, password)
        c.ok("SELECT INBOX")
        conns[name] = c
    yield conns
    for c in conns.values():
        c.close()


@pytest.mark.parametrize("command", CHECKS)
def test_esearch_agrees_with_dovecot(raw_sides, command):
    answers = {}
    for name, c in raw_sides.items():
        tagged, lines = c.command(command, tag="C1")
        answers[name] = (tagged.split(b" ")[1].decode(), esearch_data(lines, "C1"))
    assert answers["dovecot"][0] == "OK", answers
    assert answers["bushbuck"] == answers["dovecot"]


def test_update_context_agrees_with_dovecot(sides, raw_sides):  # noqa: F811
    assert sides["dovecot"].uid_to_index == sides["bushbuck"].uid_to_index, "UIDs differ: nothing to compare"
    opened = {name: esearch_data(c.command("UID SEARCH RETURN (UPDATE ALL) UNSEEN", tag="U1")[1], "U1")
              for name, c in raw_sides.items()}
    assert opened["bushbuck"] == opened["dovecot"]
    seen = opened["dovecot"][0].split("ALL ")[1].split(",")[0].split(":")[0]  # the first unseen UID
    for name in ("dovecot", "bushbuck"):
        m = sides[name].m
        assert m.uid("STORE", seen, "+FLAGS", "(\\Seen)")[0] == "OK"
        assert m.uid("STORE", "1", "-FLAGS", "(\\Seen)")[0] == "OK"
        typ, _ = m.append("INBOX", None, None, b"Subject: update context\r\n\r\nnew\r\n")
        assert typ == "OK"
    announced = {}
    for name, c in raw_sides.items():
        lines = c.ok("NOOP")
        announced[name] = esearch_data(lines, "U1")
    assert announced["dovecot"], "Dovecot announced nothing"
    assert announced["bushbuck"] == announced["dovecot"]
    for name, c in raw_sides.items():
        tagged, _ = c.command('CANCELUPDATE "U1"', tag="X1")
        assert b"OK" in tagged, (name, tagged)
        sides[name].m.uid("STORE", "1", "+FLAGS", "(\\Seen)")
        assert esearch_data(c.ok("NOOP"), "U1") == []
