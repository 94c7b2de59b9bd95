"""Crash safety: what the server acknowledged survives kill -9 byte for byte
(docs/architecture.md "Write order"), and state survives an orderly restart."""

from __future__ import annotations

import os

from e2e_helpers import append, fetch, flags_of, make_message, status


def random_message(n: int, size: int = 20000) -> bytes:
    # Printable random text with CRLF line ends, including a few 8-bit octets.
    body = os.urandom(size).hex()
    lines = [body[i:i + 76] for i in range(0, len(body), 76)]
    return (
        f"From: crash@example.org\r\nSubject: durable {n}\r\nMessage-ID: <d{n}@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Grüße — ✓\r\n"
    ).encode() + "\r\n".join(lines).encode() + b"\r\n"


def test_append_survives_kill_9(server):
    m = server.imap("alice")
    before = status(m, "INBOX")
    messages = [random_message(i) for i in range(3)]
    uids = [append(m, msg) for msg in messages]  # each waits for the tagged OK
    server.kill9()
    server.start()
    m = server.imap("alice")
    after = status(m, "INBOX")
    assert after["MESSAGES"] == 3
    assert after["UIDVALIDITY"] == before["UIDVALIDITY"], "UIDVALIDITY must not change across a crash"
    assert after["UIDNEXT"] > uids[-1], "UIDs must never be reused after a crash"
    m.select("INBOX")
    res = fetch(m, "1:*", "(UID RFC822.SIZE BODY.PEEK[])")
    for i, (msg, uid) in enumerate(zip(messages, uids), start=1):
        assert int(res[i]["UID"]) == uid
        assert res[i]["BODY[]"] == msg, f"message {i} differs after kill -9"
        assert int(res[i]["RFC822.SIZE"]) == len(msg)
    # New mail after the crash gets a fresh UID.
    new_uid = append(m, make_message(subject="after crash"))
    assert new_uid > uids[-1]
    m.logout()


def test_flags_mailboxes_and_expunge_survive_kill_9(server):
    m = server.imap("alice")
    m.create("Kept")
    append(m, make_message(subject="one"), mailbox="Kept")
    append(m, make_message(subject="two"), mailbox="Kept")
    m.select("Kept")
    m.store("1", "+FLAGS", "(\\Flagged $Keep)")
    m.store("2", "+FLAGS", "(\\Deleted)")
    typ, _ = m.expunge()
    assert typ == "OK"
    m.subscribe("Kept")
    server.kill9()
    server.start()
    m = server.imap("alice")
    typ, data = m.select("Kept")
    assert typ == "OK" and int(data[-1]) == 1
    res = fetch(m, "1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert {"\\flagged", "$keep"} <= flags_of(res[1])
    typ, data = m.lsub('""', '"*"')
    assert any(b"Kept" in d for d in data if d)
    m.logout()


def test_orderly_restart_keeps_everything(server):
    m = server.imap("alice")
    uid = append(m, make_message(subject="restart"), flags="(\\Seen)")
    st = status(m, "INBOX")
    m.logout()
    server.restart()
    m = server.imap("alice")
    after = status(m, "INBOX")
    for key in ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"):
        assert after[key] == st[key], (key, st, after)
    m.select("INBOX")
    res = fetch(m, str(uid), "(UID FLAGS)", uid=True)
    assert "\\seen" in flags_of(res[1])
    m.logout()


def test_sigterm_exits_cleanly(server):
    server.stop()
    assert server.proc.returncode in (0, -15), f"exit status {server.proc.returncode} on SIGTERM"
