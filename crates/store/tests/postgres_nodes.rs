//! PostgresStore as several nodes use it: two instances on one database and one object store
//! (each instance is what one node opens), against the private test PostgreSQL and Garage.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bushbuck_store::{
    open_blobs, BlobSettings, BlobStore, FlagChange, LocalBlobs, MetaParts, NewMessage, PostgresStore, Store,
    StoreError,
};

/// One location: a fresh database, objects in a temporary directory (kept by the caller).
struct Site {
    url: String,
    blobs: Arc<dyn BlobStore>,
    _dir: tempfile::TempDir,
}

impl Site {
    /// A fresh site with user `alice`, or `None` when PostgreSQL is not installed.
    fn fresh() -> Option<Site> {
        let url = bushbuck_testsvc::postgres_url()?;
        let dir = tempfile::tempdir().unwrap();
        let blobs: Arc<dyn BlobStore> = Arc::new(LocalBlobs::new(dir.path().join("objects")));
        let site = Site { url, blobs, _dir: dir };
        site.node().create_user("alice").unwrap();
        Some(site)
    }

    /// A node: a new store instance on the site.
    fn node(&self) -> PostgresStore {
        PostgresStore::open(&self.url, self.blobs.clone()).unwrap()
    }
}

fn message(n: usize) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: node test {n}\r\n\r\nBody {n}\r\n").into_bytes()
}

fn new(data: &[u8]) -> NewMessage<'_> {
    NewMessage { data, flags: Vec::new(), internal_date: None }
}

fn batch(datas: &[Vec<u8>]) -> Vec<NewMessage<'_>> {
    datas.iter().map(|d| new(d)).collect()
}

#[test]
fn appends_from_two_nodes_get_unique_increasing_uids_and_modseqs() {
    let Some(site) = Site::fresh() else { return };
    let nodes = [site.node(), site.node()];
    // (UID, MODSEQ) of every append, as each thread saw them, in its own order.
    let per_thread: Vec<Vec<(u32, u64)>> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let node = &nodes[t % 2];
                s.spawn(move || {
                    (0..12)
                        .map(|i| {
                            let data = message(t * 100 + i);
                            let uid = node.append("alice", "INBOX", &[new(&data)]).unwrap().uids[0].1;
                            let id = node.open_mailbox("alice", "INBOX").unwrap().id;
                            (uid, node.fetch_meta("alice", id, &[uid], MetaParts::FACTS).unwrap()[0].modseq)
                        })
                        .collect()
                })
            })
            .collect();
        threads.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for seen in &per_thread {
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
            "one thread's appends: {seen:?}"
        );
    }
    let mut all: Vec<(u32, u64)> = per_thread.concat();
    all.sort();
    assert_eq!(all.iter().map(|a| a.0).collect::<Vec<_>>(), (1..=96).collect::<Vec<_>>());
    // UID order is commit order is MODSEQ order: strictly increasing together.
    assert!(all.windows(2).all(|w| w[0].1 < w[1].1), "{all:?}");
    let status = nodes[1].status("alice", "INBOX").unwrap();
    assert_eq!((status.messages, status.uid_next, status.highest_modseq), (96, 97, 97));
}

#[test]
fn an_append_on_one_node_wakes_a_watcher_on_another() {
    let Some(site) = Site::fresh() else { return };
    let (a, b) = (site.node(), site.node());
    // Called from async code on a runtime's worker thread, as an IMAP session's IDLE does.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().unwrap();
    runtime.block_on(async {
        let id = b.open_mailbox("alice", "INBOX").unwrap().id;
        let mut rx = b.watch("alice", id);
        assert_eq!(*rx.borrow_and_update(), 1);
        let woken = |rx: &mut tokio::sync::watch::Receiver<u64>| {
            let mut rx = rx.clone();
            async move { tokio::time::timeout(Duration::from_secs(5), rx.changed()).await.is_ok() }
        };
        let wait = woken(&mut rx);
        a.append("alice", "INBOX", &[new(&message(1))]).unwrap();
        assert!(wait.await, "node B's watcher woke within 5 s");
        assert_eq!(*rx.borrow_and_update(), 2);
        // A change that does not touch the mailbox's state sends nothing; one that does, does.
        a.claim_recent("alice", id).unwrap();
        a.store_flags("alice", id, &[1], FlagChange::Add, &["\\Seen".to_string()], None).unwrap();
        assert!(woken(&mut rx).await);
        assert_eq!(*rx.borrow_and_update(), 3);
    });
}

#[test]
fn the_sweeper_removes_only_unnamed_objects_older_than_the_grace() {
    let Some(site) = Site::fresh() else { return };
    let node = site.node();
    let (kept, expunged) = (message(1), message(2));
    node.append("alice", "INBOX", &[new(&kept), new(&expunged)]).unwrap();
    let id = node.open_mailbox("alice", "INBOX").unwrap().id;
    node.store_flags("alice", id, &[2], FlagChange::Add, &["\\Deleted".to_string()], None).unwrap();
    node.expunge("alice", id, None).unwrap();
    // Within the grace period nothing goes, named or not.
    assert_eq!(node.sweep(Duration::from_secs(3600)).unwrap(), 0);
    assert_eq!(site.blobs.stored_before(Duration::ZERO).unwrap().len(), 2);
    // Once the grace has passed (here: a grace of one second, two seconds later), only the
    // expunged message's object goes; the one a message names stays, however old.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(node.sweep(Duration::from_secs(1)).unwrap(), 1);
    assert_eq!(node.sweep(Duration::ZERO).unwrap(), 0);
    assert_eq!(site.blobs.stored_before(Duration::ZERO).unwrap().len(), 1);
    assert_eq!(node.read_message("alice", id, 1).unwrap(), kept);
    // The same octets appended again are stored again, and readable.
    let placed = node.append("alice", "INBOX", &[new(&expunged)]).unwrap();
    assert_eq!(node.read_message("alice", id, placed.uids[0].1).unwrap(), expunged);
}

#[test]
fn messages_live_in_s3_object_storage() {
    let Some(url) = bushbuck_testsvc::postgres_url() else { return };
    let Some(target) = bushbuck_testsvc::s3() else { return };
    let settings = BlobSettings {
        url: Some(target.url.clone()),
        access_key: Some(target.access_key.clone()),
        secret_key: Some(target.secret_key.clone()),
    };
    let blobs = open_blobs(&settings, Path::new("/nonexistent")).unwrap();
    let node = PostgresStore::open(&url, blobs.clone()).unwrap();
    node.create_user("alice").unwrap();
    let binary: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    node.append("alice", "INBOX", &[new(&message(1)), new(&binary)]).unwrap();
    let id = node.open_mailbox("alice", "INBOX").unwrap().id;
    node.copy("alice", id, &[2], "INBOX").unwrap();
    let other = PostgresStore::open(&url, blobs.clone()).unwrap();
    assert_eq!(other.read_message("alice", id, 3).unwrap(), binary);
    assert_eq!(blobs.stored_before(Duration::ZERO).unwrap().len(), 2, "the copy shares the object");
    other.store_flags("alice", id, &[1, 2, 3], FlagChange::Add, &["\\Deleted".to_string()], None).unwrap();
    other.expunge("alice", id, None).unwrap();
    assert_eq!(node.sweep(Duration::ZERO).unwrap(), 2);
    assert!(blobs.stored_before(Duration::ZERO).unwrap().is_empty());
}

#[test]
fn a_database_outage_is_unavailable_and_passes_by_itself() {
    let Some(server) = bushbuck_testsvc::postgres_service() else { return };
    let url = server.fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let node = PostgresStore::open(&url, Arc::new(LocalBlobs::new(dir.path().to_path_buf()))).unwrap();
    node.create_user("alice").unwrap();
    node.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    let id = node.open_mailbox("alice", "INBOX").unwrap().id;
    let mut rx = node.watch("alice", id);
    rx.borrow_and_update();
    server.stop();
    let during = node.append("alice", "INBOX", &[new(&message(2))]).unwrap_err();
    assert!(matches!(during, StoreError::Unavailable(_)), "{during:?}");
    assert!(matches!(node.status("alice", "INBOX"), Err(StoreError::Unavailable(_))));
    server.start();
    // The listener is back, and wakes its watchers: changes made meanwhile notified no one.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let woken = runtime.block_on(async { tokio::time::timeout(Duration::from_secs(15), rx.changed()).await });
    assert!(woken.is_ok(), "the watcher was woken after the outage");
    node.append("alice", "INBOX", &[new(&message(3))]).unwrap();
    let snap = node.select("alice", "INBOX").unwrap();
    assert_eq!(snap.messages.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(node.read_message("alice", snap.id, 2).unwrap(), message(3));
}

/// A store operation on some UIDs.
type Operation<'a> = dyn Fn(&[u32]) + 'a;

#[test]
fn round_trips_do_not_grow_with_the_number_of_messages() {
    let Some(site) = Site::fresh() else { return };
    let node = site.node();
    node.create_mailbox("alice", "Archive", None).unwrap();
    node.create_mailbox("alice", "Trash", None).unwrap();
    let cost = |op: &dyn Fn()| {
        let before = node.round_trips();
        op();
        node.round_trips() - before
    };
    let (few, many): (Vec<Vec<u8>>, Vec<Vec<u8>>) =
        ((0..2).map(message).collect(), (100..300).map(message).collect());
    let append_few = cost(&|| drop(node.append("alice", "INBOX", &batch(&few)).unwrap()));
    assert_eq!(cost(&|| drop(node.append("alice", "INBOX", &batch(&many)).unwrap())), append_few, "APPEND");
    let id = node.open_mailbox("alice", "INBOX").unwrap().id;
    let (two, all): (Vec<u32>, Vec<u32>) = (vec![1, 2], (3..=202).collect());
    let work = ["Work".to_string()];
    // Each operation on two messages, then on two hundred: the same number of round trips.
    let operations: [(&str, &Operation); 6] = [
        ("FETCH", &|uids| drop(node.fetch_meta("alice", id, uids, MetaParts::WITH_STRUCTURE).unwrap())),
        ("SEARCH BODY", &|uids| drop(node.search_texts("alice", id, uids).unwrap())),
        ("STORE", &|uids| drop(node.store_flags("alice", id, uids, FlagChange::Add, &work, None).unwrap())),
        ("COPY", &|uids| drop(node.copy("alice", id, uids, "Archive").unwrap())),
        ("MOVE", &|uids| drop(node.move_messages("alice", id, uids, "Trash").unwrap())),
        ("SELECT", &|_| drop(node.select("alice", "Trash").unwrap())),
    ];
    for (name, op) in operations {
        let on_two = cost(&|| op(&two));
        assert_eq!(cost(&|| op(&all)), on_two, "{name}");
    }
    let trash = node.open_mailbox("alice", "Trash").unwrap().id;
    let deleted = ["\\Deleted".to_string()];
    node.store_flags("alice", trash, &(1..=202).collect::<Vec<_>>(), FlagChange::Add, &deleted, None)
        .unwrap();
    let expunge_two = cost(&|| drop(node.expunge("alice", trash, Some(&[1, 2])).unwrap()));
    assert_eq!(cost(&|| drop(node.expunge("alice", trash, None).unwrap())), expunge_two, "EXPUNGE");
}

#[test]
fn an_expunged_message_stays_readable_on_every_node_until_swept() {
    let Some(site) = Site::fresh() else { return };
    let (a, b) = (site.node(), site.node());
    let data = message(1);
    a.append("alice", "INBOX", &[new(&data), new(&message(2))]).unwrap();
    let id = a.open_mailbox("alice", "INBOX").unwrap().id;
    a.store_flags("alice", id, &[1], FlagChange::Add, &["\\Deleted".to_string()], None).unwrap();
    a.expunge("alice", id, None).unwrap();
    // Node B's session, not told yet, can still FETCH it; it is not a message any more.
    assert!(b.fetch_meta("alice", id, &[1], MetaParts::FACTS).unwrap().is_empty());
    let kept = b.retained_meta("alice", id, &[1, 2], MetaParts::WITH_STRUCTURE).unwrap();
    assert_eq!(kept.iter().map(|m| (m.uid, m.size)).collect::<Vec<_>>(), vec![(1, data.len() as u64)]);
    assert_eq!(b.read_message("alice", id, 1).unwrap(), data);
    assert_eq!(b.status("alice", "INBOX").unwrap().messages, 1);
    // Within the grace the sweeper keeps it; after, it goes, object and all.
    assert_eq!(b.sweep(Duration::from_secs(3600)).unwrap(), 0);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(b.sweep(Duration::from_secs(1)).unwrap(), 1);
    assert!(b.retained_meta("alice", id, &[1], MetaParts::FACTS).unwrap().is_empty());
    assert!(matches!(b.read_message("alice", id, 1), Err(StoreError::NotPossible(_))));
}
