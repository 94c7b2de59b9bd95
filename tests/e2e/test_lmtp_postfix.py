"""Postfix (Debian package postfix) delivering into Bushbuck over LMTP: a private Postfix
instance (postfix_instance.py) accepts SMTP on a free loopback port and hands every
recipient in example.test to ``bushbuck serve``'s LMTP listener. Skipped only when Postfix
is not installed (or the tests do not run as root)."""

from __future__ import annotations

import re
import smtplib
import time

import pytest

from e2e_helpers import HOST, body_item, close_quietly, fetch, make_message
from postfix_instance import PostfixInstance


def wait_for_messages(server, pf: PostfixInstance, count: int, user: str = "alice", mailbox: str = "INBOX",
                      timeout: float = 30) -> list[bytes]:
    deadline = time.monotonic() + timeout
    last_flush = time.monotonic()
    while True:
        m = server.imap(user)
        try:
            typ, data = m.select(mailbox, readonly=True)
            assert typ == "OK", data
            n = int(data[0])
            if n >= count:
                res = fetch(m, "1:*", "(BODY.PEEK[])")
                return [body_item(res[k], "BODY[") for k in sorted(res)]
        finally:
            close_quietly(m)
        if time.monotonic() > deadline:
            pytest.fail(f"{user}/{mailbox} has {n} messages, expected {count} within {timeout} s\n"
                        f"--- postfix maillog ---\n{pf.log()}")
        if time.monotonic() - last_flush > 5:
            pf.flush()
            last_flush = time.monotonic()
        time.sleep(0.2)


@pytest.fixture
def postfix(server):
    with PostfixInstance(lmtp_port=server.lmtp_port) as pf:
        yield pf


def test_postfix_delivers_over_lmtp(server, postfix):
    msg = make_message("through postfix", sender="sender@example.net", to="alice@example.test",
                       body="Hello via Postfix.\n.a line with a leading dot\n")
    with smtplib.SMTP(HOST, postfix.smtp_port, timeout=30) as s:
        code, banner = s.ehlo("client.example")
        assert code == 250
        refused = s.sendmail("sender@example.net", ["alice@example.test"], msg)
        assert refused == {}
    [stored] = wait_for_messages(server, postfix, 1)
    # Bushbuck's trace headers come first, then Postfix's Received, then the original.
    assert stored.startswith(b"Return-Path: <sender@example.net>\r\nReceived: "), stored[:300]
    assert b"by mx.example.test (Postfix)" in stored
    assert b"Subject: through postfix\r\n" in stored
    assert stored.endswith(b"\r\n\r\nHello via Postfix.\r\n.a line with a leading dot\r\n")
    log = postfix.wait_log(r"to=<alice@example\.test>.*relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*status=sent.*$")
    assert "250 2.0.0 <alice@example.test> delivered" in log.group(0), log.group(0)


def test_postfix_several_recipients_one_transaction(server, postfix):
    m = server.imap("alice")
    assert m.create("Work")[0] == "OK"
    # Plus-addressing files into a folder only where anyone may post (RFC 4314 p right).
    assert m._simple_command("SETACL", "Work", "anyone", "+p")[0] == "OK"
    close_quietly(m)
    msg = make_message("to many", sender="sender@example.net", to="alice@example.test, bob@example.test")
    with smtplib.SMTP(HOST, postfix.smtp_port, timeout=30) as s:
        refused = s.sendmail("sender@example.net",
                             ["alice@example.test", "bob@example.test", "alice+Work@example.test"], msg)
        assert refused == {}
    [a] = wait_for_messages(server, postfix, 1, "alice")
    [b] = wait_for_messages(server, postfix, 1, "bob")
    [w] = wait_for_messages(server, postfix, 1, "alice", "Work")
    for stored in (a, b, w):
        assert b"Subject: to many\r\n" in stored
    postfix.wait_log(r"to=<alice\+Work@example\.test>.*status=sent")


def test_postfix_unknown_recipient_bounces(server, postfix):
    msg = make_message("to nobody", sender="sender@example.net", to="nobody@example.test")
    with smtplib.SMTP(HOST, postfix.smtp_port, timeout=30) as s:
        # local_recipient_maps is empty, so Postfix accepts and learns the truth from LMTP.
        refused = s.sendmail("sender@example.net", ["nobody@example.test", "alice@example.test"], msg)
        assert refused == {}
    [stored] = wait_for_messages(server, postfix, 1, "alice")
    assert b"Subject: to nobody" in stored
    m = postfix.wait_log(r"to=<nobody@example\.test>.*status=bounced.*$")
    assert re.search(r"said: 550 5\.1\.1", m.group(0)), m.group(0)
    # Nobody else got it (the bounce to sender@example.net is not ours to deliver).
    for user in ("bob",):
        mm = server.imap(user)
        try:
            typ, data = mm.select("INBOX", readonly=True)
            assert int(data[0]) == 0
        finally:
            close_quietly(mm)


def test_postfix_retries_while_bushbuck_is_down(server, postfix):
    server.stop()
    msg = make_message("deferred", sender="sender@example.net", to="bob@example.test")
    with smtplib.SMTP(HOST, postfix.smtp_port, timeout=30) as s:
        assert s.sendmail("sender@example.net", ["bob@example.test"], msg) == {}
    postfix.wait_log(r"to=<bob@example\.test>.*status=deferred")
    server.start()
    postfix.flush()
    [stored] = wait_for_messages(server, postfix, 1, "bob")
    assert b"Subject: deferred" in stored
