"""Shared mailboxes (Shared/...): group rights with a negative entry, a public archive,
per-user \\Seen on a bulletin board, and LMTP posting that needs the p right."""

from __future__ import annotations

import pytest

from acl_helpers import acl_server, append, bulletin_board, lmtp_rcpt, names, no, session
from e2e_helpers import make_message, resp_code, run_cli


def test_helpdesk_group_with_a_negative_entry(make_server):
    srv = acl_server(make_server)
    srv.cli("group", "add", "helpdesk", "bob", "carol")
    assert "helpdesk: bob carol" in srv.cli("group", "list").stdout
    admin = session(srv, "admin")
    admin.ok('CREATE "Shared/helpdesk"')
    assert admin.ok('GETACL "Shared/helpdesk"') == [b"* ACL Shared/helpdesk"]
    admin.ok('SETACL "Shared/helpdesk" "group:helpdesk" lrswipte')
    admin.ok('SETACL "Shared/helpdesk" -carol w')

    bob = session(srv, "bob")
    assert b"\\HasNoChildren" in names(bob.ok('LIST "" "*"'))["Shared/helpdesk"]
    assert b"APPENDUID" in append(bob, "Shared/helpdesk", "printer on fire")
    bob.ok('SELECT "Shared/helpdesk"')
    bob.ok("STORE 1 +FLAGS (\\Flagged)")
    assert bob.ok('MYRIGHTS "Shared/helpdesk"') == [b"* MYRIGHTS Shared/helpdesk lrswipted"]

    carol = session(srv, "carol")
    assert b"APPENDUID" in append(carol, "Shared/helpdesk", "printer still on fire")
    carol.ok('SELECT "Shared/helpdesk"')
    assert resp_code(no(carol, "STORE 1 +FLAGS (\\Answered)")) == "NOPERM"
    carol.ok("STORE 1 +FLAGS (\\Deleted)")
    carol.ok("EXPUNGE")
    assert carol.ok('MYRIGHTS "Shared/helpdesk"') == [b"* MYRIGHTS Shared/helpdesk lrsipted"]

    dave = session(srv, "dave")
    listed = names(dave.ok('LIST "" "*"'))
    assert not any(name.startswith("Shared") for name in listed)
    assert resp_code(no(dave, 'SELECT "Shared/helpdesk"')) == "NONEXISTENT"
    assert resp_code(append(dave, "Shared/helpdesk", "spam")) == "NONEXISTENT"

    # Membership changes apply at the next login.
    srv.cli("group", "del", "helpdesk", "bob")
    assert resp_code(no(session(srv, "bob"), 'SELECT "Shared/helpdesk"')) == "NONEXISTENT"


def test_public_archive_with_the_configured_default_acl(make_server):
    srv = acl_server(make_server, 'shared_default_acl = "anyone lr"\n')
    admin = session(srv, "admin")
    admin.ok('CREATE "Shared/archive"')
    admin.ok('CREATE "Shared/archive/2024"')
    assert admin.ok('GETACL "Shared/archive/2024"') == [b"* ACL Shared/archive/2024 anyone lr"]
    admin.ok('SETACL "Shared/archive" admin lrswi')
    assert b"APPENDUID" in append(admin, "Shared/archive", "minutes")
    dave = session(srv, "dave")
    listed = names(dave.ok('LIST "" "Shared/*"'))
    assert set(listed) == {"Shared/archive", "Shared/archive/2024"}
    assert b"\\HasChildren" in listed["Shared/archive"]
    assert names(dave.ok('LIST "" "%"'))["Shared"] == b"\\Noselect \\HasChildren"
    tagged, _ = dave.command('SELECT "Shared/archive"')
    assert b"[READ-ONLY]" in tagged
    assert any(b"Subject: minutes" in line for line in dave.ok("FETCH 1 BODY.PEEK[HEADER]"))
    assert resp_code(append(dave, "Shared/archive", "graffiti")) == "NOPERM"


def test_per_user_seen_on_a_bulletin_board(make_server):
    srv = acl_server(make_server)
    bulletin_board(srv, "board", "anyone lrsp", posts=("first", "second"))

    alice = session(srv, "alice")
    alice2 = session(srv, "alice")
    bob = session(srv, "bob")
    alice.ok('SELECT "Shared/board"')
    alice2.ok('SELECT "Shared/board"')
    bob.ok('SELECT "Shared/board"')
    alice.ok("FETCH 1 BODY[TEXT]")  # sets alice's \Seen
    assert alice.ok("FETCH 1 (FLAGS)") == [b"* 1 FETCH (FLAGS (\\Seen))"]
    assert bob.ok("FETCH 1:2 (FLAGS)") == [b"* 1 FETCH (FLAGS ())", b"* 2 FETCH (FLAGS ())"]
    assert bob.ok("SEARCH UNSEEN") == [b"* SEARCH 1 2"]
    assert alice.ok("SEARCH UNSEEN") == [b"* SEARCH 2"]
    # alice's other session learns of her own \Seen; bob's does not change.
    assert b"* 1 FETCH (UID 1 FLAGS (\\Seen))" in alice2.ok("NOOP")
    assert not any(b"FETCH" in line for line in bob.ok("NOOP"))
    bob.ok("STORE 2 +FLAGS (\\Seen)")
    bob.ok("STORE 1 FLAGS (\\Seen)")
    bob.ok("STORE 1 -FLAGS (\\Seen)")
    assert bob.ok("SEARCH SEEN") == [b"* SEARCH 2"]
    assert alice.ok("SEARCH SEEN") == [b"* SEARCH 1"]
    dave = session(srv, "dave")
    assert dave.ok('STATUS "Shared/board" (MESSAGES UNSEEN)') == [b"* STATUS Shared/board (MESSAGES 2 UNSEEN 2)"]
    assert alice.ok('STATUS "Shared/board" (UNSEEN)') == [b"* STATUS Shared/board (UNSEEN 1)"]


def test_lmtp_post_to_a_shared_mailbox_needs_p(make_server):
    srv = acl_server(make_server)
    admin = session(srv, "admin")
    admin.ok('CREATE "Shared/news"')
    rcpt, _ = lmtp_rcpt(srv.lmtp_port, "bb+news@example.org", make_message("early"))
    assert rcpt.startswith("550 5.1.1"), rcpt
    admin.ok('SETACL "Shared/news" anonymous p')
    rcpt, data = lmtp_rcpt(srv.lmtp_port, "bb+news@example.org", make_message("on time"))
    assert rcpt.startswith("250") and data.startswith("250"), (rcpt, data)
    rcpt, _ = lmtp_rcpt(srv.lmtp_port, "bb+nothing@example.org", make_message("lost"))
    assert rcpt.startswith("550 5.1.1"), rcpt
    admin.ok('SETACL "Shared/news" admin lr')
    admin.ok('EXAMINE "Shared/news"')
    assert any(b"Subject: on time" in line for line in admin.ok("FETCH 1:* BODY.PEEK[HEADER]"))


def test_plus_address_needs_p_on_the_folder(make_server):
    srv = acl_server(make_server)
    alice = session(srv, "alice")
    alice.ok("CREATE Lists")
    assert lmtp_rcpt(srv.lmtp_port, "alice+Lists@example.org", make_message("no p"))[1].startswith("250")
    alice.ok("SETACL Lists anyone p")
    assert lmtp_rcpt(srv.lmtp_port, "alice+Lists@example.org", make_message("with p"))[1].startswith("250")
    assert alice.ok("STATUS Lists (MESSAGES)") == [b"* STATUS Lists (MESSAGES 1)"]
    assert alice.ok("STATUS INBOX (MESSAGES)") == [b"* STATUS INBOX (MESSAGES 1)"]


@pytest.mark.embedded_only  # the file-level backup's layout
def test_backup_includes_the_shared_store(make_server, tmp_path):
    srv = acl_server(make_server)
    admin = session(srv, "admin")
    admin.ok('CREATE "Shared/news"')
    admin.ok('SETACL "Shared/news" admin lrsi')
    assert b"APPENDUID" in append(admin, "Shared/news", "kept")
    srv.cli("backup", str(tmp_path / "backup"))
    assert (tmp_path / "backup" / "shared" / "index.sqlite3").is_file()
    restored = tmp_path / "restored"
    run_cli("restore", str(tmp_path / "backup"), data=restored)
    assert (restored / "shared" / "index.sqlite3").is_file()


@pytest.mark.embedded_only  # reconstruct of the embedded files
def test_reconstruct_all_repairs_the_shared_store(make_server):
    srv = acl_server(make_server)
    admin = bulletin_board(srv, "news", "anonymous p", posts=("kept", "lost"))
    admin.close()
    srv.stop()
    files = sorted(p for p in (srv.data / "shared" / "blobs").rglob("*") if p.is_file())
    assert len(files) == 2
    lost = next(p for p in files if b"Subject: lost" in p.read_bytes())
    lost.unlink()
    out = srv.cli("reconstruct", "--all").stdout
    assert "shared mailboxes: index checked, 1 messages" in out, out
    assert "dropped news UID 2: its message file is missing" in out, out
    srv.start()
    admin = session(srv, "admin")
    admin.ok('SETACL "Shared/news" admin lr')
    assert any(line == b"* 1 EXISTS" for line in admin.ok('EXAMINE "Shared/news"'))
