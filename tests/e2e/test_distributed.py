"""The distributed store: several Bushbuck nodes on one PostgreSQL database and one S3 bucket.

Every node here is a separate ``bushbuck serve`` process with a data directory of its own and
the same ``store_url``/``blob_url``: what one node accepts, every other node serves, and
changes reach sessions on other nodes through the database's notifications (issue #16).
"""

from __future__ import annotations

import imaplib
import poplib
import threading
import time

import pytest

from e2e_helpers import (HOST, USERS, append, close_quietly, fetch, imap_ok, lmtp_exchange, make_message,
                         read_until, run_cli, status_of)
from engines import Garage, Postgres

# These tests start their own engines and nodes: the distributed pass (conftest.py) skips them.
pytestmark = pytest.mark.embedded_only


class Cluster:
    """Nodes sharing one fresh database and one fresh object prefix."""

    def __init__(self, make_server, tmp_path, postgres, garage, name: str = "cluster"):
        access, secret = garage.credentials()
        self.config = tmp_path / f"{name}.toml"
        self.config.write_text(
            f'store_url = "{postgres.fresh_database()}"\n'
            f'blob_url = "{garage.fresh_prefix()}"\n'
            f'blob_access_key = "{access}"\n'
            f'blob_secret_key = "{secret}"\n'
        )
        self.make_server = make_server
        self.nodes = []

    def node(self, start: bool = True):
        srv = self.make_server(users={}, start=False)
        srv.extra_args = ["--config", str(self.config)]
        self.nodes.append(srv)
        return srv.start() if start else srv

    def cli(self, node, *args: str, check: bool = True):
        return run_cli(*args, "--config", str(self.config), data=node.data, check=check)


@pytest.fixture
def cluster(make_server, tmp_path, postgres_engine, garage_engine):
    return Cluster(make_server, tmp_path, postgres_engine, garage_engine)


@pytest.fixture
def other_cluster(make_server, tmp_path, postgres_engine, garage_engine):
    """A second site: its own database and object prefix."""
    return Cluster(make_server, tmp_path, postgres_engine, garage_engine, name="other")


@pytest.fixture
def two_nodes(cluster):
    a, b = cluster.node(), cluster.node()
    for user, password in USERS.items():
        cluster.cli(a, "user", "add", user, "--password", password)
    return a, b


def test_a_user_added_on_one_node_logs_in_on_every_node(cluster, two_nodes):
    a, b = two_nodes
    listed = cluster.cli(b, "user", "list").stdout.split()
    assert "alice" in listed and "bob" in listed
    for node in (a, b):
        m = node.imap("alice")
        typ, data = m.list()
        assert typ == "OK" and any(b"INBOX" in line for line in data)
        close_quietly(m)


def test_delivery_on_one_node_wakes_idle_on_another(two_nodes):
    a, b = two_nodes
    watcher = b.raw(user="alice")
    watcher.ok("SELECT INBOX")
    watcher.send(b"i1 IDLE\r\n")
    assert watcher.read_line().startswith(b"+")
    message = make_message(subject="delivered on node A", body="across nodes\n")
    rcpt, data = lmtp_exchange(a.lmtp_port, b"sender@example.org", [b"alice"], message)
    assert rcpt[0].startswith("250") and data[0].startswith("250"), (rcpt, data)
    read_until(watcher, rb"\* 1 EXISTS", timeout=5)
    watcher.send(b"DONE\r\n")
    tagged, _ = watcher.read_until_tagged("i1")
    assert status_of(tagged) == "OK"
    tagged, untagged = watcher.command("FETCH 1 (BODY.PEEK[TEXT])")
    assert status_of(tagged) == "OK" and b"across nodes" in b"".join(untagged)
    watcher.close()


def test_appends_on_three_nodes_at_once_get_unique_increasing_uids(cluster, two_nodes):
    nodes = [*two_nodes, cluster.node()]
    uids: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def appender(node, n: int):
        try:
            m = node.imap("alice")
            mine = [append(m, make_message(subject=f"{node.imap_port} #{i}")) for i in range(n)]
            assert mine == sorted(mine), f"one client's later APPENDs get higher UIDs: {mine}"
            with lock:
                uids.extend(mine)
            close_quietly(m)
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=appender, args=(node, 20)) for node in nodes for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(uids) == 120 and len(set(uids)) == 120, "every APPEND got a UID of its own"
    for node in nodes:
        m = node.imap("alice")
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) == 120
        typ, data = m.uid("SEARCH", "ALL")
        assert sorted(int(u) for u in data[0].split()) == sorted(uids)
        close_quietly(m)


def test_flags_and_expunge_on_one_node_are_seen_on_the_other(two_nodes):
    a, b = two_nodes
    ma, mb = a.imap("alice"), b.imap("alice")
    for i in range(3):
        append(ma, make_message(subject=f"m{i}"))
    ma.select("INBOX")
    mb.select("INBOX")
    imap_ok(ma.store("2", "+FLAGS", "(\\Flagged $Work)"), "STORE")
    imap_ok(mb.noop(), "NOOP")
    flags = fetch(mb, "2", "(FLAGS)")[2]["FLAGS"]
    assert "\\Flagged" in flags and "$Work" in flags, flags
    imap_ok(mb.store("1", "+FLAGS", "(\\Deleted)"), "STORE")
    imap_ok(mb.expunge(), "EXPUNGE")
    typ, data = ma.noop()
    assert typ == "OK"
    typ, data = ma.search(None, "ALL")
    assert data[0].split() == [b"1", b"2"]
    subjects = fetch(ma, "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert [b"m1" in v["BODY[HEADER.FIELDS (SUBJECT)]"] for v in subjects.values()] == [True, False]
    close_quietly(ma)
    close_quietly(mb)


def test_an_acknowledged_append_survives_kill9_of_its_node(two_nodes):
    a, b = two_nodes
    m = a.imap("alice")
    append(m, make_message(subject="acknowledged", body="kept after kill -9\n"))
    a.kill9()
    mb = b.imap("alice")
    mb.select("INBOX")
    typ, data = mb.search(None, "BODY", "kill")
    assert typ == "OK" and data[0].split() == [b"1"]
    close_quietly(mb)


def test_quota_is_one_limit_across_nodes(cluster, two_nodes):
    a, b = two_nodes
    cluster.cli(a, "quota", "set", "alice", "--storage", "20")
    big = make_message(subject="big", body="x" * 12_000 + "\n")
    ma, mb = a.imap("alice"), b.imap("alice")
    append(ma, big)
    typ, data = mb.append("INBOX", None, None, big)
    assert typ == "NO" and b"OVERQUOTA" in data[0], (typ, data)
    close_quietly(ma)
    close_quietly(mb)


def test_reconstruct_says_it_works_on_embedded_files_only(cluster, two_nodes):
    a, _ = two_nodes
    proc = cluster.cli(a, "reconstruct", "alice", check=False)
    assert proc.returncode != 0 and "store_url is set" in proc.stderr, proc.stderr


def test_a_backup_of_the_site_restores_embedded_and_into_another_site(cluster, other_cluster, two_nodes, tmp_path):
    a, _ = two_nodes
    m = a.imap("alice")
    m.create("Projects")
    uids = [append(m, make_message(subject=f"kept {i}"), mailbox="Projects") for i in range(3)]
    m.select("Projects")
    m.uid("STORE", str(uids[1]), "+FLAGS", "(\\Flagged)")
    close_quietly(m)
    backup = tmp_path / "site-backup"
    proc = cluster.cli(a, "backup", str(backup))
    assert "verified" in proc.stdout, proc.stdout

    def check(node):
        m = node.imap("alice")
        typ, data = m.select("Projects", readonly=True)
        assert typ == "OK" and int(data[0]) == 3
        flags = fetch(m, "1:*", "(UID FLAGS)")
        assert [int(v["UID"]) for v in flags.values()] == uids, "the UIDs are kept"
        assert ["\\Flagged" in v["FLAGS"] for v in flags.values()] == [False, True, False]
        close_quietly(m)

    # The backup is an embedded data directory: restore it as one and serve it.
    restored = tmp_path / "restored-data"
    run_cli("restore", str(backup), data=restored)
    embedded = cluster.make_server(users={}, start=False)
    embedded.data = restored
    check(embedded.start())
    # Or into another site's database and object store.
    other = other_cluster.node(start=False)
    other_cluster.cli(other, "restore", str(backup))
    check(other.start())


def test_a_node_started_after_mail_arrived_serves_it(cluster, two_nodes):
    a, _ = two_nodes
    m = a.imap("alice")
    append(m, make_message(subject="early", body="before the third node\n"))
    close_quietly(m)
    late = cluster.node()
    ml = late.imap("alice")
    ml.select("INBOX", readonly=True)
    body = fetch(ml, "1", "(BODY.PEEK[TEXT])")[1]["BODY[TEXT]"]
    assert b"before the third node" in body
    close_quietly(ml)


def test_the_pop3_maildrop_lock_holds_across_nodes(two_nodes):
    a, b = two_nodes
    first = poplib.POP3(HOST, a.pop3_port, timeout=15)
    first.user("alice")
    first.pass_(USERS["alice"])
    second = poplib.POP3(HOST, b.pop3_port, timeout=15)
    second.user("alice")
    with pytest.raises(poplib.error_proto, match=r"IN-USE"):
        second.pass_(USERS["alice"])
    second.quit()
    first.quit()
    # The lock ends with the session that held it (its connection closes a moment later).
    deadline = time.monotonic() + 10
    while True:
        third = poplib.POP3(HOST, b.pop3_port, timeout=15)
        third.user("alice")
        try:
            third.pass_(USERS["alice"])
            break
        except poplib.error_proto as e:
            assert b"IN-USE" in e.args[0] and time.monotonic() < deadline, e
            third.quit()
            time.sleep(0.2)
    assert third.stat()[0] == 0
    third.quit()


@pytest.fixture
def own_engines(make_server, tmp_path):
    """A cluster on a PostgreSQL and a Garage of this test's own, which it may stop."""
    postgres, garage = Postgres(), Garage()
    postgres.start()
    garage.start()
    yield Cluster(make_server, tmp_path, postgres, garage), postgres, garage
    postgres.remove()
    garage.remove()


def test_an_engine_outage_is_a_temporary_failure_and_passes_without_a_restart(own_engines):
    cluster, postgres, garage = own_engines
    node = cluster.node()
    cluster.cli(node, "user", "add", "alice", "--password", USERS["alice"])
    session = node.imap("alice")
    session.select("INBOX")
    message = make_message(subject="after the outage", body="delivered once the engines are back\n")

    postgres.stop()
    rcpt, data = lmtp_exchange(node.lmtp_port, b"sender@example.org", [b"alice"], message)
    answers = rcpt + data
    assert any(a.startswith("451") for a in answers) and not any(a.startswith(("250 2.1.5", "5")) for a in data), answers
    late = node.raw()
    tagged, _ = late.command(f'LOGIN alice "{USERS["alice"]}"')
    assert status_of(tagged) == "NO" and b"UNAVAILABLE" in tagged, tagged
    late.close()
    pop = poplib.POP3(HOST, node.pop3_port, timeout=15)
    pop.user("alice")
    with pytest.raises(poplib.error_proto, match=r"SYS/TEMP"):
        pop.pass_(USERS["alice"])
    pop.quit()
    postgres.start()

    garage.stop()
    typ, data = session.append("INBOX", None, None, make_message(subject="refused while storage is down"))
    assert typ == "NO" and b"UNAVAILABLE" in data[0], (typ, data)
    garage.start()

    # Both back: the same node serves again, without a restart.
    deadline = time.monotonic() + 20
    while True:
        rcpt, data = lmtp_exchange(node.lmtp_port, b"sender@example.org", [b"alice"], message)
        if data and data[0].startswith("250"):
            break
        assert time.monotonic() < deadline, (rcpt, data)
        time.sleep(0.5)
    fresh = node.imap("alice")
    fresh.select("INBOX")
    typ, data = fresh.search(None, "ALL")
    assert data[0].split() == [b"1"], "the refused APPEND and the deferred delivery left nothing behind"
    body = fetch(fresh, "1", "(BODY.PEEK[TEXT])")[1]["BODY[TEXT]"]
    assert b"engines are back" in body
    close_quietly(fresh)
    typ, _ = session.noop()
    assert typ == "OK", "a session open through the outage goes on"
    close_quietly(session)


class Load:
    """LMTP deliveries and IMAP APPENDs to one node from background threads, each message
    with a unique subject, remembering which ones the node acknowledged (250, OK)."""

    def __init__(self, node):
        self.node = node
        self.attempted: set[str] = set()
        self.acknowledged: set[str] = set()
        self.answers: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.lmtp), threading.Thread(target=self.imap)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def wait_for(self, count: int, what: str = "acknowledgements"):
        """Waits (at most 30 s) until COUNT messages have been acknowledged in all."""
        deadline = time.monotonic() + 30
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"no {count} {what}: {self.answers[-5:]}"
            time.sleep(0.05)

    def attempt(self, kind: str, n: int) -> str:
        """The subject of attempt N of KIND, remembered as attempted."""
        subject = f"{kind} {n}"
        with self.lock:
            self.attempted.add(subject)
        return subject

    def note(self, subject: str, answer: str, ok: bool):
        with self.lock:
            self.answers.append(answer)
            if ok:
                self.acknowledged.add(subject)

    def lmtp(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            subject = self.attempt("lmtp", n)
            try:
                rcpt, data = lmtp_exchange(self.node.lmtp_port, b"load@example.org", [b"alice"],
                                           make_message(subject=subject))
            except (OSError, AssertionError) as e:
                self.note(subject, f"connection: {e}", False)
                time.sleep(0.05)
                continue
            answer = (data or rcpt)[0]
            self.note(subject, answer, answer.startswith("250"))

    def imap(self):
        n = 0
        m = None
        while not self.stop.is_set():
            n += 1
            subject = self.attempt("append", n)
            try:
                m = m or self.node.imap("alice", timeout=5)
                typ, data = m.append("INBOX", None, None, make_message(subject=subject))
                self.note(subject, f"{typ} {data[0]!r}", typ == "OK")
            except (OSError, imaplib.IMAP4.error, EOFError) as e:
                self.note(subject, f"connection: {e}", False)
                m = None
                time.sleep(0.05)


def subjects_in_inbox(node) -> list[str]:
    m = node.imap("alice")
    m.select("INBOX", readonly=True)
    found = [v["BODY[HEADER.FIELDS (SUBJECT)]"].decode().split(":", 1)[1].strip()
             for v in fetch(m, "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])").values()]
    close_quietly(m)
    return found


def test_kill9_of_a_node_under_load_loses_nothing_acknowledged(cluster):
    nodes = [cluster.node() for _ in range(3)]
    cluster.cli(nodes[0], "user", "add", "alice", "--password", USERS["alice"])
    victim = nodes[0]
    with Load(victim) as load:
        load.wait_for(20)
        victim.kill9()
        time.sleep(0.5)
    stored = subjects_in_inbox(nodes[1])
    assert len(stored) == len(set(stored)), "nothing stored twice"
    assert load.acknowledged <= set(stored), f"acknowledged but lost: {sorted(load.acknowledged - set(stored))}"
    assert set(stored) <= load.attempted, "nothing stored that was never sent"
    assert subjects_in_inbox(nodes[2]) == stored, "every node serves the same mailbox"


def test_postgresql_restarted_under_load_gives_temporary_failures_only(own_engines):
    cluster, postgres, _ = own_engines
    node = cluster.node()
    cluster.cli(node, "user", "add", "alice", "--password", USERS["alice"])
    with Load(node) as load:
        load.wait_for(10)
        postgres.stop()
        time.sleep(1)
        postgres.start()
        load.wait_for(len(load.acknowledged) + 10, "acknowledgements after the restart")
    permanent = [a for a in load.answers if a.startswith(("5", "BAD", "NO")) and "UNAVAILABLE" not in a]
    assert not permanent, f"an outage must only fail temporarily: {permanent[:5]}"
    stored = subjects_in_inbox(node)
    assert load.acknowledged <= set(stored) and len(stored) == len(set(stored))
