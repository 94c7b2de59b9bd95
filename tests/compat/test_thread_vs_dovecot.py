"""Bushbuck against Dovecot: THREAD (RFC 5256 ORDEREDSUBJECT and REFERENCES, and REFS) on
the same messages.

Uses the ``sides`` fixture of test_fetch_vs_dovecot (a private Dovecot and a private
Bushbuck holding the compatibility corpus in INBOX). The corpus has Message-IDs,
In-Reply-To and References, but its references name messages that are not there; so a
second mailbox, ``Threads``, gets a seeded set of conversations on both servers: reply
chains with full, truncated and missing References, In-Reply-To alone, missing parents
(dummies), duplicated and missing Message-IDs, references that would make loops, Re:/Fwd:/
(fwd)/[list] subjects, equal, missing and unparsable Dates. Every THREAD answer (sequence
numbers, which are the same on both sides since the messages were appended in the same
order) must be the same on both servers; none differs today.
"""

from __future__ import annotations

import imaplib
import random

import pytest

from test_fetch_vs_dovecot import append_raw, sides  # noqa: F401  (sides is the fixture)

ALGORITHMS = ("ORDEREDSUBJECT", "REFERENCES", "REFS")
TOPICS = ["budget review", "release plan", "offsite", "[list] weekly notes", "printer",
          "lunch", "security update", "hiring"]
REPLY_FORMS = ["Re: {}", "RE: {}", "Fwd: {}", "{} (fwd)", "Re: [list] {}", "re: Re: {}", "[fwd: {}]"]
MONTHS = ["Jan", "Feb", "Mar"]


def thread_corpus(count: int = 90, seed: int = 5256) -> list[bytes]:
    """Conversations among themselves, deterministic."""
    rng = random.Random(seed)
    ids: list[str | None] = []
    chains: list[list[str]] = []  # each message's References as it would write them
    messages = []
    for i in range(count):
        own = f"<t{i}@thread.example>"
        if i % 13 == 5:
            own = None
        elif i % 17 == 9 and ids and ids[-1]:
            own = ids[-1]  # a duplicate of the previous message's ID
        refs: list[str] = []
        in_reply_to = None
        roll = rng.random()
        if i and roll < 0.6:
            j = rng.randrange(i)
            parent = ids[j] or f"<lost-parent-{j}@thread.example>"
            refs = chains[j] + [parent]
            in_reply_to = parent
        elif roll < 0.72:
            lost = f"<lost{rng.randrange(6)}@thread.example>"
            refs, in_reply_to = [lost], lost
        elif roll < 0.76:
            refs = [f"<t{i + 3}@thread.example>"]  # names a later message (a loop candidate)
        topic = TOPICS[rng.randrange(len(TOPICS))] if not refs else None
        if topic is None:
            topic = rng.choice(REPLY_FORMS).format(TOPICS[(i * 7 + len(refs)) % len(TOPICS)])
        head = [f"From: user{i % 5}@example.org", "To: team@example.org", f"Subject: {topic}"]
        if own:
            head.append(f"Message-ID: {own}")
        style = rng.random()
        if refs and style < 0.2:
            head.append(f"In-Reply-To: {in_reply_to or refs[-1]}")  # In-Reply-To alone
        elif refs and style < 0.35:
            head.append("References: " + " ".join(refs[-2:]))  # truncated References
        elif refs:
            head.append("References: " + "\r\n ".join(refs))
            if in_reply_to:
                head.append(f"In-Reply-To: {in_reply_to}")
        if i % 11 == 3:
            pass  # no Date: the internal date is the sent date
        elif i % 19 == 7:
            head.append("Date: sometime last week")
        else:
            day = 1 + (i * 37 % 28) if i % 9 else 1
            head.append(f"Date: {day:02d} {MONTHS[i % 3]} 2024 {rng.randrange(24):02d}:00:00 +0000")
        ids.append(own)
        chains.append(refs)
        messages.append(("\r\n".join(head) + "\r\n\r\n" + f"message {i}\r\n").encode())
    return messages


THREAD_SEARCHES = ["ALL", "SUBJECT budget", "NOT SUBJECT Re", "1:45", "OR SUBJECT lunch SUBJECT hiring"]


def thread_answer(m: imaplib.IMAP4, algorithm: str, search: str):
    try:
        typ, data = m.thread(algorithm, "UTF-8", search)
    except imaplib.IMAP4.error as exc:
        return ("error", str(exc)[:200])
    if typ != "OK":
        return ("error", typ)
    return (data[0] or b"").decode()


@pytest.fixture(scope="module")
def thread_results(sides):  # noqa: F811
    corpus = thread_corpus()
    for name in ("dovecot", "bushbuck"):
        m = sides[name].m
        typ, _ = m.create("Threads")
        assert typ == "OK"
        for n, raw in enumerate(corpus):
            date = f'"{1 + n % 28:02d}-Feb-2024 12:{n % 60:02d}:00 +0000"'
            m.append("Threads", None, date, raw)
    rows = []
    for mailbox, searches in (("INBOX", ["ALL", "SUBJECT missing"]), ("Threads", THREAD_SEARCHES)):
        for name in ("dovecot", "bushbuck"):
            typ, _ = sides[name].m.select(mailbox)
            assert typ == "OK"
        for algorithm in ALGORITHMS:
            for search in searches:
                label = f"{mailbox}: THREAD {algorithm} UTF-8 {search}"
                rows.append((label, thread_answer(sides["dovecot"].m, algorithm, search),
                             thread_answer(sides["bushbuck"].m, algorithm, search)))
    return rows


def test_threads_are_not_trivial(thread_results):
    # A comparison of flat answers would prove little: the Threads answers must nest.
    nested = [label for label, dovecot, _ in thread_results if "Threads" in label and "((" in str(dovecot)]
    assert nested, "no THREAD answer on Dovecot had a nested thread"


def test_thread_agrees_with_dovecot(thread_results):
    differ = [(label, d, b) for label, d, b in thread_results if d != b]
    report = "\n".join(f"{label}\n  dovecot:  {d}\n  bushbuck: {b}" for label, d, b in differ)
    assert not differ, f"{len(differ)} THREAD answers differ from Dovecot's:\n{report}"
