"""Partitions: users placed on a named storage root at creation, moved between partitions
while their IMAP sessions stay open, and nothing lost on the way."""

import pytest

from e2e_helpers import append, close_quietly, fetch, imap_ok, make_message

# About the embedded store's files (partitions are directories of the data): embedded pass only (conftest.py).
pytestmark = pytest.mark.embedded_only


def partitioned_server(make_server, tmp_path):
    archive = tmp_path / "archive-disk"
    config = tmp_path / "partitions.toml"
    config.write_text(f'[partitions]\narchive = "{archive}"\n')
    srv = make_server(users={}, start=False)
    srv.extra_args = ["--config", str(config)]
    srv.start()
    return srv, config, archive


def test_user_created_on_a_partition_lives_there(make_server, tmp_path):
    srv, config, archive = partitioned_server(make_server, tmp_path)
    srv.cli("user", "add", "carol", "--password", "pw-carol", "--partition", "archive", "--config", str(config))
    srv.cli("user", "add", "dave", "--password", "pw-dave", "--config", str(config))
    assert (archive / "users" / "carol" / "index.sqlite3").is_file()
    assert (srv.data / "users" / "dave" / "index.sqlite3").is_file()
    assert not (archive / "users" / "dave").exists()
    m = srv.imap("carol", "pw-carol")
    try:
        append(m, make_message("on the archive disk"))
        imap_ok(m.select("INBOX"))
        assert fetch(m, "1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1]
    finally:
        close_quietly(m)
    blobs = [p for p in (archive / "users" / "carol" / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 1, "the message file is on the partition"

    proc = srv.cli("user", "add", "erin", "--password", "pw", "--partition", "nowhere",
                   "--config", str(config), check=False)
    assert proc.returncode != 0
    assert "no partition named \"nowhere\"" in proc.stderr and "archive, default" in proc.stderr


def test_move_between_partitions_while_a_session_is_open(make_server, tmp_path):
    srv, config, archive = partitioned_server(make_server, tmp_path)
    srv.cli("user", "add", "carol", "--password", "pw-carol", "--config", str(config))
    m = srv.imap("carol", "pw-carol")
    try:
        for i in range(5):
            append(m, make_message(f"before move {i}"), flags="(\\Flagged)")
        imap_ok(m.select("INBOX"))
        before = fetch(m, "1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[])")

        out = srv.cli("user", "move", "carol", "archive", "--config", str(config)).stdout
        assert "moved from partition default to archive" in out
        assert (archive / "users" / "carol" / "index.sqlite3").is_file()
        assert (srv.data / "users" / "carol").is_symlink()

        # The open session goes on: same UIDs, flags and contents, and new mail lands.
        assert fetch(m, "1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[])") == before
        append(m, make_message("after move"))
        imap_ok(m.noop())
        assert len(fetch(m, "1:*", "(UID)")) == 6

        srv.cli("user", "move", "carol", "default", "--config", str(config))
        assert not (archive / "users" / "carol").exists()
        assert (srv.data / "users" / "carol").is_dir() and not (srv.data / "users" / "carol").is_symlink()
        assert len(fetch(m, "1:*", "(UID)")) == 6
    finally:
        close_quietly(m)
    srv.restart()
    m = srv.imap("carol", "pw-carol")
    try:
        imap_ok(m.select("INBOX"))
        after = fetch(m, "1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[])")
        # \Recent belonged to the first session; everything else is as before the moves.
        for entry in before.values():
            entry["FLAGS"] = [f for f in entry["FLAGS"] if f != "\\Recent"]
        assert {k: v for k, v in after.items() if k <= 5} == before
    finally:
        close_quietly(m)


def test_reconstruct_finds_users_on_partitions_again(make_server, tmp_path):
    srv, config, archive = partitioned_server(make_server, tmp_path)
    srv.cli("user", "add", "carol", "--password", "pw-carol", "--partition", "archive", "--config", str(config))
    m = srv.imap("carol", "pw-carol")
    try:
        append(m, make_message("kept on the archive"))
    finally:
        close_quietly(m)
    srv.stop()
    (srv.data / "users" / "carol").unlink()  # the link into the partition is lost
    out = srv.cli("reconstruct", "--all", "--config", str(config)).stdout
    assert "user carol: found on partition archive" in out
    srv.start()
    m = srv.imap("carol", "pw-carol")
    try:
        imap_ok(m.select("INBOX"))
        assert b"kept on the archive" in fetch(m, "1", "(BODY.PEEK[])")[1]["BODY[]"]
    finally:
        close_quietly(m)


def test_admin_places_and_moves_users_over_imap(make_server, tmp_path):
    """Cyrus's way: CREATE "Other Users/NAME" PARTITION, and RENAME of a user's INBOX onto
    itself with a partition to move the user online."""
    from acl_helpers import acl_server, no, session
    from acl_helpers import append as append_raw

    archive = tmp_path / "archive-disk"
    srv = acl_server(make_server, f'[partitions]\narchive = "{archive}"\n')
    admin, bob = session(srv, "admin"), session(srv, "bob")
    admin.ok('DELETE "Other Users/carol"')
    admin.ok('CREATE "Other Users/carol" archive')
    assert (archive / "users" / "carol" / "index.sqlite3").is_file()
    assert b"[NOPERM]" in no(bob, 'CREATE "Mine" archive')
    assert b"[CANNOT]" in no(admin, 'CREATE "Other Users/carol/Sub" default')

    carol = session(srv, "carol")
    assert append_raw(carol, "INBOX", "kept").split(b" ")[1] == b"OK"
    carol.ok("SELECT INBOX")
    assert b"[NONEXISTENT]" in no(bob, 'RENAME "Other Users/carol" "Other Users/carol" default'), "bob does not even see it"
    admin.ok('RENAME "Other Users/carol" "Other Users/carol" default')
    assert not (archive / "users" / "carol").exists()
    assert (srv.data / "users" / "carol" / "index.sqlite3").is_file()
    # carol's open session goes on on the new partition.
    fetched = carol.ok("FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    assert any(b"Subject: kept" in line for line in fetched)
    assert append_raw(carol, "INBOX", "after the move").split(b" ")[1] == b"OK"
    carol.ok("NOOP")
    assert any(b"UID 2" in line for line in carol.ok("FETCH 2 (UID)"))
