"""Mailbox management: CREATE, DELETE, RENAME, LIST, LSUB, SUBSCRIBE/UNSUBSCRIBE, STATUS,
the "/" hierarchy with \\HasChildren/\\HasNoChildren (RFC 3348), modified UTF-7 names
(RFC 3501 5.1.3), INBOX's case-insensitivity and names that must be refused."""

from __future__ import annotations

import pytest

from e2e_helpers import (
    DEFAULT_MAILBOXES,
    append, expect_refused, imap_ok, imaplib_responses, list_mailboxes, make_message, parse_sexp, status,
    tagged_text,
)


def names(m, pattern='"*"'):
    return set(list_mailboxes(m, pattern=pattern))


def test_new_user_has_only_inbox(alice):
    boxes = list_mailboxes(alice)
    assert "INBOX" in boxes
    attrs, delim = boxes["INBOX"]
    assert delim == "/"
    assert "\\noselect" not in attrs and "\\nonexistent" not in attrs


def test_list_empty_pattern_gives_delimiter(alice):
    typ, data = alice.list('""', '""')
    assert typ == "OK"
    resps = imaplib_responses(data)
    assert len(resps) == 1, resps
    attrs, delim, name = parse_sexp(resps[0])
    assert delim == b"/"
    assert name == b"" and {str(a).lower() for a in attrs} >= {"\\noselect"}


def test_create_list_delete(alice):
    imap_ok(alice.create("Projects"), "CREATE")
    assert "Projects" in names(alice)
    # Creating it again fails.
    assert expect_refused(alice.create, "Projects") == "NO"
    imap_ok(alice.delete("Projects"), "DELETE")
    assert "Projects" not in names(alice)
    # Deleting something that does not exist fails.
    assert expect_refused(alice.delete, "Projects") == "NO"


def test_create_with_trailing_delimiter(alice):
    # RFC 3501 6.3.3: a trailing delimiter means the client intends to create inferiors;
    # the name created is without it.
    imap_ok(alice.create("Trailing/"), "CREATE")
    assert "Trailing" in names(alice)


def test_hierarchy_children_attributes(alice):
    imap_ok(alice.create("Work"))
    imap_ok(alice.create("Work/Reports"))
    imap_ok(alice.create("Work/Reports/2024"))
    boxes = list_mailboxes(alice)
    for name in ("Work", "Work/Reports", "Work/Reports/2024"):
        assert name in boxes, boxes
        assert boxes[name][1] == "/"
    assert "\\haschildren" in boxes["Work"][0] and "\\hasnochildren" not in boxes["Work"][0]
    assert "\\haschildren" in boxes["Work/Reports"][0]
    assert "\\hasnochildren" in boxes["Work/Reports/2024"][0]
    assert "\\hasnochildren" in boxes["INBOX"][0] or "\\haschildren" not in boxes["INBOX"][0]


def test_create_creates_missing_superiors(alice):
    # RFC 3501 6.3.3: the server SHOULD create superior names needed.
    imap_ok(alice.create("A/B/C"))
    boxes = list_mailboxes(alice)
    assert "A/B/C" in boxes
    assert "\\haschildren" in boxes["A"][0]
    assert "\\haschildren" in boxes["A/B"][0]


def test_list_patterns(alice):
    for n in ("Lists", "Lists/rust", "Lists/rust/users", "Lists/python", "Other"):
        imap_ok(alice.create(n))
    assert names(alice, '"Lists/%"') == {"Lists/rust", "Lists/python"}
    assert names(alice, '"Lists/*"') == {"Lists/rust", "Lists/rust/users", "Lists/python"}
    assert names(alice, '"%"') == DEFAULT_MAILBOXES | {"Lists", "Other"}
    assert names(alice, '"*ust*"') == {"Lists/rust", "Lists/rust/users"}
    # Reference name is prepended (RFC 3501 6.3.8).
    assert set(list_mailboxes(alice, ref='"Lists/"', pattern='"%"')) == {"Lists/rust", "Lists/python"}
    assert names(alice, '"NoSuch*"') == set()


def test_delete_inbox_is_refused(alice):
    assert expect_refused(alice.delete, "INBOX") == "NO"
    assert "INBOX" in names(alice)


def test_delete_removes_messages(alice):
    imap_ok(alice.create("Trash2"))
    append(alice, make_message(subject="to be deleted"), mailbox="Trash2")
    imap_ok(alice.delete("Trash2"))
    imap_ok(alice.create("Trash2"))
    assert status(alice, "Trash2")["MESSAGES"] == 0, "a re-created mailbox starts empty"


def test_recreated_mailbox_has_new_uidvalidity_or_higher_uids(alice):
    imap_ok(alice.create("Again"))
    uid = append(alice, make_message(subject="one"), mailbox="Again")
    before = status(alice, "Again")
    imap_ok(alice.delete("Again"))
    imap_ok(alice.create("Again"))
    after = status(alice, "Again")
    # RFC 3501 2.3.1.1: a re-created mailbox must not reuse a UID with the same UIDVALIDITY.
    assert after["UIDVALIDITY"] != before["UIDVALIDITY"] or after["UIDNEXT"] > uid


def test_rename(alice):
    imap_ok(alice.create("Old"))
    uid = append(alice, make_message(subject="kept across rename"), mailbox="Old")
    assert uid > 0
    imap_ok(alice.rename("Old", "New"))
    boxes = names(alice)
    assert "New" in boxes and "Old" not in boxes
    assert status(alice, "New")["MESSAGES"] == 1
    typ, _ = alice.select("New")
    assert typ == "OK"
    typ, data = alice.search(None, "SUBJECT", '"kept across rename"')
    assert data[0].split() == [b"1"]


def test_rename_moves_inferiors(alice):
    imap_ok(alice.create("P"))
    imap_ok(alice.create("P/C"))
    imap_ok(alice.create("P/C/D"))
    imap_ok(alice.rename("P", "Q"))
    boxes = names(alice)
    assert {"Q", "Q/C", "Q/C/D"} <= boxes
    assert not {"P", "P/C", "P/C/D"} & boxes


def test_rename_to_existing_is_refused(alice):
    imap_ok(alice.create("X1"))
    imap_ok(alice.create("X2"))
    assert expect_refused(alice.rename, "X1", "X2") == "NO"
    assert expect_refused(alice.rename, "Nope", "X3") == "NO"


def test_rename_inbox_moves_messages(alice):
    # RFC 3501 6.3.5: renaming INBOX moves its messages to the new name and leaves an
    # empty INBOX.
    append(alice, make_message(subject="m1"))
    append(alice, make_message(subject="m2"))
    imap_ok(alice.rename("INBOX", "OldInbox"))
    boxes = names(alice)
    assert "INBOX" in boxes and "OldInbox" in boxes
    assert status(alice, "OldInbox")["MESSAGES"] == 2
    assert status(alice, "INBOX")["MESSAGES"] == 0


def test_subscribe_lsub_unsubscribe(alice):
    imap_ok(alice.create("Subbed"))
    imap_ok(alice.create("Subbed/Child"))
    imap_ok(alice.create("NotSubbed"))
    imap_ok(alice.subscribe("Subbed"))
    imap_ok(alice.subscribe("Subbed/Child"))
    lsub = list_mailboxes(alice, command="LSUB")
    assert {"Subbed", "Subbed/Child"} <= set(lsub)
    assert "NotSubbed" not in lsub
    assert lsub["Subbed"][1] == "/"
    imap_ok(alice.unsubscribe("Subbed/Child"))
    lsub = list_mailboxes(alice, command="LSUB")
    assert "Subbed/Child" not in lsub and "Subbed" in lsub


def test_list_subscribed_extended(alice):
    imap_ok(alice.create("S1"))
    imap_ok(alice.subscribe("S1"))
    typ, data = alice.list('(SUBSCRIBED) ""', '"*"')
    assert typ == "OK"
    found = {}
    for r in imaplib_responses(data):
        attrs, _delim, name = parse_sexp(r)
        found[name if isinstance(name, str) else name.decode()] = {str(a).lower() for a in attrs}
    assert "S1" in found and "\\subscribed" in found["S1"]


def test_modified_utf7_round_trip(alice):
    # "Entwürfe" in modified UTF-7 (RFC 3501 5.1.3).
    imap_ok(alice.create("Entw&APw-rfe"))
    boxes = names(alice)
    assert "Entw&APw-rfe" in boxes, boxes
    # Chinese: 台北 (the RFC's example) under a parent.
    imap_ok(alice.create("Entw&APw-rfe/&U,BTFw-"))
    boxes = list_mailboxes(alice)
    assert "Entw&APw-rfe/&U,BTFw-" in boxes
    assert "\\haschildren" in boxes["Entw&APw-rfe"][0]
    typ, _ = alice.select("Entw&APw-rfe")
    assert typ == "OK"
    append(alice, make_message(subject="draft"), mailbox="Entw&APw-rfe")
    assert status(alice, "Entw&APw-rfe")["MESSAGES"] == 1
    # Pattern matching works on the decoded name too.
    assert names(alice, '"Entw*"') == {"Entw&APw-rfe", "Entw&APw-rfe/&U,BTFw-"}
    imap_ok(alice.rename("Entw&APw-rfe", "&AMQ-rger"))  # Ärger
    assert {"&AMQ-rger", "&AMQ-rger/&U,BTFw-"} <= names(alice)


def test_ampersand_in_name(alice):
    # A literal "&" is "&-" in modified UTF-7.
    imap_ok(alice.create('"Tom &- Jerry"'))
    assert "Tom &- Jerry" in names(alice)


@pytest.mark.parametrize("bad", ["Entw&APw", "bad&-x&", "&Jjo!"])
def test_invalid_modified_utf7_refused(alice, bad):
    assert expect_refused(alice.create, '"' + bad + '"') in ("NO", "BAD")
    assert names(alice) == DEFAULT_MAILBOXES


@pytest.mark.parametrize("bad", ["../etc", "a//b", ".."])
def test_dangerous_names_refused(alice, bad):
    assert expect_refused(alice.create, '"' + bad + '"') in ("NO", "BAD")
    assert bad not in names(alice)
    assert names(alice) == DEFAULT_MAILBOXES


def test_dangerous_rename_target_refused(alice):
    imap_ok(alice.create("Safe"))
    assert expect_refused(alice.rename, "Safe", '"../etc"') in ("NO", "BAD")
    assert names(alice) == DEFAULT_MAILBOXES | {"Safe"}


def test_inbox_is_case_insensitive(alice):
    typ, data = alice.select("inbox")
    assert typ == "OK"
    append(alice, make_message(subject="lower"), mailbox="iNbOx")
    st = status(alice, "Inbox", "(MESSAGES)")
    assert st["MESSAGES"] == 1
    typ, data = alice.status("inbox", "(MESSAGES)")
    name = parse_sexp(imaplib_responses(data)[-1])[0]
    assert (name if isinstance(name, str) else name.decode()) == "INBOX"
    assert expect_refused(alice.create, "inbox") == "NO"
    imap_ok(alice.create("inbox/Sub"))
    assert "INBOX/Sub" in names(alice)
    # Other names are case-sensitive.
    imap_ok(alice.create("Case"))
    imap_ok(alice.create("CASE"))
    assert {"Case", "CASE"} <= names(alice)


def test_status(alice):
    st0 = status(alice, "INBOX")
    assert st0["MESSAGES"] == 0 and st0["UNSEEN"] == 0 and st0["RECENT"] == 0
    assert st0["UIDVALIDITY"] > 0 and st0["UIDNEXT"] >= 1
    u1 = append(alice, make_message(subject="seen one"), flags="(\\Seen)")
    u2 = append(alice, make_message(subject="unseen one"))
    assert u1 >= st0["UIDNEXT"] and u2 > u1
    st = status(alice, "INBOX")
    assert st["MESSAGES"] == 2
    assert st["UNSEEN"] == 1
    assert st["RECENT"] == 2
    assert st["UIDNEXT"] > u2
    assert st["UIDVALIDITY"] == st0["UIDVALIDITY"]
    # Selecting claims \Recent; afterwards STATUS from another session shows 0 recent.
    typ, _ = alice.select("INBOX")
    assert typ == "OK"
    alice.close()
    assert status(alice, "INBOX")["RECENT"] == 0


def test_status_of_missing_mailbox(alice):
    assert expect_refused(alice.status, "NoSuchBox", "(MESSAGES)") == "NO"


def test_status_on_other_mailbox(alice):
    imap_ok(alice.create("Other"))
    append(alice, make_message(subject="x"), mailbox="Other")
    st = status(alice, "Other", "(MESSAGES UNSEEN)")
    assert st == {"MESSAGES": 1, "UNSEEN": 1}


def test_select_missing_mailbox(alice):
    typ, text = tagged_text(alice, "SELECT", "NoSuchBox")
    assert typ == "NO"
    assert alice.state == "AUTH"


def test_append_trycreate(alice):
    typ, data = alice.append("Missing", None, None, make_message(subject="x"))
    assert typ == "NO"
    assert b"[TRYCREATE]" in data[-1].upper(), data
