"""A deterministic corpus of real-world-shaped MIME messages for the Dovecot comparison.

``build_corpus()`` returns a list of ``CorpusMessage`` (raw bytes, APPEND flags, INTERNALDATE
string, kind). The same list comes back on every call and every machine: one fixed seed,
no network, no clock. Messages are built as raw bytes (not through the ``email`` package)
so that odd structures survive exactly as written: LF-only line endings, 8-bit header
bytes, unterminated multiparts, duplicated and folded headers, route addresses, groups.

Each kind below is a function ``kind(ctx) -> bytes`` (CRLF line endings unless the kind
says otherwise); a kind with variants picks one with ``ctx.variant(n)``. ``build_corpus``
cycles through the kinds with varied content until it has ``COUNT`` messages, then adds
one message for every variant the cycle never reached (so every listed input occurs) and
one of each ``EXTRA_KINDS``. Words the SEARCH comparison looks for (``MARKERS``) are placed in
specific kinds: inside base64 and quoted-printable parts, in encoded-word subjects and
names, in non-ASCII bodies.

``python3 tests/compat/corpus.py DIR`` writes the corpus out as DIR/NNN-kind.eml.
"""

from __future__ import annotations

import base64
import hashlib
import quopri
import random
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

SEED = 20240611
COUNT = 150

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
         "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu meeting "
         "budget report invoice quarterly schedule release deploy backup server network "
         "customer contract holiday lunch agenda minutes review draft final urgent").split()

FIRST = ["Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
         "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter"]
LAST = ["Smith", "Jones", "Miller", "Garcia", "Nguyen", "Schmidt", "Rossi", "Tanaka", "Dubois", "Kowalski"]
DOMAINS = ["example.com", "example.org", "mail.example.net", "corp.example", "lists.example.com"]

# Words placed by specific kinds for SEARCH criteria (see test_fetch_vs_dovecot.SEARCHES).
MARKERS = {
    "b64": "zanzibarquokka",       # only inside base64 text parts
    "qp": "quixoticmarmalade",     # only inside quoted-printable text parts (split by soft breaks)
    "html": "htmlonlyplatypus",    # only in text/html alternatives
    "attach": "attachedwombat",    # inside a base64 text/plain attachment of message/rfc822
    "subj_utf8": "Grüße",          # encoded-word subjects (B and Q)
    "body_utf8": "Straße",         # 8bit / base64 / qp UTF-8 bodies
    "latin1": "señor",             # ISO-8859-1 QP bodies (search in UTF-8)
    "name_enc": "Müller",          # encoded-word display names
    "header": "X-Compat-Tag",      # custom header with values tag-N
}

# A tiny valid PNG (1x1) and a tiny PDF; zip is a stored archive built below.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4"
    "890000000d4944415478da63f8cfc0f01f0005000201a5d1e0a20000000049454e44ae426082")
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def make_zip(name: bytes, data: bytes) -> bytes:
    """A one-file stored (uncompressed) zip archive, built by hand for determinism."""
    crc = zlib.crc32(data) & 0xFFFFFFFF
    import struct
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(data), len(data),
                          len(name), 0, 0, 0, 0, 0, 0)
    body = local + name + data
    cd = central + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), len(body), 0)
    return body + cd + end


@dataclass
class CorpusMessage:
    index: int
    kind: str
    raw: bytes
    flags: tuple[str, ...]
    internaldate: str  # IMAP date-time, e.g. '"05-Mar-2024 10:11:12 +0000"'


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


class Ctx:
    """Per-message random choices."""

    def __init__(self, rng: random.Random, i: int, forced_variant: int | None = None):
        self.rng = rng
        self.i = i
        self.forced_variant = forced_variant
        self.chosen: tuple[int, int] | None = None  # (variant, number of variants) once chosen

    def variant(self, n: int) -> int:
        """Which of the kind's N variants this message is: ``i % n`` unless forced (the
        coverage pass of ``build_corpus`` forces the variants the cycle never reached)."""
        v = self.forced_variant % n if self.forced_variant is not None else self.i % n
        self.chosen = (v, n)
        return v

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n))

    def paragraph(self, lines: int = 4, width: int = 9) -> str:
        return "\r\n".join(self.words(width) for _ in range(lines))

    def person(self) -> tuple[str, str]:
        f, l = self.rng.choice(FIRST), self.rng.choice(LAST)
        return f"{f} {l}", f"{f.lower()}.{l.lower()}@{self.rng.choice(DOMAINS)}"

    def addr(self) -> str:
        name, email = self.person()
        return f"{name} <{email}>"

    def date(self) -> str:
        # Sent dates in 2023-2024; a few with non-UTC zones (SENTON uses the header date as written).
        day = self.rng.randint(1, 28)
        mon = self.rng.randint(0, 11)
        year = self.rng.choice([2023, 2024])
        hh, mm, ss = self.rng.randint(0, 23), self.rng.randint(0, 59), self.rng.randint(0, 59)
        zone = self.rng.choice(["+0000", "+0000", "-0500", "+0200", "+0530"])
        wd = DAYS[(day + mon) % 7]
        return f"{wd}, {day} {MONTHS[mon]} {year} {hh:02d}:{mm:02d}:{ss:02d} {zone}"

    def msgid(self) -> str:
        return f"<{self.i}.{self.rng.randint(10**8, 10**9)}@{self.rng.choice(DOMAINS)}>"

    def boundary(self) -> str:
        return f"=_b{self.i}_{self.rng.randint(10**6, 10**7)}"

    def std_headers(self, subject: str | None = None, extra: list[str] | None = None,
                    mime: bool = True) -> list[str]:
        h = [
            f"Return-Path: <bounce-{self.i}@{self.rng.choice(DOMAINS)}>",
            f"Received: from mx{self.i % 7}.example.net (mx.example.net [192.0.2.{self.i % 250}])\r\n"
            f"\tby mail.example.com with ESMTPS id {self.rng.randint(10**5, 10**6)}\r\n"
            f"\tfor <alice@example.com>; {self.date()}",
            f"Date: {self.date()}",
            f"From: {self.addr()}",
            f"To: {self.addr()}",
            f"Subject: {subject if subject is not None else self.words(5)}",
            f"Message-ID: {self.msgid()}",
            f"X-Compat-Tag: tag-{self.i % 10}",
        ]
        if mime:
            h.append("MIME-Version: 1.0")
        if extra:
            h.extend(extra)
        return h


def join(headers: list[str], body: str | bytes) -> bytes:
    head = "\r\n".join(headers).encode("utf-8") + b"\r\n\r\n"
    return head + (body if isinstance(body, bytes) else body.encode("utf-8"))


def b64lines(data: bytes, width: int = 76) -> str:
    enc = base64.b64encode(data).decode()
    return "\r\n".join(enc[i:i + width] for i in range(0, len(enc), width))


def qp(text: str, charset: str = "utf-8") -> str:
    enc = quopri.encodestring(text.replace("\r\n", "\n").encode(charset)).decode("ascii")
    return enc.replace("\n", "\r\n")


def ew_b(text: str, charset: str = "UTF-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def ew_q(text: str, charset: str = "UTF-8") -> str:
    out = []
    for byte in text.encode(charset):
        ch = chr(byte)
        if ch == " ":
            out.append("_")
        elif ch.isalnum() and byte < 128:
            out.append(ch)
        else:
            out.append(f"={byte:02X}")
    return f"=?{charset}?Q?{''.join(out)}?="


def multipart(boundary: str, parts: list[str], preamble: str = "", epilogue: str = "",
              terminated: bool = True) -> str:
    out = preamble + ("\r\n" if preamble else "")
    for p in parts:
        out += f"--{boundary}\r\n{p}\r\n"
    if terminated:
        out += f"--{boundary}--\r\n" + epilogue
    return out


def part(headers: list[str], body: str) -> str:
    return "\r\n".join(headers) + "\r\n\r\n" + body


# ---------------------------------------------------------------------------------------
# The kinds
# ---------------------------------------------------------------------------------------


def k_plain_ascii(c: Ctx) -> bytes:
    h = c.std_headers(extra=["Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"])
    return join(h, c.paragraph(5) + "\r\n")


def k_plain_no_ct(c: Ctx) -> bytes:
    # No Content-Type at all (defaults to text/plain; charset=us-ascii), no MIME-Version.
    h = c.std_headers(mime=False)
    return join(h, c.paragraph(3) + "\r\n-- \r\nsig\r\n")


def k_plain_utf8_8bit(c: Ctx) -> bytes:
    h = c.std_headers(extra=["Content-Type: text/plain; charset=utf-8; format=flowed",
                             "Content-Transfer-Encoding: 8bit"])
    body = f"Hallo {MARKERS['body_utf8']} und Grüße aus Köln, {c.words(4)}\r\nЗдравствуйте ☃ 日本語\r\n"
    return join(h, body)


def k_plain_latin1_qp(c: Ctx) -> bytes:
    h = c.std_headers(extra=["Content-Type: text/plain; charset=ISO-8859-1",
                             "Content-Transfer-Encoding: quoted-printable"])
    text = f"Buenos días {MARKERS['latin1']}, ¿qué tal? {c.words(6)}\r\nÇa va très bien. {c.words(3)}\r\n"
    return join(h, qp(text, "iso-8859-1"))


def k_plain_latin1_8bit(c: Ctx) -> bytes:
    h = c.std_headers(extra=["Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: 8bit"])
    body = f"Größe: {c.words(3)} café\r\n".encode("iso-8859-1")
    return join(h, body)


def k_plain_qp_utf8(c: Ctx) -> bytes:
    h = c.std_headers(extra=["Content-Type: text/plain; charset=\"UTF-8\"",
                             "Content-Transfer-Encoding: Quoted-Printable"])
    long_line = f"{c.words(10)} {MARKERS['qp']} {c.words(12)} {MARKERS['body_utf8']} = equals {c.words(5)}"
    return join(h, qp(long_line + "\r\n" + c.words(4) + "\r\n"))


def k_plain_base64(c: Ctx) -> bytes:
    h = c.std_headers(extra=["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"])
    text = f"{c.words(6)} {MARKERS['b64']} {c.words(4)}\r\n{MARKERS['body_utf8']} Ünïcödé\r\n"
    return join(h, b64lines(text.encode()) + "\r\n")


def k_alternative(c: Ctx) -> bytes:
    b = c.boundary()
    text = c.paragraph(3)
    html = f"<html><body><p>{text.replace(chr(13) + chr(10), '<br>')}</p><p>{MARKERS['html']}</p></body></html>"
    parts = [
        part(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"], qp(text)),
        part(["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"], qp(html)),
    ]
    h = c.std_headers(extra=[f'Content-Type: multipart/alternative; boundary="{b}"'])
    return join(h, multipart(b, parts, preamble="This is a multi-part message in MIME format."))


def k_mixed_pdf(c: Ctx) -> bytes:
    b = c.boundary()
    parts = [
        part(["Content-Type: text/plain; charset=us-ascii"], c.paragraph(2) + "\r\n"),
        part(["Content-Type: application/pdf; name=\"report-q%d.pdf\"" % (c.i % 4 + 1),
              "Content-Transfer-Encoding: base64",
              "Content-Disposition: attachment; filename=\"report-q%d.pdf\"; size=%d" % (c.i % 4 + 1, len(PDF))],
             b64lines(PDF)),
    ]
    if c.variant(3) == 0:
        # Unquoted boundary with "=" (a tspecial): invalid, but seen in the wild.
        ct = f"Content-Type: multipart/mixed; boundary={b}"
    else:
        b = b.lstrip("=")  # a valid token, unquoted
        ct = f"Content-Type: multipart/mixed; boundary={b}"
    h = c.std_headers(extra=[ct])
    return join(h, multipart(b, parts))


def k_mixed_png_zip_2231(c: Ctx) -> bytes:
    b = c.boundary()
    zipdata = make_zip(b"notes.txt", (c.paragraph(2) + "\r\n").encode())
    parts = [
        part(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit"], c.words(8) + "\r\n"),
        part(["Content-Type: image/png; name*=UTF-8''%C3%BCbersicht.png",
              "Content-Transfer-Encoding: base64",
              "Content-ID: <img%d@example.com>" % c.i,
              "Content-Disposition: inline;\r\n filename*0*=UTF-8''%C3%BCber;\r\n filename*1*=sicht%20gro%C3%9F;\r\n"
              " filename*2=\".png\""],
             b64lines(PNG)),
        part(["Content-Type: application/zip", "Content-Transfer-Encoding: base64",
              "Content-Disposition: attachment;\r\n filename*0=\"very-long-archive-name-\";\r\n"
              " filename*1=\"part-two.zip\"; modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\""],
             b64lines(zipdata)),
    ]
    h = c.std_headers(extra=[f"Content-Type: multipart/mixed;\r\n\tboundary=\"{b}\""])
    return join(h, multipart(b, parts))


def k_alt_related(c: Ctx) -> bytes:
    outer, inner = c.boundary(), c.boundary() + "r"
    html = f"<html><body><img src=\"cid:logo{c.i}@example.com\"><p>{c.words(6)}</p></body></html>"
    related = multipart(inner, [
        part(["Content-Type: text/html; charset=\"us-ascii\"", "Content-Transfer-Encoding: 7bit"], html),
        part(["Content-Type: image/png", "Content-Transfer-Encoding: base64", f"Content-ID: <logo{c.i}@example.com>",
              "Content-Disposition: inline; filename=logo.png"], b64lines(PNG)),
    ])
    parts = [
        part(["Content-Type: text/plain; charset=us-ascii"], c.paragraph(2)),
        part([f"Content-Type: multipart/related; type=\"text/html\"; boundary=\"{inner}\""], related),
    ]
    h = c.std_headers(extra=[f"Content-Type: multipart/alternative; boundary=\"{outer}\""])
    return join(h, multipart(outer, parts))


def inner_message(c: Ctx, with_attachment_marker: bool) -> str:
    b = c.boundary() + "i"
    att_text = f"{c.words(5)} {MARKERS['attach'] if with_attachment_marker else c.words(1)}\r\n"
    inner = multipart(b, [
        part(["Content-Type: text/plain; charset=utf-8"], c.paragraph(2)),
        part(["Content-Type: text/plain; charset=utf-8; name=notes.txt", "Content-Transfer-Encoding: base64",
              "Content-Disposition: attachment; filename=notes.txt"], b64lines(att_text.encode())),
    ])
    name, email = c.person()
    hdrs = [f"From: {ew_q(MARKERS['name_enc'] + ' ' + name.split()[0], 'ISO-8859-1')} <{email}>",
            f"To: {c.addr()}, {c.addr()}",
            f"Cc: {c.addr()}",
            f"Subject: Fwd inner {c.words(3)}",
            f"Date: {c.date()}",
            f"Message-ID: {c.msgid()}",
            "MIME-Version: 1.0",
            f"Content-Type: multipart/mixed; boundary=\"{b}\""]
    return "\r\n".join(hdrs) + "\r\n\r\n" + inner


def k_forward_rfc822(c: Ctx) -> bytes:
    b = c.boundary()
    parts = [
        part(["Content-Type: text/plain; charset=us-ascii"], "See the forwarded message.\r\n" + c.words(5)),
        part(["Content-Type: message/rfc822", "Content-Disposition: attachment; filename=\"forwarded.eml\"",
              "Content-Description: Forwarded message"], inner_message(c, True)),
    ]
    h = c.std_headers(subject="Fwd: " + c.words(3), extra=[f"Content-Type: multipart/mixed; boundary=\"{b}\""])
    return join(h, multipart(b, parts))


def k_toplevel_rfc822(c: Ctx) -> bytes:
    # The whole body is a message/rfc822 (bounces and some forwarders do this).
    h = c.std_headers(extra=["Content-Type: message/rfc822"])
    return join(h, inner_message(c, False))


def k_nested_rfc822(c: Ctx) -> bytes:
    b, b2 = c.boundary().lstrip("="), c.boundary().lstrip("=") + "n"  # unquoted tokens below
    inner_outer = multipart(b2, [
        part(["Content-Type: text/plain"], "middle layer " + c.words(3)),
        part(["Content-Type: message/rfc822"], inner_message(c, False)),
    ])
    middle = "\r\n".join([f"From: {c.addr()}", f"Subject: middle {c.words(2)}", f"Date: {c.date()}",
                          "MIME-Version: 1.0", f"Content-Type: multipart/mixed; boundary={b2}"]) + "\r\n\r\n" + inner_outer
    h = c.std_headers(extra=[f"Content-Type: multipart/mixed; boundary={b}"])
    return join(h, multipart(b, [part(["Content-Type: text/plain"], "outer"),
                                 part(["Content-Type: message/rfc822"], middle)]))


def k_digest(c: Ctx) -> bytes:
    b = c.boundary()
    parts = []
    for n in range(3):
        # Parts of a digest default to message/rfc822: no Content-Type here.
        parts.append("\r\n".join([f"From: {c.addr()}", f"Subject: Digest item {n} {c.words(2)}",
                                  f"Date: {c.date()}", f"Message-ID: {c.msgid()}"]) + "\r\n\r\n" + c.paragraph(2))
    parts.append(part(["Content-Type: text/plain"], "explicit text part in a digest"))
    h = c.std_headers(subject=f"List digest, Vol {c.i}, Issue {c.i % 9}",
                      extra=[f"Content-Type: multipart/digest; boundary=\"{b}\""])
    body = multipart(b, parts, preamble="Today's topics:\r\n  1. " + c.words(3), epilogue="end of digest\r\n")
    return join(h, body)


def k_encoded_subjects(c: Ctx) -> bytes:
    variants = [
        f"{ew_b(MARKERS['subj_utf8'] + ' aus München')}",
        f"{ew_q(MARKERS['subj_utf8'] + ' vom Team')} {c.words(2)}",
        f"Re: {ew_q('Café crème', 'ISO-8859-1')} =?utf-8?b?{base64.b64encode('日本語のテスト'.encode()).decode()}?=",
        f"{ew_b('Привет мир', 'KOI8-R')} {c.words(1)}",
        f"{ew_q('Präsentation', 'windows-1252')}\r\n {ew_q(' und Bericht', 'windows-1252')}",
        f"=?ISO-2022-JP?B?{base64.b64encode('会議'.encode('iso-2022-jp')).decode()}?= {c.words(2)}",
        # Unknown charsets: Dovecot leaves such a payload out of its search normalisation, so only
        # the upper-case one matches a SUBJECT search there (see KNOWN_SEARCH_DIFFERENCES).
        "=?utf-8?q?broken_encoded_word?= =?unknown-charset?Q?ABC?= =?x-unknown?Q?xyzzy?= =?utf-8?B?invalid!!?=",
        f"{ew_b('emoji 🎉 party')}{ew_b(' adjacent')}",
    ]
    subj = variants[c.variant(len(variants))]
    name, email = c.person()
    from_ = f"{ew_b(MARKERS['name_enc'] + ', ' + name)} <{email}>"
    h = c.std_headers(subject=subj, extra=["Content-Type: text/plain; charset=utf-8",
                                           "Content-Transfer-Encoding: 8bit"])
    h = [x if not x.startswith("From:") else f"From: {from_}" for x in h]
    return join(h, "Body with ünïcödé " + c.words(4) + "\r\n")


def k_odd_addresses(c: Ctx) -> bytes:
    variants = [
        ("\"Smith, John\" <john.smith@example.com>", "undisclosed-recipients:;",
         "Team: a@example.com, \"B, Person\" <b@example.com>;, c@example.org"),
        ("bob", "alice@example.com (Alice Comment)", "<@route1.example,@route2.example:carol@example.net>"),
        ("\"Quoted \\\"Nick\\\" Name\" <nick@example.com>", "Empty Group:;, dave@example.com",
         "=?UTF-8?Q?M=C3=BCller=2C_Hans?= <hans@example.de>"),
        ("<nobody@example.com>", "\"\" <empty-name@example.com>", "user@[192.0.2.1]"),
        ("Winston (the) Churchill <w@example.org>", "a@b, , c@d", "\"Weird <> chars\" <w2@example.org>"),
        ("=?iso-8859-1?Q?Fran=E7ois?= <francois@example.fr>", "no-at-sign-here, x@example.com",
         "Group One: one@example.com;, Group Two: two@example.com, three@example.com;"),
    ]
    frm, to, cc = variants[c.variant(len(variants))]
    h = [f"Date: {c.date()}", f"From: {frm}", f"To: {to}", f"Cc: {cc}",
         f"Reply-To: {c.addr()}", f"Sender: {c.addr()}", f"Bcc: {c.addr()}",
         f"Subject: odd addresses {c.words(2)}", f"Message-ID: {c.msgid()}",
         f"In-Reply-To: {c.msgid()}", f"X-Compat-Tag: tag-{c.i % 10}",
         "MIME-Version: 1.0", "Content-Type: text/plain"]
    return join(h, c.words(6) + "\r\n")


def k_missing_headers(c: Ctx) -> bytes:
    which = c.variant(3)
    h = [f"From: {c.addr()}", f"To: {c.addr()}", f"Subject: missing headers {which} {c.words(2)}"]
    if which != 0:
        h.append(f"Date: {c.date()}")
    if which != 1:
        h.append(f"Message-ID: {c.msgid()}")
    if which == 2:
        h.append("Content-Type: text/plain; charset=utf-8")  # no MIME-Version
    return join(h, c.words(5) + "\r\n")


def k_duplicated_headers(c: Ctx) -> bytes:
    h = [f"Date: {c.date()}", f"Date: {c.date()}", f"From: {c.addr()}", f"From: {c.addr()}",
         f"Subject: first subject {c.words(2)}", f"Subject: second subject {c.words(2)}",
         f"To: {c.addr()}", f"To: {c.addr()}", f"Message-ID: {c.msgid()}", f"Message-ID: {c.msgid()}",
         "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii", "Content-Type: text/html",
         f"X-Compat-Tag: tag-{c.i % 10}", "Received: by a.example; " + c.date(),
         "Received: by b.example; " + c.date()]
    return join(h, c.words(5) + "\r\n")


def k_folded_headers(c: Ctx) -> bytes:
    refs = "\r\n ".join(c.msgid() for _ in range(12))
    subj = c.words(8) + "\r\n\t" + c.words(8) + "\r\n " + c.words(6)
    h = c.std_headers(subject=subj, extra=[
        f"References: {refs}",
        f"To: {c.addr()},\r\n    {c.addr()},\r\n\t{c.addr()}",
        "Content-Type: text/plain;\r\n charset=\"utf-8\";\r\n format=flowed;\r\n delsp=yes",
        "X-Long-Header: " + " ".join(c.words(1) for _ in range(60)),
        "X-Empty-Header:",
        "X-Spaces-Only:   ",
    ])
    # Two To headers now (std + extra): keep the folded one only.
    first_to = next(x for x in h if x.startswith("To: "))
    h.remove(first_to)
    return join(h, c.paragraph(2) + "\r\n")


def k_content_headers(c: Ctx) -> bytes:
    b = c.boundary()
    md5 = base64.b64encode(hashlib.md5(b"hello world\r\n").digest()).decode()
    parts = [
        part(["Content-Type: text/plain; charset=us-ascii",
              "Content-Language: en-US, de",
              "Content-Location: http://example.com/text.txt",
              f"Content-MD5: {md5}",
              f"Content-ID: <text{c.i}@example.com>",
              "Content-Description: The plain text part (\"quoted\")",
              "Content-Disposition: inline; creation-date=\"Wed, 12 Feb 1997 16:29:51 -0500\""],
             "hello world\r\n"),
        part(["Content-Type: text/x-custom; charset=us-ascii; x-param=\"a b;c\"",
              "Content-Language: fr",
              "Content-Location: relative/path.txt",
              "Content-Disposition: ATTACHMENT; FILENAME=\"UPPER.TXT\"; size=12; read-date=\"Thu, 13 Feb 1997 10:00:00 +0000\""],
             "custom type\r\n"),
        part(["Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64"],
             b64lines(bytes(range(256)))),
    ]
    h = c.std_headers(extra=[f"Content-Type: multipart/mixed; boundary=\"{b}\"; charset=ignored",
                             "Content-Language: en", "Content-Description: top level description"])
    return join(h, multipart(b, parts))


def k_lf_only(c: Ctx) -> bytes:
    if c.variant(2) == 0:
        raw = k_plain_ascii(c)
    else:
        raw = k_alternative(c)
    return raw.replace(b"\r\n", b"\n")


def k_8bit_headers(c: Ctx) -> bytes:
    h = [f"Date: {c.date()}", "From: Jürgen Groß <juergen@example.de>", f"To: {c.addr()}",
         f"Subject: Raw 8-bit Überraschung {c.words(2)}", f"Message-ID: {c.msgid()}",
         f"X-Compat-Tag: tag-{c.i % 10}", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
         "Content-Transfer-Encoding: 8bit"]
    raw = join(h, "Körper " + c.words(3) + "\r\n")
    if c.variant(2):
        raw = raw.replace("Überraschung".encode(), "Überraschung".encode("latin-1"))  # invalid UTF-8
    return raw


def k_unterminated(c: Ctx) -> bytes:
    b = c.boundary()
    parts = [part(["Content-Type: text/plain"], c.paragraph(2)),
             part(["Content-Type: text/html"], "<p>" + c.words(4) + "</p>\r\n")]
    h = c.std_headers(extra=[f"Content-Type: multipart/mixed; boundary=\"{b}\""])
    return join(h, multipart(b, parts, terminated=False))


def k_missing_boundary(c: Ctx) -> bytes:
    # multipart without a boundary parameter, and a boundary that never appears.
    if c.variant(2):
        h = c.std_headers(extra=["Content-Type: multipart/mixed"])
    else:
        h = c.std_headers(extra=["Content-Type: multipart/alternative; boundary=\"never-used\""])
    return join(h, c.paragraph(2) + "\r\n")


def k_empty_body(c: Ctx) -> bytes:
    h = c.std_headers(extra=["Content-Type: text/plain"])
    if c.variant(2):
        return join(h, "")  # header, blank line, nothing
    return ("\r\n".join(h) + "\r\n").encode()  # no blank line at all


def k_long_lines(c: Ctx) -> bytes:
    line = " ".join(c.words(1) for _ in range(400))  # ~2500 chars, over the 998 limit
    h = c.std_headers(extra=["Content-Type: text/plain; charset=us-ascii",
                             "X-Very-Long: " + "x" * 1500])
    return join(h, line + "\r\n" + "y" * 5000 + "\r\nshort\r\n")


def k_signed(c: Ctx) -> bytes:
    b = c.boundary()
    sig = "-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEE" + "A" * 60 + "\r\n=abcd\r\n-----END PGP SIGNATURE-----\r\n"
    parts = [part(["Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"], c.paragraph(2)),
             part(["Content-Type: application/pgp-signature; name=\"signature.asc\"",
                   "Content-Description: OpenPGP digital signature",
                   "Content-Disposition: attachment; filename=\"signature.asc\""], sig)]
    h = c.std_headers(extra=[f"Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
                             f" protocol=\"application/pgp-signature\"; boundary=\"{b}\""])
    return join(h, multipart(b, parts))


def k_calendar(c: Ctx) -> bytes:
    b = c.boundary()
    ics = ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:" + c.words(3) +
           "\r\nDTSTART:20240101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    parts = [part(["Content-Type: text/plain; charset=utf-8"], "Invitation: " + c.words(4)),
             part(["Content-Type: text/calendar; charset=utf-8; method=REQUEST",
                   "Content-Transfer-Encoding: base64"], b64lines(ics.encode())),
             part(["Content-Type: application/ics; name=\"invite.ics\"",
                   "Content-Disposition: attachment; filename=\"invite.ics\"",
                   "Content-Transfer-Encoding: base64"], b64lines(ics.encode()))]
    h = c.std_headers(subject="Invitation: " + c.words(2),
                      extra=[f"Content-Type: multipart/mixed; boundary=\"{b}\""])
    return join(h, multipart(b, parts))


def k_report(c: Ctx) -> bytes:
    b = c.boundary()
    parts = [
        part(["Content-Type: text/plain; charset=us-ascii"], "Delivery failed for " + c.addr()),
        part(["Content-Type: message/delivery-status"],
             "Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; x@example.com\r\n"
             "Action: failed\r\nStatus: 5.1.1\r\n"),
        part(["Content-Type: text/rfc822-headers"],
             f"From: {c.addr()}\r\nTo: x@example.com\r\nSubject: original {c.words(2)}\r\n"),
    ]
    h = c.std_headers(subject="Undelivered Mail Returned to Sender",
                      extra=[f"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{b}\""])
    h = [x if not x.startswith("From:") else "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)" for x in h]
    return join(h, multipart(b, parts))


def k_odd_content_type(c: Ctx) -> bytes:
    variants = [
        "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII",
        "Content-Type: text",
        "Content-Type: text/plain; charset=\"utf-8\" (a comment); format=\"flowed\"",
        "Content-Type: ;",
        "Content-Type: application/x-unknown; name=file.bin",
        "Content-Type: text/plain; charset=utf-8; name=\"=?UTF-8?B?w6RyZ2VyLnR4dA==?=\"",
        "Content-Type: text/plain; charset=bogus-charset",
        "Content-Type: image/jpeg; name=photo.jpg",
    ]
    ct = variants[c.variant(len(variants))]
    cte = "Content-Transfer-Encoding: 7BIT" if c.i % 2 else "Content-Transfer-Encoding: x-uuencode"
    h = c.std_headers(extra=[ct, cte])
    return join(h, c.paragraph(2) + "\r\n")


def k_preamble_epilogue(c: Ctx) -> bytes:
    b = "simple boundary with spaces"
    parts = [part([], "implicitly typed part " + c.words(3)),
             part(["Content-type: text/plain; charset=us-ascii"], "explicit " + c.words(3) + "\r\n")]
    body = multipart(b, parts, preamble="preamble line 1\r\npreamble line 2",
                     epilogue="epilogue text\r\nmore epilogue\r\n")
    h = c.std_headers(extra=[f"Content-Type: multipart/mixed; boundary=\"{b}\""])
    return join(h, body)


def k_encoded_filenames(c: Ctx) -> bytes:
    b = c.boundary()
    parts = [
        part(["Content-Type: text/plain; charset=utf-8"], c.words(5)),
        part([f"Content-Type: application/pdf; name=\"{ew_b('Überweisung März.pdf')}\"",
              f"Content-Disposition: attachment; filename=\"{ew_b('Überweisung März.pdf')}\"",
              "Content-Transfer-Encoding: base64"], b64lines(PDF)),
        part(["Content-Type: text/plain; charset=iso-8859-1; name*=iso-8859-1'de'B%FCcher.txt",
              "Content-Disposition: attachment; filename*=iso-8859-1'de'B%FCcher.txt",
              "Content-Transfer-Encoding: quoted-printable"], qp("Bücher " + c.words(3), "iso-8859-1")),
    ]
    h = c.std_headers(subject=ew_q("Anhänge") + " " + c.words(2),
                      extra=[f"Content-Type: multipart/mixed; boundary=\"{b}\""])
    return join(h, multipart(b, parts))


def k_mixed_qp_b64_text(c: Ctx) -> bytes:
    # Several text parts with different encodings; BODY searches must decode each.
    b = c.boundary()
    parts = [
        part(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"],
             b64lines(f"{c.words(3)} {MARKERS['b64']} first\r\n".encode())),
        part(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
             qp(f"{c.words(20)} {MARKERS['qp']} {c.words(10)} {MARKERS['body_utf8']}\r\n")),
        part(["Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable"],
             qp(f"Adiós {MARKERS['latin1']}\r\n", "iso-8859-1")),
    ]
    h = c.std_headers(extra=[f"Content-Type: multipart/mixed; boundary=\"{b}\""])
    return join(h, multipart(b, parts))


KINDS = [
    k_plain_ascii, k_plain_no_ct, k_plain_utf8_8bit, k_plain_latin1_qp, k_plain_latin1_8bit, k_plain_qp_utf8,
    k_plain_base64, k_alternative, k_mixed_pdf, k_mixed_png_zip_2231, k_alt_related, k_forward_rfc822,
    k_toplevel_rfc822, k_nested_rfc822, k_digest, k_encoded_subjects, k_odd_addresses, k_missing_headers,
    k_duplicated_headers, k_folded_headers, k_content_headers, k_8bit_headers, k_unterminated,
    k_missing_boundary, k_empty_body, k_long_lines, k_signed, k_calendar, k_report, k_odd_content_type,
    k_preamble_epilogue, k_encoded_filenames, k_mixed_qp_b64_text, k_encoded_subjects, k_odd_addresses,
]
# LF-only messages: a few, at fixed positions.
LF_ONLY_AT = {17, 58, 101, 142}

FLAG_CHOICES = [(), (), ("\\Seen",), ("\\Seen",), ("\\Seen", "\\Flagged"), ("\\Answered", "\\Seen"),
                ("\\Draft",), ("\\Flagged",)]


def internaldate(rng: random.Random) -> str:
    # UTC only: Dovecot's maildir keeps INTERNALDATE as a file time and reports it in its zone.
    day, mon = rng.randint(1, 28), rng.randint(0, 11)
    year = rng.choice([2023, 2024])
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    return f'"{day:02d}-{MONTHS[mon]}-{year} {hh:02d}:{mm:02d}:{ss:02d} +0000"'


def k_header_words_in_body(c: Ctx) -> bytes:
    # A text part whose body *talks about* MIME headers: BODY "Content-Type" must find this
    # message and no message that only carries a Content-Type header.
    b = c.boundary()
    parts = [part(["Content-Type: text/plain; charset=us-ascii"],
                  "Please set the Content-Type of the upload to text/csv, " + c.words(4) + "\r\n"),
             part(["Content-Type: text/csv; name=upload.csv", "Content-Disposition: attachment"], "a,b\r\n1,2\r\n")]
    h = c.std_headers(subject="upload settings " + c.words(2),
                      extra=[f"Content-Type: multipart/mixed; boundary=\"{b}\""])
    return join(h, multipart(b, parts))


# Kinds that occur once, after the cycle and its coverage pass (indexes 150 and up).
EXTRA_KINDS = [k_header_words_in_body]


def build_corpus(count: int = COUNT) -> list[CorpusMessage]:
    """The corpus: COUNT messages cycling through KINDS, then one message for every variant
    of a kind that the cycle never produced (so every input the README lists occurs), then
    one message of each EXTRA_KINDS, then tests/compat/messages/*.eml."""
    rng = random.Random(SEED)
    out = []
    seen: dict = {}  # kind function -> (variants produced, number of variants)

    def add(fn, forced_variant=None):
        c = Ctx(rng, len(out), forced_variant)
        raw = fn(c)
        if c.chosen is not None:
            done, _ = seen.setdefault(fn, (set(), c.chosen[1]))
            done.add(c.chosen[0])
        flags = rng.choice(FLAG_CHOICES)
        out.append(CorpusMessage(c.i, fn.__name__[2:], raw, flags, internaldate(rng)))

    for i in range(count):
        add(k_lf_only if i in LF_ONLY_AT else KINDS[i % len(KINDS)])
    for fn, (done, n) in list(seen.items()):
        for v in range(n):
            if v not in done:
                add(fn, v)
    for fn in EXTRA_KINDS:
        add(fn)
    # Hand-written .eml files, if any, come after the generated ones.
    msgdir = Path(__file__).resolve().parent / "messages"
    if msgdir.is_dir():
        for path in sorted(msgdir.glob("*.eml")):
            i = len(out)
            out.append(CorpusMessage(i, "eml:" + path.name, path.read_bytes(), (), internaldate(rng)))
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
    target.mkdir(parents=True, exist_ok=True)
    corpus = build_corpus()
    for m in corpus:
        (target / f"{m.index:03d}-{m.kind.replace(':', '_')}.eml").write_bytes(m.raw)
    print(f"{len(corpus)} messages written to {target}")
