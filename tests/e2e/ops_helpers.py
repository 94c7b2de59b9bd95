"""Shared helpers of the operations-tooling tests (test_ops_*.py): reading a user's whole
store over IMAP as {mailbox: [(flags, bytes), ...]} to compare stores."""

from __future__ import annotations

import imaplib
import re

from e2e_helpers import close_quietly

FETCH_ITEM = re.compile(rb"UID (\d+)|FLAGS \(([^)]*)\)")


def mailbox_names(m: imaplib.IMAP4) -> list[str]:
    typ, data = m.list('""', '"*"')
    assert typ == "OK"
    names = []
    for line in data:
        if line is None:
            continue
        match = re.match(rb'\(([^)]*)\) (?:"[^"]*"|NIL) (?:"((?:[^"\\]|\\.)*)"|(\S+))$', line)
        assert match, line
        if b"\\Noselect" in match.group(1):
            continue
        names.append((match.group(2) or match.group(3)).decode())
    return sorted(names)


def read_mailbox(m: imaplib.IMAP4, name: str, dates: bool = False) -> list[tuple]:
    """(flags without \\Recent, octets) of every message in UID order; with DATES,
    (flags, INTERNALDATE, octets)."""
    typ, data = m.select(f'"{name}"', readonly=True)
    assert typ == "OK", (name, data)
    if int(data[0]) == 0:
        return []
    items = "(UID FLAGS INTERNALDATE BODY.PEEK[])" if dates else "(UID FLAGS BODY.PEEK[])"
    typ, data = m.uid("FETCH", "1:*", items)
    assert typ == "OK"
    out = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        head, body = item
        flags = re.search(rb"FLAGS \(([^)]*)\)", head)
        uid = re.search(rb"UID (\d+)", head)
        names = frozenset(f for f in flags.group(1).decode().split() if f != "\\Recent")
        date = (re.search(rb'INTERNALDATE "([^"]+)"', head).group(1).decode(),) if dates else ()
        out.append((int(uid.group(1)), (names, *date, body)))
    out.sort()
    return [entry for _, entry in out]


def read_store(server, user: str, password: str | None = None, dates: bool = False) -> dict[str, list[tuple]]:
    """Every mailbox of USER as read_mailbox gives it."""
    m = server.imap(user, password=password)
    try:
        return {name: read_mailbox(m, name, dates) for name in mailbox_names(m)}
    finally:
        close_quietly(m)


def append(m: imaplib.IMAP4, mailbox: str, message: bytes, flags: str = "", date: str | None = None) -> None:
    typ, data = m.append(f'"{mailbox}"', f"({flags})" if flags else None, date, message)
    assert typ == "OK", data


def message(n: int, extra: str = "") -> bytes:
    return (
        f"From: sender{n}@example.org\r\nTo: alice@example.org\r\nSubject: message {n}{extra}\r\n"
        f"Message-ID: <m{n}@example.org>\r\n\r\nBody of message {n}.\r\nFrom the start of a line.\r\n"
        f">From quoted already\r\n\r\nlast line {n}\r\n"
    ).encode()
