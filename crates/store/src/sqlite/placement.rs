//! Where a user's store lives: creating it on a partition, finding its partition, moving it
//! to another partition while it is in use, and deleting it.
//!
//! `<data>/users/<user>` is always the way in. For a user on the data directory's own
//! partition it is the directory itself; for a user on another partition it is a symbolic
//! link to `<partition>/users/<user>`, so every other part of the store (and `reconstruct`,
//! `backup`) finds users in one place while their files sit on the partition's disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rusqlite::TransactionBehavior;

use super::{SqliteStore, UserHandle, INDEX_FILE};
use crate::blobs::sync_dir;
use crate::error::{Result, StoreError};
use crate::names::validate_user_name;

/// Triggers that make an index refuse every change, left in the old copy of a moved store.
const FENCE: &str = "
CREATE TRIGGER moved_messages_insert BEFORE INSERT ON messages
    BEGIN SELECT RAISE(ABORT, 'this mail store moved to another partition; try again'); END;
CREATE TRIGGER moved_messages_update BEFORE UPDATE ON messages
    BEGIN SELECT RAISE(ABORT, 'this mail store moved to another partition; try again'); END;
CREATE TRIGGER moved_messages_delete BEFORE DELETE ON messages
    BEGIN SELECT RAISE(ABORT, 'this mail store moved to another partition; try again'); END;
CREATE TRIGGER moved_mailboxes_insert BEFORE INSERT ON mailboxes
    BEGIN SELECT RAISE(ABORT, 'this mail store moved to another partition; try again'); END;
CREATE TRIGGER moved_mailboxes_update BEFORE UPDATE ON mailboxes
    BEGIN SELECT RAISE(ABORT, 'this mail store moved to another partition; try again'); END;
";

/// A name in a `users` directory that no user can have (user names never start with '.').
fn scratch_name(what: &str, user: &str) -> String {
    format!(".{what}-{user}-{:016x}", rand::random::<u64>())
}

/// Whether two paths name the same directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

impl SqliteStore {
    /// `<data>/users`, where every user is found.
    fn users_dir(&self) -> PathBuf {
        self.root.join("users")
    }

    /// The directory a user's files live in on `partition`: `<root>/users/<user>`.
    fn home_on(&self, partition: &str, user: &str) -> Result<PathBuf> {
        Ok(self.partitions.root(partition)?.join("users").join(user))
    }

    /// Creates a user's store with an empty INBOX on `partition` (default: the configured one).
    pub fn create_user_on(&self, user: &str, partition: Option<&str>) -> Result<()> {
        validate_user_name(user)?;
        let entry = self.user_dir(user)?;
        let partition = partition.unwrap_or(self.partitions.default_name());
        let home = self.home_on(partition, user)?;
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if entry.join(INDEX_FILE).exists() {
            return Err(StoreError::UserExists);
        }
        fs::create_dir_all(self.users_dir())?;
        let linked = !same_dir(home.parent().expect("home has a parent"), &self.users_dir());
        if linked {
            if entry.symlink_metadata().is_ok() {
                return Err(StoreError::NotPossible(format!(
                    "{} is in the way (a user store without index?); run `bushbuck reconstruct {user}` \
                     or remove it",
                    entry.display()
                )));
            }
            let home = home.canonicalize().or_else(|_| {
                fs::create_dir_all(&home)?;
                home.canonicalize()
            })?;
            std::os::unix::fs::symlink(&home, &entry)?;
        }
        fs::create_dir_all(entry.join("blobs"))?;
        sync_dir(&self.users_dir())?;
        let handle = Arc::new(UserHandle::open(&entry, user, true)?);
        sync_dir(&entry)?;
        users.insert(user.to_string(), handle);
        tracing::info!(user, partition, "created user store");
        Ok(())
    }

    /// The partition holding a user's store.
    pub fn partition_of(&self, user: &str) -> Result<String> {
        let entry = self.user_dir(user)?;
        if !entry.join(INDEX_FILE).is_file() {
            return Err(StoreError::NoSuchUser);
        }
        self.partitions.containing(&entry).map(str::to_string).ok_or_else(|| {
            StoreError::NotPossible(format!(
                "{} is on no configured partition; add its disk to `partitions` in the configuration",
                entry.display()
            ))
        })
    }

    /// Moves a user's store to `partition`. Holds the user's lock and the index's write lock
    /// (so no session or other process writes meanwhile), copies a consistent snapshot and the
    /// message files to the new place, switches `<data>/users/<user>` over, then removes the
    /// old copy. Sessions go on with the new place at their next operation.
    pub fn move_user(&self, user: &str, partition: &str) -> Result<()> {
        let from = self.partition_of(user)?;
        if from == partition {
            return Ok(());
        }
        let home = self.home_on(partition, user)?;
        let into_data_dir = same_dir(self.partitions.root(partition)?, &self.root);
        let handle = self.handle(user)?;
        let mut conn = handle.lock();
        let write_lock = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let entry = self.user_dir(user)?;
        let old_home = entry.canonicalize()?;
        let target_users = home.parent().expect("home has a parent").to_path_buf();
        fs::create_dir_all(&target_users)?;
        if home.symlink_metadata().is_ok() && !into_data_dir {
            return Err(StoreError::NotPossible(format!(
                "{} already exists; remove the stale copy first",
                home.display()
            )));
        }
        let staging = target_users.join(scratch_name("moving", user));
        let stats = self.backup_user(user, &staging)?;
        if !stats.missing.is_empty() {
            let _ = fs::remove_dir_all(&staging);
            return Err(StoreError::NotPossible(format!(
                "{} message files are missing; run `bushbuck reconstruct {user}` before moving",
                stats.missing.len()
            )));
        }
        // A writer in another process that already waits for the index's lock must not
        // write into the old copy once it is gone: make the old index refuse writes.
        write_lock.execute_batch(FENCE)?;
        write_lock.commit()?;
        let entry_is_link = entry.symlink_metadata()?.file_type().is_symlink();
        let mut set_aside = None;
        if into_data_dir {
            fs::remove_file(&entry)?;
            fs::rename(&staging, &entry)?;
        } else {
            fs::rename(&staging, &home)?;
            sync_dir(&target_users)?;
            let link = self.users_dir().join(scratch_name("link", user));
            std::os::unix::fs::symlink(home.canonicalize()?, &link)?;
            if !entry_is_link {
                // A directory cannot be replaced by a link in one step: set it aside first.
                let aside = self.users_dir().join(scratch_name("moved", user));
                fs::rename(&entry, &aside)?;
                set_aside = Some(aside);
            }
            fs::rename(&link, &entry)?;
        }
        sync_dir(&self.users_dir())?;
        handle.retired.store(true, Ordering::Release);
        drop(conn);
        self.users.lock().unwrap_or_else(|e| e.into_inner()).remove(user);
        fs::remove_dir_all(set_aside.unwrap_or(old_home))?;
        tracing::info!(user, from, to = partition, files = stats.files, "moved user store");
        Ok(())
    }

    /// Rebuilds the way in to users on other partitions: for every `<partition>/users/<user>`
    /// holding an index with nothing at `<data>/users/<user>`, makes the link again. Returns
    /// (user, partition) of each link made.
    pub fn relink_partitions(&self) -> Result<Vec<(String, String)>> {
        let mut made = Vec::new();
        for partition in self.partitions.names() {
            let users = self.partitions.root(&partition)?.join("users");
            if same_dir(&users, &self.users_dir()) {
                continue;
            }
            let Ok(entries) = fs::read_dir(&users) else { continue };
            for entry in entries {
                let home = entry?.path();
                let Some(user) = home.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
                    continue;
                };
                let link = self.user_dir(&user).ok().filter(|l| l.symlink_metadata().is_err());
                if let Some(link) = link {
                    if home.join(INDEX_FILE).is_file() {
                        fs::create_dir_all(self.users_dir())?;
                        std::os::unix::fs::symlink(home.canonicalize()?, &link)?;
                        made.push((user, partition.clone()));
                    }
                }
            }
        }
        if !made.is_empty() {
            sync_dir(&self.users_dir())?;
        }
        Ok(made)
    }

    /// Deletes a user's store and every message in it, on whatever partition it is.
    pub fn delete_user(&self, user: &str) -> Result<()> {
        validate_user_name(user)?;
        let entry = self.user_dir(user)?;
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if !entry.join(INDEX_FILE).exists() {
            return Err(StoreError::NoSuchUser);
        }
        // Wait for operations in flight, then make the removal atomic by renaming first.
        let handle = users.remove(user);
        let _busy = handle.as_ref().map(|h| h.lock());
        if let Some(h) = &handle {
            h.retired.store(true, Ordering::Release);
        }
        let home = entry.canonicalize()?;
        let home_users = home.parent().expect("home has a parent").to_path_buf();
        let doomed = home_users.join(scratch_name("deleted", user));
        fs::rename(&home, &doomed)?;
        sync_dir(&home_users)?;
        if entry.symlink_metadata().is_ok() {
            fs::remove_file(&entry)?;
            sync_dir(&self.users_dir())?;
        }
        fs::remove_dir_all(&doomed)?;
        drop(users);
        self.notifier.forget_user(user);
        tracing::info!(user, "deleted user store");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::api::{NewMessage, Store};
    use crate::partitions::Partitions;

    fn two_partitions(tmp: &Path) -> SqliteStore {
        let roots = BTreeMap::from([("slow".to_string(), tmp.join("slow"))]);
        let partitions = Partitions::new(&tmp.join("data"), &roots, "default").unwrap();
        SqliteStore::open(&tmp.join("data")).unwrap().with_partitions(partitions)
    }

    #[test]
    fn users_are_created_on_the_partition_asked_for() {
        let tmp = tempfile::tempdir().unwrap();
        let store = two_partitions(tmp.path());
        store.create_user("a").unwrap();
        store.create_user_on("b", Some("slow")).unwrap();
        assert_eq!(store.partition_of("a").unwrap(), "default");
        assert_eq!(store.partition_of("b").unwrap(), "slow");
        fs::remove_file(tmp.path().join("data/users/b")).unwrap();
        assert_eq!(store.relink_partitions().unwrap(), vec![("b".to_string(), "slow".to_string())]);
        assert_eq!(store.partition_of("b").unwrap(), "slow");
        assert!(tmp.path().join("slow/users/b/index.sqlite3").is_file());
        assert_eq!(store.list_users().unwrap(), vec!["a", "b"]);
        assert!(store.create_user_on("c", Some("nope")).is_err());
        store.delete_user("b").unwrap();
        assert!(!tmp.path().join("slow/users/b").exists());
        assert!(tmp.path().join("data/users/b").symlink_metadata().is_err());
    }

    #[test]
    fn moving_keeps_everything_and_goes_both_ways() {
        let tmp = tempfile::tempdir().unwrap();
        let store = two_partitions(tmp.path());
        store.create_user("u").unwrap();
        let data = b"Subject: moved\r\n\r\nbody\r\n";
        let m = NewMessage { data, flags: vec!["\\Seen".into()], internal_date: None };
        store.append("u", "INBOX", &[m]).unwrap();
        let before = store.select("u", "INBOX").unwrap();
        store.move_user("u", "slow").unwrap();
        assert_eq!(store.partition_of("u").unwrap(), "slow");
        assert!(tmp.path().join("slow/users/u/index.sqlite3").is_file());
        assert_eq!(store.select("u", "INBOX").unwrap(), before);
        assert_eq!(store.read_message("u", before.id, 1).unwrap(), data);
        store.append("u", "INBOX", &[NewMessage { data, flags: vec![], internal_date: None }]).unwrap();
        store.move_user("u", "default").unwrap();
        assert_eq!(store.partition_of("u").unwrap(), "default");
        assert!(!tmp.path().join("slow/users/u").exists());
        assert!(tmp.path().join("data/users/u").symlink_metadata().unwrap().is_dir());
        assert_eq!(store.select("u", "INBOX").unwrap().messages.len(), 2);
        let leftovers: Vec<_> = fs::read_dir(tmp.path().join("data/users")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no scratch directories stay behind");
    }

    #[test]
    fn a_session_waiting_during_a_move_writes_to_the_new_place() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Arc::new(two_partitions(tmp.path()));
        store.create_user("u").unwrap();
        let writers: Vec<_> = (0..4)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for j in 0..20 {
                        let body = format!("Subject: {i}-{j}\r\n\r\nx\r\n");
                        let m = NewMessage { data: body.as_bytes(), flags: vec![], internal_date: None };
                        store.append("u", "INBOX", &[m]).unwrap();
                    }
                })
            })
            .collect();
        store.move_user("u", "slow").unwrap();
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(store.select("u", "INBOX").unwrap().messages.len(), 80);
        let reopened = SqliteStore::open(&tmp.path().join("data")).unwrap();
        assert_eq!(reopened.select("u", "INBOX").unwrap().messages.len(), 80);
    }
}
