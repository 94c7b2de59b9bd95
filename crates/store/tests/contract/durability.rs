//! Crash safety and several instances on one location: a message whose append returned
//! survives the process being killed, and what one instance (the CLI, another node) changes
//! the others see.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use bushbuck_store::StoreError;

use crate::common::{message, new};
use crate::{handed_location, Backend, LOCATION_ENV};

/// In the child: append, report, and wait to be killed. In the parent: run the child on the
/// same location, SIGKILL it right after it reports, and check the message from a new instance.
fn append_survives_sigkill(b: &dyn Backend) {
    if handed_location().is_some() {
        let placed = b.store().append("alice", "INBOX", &[new(&message(42))]).unwrap();
        println!("\nAPPENDED {}", placed.uids[0].1);
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    let this_test = format!("durability::{}::append_survives_sigkill", b.name());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &this_test, "--nocapture", "--test-threads=1"])
        .env(LOCATION_ENV, b.location())
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

    let store = b.open_again();
    let snap = store.select("alice", "INBOX").unwrap();
    assert_eq!(snap.messages.len(), 1);
    assert_eq!(store.read_message("alice", snap.id, 1).unwrap(), message(42));
}

/// A second instance opened while the first is still open (never closed) sees its message.
fn reopen_while_open(b: &dyn Backend) {
    b.store().append("alice", "INBOX", &[new(&message(7))]).unwrap();
    let reopened = b.open_again();
    let snap = reopened.select("alice", "INBOX").unwrap();
    assert_eq!(reopened.read_message("alice", snap.id, 1).unwrap(), message(7));
}

/// A user deleted and re-created by another instance (the CLI) is seen afresh.
fn user_recreated_by_another_instance(b: &dyn Backend) {
    let store = b.store();
    store.append("alice", "INBOX", &[new(&message(1))]).unwrap();
    let cli = b.open_again();
    cli.delete_user("alice").unwrap();
    assert!(matches!(store.status("alice", "INBOX"), Err(StoreError::NoSuchUser)));
    cli.create_user("alice").unwrap();
    assert_eq!(store.status("alice", "INBOX").unwrap().messages, 0);
    store.create_user("bob").unwrap();
    assert!(matches!(cli.create_user("bob"), Err(StoreError::UserExists)));
}

contract_tests!(append_survives_sigkill, reopen_while_open, user_recreated_by_another_instance);
