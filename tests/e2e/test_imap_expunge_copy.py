"""EXPUNGE and UID EXPUNGE with correct untagged EXPUNGE numbering (RFC 3501 6.4.3, 7.4.1;
RFC 4315), CLOSE vs UNSELECT (RFC 3501 6.4.2, RFC 3691), COPY/UID COPY with COPYUID
(RFC 4315) and MOVE/UID MOVE (RFC 6851)."""

from __future__ import annotations

import re

from e2e_helpers import (
    append, fetch, flags_of, make_message, parse_copyuid, parse_fetch_responses, status, status_of, tagged_text,
)


def fill(m, n, mailbox="INBOX") -> list[int]:
    uids = [append(m, make_message(subject=f"msg {i + 1}", body=f"body {i + 1}\n"), mailbox=mailbox)
            for i in range(n)]
    return uids


def apply_expunges(uids: list[int], expunged_seqs: list[int]) -> list[int]:
    """Applies untagged EXPUNGE sequence numbers in order; returns the UIDs removed."""
    view = list(uids)
    removed = []
    for seq in expunged_seqs:
        assert 1 <= seq <= len(view), f"EXPUNGE {seq} outside 1..{len(view)} (sequence {expunged_seqs})"
        removed.append(view.pop(seq - 1))
    return removed


def expunge_seqs(untagged: list[bytes]) -> list[int]:
    out = []
    for u in untagged:
        m = re.fullmatch(rb"\* (\d+) EXPUNGE", u.strip(), re.I)
        if m:
            out.append(int(m.group(1)))
    return out


def subjects(m) -> list[str]:
    res = fetch(m, "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    out = []
    for i in sorted(res):
        (value,) = [v for k, v in res[i].items() if k.startswith("BODY[HEADER.FIELDS")]
        out.append(value.decode().strip().split(": ", 1)[1])
    return out


# -- EXPUNGE -------------------------------------------------------------------------------------


def test_expunge_sequence_numbers(server, alice):
    uids = fill(alice, 6)
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    c.ok("STORE 2,4,5 +FLAGS.SILENT (\\Deleted)")
    tagged, untagged = c.command("EXPUNGE")
    assert status_of(tagged) == "OK", tagged
    seqs = expunge_seqs(untagged)
    assert len(seqs) == 3, untagged
    # Each EXPUNGE renumbers what follows; whatever order the server chose, replaying
    # them must remove exactly messages 2, 4 and 5.
    assert sorted(apply_expunges(uids, seqs)) == [uids[1], uids[3], uids[4]], seqs
    tagged, untagged = c.command("UID SEARCH ALL")
    (found,) = [u for u in untagged if u.upper().startswith(b"* SEARCH")]
    assert found.split()[2:] == [str(u).encode() for u in (uids[0], uids[2], uids[5])]
    tagged, untagged = c.command("FETCH 1:* (UID)")
    res = parse_fetch_responses(untagged)
    assert [int(res[i]["UID"]) for i in sorted(res)] == [uids[0], uids[2], uids[5]]
    c.close()


def test_expunge_nothing_deleted(server, alice):
    fill(alice, 2)
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    tagged, untagged = c.command("EXPUNGE")
    assert status_of(tagged) == "OK" and expunge_seqs(untagged) == []
    c.close()


def test_imaplib_expunge(alice):
    fill(alice, 3)
    alice.select("INBOX")
    alice.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = alice.expunge()
    assert typ == "OK" and data == [b"1"]
    assert status(alice, "INBOX", "(MESSAGES)")["MESSAGES"] == 2
    assert subjects(alice) == ["msg 2", "msg 3"]


def test_uid_expunge_only_named_uids(server, alice):
    uids = fill(alice, 4)
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    c.ok("STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    tagged, untagged = c.command(f"UID EXPUNGE {uids[2]}")
    assert status_of(tagged) == "OK", tagged
    assert expunge_seqs(untagged) == [3], untagged
    # Message 1 keeps \Deleted and stays.
    tagged, untagged = c.command("FETCH 1:* (UID FLAGS)")
    res = parse_fetch_responses(untagged)
    assert [int(res[i]["UID"]) for i in sorted(res)] == [uids[0], uids[1], uids[3]]
    assert "\\deleted" in flags_of(res[1])
    # A UID that is not \Deleted is not expunged.
    tagged, untagged = c.command(f"UID EXPUNGE {uids[1]}")
    assert status_of(tagged) == "OK" and expunge_seqs(untagged) == []
    c.close()


def test_expunge_in_other_mailbox_unaffected(alice):
    alice.create("Keep")
    fill(alice, 2, mailbox="Keep")
    alice.select("Keep")
    alice.store("1:*", "+FLAGS", "(\\Deleted)")
    alice.select("INBOX")  # switching does not expunge (only CLOSE does)
    assert status(alice, "Keep", "(MESSAGES)")["MESSAGES"] == 2


# -- CLOSE / UNSELECT ---------------------------------------------------------------------------


def test_close_expunges_silently(server, alice):
    fill(alice, 3)
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    c.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    tagged, untagged = c.command("CLOSE")
    assert status_of(tagged) == "OK"
    assert expunge_seqs(untagged) == [], "CLOSE must not send EXPUNGE responses"
    # Back in authenticated state.
    tagged, _ = c.command("FETCH 1 FLAGS")
    assert status_of(tagged) in ("BAD", "NO")
    assert status(alice, "INBOX", "(MESSAGES)")["MESSAGES"] == 2
    c.close()


def test_close_after_examine_does_not_expunge(server, alice):
    fill(alice, 2)
    alice.select("INBOX")
    alice.store("1", "+FLAGS", "(\\Deleted)")
    c = server.raw(user="alice")
    c.ok("EXAMINE INBOX")
    c.ok("CLOSE")
    assert status(alice, "INBOX", "(MESSAGES)")["MESSAGES"] == 2
    c.close()


def test_unselect_does_not_expunge(server, alice):
    fill(alice, 3)
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    c.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    tagged, untagged = c.command("UNSELECT")
    assert status_of(tagged) == "OK"
    assert expunge_seqs(untagged) == []
    tagged, _ = c.command("FETCH 1 FLAGS")
    assert status_of(tagged) in ("BAD", "NO")
    assert status(alice, "INBOX", "(MESSAGES)")["MESSAGES"] == 3
    c.close()


def test_imaplib_unselect(alice):
    fill(alice, 1)
    alice.select("INBOX")
    typ, _ = alice.unselect()
    assert typ == "OK"
    assert alice.state == "AUTH"


# -- COPY / MOVE -----------------------------------------------------------------------------------


def test_copy_with_copyuid(alice):
    uids = fill(alice, 3)
    alice.create("Archive")
    dest_validity = status(alice, "Archive")["UIDVALIDITY"]
    alice.select("INBOX")
    typ, text = tagged_text(alice, "COPY", "1:2", "Archive")
    assert typ == "OK", text
    copyuid = parse_copyuid(text)
    assert copyuid, f"COPY must answer [COPYUID ...] (UIDPLUS): {text!r}"
    validity, src, dst = copyuid
    assert validity == dest_validity
    assert src == uids[:2] and len(dst) == 2 and dst == sorted(dst)
    assert status(alice, "Archive", "(MESSAGES)")["MESSAGES"] == 2
    assert status(alice, "INBOX", "(MESSAGES)")["MESSAGES"] == 3
    # Flags are copied too; the copy is \Recent in the destination.
    alice.store("3", "+FLAGS", "(\\Flagged $Tag)")
    typ, text = tagged_text(alice, "COPY", "3", "Archive")
    assert typ == "OK"
    alice.select("Archive")
    res = fetch(alice, "1:*", "(UID FLAGS BODY.PEEK[])")
    assert len(res) == 3
    assert {"\\flagged", "$tag"} <= flags_of(res[3])
    assert [int(res[i]["UID"]) for i in (1, 2)] == dst


def test_uid_copy(alice):
    uids = fill(alice, 3)
    alice.create("Archive")
    alice.select("INBOX")
    typ, text = tagged_text(alice, "UID", "COPY", f"{uids[2]},{uids[0]}", "Archive")
    assert typ == "OK", text
    validity, src, dst = parse_copyuid(text)
    assert sorted(src) == sorted([uids[0], uids[2]]) and len(dst) == 2
    # src and dst are in corresponding order.
    alice.select("Archive")
    by_uid = {int(v["UID"]): v for v in fetch(alice, "1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])").values()}
    want = {uids[0]: b"msg 1", uids[2]: b"msg 3"}
    for s, d in zip(src, dst):
        header = [v for k, v in by_uid[d].items() if k.startswith("BODY[")][0]
        assert want[s] in header


def test_copy_to_missing_mailbox_trycreate(alice):
    fill(alice, 1)
    alice.select("INBOX")
    typ, text = tagged_text(alice, "COPY", "1", "Nowhere")
    assert typ == "NO"
    assert b"[TRYCREATE]" in text.upper(), text


def test_copy_body_is_byte_exact(alice):
    msg = make_message(subject="exact", body="x" * 1000 + "\n")
    append(alice, msg)
    alice.create("Dst")
    alice.select("INBOX")
    tagged_text(alice, "COPY", "1", "Dst")
    alice.select("Dst")
    res = fetch(alice, "1", "(BODY.PEEK[])")
    assert res[1]["BODY[]"] == msg


def test_move(server, alice):
    uids = fill(alice, 4)
    alice.create("Moved")
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    tagged, untagged = c.command("MOVE 2:3 Moved")
    assert status_of(tagged) == "OK", tagged
    seqs = expunge_seqs(untagged)
    assert sorted(apply_expunges(uids, seqs)) == uids[1:3], (seqs, untagged)
    # RFC 6851: COPYUID comes in an untagged OK before the EXPUNGEs (or in the tagged OK).
    copyuid = None
    for u in untagged + [tagged]:
        copyuid = copyuid or parse_copyuid(u)
    assert copyuid, f"MOVE must report COPYUID: {untagged!r} {tagged!r}"
    assert copyuid[1] == uids[1:3]
    assert status(alice, "Moved", "(MESSAGES)")["MESSAGES"] == 2
    tagged, untagged = c.command("FETCH 1:* (UID)")
    res = parse_fetch_responses(untagged)
    assert [int(res[i]["UID"]) for i in sorted(res)] == [uids[0], uids[3]]
    c.close()


def test_uid_move(server, alice):
    uids = fill(alice, 3)
    alice.create("Moved")
    c = server.raw(user="alice")
    c.ok("SELECT INBOX")
    tagged, untagged = c.command(f"UID MOVE {uids[0]} Moved")
    assert status_of(tagged) == "OK", tagged
    assert expunge_seqs(untagged) == [1], untagged
    copyuid = None
    for u in untagged + [tagged]:
        copyuid = copyuid or parse_copyuid(u)
    assert copyuid and copyuid[1] == [uids[0]]
    moved_uid = copyuid[2][0]
    alice.select("Moved")
    res = fetch(alice, str(moved_uid), "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])", uid=True)
    assert len(res) == 1
    c.close()


def test_imaplib_uid_move(alice):
    uids = fill(alice, 2)
    alice.create("Dst")
    alice.select("INBOX")
    typ, _ = alice.uid("MOVE", str(uids[1]), "Dst")
    assert typ == "OK"
    assert status(alice, "Dst", "(MESSAGES)")["MESSAGES"] == 1
    typ, data = alice.uid("SEARCH", "ALL")
    assert [int(x) for x in data[0].split()] == [uids[0]]


def test_move_to_same_mailbox_is_refused_or_harmless(alice):
    uids = fill(alice, 1)
    alice.select("INBOX")
    try:
        alice.uid("MOVE", str(uids[0]), "INBOX")
    except Exception:
        pass
    count = status(alice, "INBOX", "(MESSAGES)")["MESSAGES"]
    assert count == 1, "the message must neither vanish nor duplicate"
