"""Sieve filtering at delivery, end to end: a script is installed with ``bushbuck sieve put
--activate``, mail comes in over LMTP (spoken byte by byte, one reply per recipient) or
through ``bushbuck deliver``, and the result is checked over IMAP and, for redirect and
vacation, at an SMTP sink that ``bushbuck serve --smtp-relay`` sends to.

RFC 5228 (Sieve), 5230 (vacation), 5232 (imap4flags), 5233 (subaddress), 5293
(editheader), 5490 (mailbox :create), 3894 (copy), 5429 (reject/ereject), 5229
(variables). Whatever goes wrong (runtime error, relay down), mail is never lost: the
implicit keep files it into INBOX.
"""

from __future__ import annotations

import re
import socket
import time

import pytest

from e2e_helpers import HOST, body_item, close_quietly, fetch, flags_of, free_port, list_mailboxes, make_message
from smtp_sink import SmtpSink

EX_UNAVAILABLE = 69


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


class Lmtp:
    """A raw LMTP client (RFC 2033)."""

    def __init__(self, port: int, timeout: float = 30):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        code, _ = self.reply()
        assert code == 220

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"LMTP server closed the connection; unread {self.buf!r}")
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def reply(self) -> tuple[int, str]:
        texts = []
        while True:
            ln = self.line()
            m = re.match(rb"^(\d{3})([ -])(.*)$", ln)
            assert m, f"not an LMTP reply line: {ln!r}"
            texts.append(m.group(3).decode("utf-8", "replace"))
            if m.group(2) == b" ":
                return int(m.group(1)), "\n".join(texts)

    def cmd(self, text: str) -> tuple[int, str]:
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()

    def close(self) -> None:
        try:
            self.cmd("QUIT")
        except (OSError, EOFError):
            pass
        self.sock.close()


def lmtp_send(server, message: bytes, rcpts: list[str], mail_from: str = "sender@example.net") -> list[tuple[int, str]]:
    """One LMTP transaction. Returns the reply after DATA for each recipient (in order);
    every RCPT must have been accepted."""
    c = Lmtp(server.lmtp_port)
    try:
        code, text = c.cmd("LHLO test.example")
        assert code == 250, text
        code, text = c.cmd(f"MAIL FROM:<{mail_from}>")
        assert code == 250, f"MAIL FROM:<{mail_from}> -> {code} {text}"
        for r in rcpts:
            code, text = c.cmd(f"RCPT TO:<{r}>")
            assert code == 250, f"RCPT TO:<{r}> -> {code} {text}"
        code, text = c.cmd("DATA")
        assert code == 354, text
        stuffed = b"".join((b"." + ln if ln.startswith(b".") else ln) for ln in message.splitlines(keepends=True))
        c.sock.sendall(stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        return [c.reply() for _ in rcpts]
    finally:
        c.close()


def lmtp_ok(server, message: bytes, rcpts: list[str] | str = "alice@example.org", mail_from: str = "sender@example.net") -> None:
    if isinstance(rcpts, str):
        rcpts = [rcpts]
    replies = lmtp_send(server, message, rcpts, mail_from)
    for r, (code, text) in zip(rcpts, replies):
        assert code == 250, f"LMTP DATA for <{r}> -> {code} {text}"


def install(server, script: str | bytes, user: str = "alice", name: str = "filter", activate: bool = True) -> None:
    """Puts a script with the command line (and activates it)."""
    path = server.data.parent / f"{user}-{name}-{time.monotonic_ns()}.sieve"
    path.write_bytes(script.encode() if isinstance(script, str) else script)
    args = ["sieve", "put", user, name, str(path)]
    if activate:
        args.append("--activate")
    server.cli(*args)


def messages(server, mailbox: str = "INBOX", user: str = "alice") -> list[dict]:
    """[{flags: set, data: bytes}] of MAILBOX (empty if it does not exist)."""
    m = server.imap(user)
    try:
        typ, data = m.select(f'"{mailbox}"', readonly=True)
        if typ != "OK":
            return []
        if int(data[0]) == 0:
            return []
        res = fetch(m, "1:*", "(FLAGS BODY.PEEK[])")
        return [{"flags": flags_of(res[k]), "data": body_item(res[k], "BODY[")} for k in sorted(res)]
    finally:
        close_quietly(m)


def mailbox_names(server, user: str = "alice") -> set[str]:
    m = server.imap(user)
    try:
        return set(list_mailboxes(m))
    finally:
        close_quietly(m)


def create_mailbox(server, name: str, user: str = "alice") -> None:
    m = server.imap(user)
    try:
        typ, data = m.create(f'"{name}"')
        assert typ == "OK", (name, data)
    finally:
        close_quietly(m)


def subjects(msgs: list[dict]) -> list[str]:
    out = []
    for msg in msgs:
        m = re.search(rb"(?im)^Subject: (.*)\r$", msg["data"].split(b"\r\n\r\n", 1)[0] + b"\r")
        out.append(m.group(1).decode() if m else "")
    return out


def header_values(data: bytes, name: str) -> list[str]:
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    out = []
    for fld in re.split(r"\r\n(?![ \t])", head):
        k, sep, v = fld.partition(":")
        if sep and k.strip().lower() == name.lower():
            out.append(re.sub(r"\r\n[ \t]", " ", v).strip())
    return out


def msg(subject: str, sender: str = "sender@example.net", to: str = "alice@example.org", body: str = "Hello.\n",
        extra: str = "", mid: str | None = None) -> bytes:
    return make_message(subject, body=body, sender=sender, to=to, extra_headers=extra,
                        message_id=mid or f"<{subject.replace(' ', '-').lower()}-{time.monotonic_ns()}@example.net>")


@pytest.fixture
def relay(make_server):
    """(server, sink): a server whose --smtp-relay is an SmtpSink."""
    sink = SmtpSink()
    srv = make_server(start=False)
    srv.extra_args = ["--smtp-relay", sink.address]
    srv.start()
    yield srv, sink
    sink.close()


# ---------------------------------------------------------------------------------------
# No script, inactive script
# ---------------------------------------------------------------------------------------


def test_inactive_script_does_nothing(server):
    install(server, "discard;\r\n", activate=False)
    lmtp_ok(server, msg("plain"))
    assert subjects(messages(server)) == ["plain"]


def test_deactivated_script_stops_filtering(server):
    install(server, "discard;\r\n")
    lmtp_ok(server, msg("dropped"))
    assert messages(server) == []
    from test_sieve_managesieve import ManageSieve  # the raw client
    c = ManageSieve(server.sieve_port).login("alice")
    c.ok('SETACTIVE ""')
    c.logout()
    lmtp_ok(server, msg("kept"))
    assert subjects(messages(server)) == ["kept"]


# ---------------------------------------------------------------------------------------
# fileinto, :create, imap4flags
# ---------------------------------------------------------------------------------------


FILEINTO_BY_HEADER = """\
require ["fileinto"];
# Mailing list traffic goes to Lists, the boss to Work.
if header :contains "subject" "[lists]" {
    fileinto "Lists";
} elsif address :is "from" "boss@example.com" {
    fileinto "Work";
    stop;
}
"""


def test_fileinto_by_header(server):
    create_mailbox(server, "Lists")
    create_mailbox(server, "Work")
    install(server, FILEINTO_BY_HEADER)
    lmtp_ok(server, msg("[lists] weekly digest"))
    lmtp_ok(server, msg("from the boss", sender="Boss <boss@example.com>"))
    lmtp_ok(server, msg("ordinary"))
    assert subjects(messages(server, "Lists")) == ["[lists] weekly digest"]
    assert subjects(messages(server, "Work")) == ["from the boss"]
    assert subjects(messages(server)) == ["ordinary"]
    stored = messages(server, "Lists")[0]["data"]
    assert stored.startswith(b"Return-Path: <sender@example.net>\r\n"), stored[:200]


def test_fileinto_several_recipients_each_with_own_script(server):
    create_mailbox(server, "Lists")
    install(server, FILEINTO_BY_HEADER)
    lmtp_ok(server, msg("[lists] shared"), ["alice@example.org", "bob@example.org"])
    assert subjects(messages(server, "Lists")) == ["[lists] shared"]
    assert messages(server) == []
    assert subjects(messages(server, user="bob")) == ["[lists] shared"]


def test_fileinto_missing_mailbox_without_create_goes_to_inbox(server):
    install(server, 'require "fileinto";\nfileinto "Nowhere";\n')
    lmtp_ok(server, msg("to nowhere"))
    assert subjects(messages(server)) == ["to nowhere"]
    assert "Nowhere" not in mailbox_names(server)


def test_fileinto_create(server):
    install(server, 'require ["fileinto", "mailbox"];\nfileinto :create "Created";\n')
    lmtp_ok(server, msg("creates a mailbox"))
    assert "Created" in mailbox_names(server)
    assert subjects(messages(server, "Created")) == ["creates a mailbox"]
    assert messages(server) == []
    lmtp_ok(server, msg("second"))  # now it exists
    assert subjects(messages(server, "Created")) == ["creates a mailbox", "second"]


def test_fileinto_with_variables_from_match(server):
    script = """\
require ["fileinto", "mailbox", "variables"];
if header :matches "subject" "[*] *" {
    fileinto :create "lists.${1}";
}
"""
    install(server, script)
    lmtp_ok(server, msg("[rust] release notes"))
    assert subjects(messages(server, "lists.rust")) == ["[rust] release notes"]


def test_fileinto_by_body(server):
    create_mailbox(server, "Newsletters")
    install(server, 'require ["body", "fileinto"];\nif body :text :contains "unsubscribe" { fileinto "Newsletters"; }\n')
    lmtp_ok(server, msg("news", body="Big news!\nClick here to unsubscribe.\n"))
    lmtp_ok(server, msg("personal", body="Lunch?\n"))
    assert subjects(messages(server, "Newsletters")) == ["news"]
    assert subjects(messages(server)) == ["personal"]


def test_imap4flags_on_keep_and_fileinto(server):
    create_mailbox(server, "Lists")
    script = r"""require ["imap4flags", "fileinto"];
if header :contains "subject" "urgent" {
    addflag "\\Flagged";
    addflag "$Important";
    keep;
    stop;
}
fileinto :flags ["\\Seen", "$Bulk"] "Lists";
"""
    install(server, script)
    lmtp_ok(server, msg("urgent: server down"))
    lmtp_ok(server, msg("bulk"))
    [inbox] = messages(server)
    assert {"\\flagged", "$important"} <= inbox["flags"], inbox["flags"]
    assert "\\seen" not in inbox["flags"], inbox["flags"]
    [filed] = messages(server, "Lists")
    assert {"\\seen", "$bulk"} <= filed["flags"], filed["flags"]
    assert "\\flagged" not in filed["flags"], filed["flags"]


def test_imap4flags_implicit_keep_uses_internal_flags(server):
    install(server, 'require "imap4flags";\nsetflag ["\\\\Answered", "$Label1"];\n')
    lmtp_ok(server, msg("flagged by implicit keep"))
    [m] = messages(server)
    assert {"\\answered", "$label1"} <= m["flags"], m["flags"]


# ---------------------------------------------------------------------------------------
# discard, reject, ereject
# ---------------------------------------------------------------------------------------


def test_discard_stores_nothing(server):
    install(server, 'if header :contains "subject" "spam" { discard; }\n')
    replies = lmtp_send(server, msg("cheap spam"), ["alice@example.org", "bob@example.org"])
    assert [c for c, _ in replies] == [250, 250], replies
    assert messages(server) == []
    assert subjects(messages(server, user="bob")) == ["cheap spam"]
    lmtp_ok(server, msg("ham"))
    assert subjects(messages(server)) == ["ham"]


@pytest.mark.parametrize("ext", ["reject", "ereject"])
def test_reject_over_lmtp_is_550_for_that_recipient(server, ext):
    install(server, f'require "{ext}";\nif header :contains "subject" "offer" {{ {ext} "No offers, thank you."; }}\n')
    replies = lmtp_send(server, msg("special offer"), ["alice@example.org", "bob@example.org"])
    (ac, atext), (bc, btext) = replies
    assert ac == 550 and atext.startswith("5.7.1"), f"alice: {ac} {atext}"
    assert "No offers, thank you." in atext, atext
    assert bc == 250, f"bob: {bc} {btext}"
    assert messages(server) == []
    assert subjects(messages(server, user="bob")) == ["special offer"]
    lmtp_ok(server, msg("hello again"))
    assert subjects(messages(server)) == ["hello again"]


# ---------------------------------------------------------------------------------------
# redirect
# ---------------------------------------------------------------------------------------


def assert_relayed_unchanged(got: bytes, original: bytes) -> None:
    """The relayed message is the original; trace fields (Received, X-Loop, ...) may be
    prepended, but not Return-Path (RFC 5321 4.4: only the final delivery adds it)."""
    assert got.endswith(original), f"relayed message differs from the original:\n{got!r}\nvs\n{original!r}"
    prefix = got[: len(got) - len(original)]
    if prefix:
        assert re.fullmatch(rb"(?:[!-9;-~]+:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)+", prefix), \
            f"relayed message has non-header bytes before the original: {prefix!r}"
        assert not re.match(rb"(?im)^return-path:", prefix), prefix


def test_redirect_sends_unchanged_and_cancels_keep(relay):
    server, sink = relay
    install(server, 'redirect "carol@example.com";\n')
    original = msg("please forward", sender="Dave <dave@example.net>")
    lmtp_ok(server, original, mail_from="dave@example.net")
    [out] = sink.wait_for(1)
    assert out.mail_from == "dave@example.net", out
    assert out.rcpt_tos == ["carol@example.com"], out
    assert_relayed_unchanged(out.data, original)
    assert messages(server) == [], "redirect without :copy must cancel the implicit keep"


def test_redirect_copy_also_keeps(relay):
    server, sink = relay
    install(server, 'require "copy";\nredirect :copy "carol@example.com";\n')
    original = msg("copy me")
    lmtp_ok(server, original)
    [out] = sink.wait_for(1)
    assert out.rcpt_tos == ["carol@example.com"] and out.mail_from == "sender@example.net", out
    assert_relayed_unchanged(out.data, original)
    assert subjects(messages(server)) == ["copy me"]


def test_redirect_and_fileinto(relay):
    server, sink = relay
    # Archive is one of the folders every new user gets.
    install(server, 'require "fileinto";\nredirect "carol@example.com";\nfileinto "Archive";\n')
    lmtp_ok(server, msg("both"))
    sink.wait_for(1)
    assert subjects(messages(server, "Archive")) == ["both"]
    assert messages(server) == []


def test_redirect_with_null_sender_keeps_null_sender(relay):
    server, sink = relay
    install(server, 'redirect "carol@example.com";\n')
    lmtp_ok(server, msg("a bounce"), mail_from="")
    [out] = sink.wait_for(1)
    assert out.mail_from == "", out


def test_redirect_without_relay_keeps(server):
    install(server, 'redirect "carol@example.com";\n')
    lmtp_ok(server, msg("nowhere to relay"))
    assert subjects(messages(server)) == ["nowhere to relay"]


def test_relay_down_keeps(make_server):
    dead = free_port()  # nothing listens there
    server = make_server(start=False)
    server.extra_args = ["--smtp-relay", f"{HOST}:{dead}"]
    server.start()
    install(server, 'require "vacation";\nvacation "away";\nredirect "carol@example.com";\n')
    t0 = time.monotonic()
    lmtp_ok(server, msg("relay is down"))
    assert time.monotonic() - t0 < 30
    assert subjects(messages(server)) == ["relay is down"]


def test_too_many_redirects_is_a_runtime_error_and_keeps(relay):
    server, sink = relay
    # MAXREDIRECTS is 4: the fifth redirect is a runtime error, so implicit keep.
    targets = [f"r{i}@example.com" for i in range(5)]
    install(server, "".join(f'redirect "{t}";\n' for t in targets))
    lmtp_ok(server, msg("too many"))
    assert subjects(messages(server)) == ["too many"]


# ---------------------------------------------------------------------------------------
# vacation
# ---------------------------------------------------------------------------------------


VACATION = """\
require "vacation";
vacation :days 7 :subject "Out of office" :addresses ["alice@example.org"]
  "I am away until Monday.";
"""


def test_vacation_replies_once_per_sender(relay):
    server, sink = relay
    install(server, VACATION)
    first = msg("question one", sender="Carol <carol@example.net>", mid="<q1@example.net>")
    lmtp_ok(server, first, mail_from="carol@example.net")
    [reply] = sink.wait_for(1)
    assert reply.mail_from == "", f"vacation must be sent with MAIL FROM:<> (RFC 5230 5): {reply}"
    assert reply.rcpt_tos == ["carol@example.net"], reply
    assert any("carol@example.net" in v for v in reply.header("To")), reply.data
    assert reply.header("Subject") == ["Out of office"], reply.data
    assert [v.lower() for v in reply.header("Auto-Submitted")] == ["auto-replied"], reply.data
    assert reply.header("In-Reply-To") == ["<q1@example.net>"], reply.data
    assert b"I am away until Monday." in reply.body(), reply.data

    lmtp_ok(server, msg("question two", sender="carol@example.net"), mail_from="carol@example.net")
    lmtp_ok(server, msg("from dave", sender="dave@example.net", mid="<d1@example.net>"), mail_from="dave@example.net")
    replies = sink.wait_for(2)
    replies = sink.settle(1.5)
    assert [r.rcpt_tos for r in replies] == [["carol@example.net"], ["dave@example.net"]], \
        f"expected one reply per sender: {[(r.rcpt_tos, r.header('Subject')) for r in replies]}"
    assert replies[1].header("In-Reply-To") == ["<d1@example.net>"], replies[1].data
    # vacation does not cancel the implicit keep.
    assert subjects(messages(server)) == ["question one", "question two", "from dave"]


def test_vacation_remembers_across_restart(relay):
    server, sink = relay
    install(server, VACATION)
    lmtp_ok(server, msg("before restart", sender="carol@example.net"), mail_from="carol@example.net")
    sink.wait_for(1)
    server.restart()
    lmtp_ok(server, msg("after restart", sender="carol@example.net"), mail_from="carol@example.net")
    assert len(sink.settle(1.5)) == 1, "vacation replied twice to one sender within :days (across a restart)"


def test_vacation_default_subject(relay):
    server, sink = relay
    install(server, 'require "vacation";\nvacation "Gone fishing.";\n')
    lmtp_ok(server, msg("Lunch plans", sender="carol@example.net"), mail_from="carol@example.net")
    [reply] = sink.wait_for(1)
    assert reply.header("Subject") == ["Auto: Lunch plans"], reply.data


@pytest.mark.parametrize("mail_from,sender,to,extra", [
    # Null envelope sender (RFC 5230 4.6, RFC 3834 2).
    ("", "someone@example.net", "alice@example.org", ""),
    # Auto-Submitted other than "no" (RFC 5230 4.6, RFC 3834 2).
    ("robot@example.net", "robot@example.net", "alice@example.org", "Auto-Submitted: auto-generated\n"),
    # Mailing list traffic (RFC 5230 4.6: List-Id and friends).
    ("list@example.net", "list@example.net", "alice@example.org", "List-Id: <dev.example.net>\n"),
    # Not addressed to alice in To/Cc/Bcc (RFC 5230 4.5).
    ("erin@example.net", "erin@example.net", "someone@example.com", ""),
    # System addresses (RFC 5230 4.6).
    ("MAILER-DAEMON@example.net", "MAILER-DAEMON@example.net", "alice@example.org", ""),
    ("dev-request@example.net", "dev-request@example.net", "alice@example.org", ""),
], ids=["null-sender", "auto-submitted", "list-id", "not-addressed", "mailer-daemon", "request"])
def test_vacation_not_sent_to_automated_or_unaddressed_mail(relay, mail_from, sender, to, extra):
    server, sink = relay
    install(server, VACATION)
    lmtp_ok(server, msg("no reply expected", sender=sender, to=to, extra=extra), mail_from=mail_from)
    got = sink.settle(1.5)
    assert got == [], f"vacation replied: {[(m.rcpt_tos, m.header('Subject')) for m in got]}"
    assert subjects(messages(server)) == ["no reply expected"]


# ---------------------------------------------------------------------------------------
# editheader, subaddress
# ---------------------------------------------------------------------------------------


def test_editheader_changes_the_stored_message(server):
    install(server, """\
require "editheader";
addheader "X-Sieve-Filtered" "yes";
addheader :last "X-Trailing" "last one";
deleteheader "X-Spam-Flag";
deleteheader :index 1 "X-Dup";
""")
    original = msg("edit me", extra="X-Spam-Flag: YES\nX-Dup: first\nX-Dup: second\nX-Other: stays\n",
                   body="Body line.\n")
    lmtp_ok(server, original)
    [m] = messages(server)
    data = m["data"]
    # Final delivery puts Return-Path at the very beginning (RFC 5321 4.4), whatever the
    # script added "at the beginning of the existing header" (RFC 5293 4).
    assert data.startswith(b"Return-Path: <sender@example.net>\r\n"), data[:300]
    assert header_values(data, "X-Sieve-Filtered") == ["yes"], data
    assert header_values(data, "X-Trailing") == ["last one"], data
    assert header_values(data, "X-Spam-Flag") == [], data
    assert header_values(data, "X-Dup") == ["second"], data
    assert header_values(data, "X-Other") == ["stays"], data
    assert header_values(data, "Subject") == ["edit me"], data
    assert data.endswith(b"\r\n\r\nBody line.\r\n"), data
    # :last puts the field after all others (RFC 5293 4).
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert head[-1] == b"X-Trailing: last one", head


def test_editheader_is_per_recipient(server):
    install(server, 'require "editheader";\naddheader "X-Alice-Only" "1";\n')
    lmtp_ok(server, msg("edited for alice"), ["alice@example.org", "bob@example.org"])
    [a] = messages(server)
    [b] = messages(server, user="bob")
    assert header_values(a["data"], "X-Alice-Only") == ["1"]
    assert header_values(b["data"], "X-Alice-Only") == [], "alice's editheader changed bob's copy"


def test_subaddress_detail(server):
    create_mailbox(server, "Filtered")
    install(server, """\
require ["envelope", "subaddress", "fileinto"];
if envelope :detail "to" "lists" {
    fileinto "Filtered";
} elsif not envelope :user "to" "alice" {
    discard;
}
""")
    lmtp_ok(server, msg("via detail"), "alice+lists@example.org")
    lmtp_ok(server, msg("no detail"), "alice@example.org")
    assert subjects(messages(server, "Filtered")) == ["via detail"]
    assert subjects(messages(server)) == ["no detail"]


def test_envelope_from(server):
    create_mailbox(server, "Boss")
    install(server, 'require ["envelope", "fileinto"];\nif envelope :domain :is "from" "boss.example" { fileinto "Boss"; }\n')
    lmtp_ok(server, msg("envelope match", sender="whoever@else.example"), mail_from="ceo@boss.example")
    lmtp_ok(server, msg("header only", sender="ceo@boss.example"), mail_from="x@other.example")
    assert subjects(messages(server, "Boss")) == ["envelope match"]
    assert subjects(messages(server)) == ["header only"]


def test_include_personal_script(server):
    create_mailbox(server, "Included")
    install(server, 'require "fileinto";\nif header :contains "subject" "inc" { fileinto "Included"; }\n',
            name="helpers", activate=False)
    install(server, 'require "include";\ninclude :personal "helpers";\n', name="main")
    lmtp_ok(server, msg("inc me"))
    lmtp_ok(server, msg("other"))
    assert subjects(messages(server, "Included")) == ["inc me"]
    assert subjects(messages(server)) == ["other"]


def test_duplicate_discards_second_copy(server):
    install(server, 'require "duplicate";\nif duplicate { discard; }\n')
    lmtp_ok(server, msg("dup", mid="<same-id@example.net>"))
    lmtp_ok(server, msg("dup", mid="<same-id@example.net>"))
    lmtp_ok(server, msg("dup", mid="<other-id@example.net>"))
    assert subjects(messages(server)) == ["dup", "dup"]


def test_duplicate_id_is_remembered_only_once_the_message_is_stored(server):
    """A message deferred with 452 (over quota) and retried is not its own duplicate."""
    install(server, 'require "duplicate";\nif duplicate { discard; }\n')
    lmtp_ok(server, msg("filler"))
    server.cli("quota", "set", "alice", "--messages", "1")
    deferred = msg("retried", mid="<retried@example.net>")
    (code, text), = lmtp_send(server, deferred, ["alice@example.org"])
    assert code == 452, f"{code} {text}"
    server.cli("quota", "set", "alice")
    lmtp_ok(server, deferred)
    assert subjects(messages(server)) == ["filler", "retried"]
    lmtp_ok(server, deferred)
    assert subjects(messages(server)) == ["filler", "retried"]


@pytest.mark.parametrize("last, third_is_duplicate", [(False, False), (True, True)])
def test_duplicate_last_measures_the_period_from_the_latest_copy(server, last, third_is_duplicate):
    """RFC 7352 :last: each duplicate restarts the period; without it, the first copy does."""
    tag = " :last" if last else ""
    install(server, f'require ["duplicate", "imap4flags"];\n'
                    f'if duplicate :seconds 3{tag} {{ addflag "dup"; }}\n')
    mid = f"<period-{last}@example.net>"
    lmtp_ok(server, msg("first", mid=mid))
    time.sleep(2)
    lmtp_ok(server, msg("second", mid=mid))
    time.sleep(2)
    lmtp_ok(server, msg("third", mid=mid))
    ms = messages(server)
    dup = {subject: "dup" in m["flags"] for subject, m in zip(subjects(ms), ms)}
    assert dup == {"first": False, "second": True, "third": third_is_duplicate}, dup


def test_relational_numeric_header(server):
    # Junk is one of the folders every new user gets.
    install(server, 'require ["relational", "comparator-i;ascii-numeric", "fileinto"];\n'
                    'if header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "5" { fileinto "Junk"; }\n')
    lmtp_ok(server, msg("spammy", extra="X-Spam-Score: 12\n"))
    lmtp_ok(server, msg("hammy", extra="X-Spam-Score: 3\n"))
    assert subjects(messages(server, "Junk")) == ["spammy"]
    assert subjects(messages(server)) == ["hammy"]


def test_script_changes_take_effect_immediately(server):
    from test_sieve_managesieve import ManageSieve, literal, quote
    create_mailbox(server, "A")
    c = ManageSieve(server.sieve_port).login("alice")
    try:
        c.ok(b"PUTSCRIPT", quote("a"), literal(b'require "fileinto";\r\nfileinto "A";\r\n'))
        c.ok(b"PUTSCRIPT", quote("d"), literal(b"discard;\r\n"))
        c.ok('SETACTIVE "a"')
        lmtp_ok(server, msg("one"))
        c.ok('SETACTIVE "d"')
        lmtp_ok(server, msg("two"))
        c.ok(b"PUTSCRIPT", quote("d"), literal(b"keep;\r\n"))  # replace the active script
        lmtp_ok(server, msg("three"))
        c.ok('RENAMESCRIPT "d" "k"')
        c.ok(b"PUTSCRIPT", quote("k"), literal(b'require "fileinto";\r\nfileinto "A";\r\n'))
        lmtp_ok(server, msg("four"))
    finally:
        c.close()
    assert subjects(messages(server, "A")) == ["one", "four"]
    assert subjects(messages(server)) == ["three"]


def test_four_redirects_allowed(relay):
    server, sink = relay
    targets = [f"r{i}@example.com" for i in range(4)]
    install(server, "".join(f'redirect "{t}";\n' for t in targets))
    lmtp_ok(server, msg("fan out"))
    time.sleep(0.5)
    got = sink.settle(1.0)
    assert sorted(r for m in got for r in m.rcpt_tos) == targets, [(m.mail_from, m.rcpt_tos) for m in got]
    assert messages(server) == []


def test_vacation_goes_to_the_envelope_sender(relay):
    # RFC 5230 4.4/5: the reply goes to the return path, not to the From field.
    server, sink = relay
    install(server, VACATION)
    lmtp_ok(server, msg("envelope differs", sender="Carol <carol@example.net>"), mail_from="carol.returns@example.net")
    [reply] = sink.wait_for(1)
    assert reply.rcpt_tos == ["carol.returns@example.net"], reply


def test_vacation_reply_is_a_well_formed_message(relay):
    server, sink = relay
    install(server, VACATION)
    lmtp_ok(server, msg("check headers", sender="carol@example.net"), mail_from="carol@example.net")
    [reply] = sink.wait_for(1)
    # RFC 5322 3.6: Date and From are required; Message-ID SHOULD be present.
    assert len(reply.header("Date")) == 1, reply.data
    assert len(reply.header("From")) == 1 and "alice@example.org" in reply.header("From")[0], reply.data
    assert len(reply.header("Message-ID")) == 1, f"vacation reply has no Message-ID (RFC 5322 3.6.4): {reply.data!r}"
    assert b"\r\n\r\n" in reply.data and not re.search(rb"(?<!\r)\n", reply.data), reply.data


def test_vacation_non_ascii_subject_and_body(relay):
    from email.header import decode_header, make_header
    server, sink = relay
    install(server, 'require "vacation";\nvacation :subject "Abwesend \u2013 Gr\u00fc\u00dfe" "Ich bin weg. Sch\u00f6ne Gr\u00fc\u00dfe!";\n')
    lmtp_ok(server, msg("hallo", sender="carol@example.net"), mail_from="carol@example.net")
    [reply] = sink.wait_for(1)
    [subject] = reply.header("Subject")
    problems = []
    # RFC 5230 5: a non-ASCII subject is encoded per RFC 2047.
    if not subject.isascii():
        problems.append("raw 8-bit Subject (RFC 5230 5 / RFC 2047)")
    elif str(make_header(decode_header(subject))) != "Abwesend \u2013 Gr\u00fc\u00dfe":
        problems.append(f"Subject decodes wrongly: {subject!r}")
    # RFC 6152: 8-bit content needs MAIL FROM ... BODY=8BITMIME.
    if any(b > 127 for b in reply.data) and "BODY=8BITMIME" not in reply.mail_params.upper():
        problems.append(f"8-bit reply sent without BODY=8BITMIME (RFC 6152): {reply.commands}")
    assert not problems, f"{problems}\n{reply.data!r}"


def test_redirect_8bit_message_declares_8bitmime(relay):
    server, sink = relay
    install(server, 'redirect "carol@example.com";\n')
    original = make_message("8bit", body="Gr\u00fc\u00dfe aus K\u00f6ln\n", sender="sender@example.net",
                            to="alice@example.org").replace(b"us-ascii", b"utf-8")
    original = original.replace(b"MIME-Version: 1.0\r\n", b"MIME-Version: 1.0\r\nContent-Transfer-Encoding: 8bit\r\n")
    lmtp_ok(server, original)
    [out] = sink.wait_for(1)
    assert "BODY=8BITMIME" in out.mail_params.upper(), f"8-bit message relayed without BODY=8BITMIME (RFC 6152): {out.commands}"
    assert out.data.endswith(original)


# ---------------------------------------------------------------------------------------
# Mail is never lost
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [
    # fileinto an empty name computed at run time
    'require ["fileinto", "variables"];\nset "box" "";\nfileinto "${box}";\n',
    # include of a script that does not exist (named at run time: uploads refuse a literal name)
    'require ["include", "variables"];\nset "n" "does-not-exist";\ninclude :personal "${n}";\n',
    # reject together with fileinto (RFC 5429 2.1: a runtime error)
    'require ["fileinto", "reject", "variables"];\nset "r" "no";\nfileinto "INBOX";\nreject "${r}";\n',
], ids=["empty-fileinto", "missing-include", "reject-plus-fileinto"])
def test_runtime_error_falls_back_to_keep(server, script):
    install(server, script)
    replies = lmtp_send(server, msg("runtime trouble"), ["alice@example.org"])
    assert replies[0][0] == 250, replies
    assert subjects(messages(server)) == ["runtime trouble"]


# ---------------------------------------------------------------------------------------
# bushbuck deliver
# ---------------------------------------------------------------------------------------


def deliver(server, *args: str, message: bytes):
    return server.cli("deliver", *args, stdin=message.decode(), check=False)


def test_deliver_runs_the_script(server):
    create_mailbox(server, "Lists")
    install(server, FILEINTO_BY_HEADER)
    proc = deliver(server, "-f", "sender@example.net", "alice", message=msg("[lists] via deliver"))
    assert proc.returncode == 0, proc.stderr
    assert subjects(messages(server, "Lists")) == ["[lists] via deliver"]
    assert messages(server) == []


def test_deliver_reject_exits_69(server):
    install(server, 'require "reject";\nreject "Not accepting mail.";\n')
    proc = deliver(server, "-f", "sender@example.net", "alice", message=msg("rejected by deliver"))
    assert proc.returncode == EX_UNAVAILABLE, (proc.returncode, proc.stdout, proc.stderr)
    assert messages(server) == []


def test_deliver_discard_exits_0(server):
    install(server, "discard;\n")
    proc = deliver(server, "alice", message=msg("discarded by deliver"))
    assert proc.returncode == 0, proc.stderr
    assert messages(server) == []


def test_deliver_flags_and_editheader(server):
    install(server, 'require ["imap4flags", "editheader"];\naddflag "$Sorted";\naddheader "X-Via" "deliver";\n')
    proc = deliver(server, "alice", message=msg("deliver extras"))
    assert proc.returncode == 0, proc.stderr
    [m] = messages(server)
    assert "$sorted" in m["flags"], m["flags"]
    assert header_values(m["data"], "X-Via") == ["deliver"], m["data"]


def test_deliver_runtime_error_keeps(server):
    # the included script goes away after the upload checked it
    install(server, "keep;\n", name="helper", activate=False)
    install(server, 'require "include";\ninclude "helper";\n')
    server.cli("sieve", "delete", "alice", "helper")
    proc = deliver(server, "alice", message=msg("deliver runtime error"))
    assert proc.returncode == 0, proc.stderr
    assert subjects(messages(server)) == ["deliver runtime error"]


def test_redirect_to_a_name_addr_goes_to_its_address(relay):
    # RFC 5228 2.4.2.3: a redirect address may be a name-addr; the envelope gets the addr-spec.
    server, sink = relay
    install(server, 'redirect "Stephan Bosch <stephan@example.com>";\n')
    lmtp_ok(server, msg("forward by name", sender="dave@example.net"), mail_from="dave@example.net")
    [out] = sink.wait_for(1)
    assert out.rcpt_tos == ["stephan@example.com"], out
    assert messages(server) == []


def test_vacation_from_name_addr_is_written_as_given(relay):
    server, sink = relay
    install(server, VACATION.replace(":days 7", ':days 7 :from "Alice Example <alice@example.org>"'))
    lmtp_ok(server, msg("who answers", sender="carol@example.net"), mail_from="carol@example.net")
    [reply] = sink.wait_for(1)
    assert reply.header("From") == ["Alice Example <alice@example.org>"], reply.data
