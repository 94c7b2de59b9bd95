"""SEARCH BODY and TEXT over the search text index: decoded text parts (base64,
quoted-printable, other charsets), case-insensitive, after COPY, after `bushbuck
reconstruct`, and on a store written before the index existed (no rows: the server decodes
the files and keeps the result)."""

from __future__ import annotations

import base64
import sqlite3

import pytest

from e2e_helpers import append, close_quietly, crlf

BASE64_TEXT = crlf(
    "From: a@example.org\n"
    "Subject: Quokka sighting\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/mixed; boundary="b1"\n'
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    + base64.encodebytes("Saw a Zebrafish near the pier.\n".encode()).decode()
    + "--b1\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    + base64.encodebytes(b"attachmentword in a binary part\n").decode()
    + "--b1--\n"
)

LATIN1_QP = crlf(
    "From: b@example.org\n"
    "Subject: Gruss\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=FC=DFe von Herrn M=FCller aus K=F6ln, mit einer sehr langen Zeile, die wei=\n"
    "ch umgebrochen ist: Donaudampfschiff\n"
)

PLAIN = crlf("From: c@example.org\nSubject: plain\n\nNothing to see here.\n")


def search(m, *criteria, charset=None) -> list[int]:
    typ, data = m.search(charset, *criteria)
    assert typ == "OK", (criteria, typ, data)
    return [int(x) for x in (data[0] or b"").split()]


def search_utf8(m, key: str, word: str) -> list[int]:
    m.literal = word.encode("utf-8")
    return search(m, key, charset="UTF-8")


def populate(m) -> None:
    for msg in (BASE64_TEXT, LATIN1_QP, PLAIN):
        append(m, msg)
    m.select("INBOX")


def assert_finds_everything(m) -> None:
    assert search(m, "BODY", "zebrafish") == [1], "base64 text part"
    assert search(m, "BODY", "ZEBRAFISH") == [1], "case-insensitive"
    assert search(m, "BODY", "attachmentword") == [], "non-text parts are not searched"
    assert search(m, "BODY", "Donaudampfschiff") == [2], "quoted-printable soft line break"
    assert search_utf8(m, "BODY", "Müller") == [2], "ISO-8859-1 converted"
    assert search_utf8(m, "BODY", "MÜLLER") == [2], "non-ASCII case folding"
    assert search_utf8(m, "BODY", "grüße") == [2]
    assert search(m, "BODY", "quokka") == [], "BODY does not look at the header"
    assert search(m, "TEXT", "quokka") == [1], "TEXT looks at the header"
    assert search(m, "TEXT", "zebrafish") == [1], "and at the body"
    assert search(m, "OR", "BODY", "zebrafish", "BODY", "nothing") == [1, 3]
    assert search(m, "NOT", "BODY", "zebrafish") == [2, 3]


def start_and_find_everything(server):
    """Starts the server and checks, in a new session, that every search finds its message."""
    server.start()
    m = server.imap("alice")
    try:
        m.select("INBOX")
        assert_finds_everything(m)
    finally:
        close_quietly(m)


def test_body_search_decodes_parts(alice):
    populate(alice)
    assert_finds_everything(alice)


def test_body_search_after_copy_and_expunge(alice):
    populate(alice)
    alice.create("Archive")
    typ, _ = alice.copy("1:3", "Archive")
    assert typ == "OK"
    # The copies share the content (and its text) with the originals, which go away.
    alice.store("1:3", "+FLAGS", "(\\Deleted)")
    alice.expunge()
    assert search(alice, "BODY", "zebrafish") == []
    alice.select("Archive")
    assert_finds_everything(alice)


@pytest.mark.embedded_only  # reconstruct of the embedded index
def test_body_search_after_reconstruct(server):
    m = server.imap("alice")
    try:
        populate(m)
        m.create("Work")
        m.copy("2", "Work")
    finally:
        close_quietly(m)
    server.stop()
    # Repair in place (texts recomputed), then a rebuild from the files alone.
    assert "index checked" in server.cli("reconstruct", "alice").stdout
    server.start()
    m = server.imap("alice")
    try:
        m.select("INBOX")
        assert_finds_everything(m)
        m.select("Work")
        assert search_utf8(m, "BODY", "müller") == [1]
    finally:
        close_quietly(m)
    server.stop()
    (server.data / "users" / "alice" / "index.sqlite3").unlink()
    assert "index rebuilt" in server.cli("reconstruct", "alice").stdout
    server.start()
    m = server.imap("alice")
    try:
        m.select("INBOX")
        # The rebuilt INBOX holds the three files in file time order, then by name.
        assert len(search(m, "ALL")) == 3
        assert search(m, "BODY", "zebrafish") == search(m, "SUBJECT", "Quokka") != []
        assert search_utf8(m, "BODY", "müller") == search(m, "SUBJECT", "Gruss") != []
        assert search(m, "BODY", "nothing") == search(m, "SUBJECT", "plain") != []
    finally:
        close_quietly(m)


@pytest.mark.embedded_only  # an embedded index from an older schema
def test_store_from_before_the_index_still_searches(server):
    m = server.imap("alice")
    try:
        populate(m)
    finally:
        close_quietly(m)
    server.stop()
    index = server.data / "users" / "alice" / "index.sqlite3"
    # As the previous version (schema 3) left it: no search text table at all.
    conn = sqlite3.connect(index)
    conn.executescript("ALTER TABLE mailboxes DROP COLUMN expunge_log_from; DROP TABLE retained; "
                       "DROP TABLE search_text; PRAGMA user_version = 3;")
    conn.close()
    start_and_find_everything(server)
    server.stop()
    conn = sqlite3.connect(index)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        texts = conn.execute("SELECT COUNT(*) FROM search_text").fetchone()[0]
    finally:
        conn.close()
    assert version >= 4
    assert texts == 3, "the texts computed by the first search were kept"
    start_and_find_everything(server)


HTML_ONLY = crlf(
    "From: d@example.org\n"
    "Subject: Newsletter\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<html><head><title>Weekly digest</title>\n"
    '<link rel="stylesheet" href="https://example.org/theme.css">\n'
    "<style>.banner { font-family: Verdana }</style></head>\n"
    '<body><div class="banner"><p>Our new Caf&eacute; opens Tuesday!</p>\n'
    "<p>Fish&amp;Chips for every<br>visitor &#8212; <b>wom</b>bat approved.</p>\n"
    '<script>var trackingpixel = "x";</script>\n'
    "</div></body></html>\n"
)


def test_html_parts_are_searched_as_visible_text(alice):
    append(alice, HTML_ONLY)
    append(alice, PLAIN)
    alice.select("INBOX")
    assert search(alice, "BODY", "tuesday") == [1], "visible text"
    assert search_utf8(alice, "BODY", "café") == [1], "named reference decoded"
    assert search(alice, "BODY", "fish&chips") == [1], "&amp; decoded"
    assert search(alice, "BODY", "wombat") == [1], "inline tags do not split words"
    assert search(alice, "BODY", "visitor") == [1]
    assert search(alice, "BODY", "everyvisitor") == [], "<br> separates words"
    assert search(alice, "BODY", "stylesheet") == [], "attribute value inside markup"
    assert search(alice, "BODY", "banner") == [], "class names and style sheets"
    assert search(alice, "BODY", "verdana") == []
    assert search(alice, "BODY", "trackingpixel") == [], "scripts"
    assert search(alice, "BODY", "href") == [], "attribute names"
    assert search(alice, "BODY", "<p>") == [], "tags"
    assert search(alice, "BODY", "eacute") == [], "raw references"
    assert search(alice, "TEXT", "newsletter") == [1], "TEXT still sees the header"
