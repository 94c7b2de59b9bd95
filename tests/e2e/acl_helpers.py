"""Helpers for the ACL and shared-mailbox tests: a server with more users, an admin and
groups, and raw IMAP sessions that keep exact response text."""

from __future__ import annotations

from e2e_helpers import HOST, RawImap, lmtp_exchange, make_message, status_of

PASSWORDS = {
    "alice": "alice-pw-1",
    "bob": "bob-pw-2",
    "carol": "carol-pw-3",
    "dave": "dave-pw-4",
    "admin": "admin-pw-5",
}


def acl_server(make_server, config: str = ""):
    """A running server with PASSWORDS' users, `admin` as administrator and CONFIG (TOML)."""
    srv = make_server(users=PASSWORDS, start=False)
    path = srv.data / "acl-test.toml"
    path.write_text('admins = ["admin"]\n' + config)
    srv.extra_args = ["--config", str(path)]
    return srv.start()


def session(srv, user: str) -> RawImap:
    c = RawImap(HOST, srv.imap_port)
    c.login(user, PASSWORDS[user])
    return c


def no(c: RawImap, text: str) -> bytes:
    """Runs TEXT, which must be refused with NO; returns the tagged line."""
    tagged, _ = c.command(text)
    assert status_of(tagged) == "NO", f"{text!r} -> {tagged!r}"
    return tagged


def after_tag(tagged: bytes) -> bytes:
    """A tagged line without its tag: `NO [NONEXISTENT] ...`."""
    return tagged.split(b" ", 1)[1]


def append(c: RawImap, mailbox: str, subject: str, flags: str = "") -> bytes:
    """APPENDs a small message with a non-synchronizing literal; returns the tagged line."""
    data = make_message(subject)
    flag_part = f"({flags}) " if flags else ""
    tagged, _ = c.command(f'APPEND "{mailbox}" {flag_part}{{{len(data)}+}}\r\n'.encode() + data)
    return tagged


def names(untagged: list[bytes]) -> dict[str, bytes]:
    """LIST responses as {mailbox name: attribute text}."""
    out = {}
    for line in untagged:
        if line.startswith(b"* LIST "):
            attrs, rest = line[len(b"* LIST ("):].split(b")", 1)
            name = rest.split(b'"/" ', 1)[1].strip()
            out[name.strip(b'"').decode()] = attrs
    return out


def lmtp_rcpt(port: int, address: str, message: bytes) -> list[str]:
    """One LMTP transaction to one recipient; returns [RCPT reply, DATA reply or '']."""
    rcpts, answers = lmtp_exchange(port, b"x@example.net", [address.encode()], message)
    return [rcpts[0], answers[0] if answers else ""]


def bulletin_board(srv, name: str, *grants: str, posts: tuple[str, ...] = ()) -> RawImap:
    """Creates Shared/NAME as `admin` with GRANTS ("identifier rights" each) and posts POSTS
    (subjects) to it over LMTP as bb+NAME, each of which must be accepted; returns the admin's
    session."""
    admin = session(srv, "admin")
    admin.ok(f'CREATE "Shared/{name}"')
    for grant in grants:
        identifier, rights = grant.split()
        admin.ok(f'SETACL "Shared/{name}" {identifier} {rights}')
    for subject in posts:
        rcpt, data = lmtp_rcpt(srv.lmtp_port, f"bb+{name}@example.org", make_message(subject))
        assert data.startswith("250"), (rcpt, data)
    return admin
