"""`bushbuck deliver`, the MDA for pipes: one message on standard input, filed for each user
named, with sysexits exit codes (0 delivered, 67 unknown user). The message is checked over
IMAP on a running ``bushbuck serve`` sharing the data directory."""

from __future__ import annotations

from e2e_helpers import body_item, close_quietly, crlf, fetch, fetch_one, flags_of, make_message

EX_NOUSER = 67


def stored_messages(server, user: str = "alice", mailbox: str = "INBOX") -> list[dict]:
    m = server.imap(user)
    try:
        typ, data = m.select(mailbox, readonly=True)
        assert typ == "OK", (mailbox, data)
        if int(data[0]) == 0:
            return []
        res = fetch(m, "1:*", "(FLAGS RFC822.SIZE BODY.PEEK[])")
        return [res[k] for k in sorted(res)]
    finally:
        close_quietly(m)


def deliver(server, *args: str, message: bytes | str):
    if isinstance(message, bytes):
        message = message.decode()
    return server.cli("deliver", *args, stdin=message, check=False)


def after_trace_headers(stored: bytes) -> bytes:
    lines = stored.split(b"\r\n")
    assert lines[0].startswith(b"Return-Path: <"), stored[:200]
    assert lines[1].startswith(b"Received: "), stored[:200]
    i = 2
    while lines[i].startswith((b"\t", b" ")):
        i += 1
    return b"\r\n".join(lines[i:])


def test_deliver_to_inbox(server):
    msg = make_message("delivered by pipe")
    proc = deliver(server, "-f", "sender@example.net", "alice", message=msg)
    assert proc.returncode == 0, proc.stderr
    [entry] = stored_messages(server)
    data = body_item(entry, "BODY[")
    assert data.startswith(b"Return-Path: <sender@example.net>\r\nReceived: "), data[:200]
    assert after_trace_headers(data) == msg
    assert int(entry["RFC822.SIZE"]) == len(data)
    assert "\\seen" not in flags_of(entry)
    assert stored_messages(server, "bob") == []


def test_deliver_seen_by_a_selected_imap_session(server):
    m = server.imap("alice")
    try:
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) == 0
        m.untagged_responses.pop("EXISTS", None)  # imaplib keeps SELECT's EXISTS 0
        proc = deliver(server, "alice", message=make_message("while selected"))
        assert proc.returncode == 0, proc.stderr
        typ, _ = m.noop()
        assert typ == "OK"
        assert m.untagged_responses.get("EXISTS") == [b"1"], m.untagged_responses
        entry = fetch_one(m, 1, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert body_item(entry, "BODY[HEADER.FIELDS").strip() == b"Subject: while selected"
    finally:
        close_quietly(m)


def test_deliver_to_several_users(server):
    msg = make_message("to both")
    proc = deliver(server, "alice", "bob", message=msg)
    assert proc.returncode == 0, proc.stderr
    for user in ("alice", "bob"):
        [entry] = stored_messages(server, user)
        assert after_trace_headers(body_item(entry, "BODY[")) == msg


def test_unknown_user_exits_67(server):
    proc = deliver(server, "nosuchuser", message=make_message("lost"))
    assert proc.returncode == EX_NOUSER, (proc.returncode, proc.stdout, proc.stderr)
    assert "nosuchuser" in proc.stderr
    assert stored_messages(server) == []


def test_unknown_user_among_known_ones_still_delivers_to_the_others(server):
    msg = make_message("partly")
    proc = deliver(server, "alice", "ghost", "bob", message=msg)
    assert proc.returncode == EX_NOUSER, (proc.returncode, proc.stderr)
    assert len(stored_messages(server, "alice")) == 1
    assert len(stored_messages(server, "bob")) == 1


def test_mailbox_option_files_into_folder(server):
    m = server.imap("alice")
    assert m.create("Lists/Rust")[0] == "OK"
    close_quietly(m)
    msg = make_message("for the folder")
    proc = deliver(server, "-m", "Lists/Rust", "alice", message=msg)
    assert proc.returncode == 0, proc.stderr
    [entry] = stored_messages(server, "alice", "Lists/Rust")
    assert after_trace_headers(body_item(entry, "BODY[")) == msg
    assert stored_messages(server) == []


def test_mailbox_option_missing_folder_falls_back_to_inbox(server):
    proc = deliver(server, "-m", "DoesNotExist", "alice", message=make_message("fallback"))
    assert proc.returncode == 0, proc.stderr
    assert len(stored_messages(server)) == 1


def test_flag_option(server):
    proc = deliver(server, "--flag", "\\Seen", "--flag", "\\Flagged", "alice", message=make_message("flagged"))
    assert proc.returncode == 0, proc.stderr
    [entry] = stored_messages(server)
    assert {"\\seen", "\\flagged"} <= flags_of(entry), entry["FLAGS"]


def test_plus_address_into_folder(server):
    m = server.imap("alice")
    assert m.create("Work")[0] == "OK"
    # Plus-addressing files into a folder only where anyone may post (RFC 4314 p right).
    assert m._simple_command("SETACL", "Work", "anyone", "+p")[0] == "OK"
    close_quietly(m)
    proc = deliver(server, "alice+Work@example.org", message=make_message("plus"))
    assert proc.returncode == 0, proc.stderr
    assert len(stored_messages(server, "alice", "Work")) == 1
    assert stored_messages(server) == []


def test_deliver_without_running_server(make_server):
    srv = make_server(start=False)
    proc = deliver(srv, "alice", message=make_message("offline"))
    assert proc.returncode == 0, proc.stderr
    srv.start()
    [entry] = stored_messages(srv)
    assert b"Subject: offline" in body_item(entry, "BODY[")


def test_lf_line_endings_are_stored_as_crlf(server):
    """Pipes from MTAs carry Unix line endings; IMAP hands out messages with CRLF (RFC 3501
    section 2.3.1 / RFC 5322 section 2.1) and RFC822.SIZE counts those octets, as an IMAP
    APPEND of the same text would."""
    text = "From: a@example.org\nSubject: unix\n\nline one\nline two\n"
    proc = deliver(server, "alice", message=text)
    assert proc.returncode == 0, proc.stderr
    [entry] = stored_messages(server)
    data = body_item(entry, "BODY[")
    assert after_trace_headers(data) == crlf(text)
    assert b"\n" not in data.replace(b"\r\n", b""), f"bare LF in the stored message: {data!r}"
    assert int(entry["RFC822.SIZE"]) == len(data)


def test_empty_message_is_refused(server):
    proc = deliver(server, "alice", message="")
    assert proc.returncode != 0
    assert stored_messages(server) == []
