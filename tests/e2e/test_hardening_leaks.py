"""Information leaks (issue #14 item 6).

CREATE in another user's store under a parent the user cannot see answers exactly like a
user who does not exist (no user enumeration); GETQUOTAROOT on another's mailbox needs the
``r`` right (RFC 9208 4.3); ManageSieve refuses scripts with a NUL (scripts are UTF-8 text).
"""

from __future__ import annotations

from acl_helpers import acl_server, after_tag, no, session
from e2e_helpers import status_of
from test_sieve_managesieve import ManageSieve, SIMPLE


def test_create_under_another_user_answers_like_a_missing_user(make_server):
    srv = acl_server(make_server)
    alice, bob = session(srv, "alice"), session(srv, "bob")
    alice.ok('CREATE "x"')
    for path in ("x/child", "y/child", "child"):
        existing = after_tag(no(bob, f'CREATE "Other Users/alice/{path}"'))
        missing = after_tag(no(bob, f'CREATE "Other Users/nosuchuser/{path}"'))
        assert existing == missing, (path, existing, missing)
        assert existing.startswith(b"NO [NONEXISTENT]"), existing
    # Once alice lets bob see x, he may learn he lacks k there.
    alice.ok('SETACL "x" bob l')
    assert b"[NOPERM]" in no(bob, 'CREATE "Other Users/alice/x/child"')
    alice.ok('SETACL "x" bob lk')
    bob.ok('CREATE "Other Users/alice/x/child"')


def test_getquotaroot_needs_the_read_right(make_server):
    srv = acl_server(make_server)
    alice, bob = session(srv, "alice"), session(srv, "bob")
    alice.ok('SETACL INBOX bob l')
    tagged, untagged = bob.command('GETQUOTAROOT "Other Users/alice"')
    assert status_of(tagged) == "NO" and b"[NOPERM]" in tagged, tagged
    assert not any(b"QUOTAROOT" in u for u in untagged), untagged
    # Without any right it is a missing mailbox, as everywhere.
    assert b"[NONEXISTENT]" in no(bob, 'GETQUOTAROOT "Other Users/carol"')
    alice.ok('SETACL INBOX bob lr')
    untagged = bob.ok('GETQUOTAROOT "Other Users/alice"')
    assert untagged[0] == b'* QUOTAROOT "Other Users/alice" "user/alice"', untagged


def test_managesieve_refuses_a_script_with_a_nul(server):
    c = ManageSieve(server.sieve_port).login("alice")
    with_nul = b'keep;\r\n# comment\x00 hidden\r\n'
    r = c.putscript("nul", with_nul)
    assert r.status == "NO" and "NUL" in r.text, r
    r = c.command(b"CHECKSCRIPT", b"{%d+}\r\n" % len(with_nul) + with_nul)
    assert r.status == "NO" and "NUL" in r.text, r
    r = c.putscript("latin1", b"# caf\xe9\r\nkeep;\r\n")
    assert r.status == "NO" and "UTF-8" in r.text, r
    assert c.command(b"LISTSCRIPTS").lines == [], "nothing was stored"
    assert c.putscript("fine", SIMPLE).status == "OK"
