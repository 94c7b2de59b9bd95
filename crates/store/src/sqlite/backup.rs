//! Online backup of a user's store (`bushbuck backup`): a consistent snapshot of the index
//! taken with `VACUUM INTO` (one read transaction, so it is consistent while sessions and
//! delivery keep writing), then hard links (or copies, across file systems) of exactly the
//! message files that snapshot refers to. Files are named by content and never modified in
//! place, so a hard link is as good as a copy.
//!
//! A file can be unlinked between the snapshot and its link (an EXPUNGE that committed after
//! the snapshot). Then the snapshot is taken again: the new one no longer refers to it. A file
//! still missing from a second snapshot is damage in the live store (see `bushbuck
//! reconstruct`); it is reported and the backup goes on.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{SqliteStore, INDEX_FILE};
use crate::blobs::{sync_dir, BlobDir};
use crate::error::{Result, StoreError};

/// How many snapshots are taken at most while message files keep disappearing.
const SNAPSHOT_ATTEMPTS: usize = 4;

/// What [`SqliteStore::backup_user`] copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupStats {
    /// Message rows in the snapshot (every copy counted).
    pub messages: u64,
    /// Distinct message files referred to by the snapshot.
    pub files: u64,
    /// Files hard-linked.
    pub linked: u64,
    /// Files copied (the backup is on another file system).
    pub copied: u64,
    /// Files the live index refers to but that do not exist (damage in the live store).
    pub missing: Vec<String>,
}

/// Writes a consistent copy of the SQLite database `src` to `dst` (which must not exist)
/// with `VACUUM INTO`; safe while other connections read and write `src`.
pub fn snapshot_database(src: &Path, dst: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let target =
        dst.to_str().ok_or_else(|| StoreError::Io(format!("{} is not a UTF-8 path", dst.display())))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    fs::File::open(dst)?.sync_all()?;
    Ok(())
}

/// Hard-links `from` to `to`, or copies it when linking is not possible. Returns true when
/// linked. A missing source is `NotFound`; an existing target is kept.
pub fn link_or_copy(from: &Path, to: &Path) -> io::Result<bool> {
    match fs::hard_link(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(e),
        Err(_) => {
            fs::copy(from, to)?;
            fs::File::open(to)?.sync_all()?;
            Ok(false)
        }
    }
}

impl SqliteStore {
    /// Writes a consistent copy of `user`'s store into `dest` (which becomes the user's
    /// directory in the backup: `dest/index.sqlite3` and `dest/blobs/...`). Safe while the
    /// server runs; the index appears in `dest` only once every file it refers to is there.
    pub fn backup_user(&self, user: &str, dest: &Path) -> Result<BackupStats> {
        let dir = self.user_dir(user)?;
        let index = dir.join(INDEX_FILE);
        if !index.is_file() {
            return Err(StoreError::NoSuchUser);
        }
        let source = BlobDir::new(dir.join("blobs"));
        let target = BlobDir::new(dest.join("blobs"));
        fs::create_dir_all(dest.join("blobs"))?;
        let partial = dest.join(format!("{INDEX_FILE}.partial"));
        let mut stats = BackupStats::default();
        let mut missing_before: BTreeSet<String> = BTreeSet::new();
        for attempt in 1..=SNAPSHOT_ATTEMPTS {
            let _ = fs::remove_file(&partial);
            snapshot_database(&index, &partial)?;
            let snap = Connection::open_with_flags(&partial, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            let messages: i64 = snap.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?;
            let shas: Vec<String> = {
                let mut stmt = snap.prepare("SELECT DISTINCT blob FROM messages ORDER BY blob")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            drop(snap);
            stats = BackupStats { messages: messages as u64, files: shas.len() as u64, ..Default::default() };
            let mut missing = BTreeSet::new();
            let mut shards = BTreeSet::new();
            for sha in &shas {
                let to = target.path(sha)?;
                let shard = to.parent().expect("blob path has a parent").to_path_buf();
                if shards.insert(shard.clone()) {
                    fs::create_dir_all(&shard)?;
                }
                match link_or_copy(&source.path(sha)?, &to) {
                    Ok(true) => stats.linked += 1,
                    Ok(false) => stats.copied += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        missing.insert(sha.clone());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            for shard in &shards {
                sync_dir(shard)?;
            }
            // Files missing from two snapshots in a row are really gone; others were
            // expunged meanwhile and a new snapshot will not refer to them.
            let persistent = missing.iter().all(|m| missing_before.contains(m));
            if missing.is_empty() || persistent || attempt == SNAPSHOT_ATTEMPTS {
                stats.missing = missing.into_iter().collect();
                break;
            }
            missing_before = missing;
        }
        fs::rename(&partial, dest.join(INDEX_FILE))?;
        sync_dir(&dest.join("blobs"))?;
        sync_dir(dest)?;
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{NewMessage, Store};

    #[test]
    fn backup_is_a_usable_store() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&tmp.path().join("live")).unwrap();
        store.create_user("u").unwrap();
        let data = b"Subject: hi\r\n\r\nbody\r\n";
        let m = NewMessage { data, flags: vec!["\\Flagged".into()], internal_date: None };
        store.append("u", "INBOX", &[m.clone(), m]).unwrap();
        let dest = tmp.path().join("copy/users/u");
        let stats = store.backup_user("u", &dest).unwrap();
        assert_eq!((stats.messages, stats.files, stats.missing.len()), (2, 1, 0));
        let copy = SqliteStore::open(&tmp.path().join("copy")).unwrap();
        let inbox = copy.select("u", "INBOX").unwrap();
        assert_eq!(inbox.messages.len(), 2);
        assert_eq!(inbox.messages[0].flags, vec!["\\Flagged".to_string()]);
        assert_eq!(copy.read_message("u", inbox.id, 2).unwrap(), data);
    }
}
