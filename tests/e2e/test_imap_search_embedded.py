"""SEARCH TEXT and BODY also match the text of embedded messages (issue #17): an attached
message/rfc822 (the original in a bounce) is part of the body. TEXT also matches the embedded
message's header lines, BODY does not (as Dovecot answers, tests/compat: BODY skips every
header block). A store whose search texts were computed before this gets them recomputed."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from e2e_helpers import append, close_quietly, crlf

REPORT = (
    "From: MAILER-DAEMON@example.org\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=R\n"
    "\n"
    "--R\n"
    "Content-Type: text/plain\n"
    "\n"
    "The mail system could not deliver your message.\n"
    "--R\n"
)
ORIGINAL = (
    "From: Someone <someone@python.org>\n"
    "Subject: =?UTF-8?Q?Kr=C3=A4hen?= over the pier\n"
    "\n"
    "Original body words\n"
    "--R--\n"
)
BOUNCE = crlf(REPORT + "Content-Type: message/rfc822\n\n" + ORIGINAL)
# The same text parts with the original as plain text below a header of its own: what the
# search text of BOUNCE was before embedded headers counted (its header lines left out).
OLD_TEXT_TWIN = crlf(REPORT + "Content-Type: text/plain\n\n" + ORIGINAL.split("\n\n", 1)[1])
PLAIN = crlf("From: a@example.org\nSubject: unrelated\n\nnothing to see\n")


def _search(m, criteria: str) -> list[int]:
    typ, data = m.search(None, criteria)
    assert typ == "OK", data
    return [int(x) for x in data[0].split()]


def assert_embedded_text_matches(m) -> None:
    # Message 1 is the bounce; the header lines of the embedded message are TEXT of it.
    assert _search(m, "TEXT python") == [1]
    assert _search(m, "TEXT someone@python.org") == [1]
    # Its encoded-words are decoded: the subject reads "Krähen over the pier".
    assert _search(m, 'TEXT "n over the pier"') == [1]
    # BODY skips header blocks, the embedded one's too; its body text is BODY text.
    assert _search(m, "BODY someone@python.org") == []
    assert _search(m, 'BODY "n over the pier"') == []
    assert _search(m, 'BODY "original body words"') == [1]
    assert _search(m, "BODY deliver") == [1]
    # The outer header is not BODY text.
    assert _search(m, "BODY MAILER-DAEMON") == []
    assert _search(m, "TEXT MAILER-DAEMON") == [1]


def test_text_and_body_match_embedded_messages(alice):
    append(alice, BOUNCE)
    append(alice, PLAIN)
    alice.select("INBOX")
    assert_embedded_text_matches(alice)


@pytest.mark.embedded_only  # edits the embedded index
def test_search_texts_from_before_are_recomputed(server):
    m = server.imap("alice")
    try:
        append(m, BOUNCE)
        append(m, PLAIN)
        append(m, OLD_TEXT_TWIN)
    finally:
        close_quietly(m)
    server.stop()
    # As the previous version (schema 6) left the index: the bounce's text without the
    # embedded header lines, which is exactly the text of its twin.
    index = server.data / "users" / "alice" / "index.sqlite3"
    bounce, twin = (hashlib.sha256(x).hexdigest() for x in (BOUNCE, OLD_TEXT_TWIN))
    conn = sqlite3.connect(index)
    conn.execute("UPDATE search_text SET text = (SELECT text FROM search_text WHERE blob = ?) WHERE blob = ?",
                 (twin, bounce))
    conn.execute("ALTER TABLE mailboxes DROP COLUMN expunge_log_from")
    conn.execute("PRAGMA user_version = 6")
    conn.commit()
    conn.close()
    server.start()
    m = server.imap("alice")
    try:
        m.select("INBOX")
        assert _search(m, "TEXT python") == [1]
        assert _search(m, 'BODY "original body words"') == [1, 3]
    finally:
        close_quietly(m)
