"""LMTP on a Unix-domain socket (`--lmtp-socket`), as an MTA on the same host uses it."""

from __future__ import annotations

import smtplib


def test_lmtp_over_a_unix_socket(make_server, tmp_path):
    sock = tmp_path / "lmtp.sock"
    srv = make_server(start=False)
    srv.extra_args = ["--lmtp-socket", str(sock)]
    srv.start()
    with smtplib.LMTP(str(sock)) as lmtp:
        code, _ = lmtp.ehlo("mx.example.org")
        assert code == 250
        refused = lmtp.sendmail("a@example.org", ["alice@example.org"], b"Subject: via socket\r\n\r\nhi\r\n")
    assert refused == {}
    m = srv.imap("alice")
    try:
        typ, data = m.select("INBOX")
        assert data[-1] == b"1"
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"via socket" in data[0][1]
    finally:
        m.logout()
