//! Crash safety: a message whose append returned survives the process being killed.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use bushbuck_store::{SqliteStore, Store};
use common::*;

const CHILD_ENV: &str = "BUSHBUCK_STORE_CRASH_DIR";

/// In the child: append, report, and wait to be killed. In the parent: run the child,
/// SIGKILL it right after it reports, and check the message from a fresh store.
#[test]
fn append_survives_sigkill() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        let store = SqliteStore::open(std::path::Path::new(&dir)).unwrap();
        let placed = store.append("alice", "INBOX", &[new(&message(42))]).unwrap();
        println!("\nAPPENDED {}", placed.uids[0].1);
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    SqliteStore::open(dir.path()).unwrap().create_user("alice").unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "append_survives_sigkill", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    // The harness may print "test name ... " on the same line before our marker.
    while !line.contains("APPENDED") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child ended without appending");
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(line.trim_end().ends_with("APPENDED 1"), "{line:?}");

    let store = SqliteStore::open(dir.path()).unwrap();
    let snap = store.select("alice", "INBOX").unwrap();
    assert_eq!(snap.messages.len(), 1);
    assert_eq!(store.read_message("alice", snap.id, 1).unwrap(), message(42));
}

/// Reopening from disk while the first store is still open (never dropped) sees the message.
#[test]
fn reopen_without_drop() {
    let (dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(7))]).unwrap();
    let reopened = SqliteStore::open(dir.path()).unwrap();
    let snap = reopened.select("alice", "INBOX").unwrap();
    assert_eq!(reopened.read_message("alice", snap.id, 1).unwrap(), message(7));
    std::mem::forget(store);
}

/// Files orphaned by a crash (written, never committed) are collected; referenced ones stay.
#[test]
fn garbage_collection_keeps_referenced_files() {
    let (_dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    let blobs = store.user_dir("alice").unwrap().join("blobs");
    let orphan = blobs.join("ab").join("ab".repeat(32));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"never committed").unwrap();
    // What a crashed portable write (no O_TMPFILE) leaves.
    std::fs::create_dir_all(blobs.join("tmp")).unwrap();
    std::fs::write(blobs.join("tmp").join("partial"), b"half").unwrap();
    let hour = std::time::Duration::from_secs(3600);
    assert_eq!(store.collect_garbage("alice", hour).unwrap(), 0);
    assert_eq!(store.collect_garbage("alice", std::time::Duration::ZERO).unwrap(), 2);
    assert!(!orphan.exists());
    let id = store.select("alice", "INBOX").unwrap().id;
    assert_eq!(store.read_message("alice", id, 1).unwrap(), message(1));
}

/// A user deleted and re-created by another process (the CLI) is seen afresh.
#[test]
fn user_recreated_by_another_process() {
    let (dir, store) = store();
    store.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    let cli = SqliteStore::open(dir.path()).unwrap();
    cli.delete_user("alice").unwrap();
    assert!(matches!(store.status("alice", "INBOX"), Err(bushbuck_store::StoreError::NoSuchUser)));
    cli.create_user("alice").unwrap();
    assert_eq!(store.status("alice", "INBOX").unwrap().messages, 0);
    store.create_user("bob").unwrap();
    assert!(matches!(cli.create_user("bob"), Err(bushbuck_store::StoreError::UserExists)));
}
