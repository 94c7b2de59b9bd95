"""Bushbuck against Dovecot: the same corpus, FETCH item by item and SEARCH by SEARCH.

A private Dovecot (tests/compat/dovecot.py) and a private ``bushbuck serve`` (the launcher
of tests/e2e) get the same ~160 messages of tests/compat/corpus.py by APPEND, with the same
flags and INTERNALDATE, and the same keywords by STORE. Then every message is FETCHed on
both servers, one item per command (FETCH_ITEMS), and the answers are compared after
parsing into a normalized structure: atoms and NIL case-insensitively, strings and
literals by content (a quoted string equals a literal with the same bytes), everything
else exactly. The FETCH test passes when at least FETCH_THRESHOLD of all (message, item)
pairs agree; every SEARCH of ``searches()`` (run as UID SEARCH, UIDs mapped back to corpus
indexes) must find at least one message on Dovecot, so that no check passes by both servers
finding nothing, and must agree, except the KNOWN_SEARCH_DIFFERENCES, which run as strict
xfails.

Every mismatch is listed in tests/compat/last-report.txt and printed. If Dovecot cannot be
installed or started the tests are skipped with the reason (never passed silently).
"""

from __future__ import annotations

import imaplib
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "e2e"))

from corpus import MARKERS, build_corpus  # noqa: E402
from dovecot import DovecotServer, DovecotUnavailable  # noqa: E402
from e2e_helpers import BushbuckServer, imaplib_responses, parse_sexp  # noqa: E402

REPORT = HERE / "last-report.txt"
FETCH_THRESHOLD = 0.95
USER, PASSWORD = "alice", "compat-pw"

FETCH_ITEMS = [
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "RFC822.SIZE",
    "BODY.PEEK[HEADER]",
    "BODY.PEEK[TEXT]",
    "BODY.PEEK[1]",
    "BODY.PEEK[1.MIME]",
    "BODY.PEEK[2]",
    "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]",
    "BODY.PEEK[HEADER.FIELDS.NOT (RECEIVED)]",
    "BODY.PEEK[]<0.100>",
    "BINARY.PEEK[1]",
    "BINARY.SIZE[1]",
    "INTERNALDATE",
    "FLAGS",
]

# Keywords set identically on both servers after APPEND: keyword -> corpus indexes.
KEYWORDS = {
    "$Label1": [i for i in range(150) if i % 7 == 3],
    "projectx": [i for i in range(150) if i % 11 in (1, 2)],
}


# ---------------------------------------------------------------------------------------
# Normalizing answers
# ---------------------------------------------------------------------------------------


def norm(value):
    """Atoms upper-cased (NIL is None), strings and literals as bytes, lists as tuples."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, list):
        return tuple(norm(v) for v in value)
    return ("atom", str(value).upper())


def item_key(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).upper().replace(".PEEK", ""))


def show(value, limit: int) -> str:
    """A compact, readable rendering of a normalized value."""
    def r(v):
        if v is None:
            return "NIL"
        if isinstance(v, bytes):
            return repr(v)[1:]
        if isinstance(v, tuple) and len(v) == 2 and v[0] == "atom":
            return v[1]
        if isinstance(v, tuple) and v and v[0] == "error":
            return "<" + " ".join(str(x) for x in v[1:]) + ">"
        if isinstance(v, tuple):
            return "(" + " ".join(r(x) for x in v) + ")"
        return repr(v)
    text = r(value)
    return text if len(text) <= limit else text[:limit] + f"...[{len(text)} chars]"


def fetch_item(m: imaplib.IMAP4, seq: int, item: str):
    """FETCH SEQ ITEM -> normalized ((KEY, value), ...) of the items answered for SEQ
    (UID, and FLAGS unless asked for, are dropped), or ('error', STATUS, CODE)."""
    try:
        typ, data = m.fetch(str(seq), f"({item})")
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        return ("error", "BAD", re.sub(r"^.*?\[([^\]]*)\].*$", r"\1", str(exc)) if "[" in str(exc) else "")
    if typ != "OK":
        text = b" ".join(d for d in data if isinstance(d, bytes))
        code = re.search(rb"\[([^\]]*)\]", text)
        return ("error", typ, code.group(1).decode(errors="replace") if code else "")
    out = []
    for resp in imaplib_responses(data):
        try:
            parsed = parse_sexp(resp)
        except Exception as exc:  # unparseable answer: keep it raw
            return ("error", "UNPARSEABLE", repr(resp[:200]), str(exc))
        if len(parsed) != 2 or not isinstance(parsed[1], list) or str(parsed[0]) != str(seq):
            continue
        items = parsed[1]
        for k, v in zip(items[0::2], items[1::2]):
            key = item_key(k)
            if key == "UID" or (key == "FLAGS" and item != "FLAGS"):
                continue
            value = norm(v)
            if key == "FLAGS" and isinstance(value, tuple):
                value = tuple(sorted(value, key=repr))  # a flag list is a set
            out.append((key, value))
    return tuple(out)


def unwrap(answer):
    """The value alone when the answer is one item (for the report)."""
    if isinstance(answer, tuple) and len(answer) == 1 and isinstance(answer[0], tuple) and len(answer[0]) == 2:
        return answer[0][1]
    return answer


# ---------------------------------------------------------------------------------------
# Loading both servers
# ---------------------------------------------------------------------------------------


def append_raw(m: imaplib.IMAP4, raw: bytes, flags: tuple[str, ...], date: str) -> None:
    # imaplib.append() rewrites every line ending to CRLF; send the bytes as they are.
    m.literal = raw
    typ, data = m._simple_command("APPEND", "INBOX", "(" + " ".join(flags) + ")" if flags else None, date)
    assert typ == "OK", f"APPEND refused: {typ} {data!r}"


def load(m: imaplib.IMAP4, corpus) -> None:
    for msg in corpus:
        append_raw(m, msg.raw, msg.flags, msg.internaldate)


def select_and_map(m: imaplib.IMAP4, count: int) -> dict[int, int]:
    """SELECTs INBOX, checks it holds COUNT messages, sets the keywords; {uid: index}."""
    typ, data = m.select("INBOX")
    assert typ == "OK" and int(data[0]) == count, f"SELECT INBOX: {typ} {data!r} (expected {count})"
    for kw, idx in KEYWORDS.items():
        seqs = ",".join(str(i + 1) for i in idx if i < count)
        typ, data = m.store(seqs, "+FLAGS.SILENT", f"({kw})")
        assert typ == "OK", f"STORE {kw}: {typ} {data!r}"
    typ, data = m.fetch("1:*", "(UID)")
    assert typ == "OK"
    uid_to_index = {}
    for resp in imaplib_responses(data):
        parsed = parse_sexp(resp)
        seq, items = int(parsed[0]), parsed[1]
        d = {str(k).upper(): v for k, v in zip(items[0::2], items[1::2])}
        uid_to_index[int(d["UID"])] = seq - 1
    assert len(uid_to_index) == count
    return uid_to_index


class Side:
    def __init__(self, name: str, conn: imaplib.IMAP4, uid_to_index: dict[int, int]):
        self.name = name
        self.m = conn
        self.uid_to_index = uid_to_index
        self.index_to_uid = {v: k for k, v in uid_to_index.items()}


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    corpus = build_corpus()
    dov = DovecotServer()
    try:
        dov.start()
    except DovecotUnavailable as exc:
        pytest.skip(f"Dovecot unavailable, compatibility test not run: {exc}")
    data = tmp_path_factory.mktemp("bushbuck-data")
    bb = BushbuckServer(data, tmp_path_factory.mktemp("bushbuck-logs"))
    conns = []
    try:
        bb.cli("user", "add", USER, "--password", PASSWORD)
        bb.start()
        result = {}
        for name, opener in (("dovecot", lambda: dov.imap(USER)),
                             ("bushbuck", lambda: bb.imap(USER, PASSWORD, timeout=60))):
            loader = opener()
            load(loader, corpus)
            loader.logout()
            conn = opener()
            conns.append(conn)
            result[name] = Side(name, conn, select_and_map(conn, len(corpus)))
        result["corpus"] = corpus
        result["dovecot_version"] = dov.version
        yield result
    finally:
        for c in conns:
            try:
                c.logout()
            except Exception:
                pass
        bb.stop()
        dov.stop()


# ---------------------------------------------------------------------------------------
# FETCH
# ---------------------------------------------------------------------------------------


def compare_fetch(sides):
    corpus = sides["corpus"]
    dv, bb = sides["dovecot"], sides["bushbuck"]
    per_item = {item: [0, 0] for item in FETCH_ITEMS}  # item -> [agree, total]
    mismatches = []
    hollow = Counter()  # agreements that carry no data: both errors, or both answered nothing
    for msg in corpus:
        seq = msg.index + 1
        for item in FETCH_ITEMS:
            a = fetch_item(dv.m, seq, item)
            b = fetch_item(bb.m, seq, item)
            per_item[item][1] += 1
            if a == b:
                per_item[item][0] += 1
                if not a or a[0] == "error":
                    hollow[item] += 1
            else:
                mismatches.append((msg.index, msg.kind, item, unwrap(a), unwrap(b)))
    return per_item, mismatches, hollow


@pytest.fixture(scope="module")
def fetch_results(sides):
    return compare_fetch(sides)


# ---------------------------------------------------------------------------------------
# SEARCH
# ---------------------------------------------------------------------------------------


def sent_on(corpus, index: int) -> str:
    m = re.search(rb"^Date: \w+, (\d+) (\w+) (\d{4})", corpus[index].raw, re.M)
    return f"{int(m.group(1))}-{m.group(2).decode()}-{m.group(3).decode()}"


def internal_on(corpus, index: int) -> str:
    d = corpus[index].internaldate.strip('"').split()[0]
    return d


def searches(corpus):
    """(label, criteria text, trailing UTF-8 literal or None). A literal is sent as the
    last argument with CHARSET UTF-8 in front of the criteria."""
    u = lambda s: s.encode("utf-8")  # noqa: E731
    return [
        ("ALL", "ALL", None),
        ("FROM smith", 'FROM "smith"', None),
        ("FROM domain", 'FROM "example.org"', None),
        ("FROM bare name bob", "FROM bob", None),
        ("FROM encoded-word name", "FROM", u(MARKERS["name_enc"])),
        ("FROM raw 8-bit name", "FROM", u("Jürgen")),
        ("TO alice", "TO alice", None),
        ("TO group name", 'TO "undisclosed-recipients"', None),
        ("CC named group", 'CC "Team"', None),
        ("CC member of a named group", 'CC "two@example.com"', None),
        ("CC example.com", 'CC "example.com"', None),
        ("CC encoded comma name", "CC", u("Müller, Hans")),
        ("SUBJECT encoded B/Q utf-8", "SUBJECT", u(MARKERS["subj_utf8"])),
        ("SUBJECT latin-1 Q", "SUBJECT", u("Café crème")),
        ("SUBJECT iso-2022-jp", "SUBJECT", u("会議")),
        ("SUBJECT koi8-r", "SUBJECT", u("Привет")),
        ("SUBJECT q word beside broken ones", 'SUBJECT "broken encoded word"', None),
        ("SUBJECT unknown-charset word", 'SUBJECT "abc"', None),
        ("SUBJECT unknown-charset lower-case word", 'NOT SUBJECT "xyzzy"', None),
        ("SUBJECT emoji", "SUBJECT", u("🎉 party")),
        ("SUBJECT windows-1252 folded", "SUBJECT", u("Präsentation und")),
        ("SUBJECT raw 8-bit", "SUBJECT", u("Überraschung")),
        ("SUBJECT ascii digest", "SUBJECT digest", None),
        ("SUBJECT folded across lines", 'SUBJECT "Fwd:"', None),
        ("SUBJECT duplicated header second", 'SUBJECT "second subject"', None),
        ("BODY in base64 part", f"BODY {MARKERS['b64']}", None),
        ("BODY in quoted-printable part", f"BODY {MARKERS['qp']}", None),
        ("BODY in html alternative", f"BODY {MARKERS['html']}", None),
        ("BODY in attachment of rfc822", f"BODY {MARKERS['attach']}", None),
        ("BODY utf-8 word", "BODY", u(MARKERS["body_utf8"])),
        ("BODY latin-1 word", "BODY", u(MARKERS["latin1"])),
        ("BODY cjk 8bit", "BODY", u("日本語")),
        ("BODY MIME header text", 'BODY "Content-Type"', None),
        ("TEXT header name", 'TEXT "X-Compat-Tag"', None),
        ("TEXT base64 word", f"TEXT {MARKERS['b64']}", None),
        ("TEXT encoded subject", "TEXT", u(MARKERS["subj_utf8"])),
        ("HEADER custom value", 'HEADER X-Compat-Tag "tag-3"', None),
        ("HEADER Message-ID domain", 'HEADER Message-ID "example.org"', None),
        ("HEADER Content-Type multipart", 'HEADER Content-Type "multipart/mixed"', None),
        ("HEADER exists (empty value)", 'HEADER X-Empty-Header ""', None),
        ("HEADER MIME-Version present", 'HEADER MIME-Version ""', None),
        ("LARGER 5000", "LARGER 5000", None),
        ("SMALLER 700", "SMALLER 700", None),
        ("SENTSINCE", "SENTSINCE 1-Jul-2024", None),
        ("SENTBEFORE", "SENTBEFORE 1-Mar-2023", None),
        ("SENTON msg 9", f"SENTON {sent_on(corpus, 9)}", None),
        ("SENTON msg 40", f"SENTON {sent_on(corpus, 40)}", None),
        ("SINCE internal", "SINCE 1-Jun-2024", None),
        ("BEFORE internal", "BEFORE 1-Feb-2023", None),
        ("ON internal msg 5", f"ON {internal_on(corpus, 5)}", None),
        ("OR FROM/SUBJECT", 'OR FROM "smith" SUBJECT "invoice"', None),
        ("NOT BODY alpha", "NOT BODY alpha", None),
        ("OR NOT combo", "OR NOT SEEN FLAGGED NOT LARGER 3000", None),
        ("SEEN", "SEEN", None),
        ("UNSEEN", "UNSEEN", None),
        ("SEEN FLAGGED", "SEEN FLAGGED", None),
        ("ANSWERED or DRAFT", "OR ANSWERED DRAFT", None),
        ("RECENT", "RECENT", None),
        ("KEYWORD $Label1", "KEYWORD $Label1", None),
        ("UNKEYWORD $Label1", "UNKEYWORD $Label1", None),
        ("KEYWORD projectx NOT SEEN", "KEYWORD projectx NOT SEEN", None),
        ("KEYWORD never set, OR one set", "OR KEYWORD nosuchkeyword KEYWORD projectx", None),
        ("sequence range", "5:15", None),
        ("UID range (mapped)", "UID {uid10}:{uid20}", None),
        ("UID range to *", "UID {uid140}:*", None),
    ]


# SEARCH checks where Bushbuck is known to differ from Dovecot: label -> reason. Each runs as
# a strict xfail, so the day Bushbuck agrees the test fails and the entry must go.
KNOWN_SEARCH_DIFFERENCES = {
    "SUBJECT unknown-charset lower-case word": (
        "Dovecot appends the payload of an encoded word in an unknown charset "
        "(=?x-unknown?Q?xyzzy?=, corpus message 151) without its search normalisation, so a "
        "lower-case payload never matches SUBJECT (the upper-case =?unknown-charset?Q?ABC?= does); "
        "Bushbuck matches it case-insensitively: Dovecot's quirk, kept visible here"),
}


def run_search(side: Side, text: str, literal: bytes | None):
    text = text.replace("{uid10}", str(side.index_to_uid[10])).replace("{uid20}", str(side.index_to_uid[20]))
    text = text.replace("{uid140}", str(side.index_to_uid[140]))
    m = side.m
    try:
        if literal is not None:
            m.literal = literal
            typ, data = m.uid("SEARCH", "CHARSET UTF-8 " + text)
        else:
            typ, data = m.uid("SEARCH", text)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        return ("error", "BAD", str(exc)[:200])
    if typ != "OK":
        return ("error", typ, repr(data)[:200])
    uids = [int(x) for d in data if d for x in d.split()]
    return tuple(sorted(side.uid_to_index[u] for u in uids))


@pytest.fixture(scope="module")
def search_results(sides):
    corpus = sides["corpus"]
    rows = []
    for label, text, literal in searches(corpus):
        a = run_search(sides["dovecot"], text, literal)
        b = run_search(sides["bushbuck"], text, literal)
        shown = text + (f" {{literal {literal.decode()!r}}}" if literal else "")
        rows.append((label, shown, a, b))
    return rows


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def render_report(sides, per_item, mismatches, hollow, search_rows, limit: int) -> str:
    lines = []
    total_agree = sum(a for a, _ in per_item.values())
    total = sum(t for _, t in per_item.values())
    lines.append(f"Bushbuck vs {sides['dovecot_version'] or 'Dovecot'}: {len(sides['corpus'])} messages")
    lines.append("")
    lines.append(f"FETCH agreement: {total_agree}/{total} = {100.0 * total_agree / max(total, 1):.1f}% "
                 f"(threshold {FETCH_THRESHOLD:.0%})")
    lines.append(f"  {'item':48} {'agree':>7} {'total':>6} {'pct':>7}  (of the agreements: both NO/BAD or empty)")
    for item, (a, t) in per_item.items():
        lines.append(f"  {item:48} {a:7d} {t:6d} {100.0 * a / max(t, 1):6.1f}%  ({hollow[item]})")
    lines.append("")
    by_kind = Counter((item, kind) for _, kind, item, _, _ in mismatches)
    if by_kind:
        lines.append("FETCH mismatches by (item, message kind):")
        for (item, kind), n in sorted(by_kind.items(), key=lambda x: (-x[1], x[0])):
            lines.append(f"  {n:4d}  {item:48} {kind}")
        lines.append("")
    lines.append(f"FETCH mismatches ({len(mismatches)}):")
    for idx, kind, item, a, b in mismatches:
        lines.append(f"- msg {idx} ({kind}) {item}")
        lines.append(f"    dovecot:  {show(a, limit)}")
        lines.append(f"    bushbuck: {show(b, limit)}")
    lines.append("")
    bad = [r for r in search_rows if r[2] != r[3]]
    lines.append(f"SEARCH agreement: {len(search_rows) - len(bad)}/{len(search_rows)}")
    for label, text, a, b in search_rows:
        mark = "ok" if a == b else "KNOWN" if label in KNOWN_SEARCH_DIFFERENCES else "DIFF"
        count = lambda r: len(r) if r and r[0] != "error" else r  # noqa: E731
        lines.append(f"  {mark:5} {label:40} dovecot={count(a)} bushbuck={count(b)}   UID SEARCH {text}")
    for label, text, a, b in bad:
        lines.append(f"- SEARCH {label}: UID SEARCH {text}")
        if a and a[0] == "error" or b and b[0] == "error":
            lines.append(f"    dovecot:  {a}")
            lines.append(f"    bushbuck: {b}")
        else:
            sa, sb = set(a), set(b)
            lines.append(f"    only dovecot:  {sorted(sa - sb)} (kinds {sorted({sides['corpus'][i].kind for i in sa - sb})})")
            lines.append(f"    only bushbuck: {sorted(sb - sa)} (kinds {sorted({sides['corpus'][i].kind for i in sb - sa})})")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def report(sides, fetch_results, search_results):
    full = render_report(sides, *fetch_results, search_results, limit=3000)
    REPORT.write_text(full, encoding="utf-8")
    return render_report(sides, *fetch_results, search_results, limit=240)


def test_fetch_agrees_with_dovecot(sides, fetch_results, report, capsys):
    per_item = fetch_results[0]
    agree = sum(a for a, _ in per_item.values())
    total = sum(t for _, t in per_item.values())
    with capsys.disabled():
        print("\n" + report)
        print(f"(full report: {REPORT})")
    assert total == len(sides["corpus"]) * len(FETCH_ITEMS)
    assert agree / total >= FETCH_THRESHOLD, (
        f"FETCH agreement with Dovecot {agree}/{total} = {100.0 * agree / total:.1f}% is below "
        f"{FETCH_THRESHOLD:.0%}; see {REPORT}")


def test_every_search_finds_something_on_dovecot(search_results):
    # A check that finds nothing on the reference passes whatever Bushbuck does.
    empty = [(label, text, a) for label, text, a, _ in search_results if not a or a[0] == "error"]
    assert not empty, f"SEARCH criteria that match no message (or fail) on Dovecot: {empty}"


def test_search_agrees_with_dovecot(sides, search_results, report):
    bad = [(label, text) for label, text, a, b in search_results
           if a != b and label not in KNOWN_SEARCH_DIFFERENCES]
    assert not bad, f"{len(bad)} SEARCH criteria disagree with Dovecot (details in {REPORT}): {bad}"
    unknown = set(KNOWN_SEARCH_DIFFERENCES) - {label for label, _, _, _ in search_results}
    assert not unknown, f"KNOWN_SEARCH_DIFFERENCES names no SEARCH check: {unknown}"


@pytest.mark.parametrize("label", [
    pytest.param(label, marks=pytest.mark.xfail(strict=True, reason=reason))
    for label, reason in KNOWN_SEARCH_DIFFERENCES.items()])
def test_search_known_difference(search_results, label):
    a, b = next((a, b) for row_label, _, a, b in search_results if row_label == label)
    assert a == b, f"{label}: dovecot {a} bushbuck {b}"
