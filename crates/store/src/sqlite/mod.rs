//! [`SqliteStore`]: the embedded store. Per user, `users/<user>/index.sqlite3` (SQLite in WAL
//! mode) and `users/<user>/blobs/` (content-addressed message files, see [`crate::blobs`]).
//!
//! Durability: the writing connection commits with `synchronous=NORMAL` (no fsync while it
//! holds the user's lock) and every operation that changed the index fsyncs the WAL after
//! releasing the lock, before it returns: an operation that returned is as durable as with
//! `synchronous=FULL`, while concurrent writers (four LMTP sessions delivering to one user)
//! no longer queue behind each other's fsync. Rows that referred to files are made durable
//! before the files are unlinked.
//!
//! Each user has one connection, opened lazily and kept behind a mutex, so operations of one
//! user are serialised in this process while other processes (the CLI, delivery) may use the
//! same files: every write runs in a `BEGIN IMMEDIATE` transaction and waits up to 10 s.
//!
//! Choices where the contract leaves room:
//! - Renaming INBOX creates the new mailbox (new id and UIDVALIDITY, same UIDs) with INBOX's
//!   messages; INBOX keeps its id, UIDVALIDITY and UIDNEXT and records the moved UIDs as
//!   expunged, so open sessions and QRESYNC clients see them leave. INBOX's children stay.
//! - [`Store::changes`] reports only expunged UIDs at or below `known_max_uid` (the session
//!   never knew the others); [`Store::expunged_since`] reports all.
//! - A mailbox deleted while it has children is replaced by a `\Noselect` placeholder with a
//!   new id; placeholders left without children are removed.
//! - Subscriptions are not renamed or removed with their mailboxes.
//! - MODSEQ: one new value per operation, stamped on every row it touched.

mod acl;
mod backup;
mod damage;
mod flags;
mod grants;
mod mailboxes;
mod messages;
mod placement;
mod reconstruct;
mod retained;
mod schema;
mod usage;

pub use backup::{link_or_copy, snapshot_database, BackupStats};
pub use damage::DamagedRow;
pub use reconstruct::{ReconstructReport, RECOVERED_MAILBOX};

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::api::*;
use crate::blobs::{self, BlobDir};
use crate::error::{Result, StoreError};
use crate::names::{canonical_mailbox_name, validate_user_name};
use crate::notify::Notifier;
use crate::partitions::Partitions;
use crate::prepared::{prepare, Prepared};
use crate::retention::Retention;
use crate::search_text;

pub(crate) use crate::clock::now;

/// File name of a user's index inside the user's directory.
const INDEX_FILE: &str = "index.sqlite3";

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::Error as E;
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return StoreError::Full(format!("index: {e}"));
        }
        match e {
            // A stored value of the wrong type or encoding: a damaged row, which
            // `SqliteStore::read` and `with_user` repair (see `damage`).
            E::FromSqlConversionFailure(..)
            | E::InvalidColumnType(..)
            | E::IntegralValueOutOfRange(..)
            | E::Utf8Error(..) => StoreError::Damaged(format!("index row: {e}")),
            e => StoreError::Io(format!("index: {e}")),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            return StoreError::Full(format!("file: {e}"));
        }
        StoreError::Io(format!("file: {e}"))
    }
}

/// What an operation did that must be acted on after its transaction committed.
#[derive(Default)]
pub(crate) struct Effects {
    /// Mailboxes that changed, with their new HIGHESTMODSEQ, to notify watchers of.
    pub notify: Vec<(MailboxId, u64)>,
    /// Files whose last reference may have been removed.
    pub garbage: Vec<String>,
    /// Expunges (mailbox, MODSEQ) whose rows were retained for watching sessions.
    pub retained: Vec<(MailboxId, u64)>,
}

/// One user's open index and blob directory.
struct UserHandle {
    /// The connection that writes (and reads inside write transactions).
    conn: Mutex<Connection>,
    /// A connection for reads that need no write lock, so SELECT, FETCH and STATUS do not
    /// wait behind an APPEND's commit.
    reader: Mutex<Connection>,
    blobs: BlobDir,
    /// The index's write-ahead log (`index.sqlite3-wal`), fsynced after each change.
    wal: PathBuf,
    /// Identity of the index file when opened, to notice a user deleted and re-created by
    /// another process (the CLI) while this one kept the old file open.
    identity: Option<FileIdentity>,
    /// Set when the user's store moved to another partition: operations that waited for
    /// this handle must start again on the new one.
    retired: AtomicBool,
}

impl UserHandle {
    /// Opens `owner`'s index (creating it with `create`) and makes sure INBOX exists.
    fn open(dir: &Path, owner: &str, create: bool) -> Result<UserHandle> {
        let index = dir.join(INDEX_FILE);
        let (mut conn, found_version) = schema::open(&index, create)?;
        acl::init_owner(&conn, owner, found_version)?;
        if owner != SHARED_OWNER {
            // The shared store has no INBOX: its mailboxes are all named by admins.
            mailboxes::ensure_inbox(&mut conn)?;
        }
        // Commits are made durable by `sync_wal` after the lock is released (module docs).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let mut wal = index.clone().into_os_string();
        wal.push("-wal");
        let handle = UserHandle {
            conn: Mutex::new(conn),
            reader: Mutex::new(schema::open_reader(&index)?),
            blobs: BlobDir::new(dir.join("blobs")),
            wal: PathBuf::from(wal),
            identity: file_identity(&index),
            retired: AtomicBool::new(false),
        };
        handle.remove_retained(|conn| retained::purge_older_than(conn, retained::STALE_AFTER_SECS))?;
        Ok(handle)
    }

    /// Deletes the retained rows `select` picks (and returns the content addresses of), then
    /// removes their files that nothing refers to any more, after making the deletion durable.
    fn remove_retained(&self, select: impl FnOnce(&mut Connection) -> Result<Vec<String>>) -> Result<u64> {
        let mut conn = self.lock();
        let mut shas = select(&mut conn)?;
        if shas.is_empty() {
            return Ok(0);
        }
        self.sync_wal()?;
        let removed = remove_unreferenced(&mut conn, &self.blobs, &mut shas)?;
        drop(conn);
        self.sync_wal()?;
        Ok(removed)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fsyncs the write-ahead log: every transaction committed so far becomes durable. The
    /// log stays the same file while this handle's connections are open; a log that is not
    /// there holds nothing (SQLite copied it into the index, synced, before removing it).
    fn sync_wal(&self) -> Result<()> {
        match fs::File::open(&self.wal) {
            Ok(wal) => Ok(wal.sync_data()?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// (device, inode) of a file.
type FileIdentity = (u64, u64);

#[cfg(unix)]
fn file_identity(path: &Path) -> Option<FileIdentity> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_identity(_path: &Path) -> Option<FileIdentity> {
    None
}

/// The embedded mailstore: SQLite index plus content-addressed files under one data directory.
pub struct SqliteStore {
    root: PathBuf,
    partitions: Partitions,
    users: Mutex<HashMap<String, Arc<UserHandle>>>,
    notifier: Notifier,
    grants: grants::Grants,
    retention: Arc<Retention>,
}

impl SqliteStore {
    /// Opens the store in the data directory `root`, creating `root/users` if needed.
    pub fn open(root: &Path) -> Result<SqliteStore> {
        fs::create_dir_all(root.join("users"))?;
        Ok(SqliteStore {
            root: root.to_path_buf(),
            partitions: Partitions::single(root),
            users: Mutex::default(),
            notifier: Notifier::default(),
            grants: grants::Grants::new(root),
            retention: Arc::default(),
        })
    }

    /// Uses these partitions for new users and moves (the default is the data directory only).
    pub fn with_partitions(mut self, partitions: Partitions) -> SqliteStore {
        self.partitions = partitions;
        self
    }

    /// The directory holding a user's index and files (`<root>/users/<user>`, or
    /// `<root>/shared` for [`SHARED_OWNER`]), whether or not it exists. Fails with
    /// `InvalidName` for a name that is not a valid user name.
    pub fn user_dir(&self, user: &str) -> Result<PathBuf> {
        if user == SHARED_OWNER {
            return Ok(self.root.join("shared"));
        }
        validate_user_name(user)?;
        Ok(self.root.join("users").join(user))
    }

    /// (owner, identifiers its ACLs name) for every store: the grants index rebuilt.
    fn all_grants(&self) -> Result<Vec<(String, Vec<String>)>> {
        let mut owners = self.list_users()?;
        owners.push(SHARED_OWNER.to_string());
        let mut out = Vec::new();
        for owner in owners {
            match self.with_user(&owner, |conn, _, _| acl::identifiers(conn)) {
                Ok(ids) => out.push((owner, ids)),
                Err(StoreError::NoSuchUser) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Storage used by a user: (sum of message sizes in octets, number of messages), counting
    /// each copy of a message in each mailbox (as IMAP QUOTA does), not shared files once.
    /// Read from the per-mailbox counters, so it costs one row per mailbox.
    pub fn usage(&self, user: &str) -> Result<(u64, u64)> {
        let total = self.read(user, |conn, _| usage::total(conn))?;
        Ok((total.bytes, total.messages))
    }

    /// Multi-recipient delivery: hard-links the file holding `data` from `from_user`'s store
    /// into `to_user`'s, so that a following [`Store::append`] of the same octets to
    /// `to_user` finds the file already there and does not write a second copy. Files are
    /// named by content (SHA-256) and never modified, so sharing one inode is safe. Returns
    /// false (and does nothing) when `from_user` has no such file; append then writes it.
    pub fn link_blob_from(&self, from_user: &str, to_user: &str, data: &[u8]) -> Result<bool> {
        let from = self.handle(from_user)?;
        let to = self.handle(to_user)?;
        let sha = blobs::content_address(data);
        Ok(to.blobs.link_from(&from.blobs, &sha)?)
    }

    /// Removes a user's message files that no index row refers to and temporary files, if
    /// last modified more than `min_age` ago (an hour is a good choice). Such files are left
    /// by a crash between writing a file and committing its row, or between an expunge and
    /// its unlink; they are harmless but take space. Safe while the store is in use (also by
    /// other processes). Returns the number of files removed.
    pub fn collect_garbage(&self, user: &str, min_age: Duration) -> Result<u64> {
        let handle = self.handle(user)?;
        let secs = i64::try_from(min_age.as_secs()).unwrap_or(i64::MAX);
        let mut removed = handle.remove_retained(|conn| retained::purge_older_than(conn, secs))?;
        removed += handle.blobs.remove_stale_temporaries(min_age)?;
        let candidates = handle.blobs.files_older_than(min_age)?;
        for chunk in candidates.chunks(256) {
            let mut conn = handle.lock();
            removed += remove_unreferenced(&mut conn, &handle.blobs, &mut chunk.to_vec())?;
        }
        Ok(removed)
    }

    /// The open handle of a user, opening the index on first use.
    fn handle(&self, user: &str) -> Result<Arc<UserHandle>> {
        let dir = self.user_dir(user)?;
        let index = dir.join(INDEX_FILE);
        let identity = file_identity(&index);
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = users.get(user) {
            if h.identity == identity && !h.retired.load(Ordering::Acquire) {
                return Ok(h.clone());
            }
            // Deleted (and maybe re-created) behind our back: forget the stale connection.
            users.remove(user);
        }
        let shared = user == SHARED_OWNER;
        if !index.is_file() && !shared {
            return Err(StoreError::NoSuchUser);
        }
        if shared {
            // The shared store comes into being on first use.
            fs::create_dir_all(dir.join("blobs"))?;
        }
        let handle = Arc::new(UserHandle::open(&dir, user, shared)?);
        users.insert(user.to_string(), handle.clone());
        Ok(handle)
    }

    /// Runs a read-only `op` on the user's reading connection (see [`UserHandle::reader`]).
    /// A row that does not decode is repaired (see [`SqliteStore::repair_damaged_rows`]) and
    /// `op` runs again, so one damaged row never fails a whole mailbox.
    fn read<T>(&self, user: &str, mut op: impl FnMut(&mut Connection, &BlobDir) -> Result<T>) -> Result<T> {
        match self.read_once(user, &mut op) {
            Err(StoreError::Damaged(why)) if self.repaired_after(user, &why) => self.read_once(user, &mut op),
            other => other,
        }
    }

    fn read_once<T>(
        &self,
        user: &str,
        op: &mut impl FnMut(&mut Connection, &BlobDir) -> Result<T>,
    ) -> Result<T> {
        let handle = self.handle(user)?;
        let mut conn = handle.lock_reader();
        if handle.retired.load(Ordering::Acquire) {
            drop(conn);
            return self.read_once(user, op);
        }
        op(&mut conn, &handle.blobs)
    }

    /// After `why` (a damaged row) failed an operation: repairs the user's damaged rows and
    /// says whether any was found, so the operation is worth running again.
    fn repaired_after(&self, user: &str, why: &str) -> bool {
        match self.repair_damaged_rows(user) {
            Ok(rows) if !rows.is_empty() => true,
            Ok(_) => {
                tracing::error!(user, error = why, "undecodable value but no damaged row found");
                false
            }
            Err(e) => {
                tracing::error!(user, error = %e, "could not repair damaged index rows");
                false
            }
        }
    }

    /// Reads every message and keyword row of `user`'s index and repairs those whose values do
    /// not decode: cached data recomputed from the message file, flags and keywords that do
    /// not decode reset (see `damage`). Each row is logged; returns them.
    pub fn repair_damaged_rows(&self, user: &str) -> Result<Vec<DamagedRow>> {
        let handle = self.handle(user)?;
        let mut conn = handle.lock();
        let repaired = damage::repair(&mut conn, &handle.blobs, user)?;
        drop(conn);
        if !repaired.is_empty() {
            handle.sync_wal()?;
        }
        Ok(repaired)
    }

    /// Runs `op` on the user's connection, then removes files left unreferenced and notifies
    /// watchers of the mailboxes it changed.
    /// A row that does not decode is repaired and `op` runs again, as for [`Self::read`].
    fn with_user<T>(
        &self,
        user: &str,
        mut op: impl FnMut(&mut Connection, &BlobDir, &mut Effects) -> Result<T>,
    ) -> Result<T> {
        match self.with_user_once(user, &mut op) {
            Err(StoreError::Damaged(why)) if self.repaired_after(user, &why) => {
                self.with_user_once(user, &mut op)
            }
            other => other,
        }
    }

    fn with_user_once<T>(
        &self,
        user: &str,
        op: &mut impl FnMut(&mut Connection, &BlobDir, &mut Effects) -> Result<T>,
    ) -> Result<T> {
        let handle = self.handle(user)?;
        let mut conn = handle.lock();
        if handle.retired.load(Ordering::Acquire) {
            // The store moved to another partition while this waited: start again there.
            drop(conn);
            return self.with_user_once(user, op);
        }
        let mut effects = Effects::default();
        let changes = conn.total_changes();
        let result = op(&mut conn, &handle.blobs, &mut effects);
        if !effects.garbage.is_empty() {
            // The removal of the rows that referred to the files must be durable first.
            let removed = handle
                .sync_wal()
                .and_then(|()| remove_unreferenced(&mut conn, &handle.blobs, &mut effects.garbage));
            if let Err(e) = removed {
                tracing::warn!(user, error = %e, "could not remove unreferenced message files");
            }
        }
        let changed = conn.total_changes() != changes;
        drop(conn);
        let synced = if changed { handle.sync_wal() } else { Ok(()) };
        let result = result.and_then(|r| synced.map(|()| r));
        for (mailbox, modseq) in effects.notify {
            self.notifier.notify(user, mailbox, modseq);
        }
        for (mailbox, modseq) in effects.retained {
            self.retention.retained(user, mailbox, modseq);
        }
        result
    }

    /// How an expunge in `mailbox` treats the rows it removes: retained while a session of
    /// this process watches the mailbox (see [`Store::hold_expunged`]).
    fn removal(&self, user: &str, mailbox: MailboxId) -> messages::Removal {
        if self.retention.is_watched(user, mailbox) {
            messages::Removal::Retain
        } else {
            messages::Removal::Delete
        }
    }

    /// Writes and fsyncs the message files of `datas` before taking the user's index lock (so
    /// readers do not wait for file I/O), then runs `op` (which re-checks the files under the
    /// lock and commits the rows) with their [`prepare`]d form. When writing a file
    /// or the commit fails (a full disk, most often), the files no row names are removed again,
    /// so a failed operation leaves nothing behind.
    fn with_files<T>(
        &self,
        user: &str,
        datas: &[&[u8]],
        mut op: impl FnMut(&mut Connection, &BlobDir, &[Prepared], &mut Effects) -> Result<T>,
    ) -> Result<T> {
        let handle = self.handle(user)?;
        let prepared = prepare(datas);
        let written: Result<()> = datas
            .iter()
            .zip(&prepared)
            .try_for_each(|(data, p)| handle.blobs.ensure(p.sha(), data).map_err(StoreError::from));
        // `with_user` may run the closure twice (after repairing a damaged row); the write
        // failure, if any, is reported by the first run.
        let mut written = Some(written);
        self.with_user(user, |conn, blobs, fx| {
            let result = written.take().unwrap_or(Ok(())).and_then(|()| op(conn, blobs, &prepared, fx));
            if result.is_err() {
                fx.garbage.extend(prepared.iter().map(|p| p.sha().to_owned()));
            }
            result
        })
    }
}

/// Unlinks those of `shas` that no index row refers to any more, and drops their search
/// text in the same transaction; returns how many. Runs under the index write
/// lock, so an append in another process cannot commit a reference to a file being removed
/// (append re-checks its files inside its own write transaction).
fn remove_unreferenced(conn: &mut Connection, blobs: &BlobDir, shas: &mut Vec<String>) -> Result<u64> {
    shas.sort();
    shas.dedup();
    let mut removed = 0;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut used = tx.prepare_cached(
            "SELECT 1 FROM messages WHERE blob = ?1 UNION ALL SELECT 1 FROM retained WHERE blob = ?1 LIMIT 1",
        )?;
        let mut forget_text = tx.prepare_cached("DELETE FROM search_text WHERE blob = ?1")?;
        for sha in shas.iter() {
            if !used.exists([sha])? {
                forget_text.execute([sha])?;
                blobs.remove(sha)?;
                removed += 1;
            }
        }
    }
    tx.commit()?;
    Ok(removed)
}

impl Store for SqliteStore {
    fn create_user_on(&self, user: &str, partition: Option<&str>) -> Result<()> {
        SqliteStore::create_user_on(self, user, partition)
    }

    fn delete_user(&self, user: &str) -> Result<()> {
        SqliteStore::delete_user(self, user)
    }

    fn partitions(&self) -> Vec<String> {
        self.partitions.names()
    }

    fn partition_of(&self, user: &str) -> Result<String> {
        SqliteStore::partition_of(self, user)
    }

    fn move_user(&self, user: &str, partition: &str) -> Result<()> {
        SqliteStore::move_user(self, user, partition)
    }

    fn list_users(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.root.join("users"))? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if validate_user_name(&name).is_ok() && entry.path().join(INDEX_FILE).is_file() {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    fn list_mailboxes(&self, user: &str) -> Result<Vec<MailboxInfo>> {
        self.read(user, |conn, _| mailboxes::list(conn))
    }

    fn create_mailbox(&self, user: &str, name: &str, special_use: Option<&str>) -> Result<MailboxId> {
        let name = canonical_mailbox_name(name)?;
        self.with_user(user, |conn, _, _| mailboxes::create(conn, &name, special_use))
    }

    fn delete_mailbox(&self, user: &str, name: &str) -> Result<()> {
        let name = canonical_mailbox_name(name)?;
        self.with_user(user, |conn, _, fx| mailboxes::delete(conn, &name, fx))
    }

    fn rename_mailbox(&self, user: &str, from: &str, to: &str) -> Result<()> {
        let from = canonical_mailbox_name(from)?;
        let to = canonical_mailbox_name(to)?;
        self.with_user(user, |conn, _, fx| mailboxes::rename(conn, &from, &to, fx))
    }

    fn subscriptions(&self, user: &str) -> Result<Vec<String>> {
        self.read(user, |conn, _| mailboxes::subscriptions(conn))
    }

    fn set_subscribed(&self, user: &str, name: &str, subscribed: bool) -> Result<()> {
        let name = canonical_mailbox_name(name)?;
        self.with_user(user, |conn, _, _| mailboxes::set_subscribed(conn, &name, subscribed))
    }

    fn status(&self, user: &str, name: &str) -> Result<MailboxStatus> {
        let name = canonical_mailbox_name(name)?;
        self.read(user, |conn, _| mailboxes::status(conn, &name))
    }

    fn select(&self, user: &str, name: &str) -> Result<MailboxSnapshot> {
        let name = canonical_mailbox_name(name)?;
        self.read(user, |conn, _| messages::select(conn, &name))
    }

    fn open_mailbox(&self, user: &str, name: &str) -> Result<MailboxHeader> {
        let name = canonical_mailbox_name(name)?;
        self.read(user, |conn, _| messages::open_mailbox(conn, &name))
    }

    fn claim_recent(&self, user: &str, mailbox: MailboxId) -> Result<Vec<u32>> {
        self.with_user(user, |conn, _, _| messages::claim_recent(conn, mailbox))
    }

    fn changes(
        &self,
        user: &str,
        mailbox: MailboxId,
        since: u64,
        known_max_uid: u32,
    ) -> Result<MailboxChanges> {
        self.read(user, |conn, _| messages::changes(conn, mailbox, since, known_max_uid))
    }

    fn expunged_since(&self, user: &str, mailbox: MailboxId, since: u64) -> Result<Vec<u32>> {
        self.read(user, |conn, _| messages::expunged_since(conn, mailbox, since))
    }

    fn fetch_meta(
        &self,
        user: &str,
        mailbox: MailboxId,
        uids: &[u32],
        parts: MetaParts,
    ) -> Result<Vec<MessageMeta>> {
        self.read(user, |conn, _| messages::fetch_meta(conn, messages::Rows::Messages, mailbox, uids, parts))
    }

    fn hold_expunged(&self, user: &str, mailbox: MailboxId) -> Box<dyn ExpungeHold> {
        match self.handle(user) {
            Ok(handle) => Box::new(Hold {
                token: self.retention.watch(user, mailbox),
                retention: self.retention.clone(),
                handle,
                user: user.to_string(),
                mailbox,
            }),
            Err(_) => Box::new(NoExpungeHold),
        }
    }

    fn retained_meta(
        &self,
        user: &str,
        mailbox: MailboxId,
        uids: &[u32],
        parts: MetaParts,
    ) -> Result<Vec<MessageMeta>> {
        self.read(user, |conn, _| messages::fetch_meta(conn, messages::Rows::Retained, mailbox, uids, parts))
    }

    fn read_message(&self, user: &str, mailbox: MailboxId, uid: u32) -> Result<Vec<u8>> {
        let ((sha, size), blobs) =
            self.read(user, |conn, blobs| Ok((messages::blob_of(conn, mailbox, uid)?, blobs.clone())))?;
        // Read outside the lock; a concurrent expunge may have removed the file meanwhile.
        let data = blobs.read(&sha).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotPossible("the message has been expunged".into()),
            _ => e.into(),
        })?;
        crate::content_size::checked(data, size, (user, mailbox, uid), "file", &sha)
    }

    fn search_texts(&self, user: &str, mailbox: MailboxId, uids: &[u32]) -> Result<Vec<(u32, String)>> {
        let (rows, blobs) =
            self.read(user, |conn, blobs| Ok((messages::search_texts(conn, mailbox, uids)?, blobs.clone())))?;
        // No usable row (a store from before the index, or a damaged row): decode the file,
        // outside the lock. A file gone meanwhile was expunged: leave the message out.
        let (out, computed) = search_text::resolve(user, rows, |blob| match blobs.read(blob) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        })?;
        if !computed.is_empty() {
            // Keep what was computed so the next search reads it. Failing to is no reason
            // to fail the search: the texts are correct either way.
            if let Err(e) =
                self.with_user(user, |conn, _, _| messages::backfill_search_texts(conn, &computed))
            {
                tracing::warn!(user, error = %e, "could not store search text");
            }
        }
        Ok(out)
    }

    fn append(&self, user: &str, mailbox: &str, messages: &[NewMessage<'_>]) -> Result<Placed> {
        let name = canonical_mailbox_name(mailbox)?;
        let datas: Vec<&[u8]> = messages.iter().map(|m| m.data).collect();
        self.with_files(user, &datas, |conn, blobs, prepared, fx| {
            messages::append(conn, blobs, &name, messages, prepared, fx)
        })
    }

    fn import_messages(
        &self,
        user: &str,
        mailbox: MailboxId,
        messages: &[ImportedMessage<'_>],
    ) -> Result<usize> {
        let datas: Vec<&[u8]> = messages.iter().map(|m| m.data).collect();
        self.with_files(user, &datas, |conn, blobs, prepared, fx| {
            messages::import(conn, blobs, mailbox, messages, prepared, fx)
        })
    }

    fn import_mailbox(&self, user: &str, image: &MailboxImage) -> Result<MailboxId> {
        let name = canonical_mailbox_name(&image.name)?;
        self.with_user(user, |conn, _, _| mailboxes::import(conn, &name, image))
    }

    fn store_flags(
        &self,
        user: &str,
        mailbox: MailboxId,
        uids: &[u32],
        change: FlagChange,
        flags: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<FlagUpdate> {
        self.with_user(user, |conn, _, fx| {
            flags::store(conn, mailbox, uids, change, flags, unchanged_since, fx)
        })
    }

    fn copy(&self, user: &str, mailbox: MailboxId, uids: &[u32], to: &str) -> Result<Placed> {
        let to = canonical_mailbox_name(to)?;
        self.with_user(user, |conn, _, fx| messages::copy(conn, mailbox, uids, &to, None, fx))
    }

    fn move_messages(&self, user: &str, mailbox: MailboxId, uids: &[u32], to: &str) -> Result<Placed> {
        let to = canonical_mailbox_name(to)?;
        let removal = self.removal(user, mailbox);
        self.with_user(user, |conn, _, fx| messages::copy(conn, mailbox, uids, &to, Some(removal), fx))
    }

    fn expunge(&self, user: &str, mailbox: MailboxId, uids: Option<&[u32]>) -> Result<Vec<u32>> {
        let removal = self.removal(user, mailbox);
        self.with_user(user, |conn, _, fx| messages::expunge(conn, mailbox, uids, removal, fx))
    }

    fn watch(&self, user: &str, mailbox: MailboxId) -> tokio::sync::watch::Receiver<u64> {
        let current = self
            .read(user, |conn, _| Ok(mailboxes::by_id(conn, mailbox)?.map_or(0, |m| m.highestmodseq)))
            .unwrap_or(0);
        self.notifier.subscribe(user, mailbox, current)
    }

    fn usage(&self, user: &str) -> Result<(u64, u64)> {
        SqliteStore::usage(self, user)
    }

    fn mailbox_usage(&self, user: &str) -> Result<Vec<MailboxUsage>> {
        self.read(user, |conn, _| usage::per_mailbox(conn))
    }

    fn fix_usage(&self, user: &str) -> Result<Vec<UsageFix>> {
        self.with_user(user, |conn, _, _| usage::fix(conn))
    }

    fn share_content(&self, from_user: &str, to_user: &str, data: &[u8]) -> Result<bool> {
        self.link_blob_from(from_user, to_user, data)
    }

    fn get_acl(&self, owner: &str, mailbox: &str) -> Result<Vec<(String, String)>> {
        let name = canonical_mailbox_name(mailbox)?;
        self.read(owner, |conn, _| acl::get(conn, &name))
    }

    fn set_acl(&self, owner: &str, mailbox: &str, identifier: &str, rights: Option<&str>) -> Result<()> {
        let name = canonical_mailbox_name(mailbox)?;
        let still_named = self.with_user(owner, |conn, _, _| acl::set(conn, &name, identifier, rights))?;
        if identifier != owner {
            self.grants.record(owner, identifier, still_named, || self.all_grants())?;
        }
        Ok(())
    }

    fn grantors(&self, identifiers: &[String]) -> Result<Vec<String>> {
        self.grants.owners(identifiers, || self.all_grants())
    }

    fn seen_uids(&self, owner: &str, mailbox: MailboxId, viewer: &str) -> Result<Vec<u32>> {
        self.read(owner, |conn, _| acl::seen_uids(conn, mailbox, viewer))
    }

    fn set_seen(
        &self,
        owner: &str,
        mailbox: MailboxId,
        viewer: &str,
        uids: &[u32],
        seen: bool,
    ) -> Result<Vec<MessageState>> {
        self.with_user(owner, |conn, _, fx| acl::set_seen(conn, mailbox, viewer, uids, seen, fx))
    }
}

/// A session's hold on a mailbox's expunged messages (see [`Store::hold_expunged`]).
struct Hold {
    retention: Arc<Retention>,
    handle: Arc<UserHandle>,
    user: String,
    mailbox: MailboxId,
    token: u64,
}

impl Hold {
    /// Removes the rows retained at or below `through` (no hold needs them any more).
    fn release(&self, through: u64) {
        let removed = self.handle.remove_retained(|conn| retained::release(conn, self.mailbox, through));
        if let Err(e) = removed {
            tracing::warn!(user = self.user, error = %e, "could not remove retained expunged messages");
        }
    }
}

impl ExpungeHold for Hold {
    fn caught_up(&self, modseq: u64) {
        if let Some(through) = self.retention.told(&self.user, self.mailbox, self.token, modseq) {
            self.release(through);
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if let Some(through) = self.retention.unwatch(&self.user, self.mailbox, self.token) {
            self.release(through);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn reads_do_not_wait_for_the_writing_connection() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(tmp.path()).unwrap());
        store.create_user("u").unwrap();
        let (locked_tx, locked_rx) = mpsc::channel();
        let (read_tx, read_rx) = mpsc::channel();
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                store
                    .with_user("u", |_, _, _| {
                        locked_tx.send(()).unwrap();
                        // Holds the writing connection until the read is done (or gives up).
                        Ok(read_rx.recv_timeout(Duration::from_secs(20)).is_ok())
                    })
                    .unwrap()
            })
        };
        locked_rx.recv().unwrap();
        let inbox = store.select("u", "INBOX").unwrap();
        assert_eq!(store.status("u", "INBOX").unwrap().uid_validity, inbox.uid_validity);
        read_tx.send(()).unwrap();
        assert!(writer.join().unwrap(), "the read finished while the writer held its connection");
    }
}
