"""A tiny SMTP server for tests: it accepts every message on a free loopback port and
records (mail_from, rcpt_tos, data) so a test can see what Bushbuck sent out (Sieve
redirect and vacation replies through ``--smtp-relay``).

Threaded (socketserver), no third-party dependency. It speaks EHLO/HELO, MAIL, RCPT,
DATA (with dot-unstuffing), RSET, NOOP and QUIT; anything else gets 502.

    with SmtpSink() as sink:
        ... start bushbuck with --smtp-relay sink.address ...
        [msg] = sink.wait_for(1)
        assert msg.rcpt_tos == ["carol@example.net"]
"""

from __future__ import annotations

import re
import socketserver
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class SinkMessage:
    mail_from: str          # the reverse-path without <>, "" for the null sender
    rcpt_tos: list[str]     # forward-paths without <>
    data: bytes             # the message as received, dot-unstuffed, CRLF line ends
    mail_params: str = ""   # ESMTP parameters of MAIL FROM (e.g. "BODY=8BITMIME")
    helo: str = ""
    commands: list[str] = field(default_factory=list)  # the commands of this transaction

    def header(self, name: str) -> list[str]:
        """Unfolded values of header field NAME (case-insensitive)."""
        head = self.data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        out = []
        for fld in re.split(r"\r\n(?![ \t])", head):
            k, sep, v = fld.partition(":")
            if sep and k.strip().lower() == name.lower():
                out.append(re.sub(r"\r\n[ \t]", " ", v).strip())
        return out

    def body(self) -> bytes:
        parts = self.data.split(b"\r\n\r\n", 1)
        return parts[1] if len(parts) == 2 else b""


PATH = re.compile(r"^\s*<([^>]*)>\s*(.*)$")


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        sink: SmtpSink = self.server.sink  # type: ignore[attr-defined]
        sink.connections += 1
        self.reply(f"220 {HOST} smtp_sink ESMTP ready")
        helo = ""
        mail_from: str | None = None
        params = ""
        rcpts: list[str] = []
        commands: list[str] = []
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            sink.log.append(line)
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb):].strip()
            if verb in ("EHLO", "HELO"):
                helo = arg
                mail_from, params, rcpts, commands = None, "", [], []
                if verb == "EHLO":
                    self.reply(f"250-{HOST} hello {arg}")
                    self.reply("250-8BITMIME")
                    self.reply("250-SMTPUTF8")
                    self.reply("250 SIZE 52428800")
                else:
                    self.reply(f"250 {HOST} hello {arg}")
            elif verb == "MAIL":
                m = re.match(r"(?i)^FROM:(.*)$", arg)
                p = PATH.match(m.group(1)) if m else None
                if not p:
                    self.reply("501 5.5.4 syntax: MAIL FROM:<address>")
                    continue
                if mail_from is not None:
                    self.reply("503 5.5.1 nested MAIL command")
                    continue
                mail_from, params, rcpts, commands = p.group(1), p.group(2).strip(), [], [line]
                self.reply("250 2.1.0 ok")
            elif verb == "RCPT":
                m = re.match(r"(?i)^TO:(.*)$", arg)
                p = PATH.match(m.group(1)) if m else None
                if mail_from is None:
                    self.reply("503 5.5.1 need MAIL first")
                elif not p or not p.group(1):
                    self.reply("501 5.5.4 syntax: RCPT TO:<address>")
                else:
                    rcpts.append(p.group(1))
                    commands.append(line)
                    self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                if mail_from is None or not rcpts:
                    self.reply("503 5.5.1 need MAIL and RCPT first")
                    continue
                self.reply("354 end data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    dl = self.rfile.readline(1 << 20)
                    if not dl:
                        return
                    if dl in (b".\r\n", b".\n"):
                        break
                    if dl.startswith(b"."):
                        dl = dl[1:]
                    lines.append(dl)
                commands.append("DATA")
                sink._record(SinkMessage(mail_from, rcpts, b"".join(lines), params, helo, commands))
                mail_from, params, rcpts, commands = None, "", [], []
                self.reply("250 2.0.0 queued")
            elif verb == "RSET":
                mail_from, params, rcpts, commands = None, "", [], []
                self.reply("250 2.0.0 ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.2 command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    """Records every message it is given. ``address`` is "127.0.0.1:PORT"."""

    def __init__(self, host: str = HOST, port: int = 0):
        self.messages: list[SinkMessage] = []
        self.log: list[str] = []       # every command line received, in order
        self.connections = 0
        self._cond = threading.Condition()
        self._server = _Server((host, port), _Handler)
        self._server.sink = self  # type: ignore[attr-defined]
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, name="smtp_sink", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _record(self, msg: SinkMessage) -> None:
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[SinkMessage]:
        """Waits until at least COUNT messages arrived and returns them all; fails the
        calling test with what did arrive if they do not come in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"smtp_sink: expected {count} message(s) within {timeout} s, got "
                        f"{len(self.messages)}: {[(m.mail_from, m.rcpt_tos) for m in self.messages]}; "
                        f"commands seen: {self.log[-30:]}")
                self._cond.wait(left)
            return list(self.messages)

    def settle(self, quiet: float = 1.0) -> list[SinkMessage]:
        """Waits until nothing new arrived for QUIET seconds and returns the messages."""
        while True:
            n = len(self.messages)
            time.sleep(quiet)
            if len(self.messages) == n:
                return list(self.messages)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "SmtpSink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
