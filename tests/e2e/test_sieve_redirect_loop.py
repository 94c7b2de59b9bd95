"""Sieve redirect loops (issue #14, item 5): two users whose scripts redirect to each other
must not ping-pong a message until the relay gives up. Every redirected copy carries an
``X-Loop: USER@HOST`` mark naming this server and the redirecting user; a message that
already carries the mark of the user whose script redirects it again is kept instead, and
the refusal is logged. The test plays the relay: whatever reaches the SMTP sink is handed
back to Bushbuck over LMTP, as an MTA delivering to local users would.
"""

from __future__ import annotations

from test_sieve_delivery import install, lmtp_ok, messages, msg, relay  # noqa: F401 (relay is a fixture)

# More hops than this would be the ping-pong the marks are there to stop.
MAX_HOPS = 10


def relay_back(server, sink) -> list:
    """Delivers every message the sink receives back to its recipients over LMTP, until no
    new one comes (or MAX_HOPS); returns what the sink received, in order."""
    handled = 0
    while handled < MAX_HOPS and len(sink.messages) > handled:
        out = sink.messages[handled]
        lmtp_ok(server, out.data, out.rcpt_tos, mail_from=out.mail_from)
        handled += 1
    return list(sink.messages)


def test_mutual_redirects_go_out_once_per_user_and_the_message_is_kept(relay):
    server, sink = relay
    install(server, 'redirect "bob@example.org";\n', user="alice")
    install(server, 'redirect "alice@example.org";\n', user="bob")
    original = msg("ping pong", sender="Dave <dave@example.net>")
    lmtp_ok(server, original, "alice@example.org", mail_from="dave@example.net")
    sent = relay_back(server, sink)

    # alice's script sent it to bob, bob's back to alice, and there it stopped.
    assert [m.rcpt_tos for m in sent] == [["bob@example.org"], ["alice@example.org"]], \
        [(m.rcpt_tos, m.header("X-Loop")) for m in sent]
    assert all(m.mail_from == "dave@example.net" for m in sent)
    first, second = sent
    assert len(first.header("X-Loop")) == 1 and first.header("X-Loop")[0].startswith("alice@")
    assert [v.split()[0].split("@")[0] for v in second.header("X-Loop")] == ["bob", "alice"]
    assert first.data.endswith(original) and second.data.endswith(original)

    # Not lost: alice, whose mark the returning copy carries, keeps it.
    [kept] = messages(server, user="alice")
    assert kept["data"].endswith(original)
    assert messages(server, user="bob") == []
    assert "redirect loop" in server.stderr()


def test_a_mark_of_another_user_or_server_does_not_stop_a_redirect(relay):
    server, sink = relay
    install(server, 'redirect "carol@example.com";\n')
    foreign = b"X-Loop: alice@other-host.example (Bushbuck Sieve redirect)\r\nX-Loop: bob@localhost\r\n"
    lmtp_ok(server, foreign + msg("marked elsewhere"))
    [out] = sink.wait_for(1)
    assert out.rcpt_tos == ["carol@example.com"]
    assert len(out.header("X-Loop")) == 3, out.header("X-Loop")
    assert messages(server) == [], "the redirect (without :copy) went out, so nothing is kept"


def test_redirect_copy_of_a_looping_message_still_keeps_one_copy(relay):
    server, sink = relay
    install(server, 'require "copy";\nredirect :copy "bob@example.org";\n', user="alice")
    install(server, 'redirect "alice@example.org";\n', user="bob")
    lmtp_ok(server, msg("copy loop"), "alice@example.org")
    sent = relay_back(server, sink)
    assert [m.rcpt_tos for m in sent] == [["bob@example.org"], ["alice@example.org"]]
    # alice kept the first copy (:copy), and the returning one again (loop refused).
    assert len(messages(server, user="alice")) == 2
    assert messages(server, user="bob") == []
