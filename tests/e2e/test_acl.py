"""RFC 4314 ACLs end to end: read-only shares, rights answers, non-leaking refusals, and
what administrators may and may not do."""

from __future__ import annotations

from acl_helpers import acl_server, after_tag, append, names, no, session
from e2e_helpers import DISTRIBUTED, resp_code


def test_capabilities_and_namespace(make_server):
    srv = acl_server(make_server)
    c = session(srv, "alice")
    [caps] = c.ok("CAPABILITY")
    assert b" ACL " in caps and b" RIGHTS=texk" in caps
    [ns] = c.ok("NAMESPACE")
    assert ns == b'* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Shared/" "/"))'


def test_read_only_share(make_server):
    srv = acl_server(make_server)
    alice = session(srv, "alice")
    alice.ok("CREATE Projects")
    alice.ok("CREATE Secret")
    assert b"OK" in append(alice, "Projects", "plan")
    alice.ok("SETACL Projects bob lr")

    bob = session(srv, "bob")
    listed = names(bob.ok('LIST "" "*"'))
    assert b"\\HasNoChildren" in listed["Other Users/alice/Projects"]
    # bob cannot see alice's INBOX, so her level is a \Noselect stand-in.
    assert b"\\Noselect" in listed["Other Users/alice"]
    assert "Other Users/alice/Secret" not in listed
    assert "Shared" not in listed

    untagged = bob.ok('EXAMINE "Other Users/alice/Projects"')
    assert b"* 1 EXISTS" in untagged
    tagged, _ = bob.command('SELECT "Other Users/alice/Projects"')
    assert b"[READ-ONLY]" in tagged, "lr without s, w, t or e selects read-only"
    fetched = bob.ok("FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])")
    assert any(b"Subject: plan" in line for line in fetched)
    assert resp_code(no(bob, "STORE 1 +FLAGS (\\Flagged)")) == "READ-ONLY"
    assert resp_code(no(bob, "EXPUNGE")) == "READ-ONLY"
    assert resp_code(append(bob, "Other Users/alice/Projects", "intrusion")) == "NOPERM"
    assert resp_code(no(bob, 'DELETE "Other Users/alice/Projects"')) == "NOPERM"
    assert resp_code(no(bob, 'SETACL "Other Users/alice/Projects" bob lrswi')) == "NOPERM"
    # Reading did not mark anything \Seen for alice.
    untagged = alice.ok("STATUS Projects (UNSEEN)")
    assert untagged == [b"* STATUS Projects (UNSEEN 1)"]


def test_refusals_do_not_leak_existence(make_server):
    srv = acl_server(make_server)
    alice = session(srv, "alice")
    alice.ok("CREATE Secret")
    alice.ok("CREATE Visible")
    alice.ok("SETACL Visible bob l")
    bob = session(srv, "bob")
    for command in ["SELECT", "EXAMINE", "STATUS", "MYRIGHTS", "GETACL", "DELETE"]:
        args = " (MESSAGES)" if command == "STATUS" else ""
        hidden = after_tag(no(bob, f'{command} "Other Users/alice/Secret"{args}'))
        missing = after_tag(no(bob, f'{command} "Other Users/alice/Nothing"{args}'))
        assert hidden == missing, command
        assert resp_code(b"t " + hidden) == "NONEXISTENT"
    assert after_tag(no(bob, 'SELECT "Other Users/nobody"')) == after_tag(no(bob, 'SELECT "Other Users/alice"'))
    # With l but not r: the mailbox may be named, the answer is NOPERM.
    assert resp_code(no(bob, 'SELECT "Other Users/alice/Visible"')) == "NOPERM"
    assert bob.ok('MYRIGHTS "Other Users/alice/Visible"') == [b'* MYRIGHTS "Other Users/alice/Visible" l']


def test_rights_answers_are_exact(make_server):
    srv = acl_server(make_server)
    alice = session(srv, "alice")
    assert alice.ok("MYRIGHTS INBOX") == [b"* MYRIGHTS INBOX lrswipkxteacd"]
    alice.ok("CREATE Projects")
    assert alice.ok("GETACL Projects") == [b"* ACL Projects alice lrswipkxteacd"]
    alice.ok("SETACL Projects bob lr")
    alice.ok('SETACL Projects "group:helpdesk" +lrs')
    assert alice.ok("GETACL Projects") == [
        b"* ACL Projects alice lrswipkxteacd bob lr group:helpdesk lrs"
    ]
    alice.ok("SETACL Projects bob +wi")
    alice.ok("SETACL Projects bob -r")
    alice.ok("SETACL Projects -carol d")
    assert alice.ok("GETACL Projects") == [
        b"* ACL Projects -carol ted alice lrswipkxteacd bob lwi group:helpdesk lrs"
    ]
    alice.ok("SETACL Projects bob lrc")  # legacy c: k and x
    assert b"bob lrkxc" in alice.ok("GETACL Projects")[0]
    alice.ok("DELETEACL Projects bob")
    alice.ok("DELETEACL Projects -carol")
    assert alice.ok("GETACL Projects") == [b"* ACL Projects alice lrswipkxteacd group:helpdesk lrs"]
    assert alice.ok("LISTRIGHTS Projects bob") == [b'* LISTRIGHTS Projects bob "" l r s w i p k x t e a']
    assert alice.ok("LISTRIGHTS Projects alice") == [b'* LISTRIGHTS Projects alice "la" r s w i p k x t e']
    # A child starts with its parent's ACL.
    alice.ok("CREATE Projects/2024")
    assert alice.ok("GETACL Projects/2024") == [b"* ACL Projects/2024 alice lrswipkxteacd group:helpdesk lrs"]
    # The owner cannot lock themselves out: l and a stay.
    alice.ok("SETACL Projects alice r")
    assert alice.ok("MYRIGHTS Projects") == [b"* MYRIGHTS Projects lra"]
    alice.ok("SETACL Projects alice lrswipkxtea")
    tagged, _ = alice.command("SETACL Projects bob lrz")
    assert tagged.split(b" ")[1] == b"BAD"
    tagged, _ = alice.command('SETACL Projects "Bad Name" lr')
    assert tagged.split(b" ")[1] == b"BAD"


def test_write_rights_per_flag(make_server):
    srv = acl_server(make_server)
    alice = session(srv, "alice")
    alice.ok("CREATE Team")
    append(alice, "Team", "one")
    alice.ok("SETACL Team bob lrsi")
    bob = session(srv, "bob")
    untagged = bob.ok('SELECT "Other Users/alice/Team"')
    assert any(b"[PERMANENTFLAGS (\\Seen)]" in line for line in untagged)
    bob.ok("STORE 1 +FLAGS (\\Seen)")
    assert resp_code(no(bob, "STORE 1 +FLAGS (\\Flagged)")) == "NOPERM"
    assert resp_code(no(bob, "STORE 1 +FLAGS (\\Deleted)")) == "NOPERM"
    assert resp_code(no(bob, "EXPUNGE")) == "NOPERM"
    assert resp_code(no(bob, 'MOVE 1 INBOX')) == "NOPERM"
    # COPY out of a share into one's own INBOX works with r; APPEND in with i.
    tagged, _ = bob.command("COPY 1 INBOX")
    assert b"COPYUID" in tagged
    assert b"APPENDUID" in append(bob, "Other Users/alice/Team", "from bob", "\\Flagged")
    alice.ok("SELECT Team")
    fetched = alice.ok("FETCH 2 (FLAGS)")
    assert fetched == [b"* 2 FETCH (FLAGS (\\Recent))"], "bob may not set \\Flagged, so APPEND drops it"


def test_seen_brought_into_a_share_is_the_viewers_own(make_server):
    """\\Seen is kept per user in another owner's mailbox: what bob APPENDs or COPYs there
    already read stays read for bob and arrives unread for alice."""
    srv = acl_server(make_server)
    alice = session(srv, "alice")
    alice.ok("CREATE Team")
    alice.ok("SETACL Team bob lrsi")
    bob = session(srv, "bob")
    assert b"APPENDUID" in append(bob, "Other Users/alice/Team", "bob's note", "\\Seen")
    assert b"APPENDUID" in append(bob, "INBOX", "read in bob's INBOX", "\\Seen")
    assert b"APPENDUID" in append(bob, "INBOX", "unread in bob's INBOX")
    bob.ok("SELECT INBOX")
    tagged, _ = bob.command('COPY 1:2 "Other Users/alice/Team"')
    assert b"COPYUID" in tagged
    bob.ok('SELECT "Other Users/alice/Team"')
    flags = bob.ok("FETCH 1:3 (FLAGS)")
    assert [b"\\Seen" in line for line in flags] == [True, True, False], flags
    alice.ok("SELECT Team")
    flags = alice.ok("FETCH 1:3 (FLAGS)")
    assert len(flags) == 3 and not any(b"\\Seen" in line for line in flags), flags


def test_admin_administers_but_cannot_read(make_server):
    srv = acl_server(make_server)
    admin = session(srv, "admin")
    listed = names(admin.ok('LIST "" "Other Users/*"'))
    assert "Other Users/alice" in listed and "Other Users/bob" in listed
    assert resp_code(no(admin, 'SELECT "Other Users/alice"')) == "NOPERM"
    assert admin.ok('MYRIGHTS "Other Users/alice"') == [b'* MYRIGHTS "Other Users/alice" lkxac']
    admin.ok('CREATE "Other Users/alice/FromAdmin"')
    admin.ok('SETACL "Other Users/alice" admin lr')
    admin.ok('EXAMINE "Other Users/alice"')
    admin.ok('DELETE "Other Users/alice/FromAdmin"')
    # Non-admins cannot create in another's store without k.
    bob = session(srv, "bob")
    assert resp_code(no(bob, 'CREATE "Other Users/alice/Mine"')) in ("NOPERM", "NONEXISTENT")
    assert resp_code(no(bob, 'CREATE "Shared/x"')) == "NOPERM"
    assert resp_code(no(bob, "CREATE Shared")) == "CANNOT"
    assert resp_code(no(bob, "CREATE shared/x")) == "CANNOT"
    assert resp_code(no(bob, 'CREATE "Other Users"')) == "CANNOT"


def test_admin_deletes_and_creates_a_users_mailstore(make_server):
    srv = acl_server(make_server)
    carol = session(srv, "carol")
    carol.ok("SELECT INBOX")
    admin = session(srv, "admin")
    bob = session(srv, "bob")
    assert resp_code(no(bob, 'DELETE "Other Users/carol"')) in ("NOPERM", "NONEXISTENT")
    admin.ok('DELETE "Other Users/carol"')
    assert not admin.ok('LIST "" "Other Users/carol*"'), "carol's mailboxes are gone"
    assert DISTRIBUTED or not (srv.data / "users" / "carol").exists()
    tagged, untagged = carol.command("NOOP")
    assert any(line.startswith(b"* BYE") for line in untagged) or status_of_line(tagged) == "NO"
    text = after_tag(no(admin, 'CREATE "Other Users/nobody"'))
    assert b"not a user" in text
    admin.ok('CREATE "Other Users/carol"')
    assert admin.ok('LIST "" "Other Users/carol*"'), "carol has a mailstore again"
    assert DISTRIBUTED or (srv.data / "users" / "carol" / "index.sqlite3").is_file()
    fresh = session(srv, "carol")
    fresh.ok("SELECT INBOX")


def status_of_line(tagged: bytes) -> str:
    return tagged.split(b" ", 2)[1].decode()
