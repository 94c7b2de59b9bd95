"""Connection-level IMAP behaviour: greeting, CAPABILITY, authentication, the commands
valid in any state, malformed input and limits, TLS (RFC 3501 / RFC 9051 sections 6.1, 6.2,
7.1; RFC 4959 SASL-IR; RFC 7888 LITERAL+; RFC 2971 ID; RFC 5161 ENABLE; RFC 2342 NAMESPACE)."""

from __future__ import annotations

import imaplib
import select
import socket
import time

import pytest

from e2e_helpers import (
    HOST, USERS, close_quietly, insecure_tls_context, parse_sexp, resp_code, sasl_plain, status_of,
)

# What Bushbuck must advertise once a user is logged in.
REQUIRED_CAPS = {
    "IMAP4REV1", "IMAP4REV2", "IDLE", "NAMESPACE", "UIDPLUS", "UNSELECT", "ID", "ENABLE",
    "CHILDREN", "MOVE", "SASL-IR", "LITERAL+",
}
# What must be advertised before login on a loopback connection.
REQUIRED_PREAUTH_CAPS = {"IMAP4REV1", "IMAP4REV2", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE", "AUTH=PLAIN"}


def caps_from(text: bytes) -> set[str]:
    return {c.upper() for c in text.decode().split()}


def capability_response(untagged: list[bytes]) -> set[str]:
    lines = [u for u in untagged if u.upper().startswith(b"* CAPABILITY ")]
    assert len(lines) == 1, f"expected exactly one untagged CAPABILITY, got {untagged!r}"
    return caps_from(lines[0][len(b"* CAPABILITY "):])


# -- greeting and CAPABILITY ---------------------------------------------------------------


def test_greeting_is_ok_not_preauth(server):
    c = server.raw()
    assert c.greeting.startswith(b"* OK"), c.greeting
    # If the greeting carries a CAPABILITY response code it must be a real capability list.
    code = resp_code(c.greeting)
    if code and code.upper().startswith("CAPABILITY"):
        assert "IMAP4REV1" in caps_from(code.encode()[len("CAPABILITY"):])
    c.close()


def test_capability_before_login(server):
    c = server.raw()
    tagged, untagged = c.command("CAPABILITY")
    assert status_of(tagged) == "OK"
    caps = capability_response(untagged)
    missing = REQUIRED_PREAUTH_CAPS - caps
    assert not missing, f"missing before login: {missing}; got {sorted(caps)}"
    # Plaintext login is allowed on loopback by default.
    assert "LOGINDISABLED" not in caps
    c.close()


def test_capability_after_login(alice):
    typ, data = alice.capability()
    assert typ == "OK"
    caps = caps_from(data[-1])
    missing = REQUIRED_CAPS - caps
    assert not missing, f"missing after login: {missing}; got {sorted(caps)}"
    # RFC 3501 6.2: no STARTTLS/LOGINDISABLED/AUTH= games after authentication is the norm,
    # but what matters here is that the list is the authenticated one.


def test_imaplib_sees_imap4rev1(server):
    m = server.imap(user=None)
    assert "IMAP4REV1" in m.capabilities
    assert m.state == "NONAUTH"
    close_quietly(m)


# -- LOGIN ----------------------------------------------------------------------------------


def test_login_good_password(server):
    c = server.raw()
    tagged, _ = c.command(f'LOGIN alice "{USERS["alice"]}"')
    assert status_of(tagged) == "OK", tagged
    # Now authenticated: SELECT works.
    tagged, _ = c.command("SELECT INBOX")
    assert status_of(tagged) == "OK", tagged
    c.close()


def test_login_bad_password_is_no_authenticationfailed(server):
    c = server.raw()
    tagged, _ = c.command('LOGIN alice "wrong-password"')
    assert status_of(tagged) == "NO", tagged
    assert (resp_code(tagged) or "").upper() == "AUTHENTICATIONFAILED", tagged
    # Still not authenticated, connection still usable.
    tagged, _ = c.command("SELECT INBOX")
    assert status_of(tagged) in ("NO", "BAD"), tagged
    tagged, _ = c.command(f'LOGIN alice "{USERS["alice"]}"')
    assert status_of(tagged) == "OK", tagged
    c.close()


def test_login_unknown_user_same_answer(server):
    c = server.raw()
    tagged, _ = c.command('LOGIN nosuchuser "whatever"')
    assert status_of(tagged) == "NO", tagged
    assert (resp_code(tagged) or "").upper() == "AUTHENTICATIONFAILED", tagged
    c.close()


def test_login_imaplib_bad_password_raises(server):
    m = server.imap(user=None)
    with pytest.raises(imaplib.IMAP4.error) as info:
        m.login("alice", "nope")
    assert "AUTHENTICATIONFAILED" in str(info.value).upper()
    close_quietly(m)


def test_users_are_separate(server):
    a = server.imap("alice")
    a.append("INBOX", None, None, b"Subject: for alice\r\n\r\nhi\r\n")
    b = server.imap("bob")
    typ, data = b.select("INBOX")
    assert typ == "OK" and int(data[-1]) == 0, "bob must not see alice's mail"
    close_quietly(a)
    close_quietly(b)


def test_three_failed_logins_close_the_connection(server):
    c = server.raw()
    for _ in range(2):
        tagged, _ = c.command('LOGIN alice "bad"')
        assert status_of(tagged) == "NO"
    c.send(b't9 LOGIN alice "bad"\r\n')
    rest = c.read_until_closed(timeout=10)
    assert b"t9 NO" in rest, rest
    assert b"* BYE" in rest, rest


# -- AUTHENTICATE PLAIN (RFC 4616, RFC 4959) ---------------------------------------------


def test_authenticate_plain_with_continuation(server):
    m = server.imap(user=None)
    typ, _ = m.authenticate("PLAIN", lambda challenge: f"\0alice\0{USERS['alice']}".encode())
    assert typ == "OK"
    assert m.state == "AUTH"
    typ, data = m.select("INBOX")
    assert typ == "OK"
    close_quietly(m)


def test_authenticate_plain_raw_continuation_is_empty(server):
    c = server.raw()
    c.send(b"a1 AUTHENTICATE PLAIN\r\n")
    cont = c.read_line()
    # RFC 4616: the server sends an empty challenge ("+ " or "+").
    assert cont in (b"+", b"+ "), cont
    c.send(sasl_plain("alice", USERS["alice"]).encode() + b"\r\n")
    tagged, _ = c.read_until_tagged("a1")
    assert status_of(tagged) == "OK", tagged
    c.close()


def test_authenticate_plain_sasl_ir(server):
    c = server.raw()
    tagged, _ = c.command(f"AUTHENTICATE PLAIN {sasl_plain('alice', USERS['alice'])}")
    assert status_of(tagged) == "OK", tagged
    tagged, _ = c.command("SELECT INBOX")
    assert status_of(tagged) == "OK", tagged
    c.close()


def test_authenticate_plain_bad_password(server):
    c = server.raw()
    tagged, _ = c.command(f"AUTHENTICATE PLAIN {sasl_plain('alice', 'wrong')}")
    assert status_of(tagged) == "NO", tagged
    assert (resp_code(tagged) or "").upper() == "AUTHENTICATIONFAILED", tagged
    c.close()


def test_authenticate_cancelled_by_client(server):
    c = server.raw()
    c.send(b"a1 AUTHENTICATE PLAIN\r\n")
    assert c.read_line().startswith(b"+")
    c.send(b"*\r\n")
    tagged, _ = c.read_until_tagged("a1")
    # RFC 3501 6.2.2: a "*" line cancels; the server answers BAD.
    assert status_of(tagged) == "BAD", tagged
    tagged, _ = c.command("NOOP")
    assert status_of(tagged) == "OK"
    c.close()


# -- any-state commands ----------------------------------------------------------------------


def test_noop_and_logout(server):
    c = server.raw()
    tagged, _ = c.command("NOOP")
    assert status_of(tagged) == "OK"
    tagged, untagged = c.command("LOGOUT")
    assert status_of(tagged) == "OK"
    assert any(u.startswith(b"* BYE") for u in untagged), untagged
    assert c.read_until_closed(timeout=5) == b""


def test_id(server):
    c = server.raw(user="alice")
    tagged, untagged = c.command('ID ("name" "e2e-test" "version" "1")')
    assert status_of(tagged) == "OK", tagged
    ids = [u for u in untagged if u.upper().startswith(b"* ID ")]
    assert len(ids) == 1, untagged
    value = parse_sexp(ids[0])[2]
    # RFC 2971: NIL or a list of field/value pairs.
    assert value is None or (isinstance(value, list) and len(value) % 2 == 0), ids[0]
    c.close()


def test_id_before_login(server):
    c = server.raw()
    tagged, _ = c.command("ID NIL")
    assert status_of(tagged) == "OK", tagged
    c.close()


def test_namespace(server):
    c = server.raw(user="alice")
    tagged, untagged = c.command("NAMESPACE")
    assert status_of(tagged) == "OK", tagged
    ns = [u for u in untagged if u.upper().startswith(b"* NAMESPACE ")]
    assert len(ns) == 1, untagged
    _star, _word, personal, _other, _shared = parse_sexp(ns[0])
    assert isinstance(personal, list) and personal, "a personal namespace must exist"
    prefix, delim = personal[0][0], personal[0][1]
    assert delim == b"/", f"hierarchy delimiter must be '/', got {delim!r}"
    assert isinstance(prefix, bytes)
    c.close()


def test_enable_imap4rev2(server):
    c = server.raw(user="alice")
    tagged, untagged = c.command("ENABLE IMAP4rev2")
    assert status_of(tagged) == "OK", tagged
    enabled = [u for u in untagged if u.upper().startswith(b"* ENABLED")]
    assert len(enabled) == 1, untagged
    assert "IMAP4REV2" in caps_from(enabled[0][len(b"* ENABLED"):])
    c.close()


def test_enable_unknown_extension_is_ok_and_not_enabled(server):
    c = server.raw(user="alice")
    tagged, untagged = c.command("ENABLE X-NO-SUCH-THING")
    assert status_of(tagged) == "OK", tagged
    for u in untagged:
        if u.upper().startswith(b"* ENABLED"):
            assert b"X-NO-SUCH-THING" not in u.upper()
    c.close()


# -- bad input -------------------------------------------------------------------------------


def test_unknown_command_is_bad_and_session_continues(server):
    c = server.raw(user="alice")
    tagged, _ = c.command("FROBNICATE now please")
    assert status_of(tagged) == "BAD", tagged
    tagged, _ = c.command("NOOP")
    assert status_of(tagged) == "OK", tagged
    tagged, _ = c.command("SELECT INBOX")
    assert status_of(tagged) == "OK", tagged
    c.close()


def test_syntax_errors_are_bad(server):
    c = server.raw(user="alice")
    for bad in ("SELECT", "FETCH", "STATUS INBOX", "LIST", 'LOGIN "unterminated', "SELECT INBOX extra junk"):
        tagged, _ = c.command(bad)
        assert status_of(tagged) == "BAD", f"{bad!r} -> {tagged!r}"
    tagged, _ = c.command("NOOP")
    assert status_of(tagged) == "OK"
    c.close()


def test_selected_state_command_without_selection_is_refused(server):
    c = server.raw(user="alice")
    for cmd in ("FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "EXPUNGE", "CLOSE", "UID SEARCH ALL"):
        tagged, _ = c.command(cmd)
        assert status_of(tagged) in ("BAD", "NO"), f"{cmd!r} -> {tagged!r}"
    c.close()


def test_authenticated_command_before_login_is_refused(server):
    c = server.raw()
    for cmd in ("SELECT INBOX", "LIST \"\" *", "CREATE foo", "STATUS INBOX (MESSAGES)"):
        tagged, _ = c.command(cmd)
        assert status_of(tagged) in ("BAD", "NO"), f"{cmd!r} -> {tagged!r}"
    c.close()


def test_empty_line_and_missing_tag(server):
    c = server.raw(user="alice")
    c.send(b"\r\n")
    line = c.read_line()
    # "* BAD ..." or "<something> BAD"; what matters is BAD and the session survives.
    assert b" BAD" in line.upper(), line
    tagged, _ = c.command("NOOP")
    assert status_of(tagged) == "OK"
    c.close()


def test_overlong_line_gets_bye_and_close(server):
    """200 KiB without CRLF against the default 64 KiB line limit."""
    c = server.raw(user="alice")
    sock = c.sock
    sock.settimeout(10)
    received = b""
    chunk = b"a" * 16384
    sent = 0
    try:
        sock.sendall(b"t1 NOOP ")
        while sent < 200 * 1024:
            sock.sendall(chunk)
            sent += len(chunk)
            r, _, _ = select.select([sock], [], [], 0.02)
            if r:
                data = sock.recv(65536)
                received += data
                if not data or b"\r\n" in received:
                    break
    except (BrokenPipeError, ConnectionResetError):
        pass
    c.buf = received
    received = c.read_until_closed(timeout=10)
    lines = [line for line in received.split(b"\r\n") if line]
    assert lines, "server closed without a word"
    assert lines[0].startswith(b"* BYE"), received[:300]
    # The connection is closed: further reads give EOF (or reset), never more data.
    try:
        sock.sendall(b"t2 NOOP\r\n")
        time.sleep(0.2)
        assert sock.recv(100) == b""
    except OSError:
        pass
    c.close()


def test_line_just_under_limit_is_fine(server):
    c = server.raw(user="alice")
    # A 60000-octet search string as a quoted string keeps the line under 64 KiB.
    tagged, _ = c.command("SELECT INBOX")
    assert status_of(tagged) == "OK"
    tagged, _ = c.command('SEARCH SUBJECT "' + "x" * 60000 + '"')
    assert status_of(tagged) == "OK", tagged[:200]
    c.close()


def test_oversized_literal_is_refused_without_continuation(server):
    c = server.raw(user="alice")
    c.send(b"t1 APPEND INBOX {999999999}\r\n")
    first = c.read_line()
    assert not first.startswith(b"+"), "server must not invite a literal larger than its limit"
    while not first.startswith(b"t1 "):
        first = c.read_line()
    assert status_of(first) in ("NO", "BAD"), first
    if status_of(first) == "NO":
        assert (resp_code(first) or "").upper().startswith("TOOBIG"), first
    # Nothing was sent, nothing is stuck: the session continues.
    tagged, _ = c.command("NOOP")
    assert status_of(tagged) == "OK", tagged
    tagged, untagged = c.command("STATUS INBOX (MESSAGES)")
    assert status_of(tagged) == "OK"
    assert b"MESSAGES 0" in b"".join(untagged).upper()
    c.close()


def test_literal_plus_append(server):
    c = server.raw(user="alice")
    msg = b"From: a@example.org\r\nSubject: literal plus\r\n\r\nbody via LITERAL+\r\n"
    # All in one write: no continuation request may be needed or sent.
    c.send(b"t1 APPEND INBOX (\\Seen) {%d+}\r\n" % len(msg) + msg + b"\r\n")
    resp = c.read_line()
    assert not resp.startswith(b"+"), "a non-synchronizing literal must not get a continuation"
    while not resp.startswith(b"t1 "):
        resp = c.read_line()
    assert status_of(resp) == "OK", resp
    assert (resp_code(resp) or "").upper().startswith("APPENDUID"), resp
    c.ok("SELECT INBOX")
    tagged, untagged = c.command("FETCH 1 (BODY.PEEK[] FLAGS)")
    assert status_of(tagged) == "OK"
    joined = b"\r\n".join(untagged)
    assert msg in joined
    assert b"\\Seen" in joined
    c.close()


def test_synchronizing_literal_in_login(server):
    c = server.raw()
    pw = USERS["alice"].encode()
    c.send(b"t1 LOGIN alice {%d}\r\n" % len(pw))
    assert c.read_line().startswith(b"+")
    c.send(pw + b"\r\n")
    tagged, _ = c.read_until_tagged("t1")
    assert status_of(tagged) == "OK", tagged
    c.close()


# -- TLS ---------------------------------------------------------------------------------------


def test_imaps_implicit_tls(server):
    server.wait_ready(server.imaps_port)
    m = server.imaps("alice")
    typ, data = m.select("INBOX")
    assert typ == "OK"
    typ, data = m.append("INBOX", None, None, b"Subject: over TLS\r\n\r\nsecret\r\n")
    assert typ == "OK"
    typ, data = m.search(None, "SUBJECT", '"over TLS"')
    assert typ == "OK" and data[0].split() == [b"1"]
    assert "STARTTLS" not in {c.upper() for c in m.capabilities}, "no STARTTLS inside TLS"
    close_quietly(m)


def test_imaps_certificate_is_persisted(server):
    server.wait_ready(server.imaps_port)

    def peer_cert() -> bytes:
        with socket.create_connection((HOST, server.imaps_port), timeout=10) as s:
            with insecure_tls_context().wrap_socket(s, server_hostname=HOST) as t:
                return t.getpeercert(binary_form=True)

    first = peer_cert()
    assert first
    server.restart()
    server.wait_ready(server.imaps_port)
    assert peer_cert() == first, "the self-signed certificate must be generated once and reused"


def test_starttls_on_plain_port(server):
    m = server.imap(user=None)
    assert "STARTTLS" in m.capabilities
    typ, _ = m.starttls(ssl_context=insecure_tls_context())
    assert typ == "OK"
    m.login("alice", USERS["alice"])
    typ, _ = m.select("INBOX")
    assert typ == "OK"
    close_quietly(m)
