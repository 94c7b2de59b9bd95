//! [`PostgresStore`]: the mailstore for many nodes. Metadata (users, mailboxes, messages,
//! flags, ACLs, search text) in one PostgreSQL database, message octets in a [`BlobStore`]
//! (S3-compatible object storage, or local files for one node), named by their SHA-256.
//!
//! Every operation is one transaction on a pooled connection, so any node can serve any
//! user at any time; nothing is cached between operations. Watchers on every node wake on
//! a change made anywhere (LISTEN/NOTIFY, see `watch`). Write order: an object is
//! registered and put (acknowledged by the object store) before the transaction that commits
//! the row naming it; objects are removed only by [`PostgresStore::sweep`] (see `objects`).
//!
//! Choices where the contract leaves room are those of the embedded store (see
//! `crate::sqlite`): renaming INBOX moves its messages to a new mailbox, [`Store::changes`]
//! reports expunged UIDs up to `known_max_uid`, a deleted mailbox with children leaves a
//! placeholder with a new id, subscriptions stay when mailboxes go, one MODSEQ per operation.
//! There is one partition, the database: [`Store::move_user`] to any other is refused.

mod acl;
mod database;
mod flags;
mod import;
mod mailboxes;
mod messages;
mod objects;
mod schema;
mod statements;
mod usage;
mod users;
mod watch;

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use database::{Database, Effects, Tx, TxResult};

use crate::api::*;
use crate::content_size;
use crate::error::{Result, StoreError};
use crate::flagset::Flags;
use crate::names::canonical_mailbox_name;
use crate::notify::Notifier;
use crate::object_blobs::BlobStore;
use crate::partitions::DEFAULT_PARTITION;
use crate::prepared::{prepare, Prepared};
use crate::search_text;

/// The mailstore in PostgreSQL plus a blob store, shareable by any number of nodes.
pub struct PostgresStore {
    db: Database,
    blobs: Arc<dyn BlobStore>,
    notifier: Arc<Notifier>,
    /// Tells this store's notifications from other nodes' (see `watch`).
    node: u64,
    /// The database, for the listener.
    url: String,
    /// Wakes watchers of mailboxes other nodes changed; started by the first
    /// [`Store::watch`] (a command-line tool never needs one), stops with the store.
    listener: OnceLock<watch::Listener>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER@HOST:PORT/DB`), creates the
    /// mailstore's tables if they are missing, and keeps message octets in `blobs`.
    pub fn open(url: &str, blobs: Arc<dyn BlobStore>) -> Result<PostgresStore> {
        let db = Database::connect(url)?;
        schema::create(&db)?;
        Ok(PostgresStore {
            db,
            blobs,
            notifier: Arc::new(Notifier::default()),
            node: rand::random(),
            url: url.to_string(),
            listener: OnceLock::new(),
        })
    }

    /// Round trips to PostgreSQL this store has made so far (BEGIN, each statement, COMMIT;
    /// not the change listener's): for counting what each command costs.
    pub fn round_trips(&self) -> u64 {
        self.db.round_trips()
    }

    /// Runs a write for `user` and wakes the watchers of the mailboxes it changed, on this
    /// node once it committed, on the others by a notification sent in its transaction.
    fn write<T>(
        &self,
        user: &str,
        mut op: impl FnMut(&mut Tx<'_>, &mut Effects) -> TxResult<T>,
    ) -> Result<T> {
        let (value, fx) = self.db.write(|tx, fx| {
            let value = op(tx, fx)?;
            watch::announce(tx, self.node, user, &fx.notify)?;
            Ok(value)
        })?;
        for (mailbox, modseq) in fx.notify {
            self.notifier.notify(user, mailbox, modseq);
        }
        Ok(value)
    }

    /// Prepares `datas`, registers and puts their objects (those no row names yet), and only
    /// then runs `op`, which commits the rows naming them.
    fn with_objects<T>(
        &self,
        user: &str,
        datas: &[&[u8]],
        mut op: impl FnMut(&mut Tx<'_>, &[Prepared], &mut Effects) -> TxResult<T>,
    ) -> Result<T> {
        let prepared = prepare(datas);
        let shas: Vec<&str> = prepared.iter().map(Prepared::sha).collect();
        let mut present: HashSet<String> = objects::register(&self.db, &shas)?.into_iter().collect();
        for (data, p) in datas.iter().zip(&prepared) {
            if present.insert(p.sha().to_string()) {
                self.blobs.put(p.sha(), data)?;
            }
        }
        self.write(user, |tx, fx| op(tx, &prepared, fx))
    }
}

impl Store for PostgresStore {
    fn create_user_on(&self, user: &str, partition: Option<&str>) -> Result<()> {
        users::check_partition(partition).map_err(StoreError::from)?;
        self.write(user, |tx, _| users::create(tx, user))
    }

    fn partitions(&self) -> Vec<String> {
        vec![DEFAULT_PARTITION.to_string()]
    }

    fn partition_of(&self, user: &str) -> Result<String> {
        let exists = self.db.read(|tx| mailboxes::owner_exists(tx, user))?;
        if !exists || user == SHARED_OWNER {
            return Err(StoreError::NoSuchUser);
        }
        Ok(DEFAULT_PARTITION.to_string())
    }

    fn move_user(&self, user: &str, partition: &str) -> Result<()> {
        self.partition_of(user)?;
        users::check_partition(Some(partition)).map_err(StoreError::from)
    }

    fn delete_user(&self, user: &str) -> Result<()> {
        self.write(user, |tx, _| users::delete(tx, user))?;
        self.notifier.forget_user(user);
        Ok(())
    }

    fn list_users(&self) -> Result<Vec<String>> {
        self.db.read(users::list)
    }

    fn list_mailboxes(&self, user: &str) -> Result<Vec<MailboxInfo>> {
        self.db.read(|tx| mailboxes::list(tx, user))
    }

    fn create_mailbox(&self, user: &str, name: &str, special_use: Option<&str>) -> Result<MailboxId> {
        let name = canonical_mailbox_name(name)?;
        self.write(user, |tx, _| mailboxes::create(tx, user, &name, special_use))
    }

    fn delete_mailbox(&self, user: &str, name: &str) -> Result<()> {
        let name = canonical_mailbox_name(name)?;
        self.write(user, |tx, fx| mailboxes::delete(tx, user, &name, fx))
    }

    fn rename_mailbox(&self, user: &str, from: &str, to: &str) -> Result<()> {
        let from = canonical_mailbox_name(from)?;
        let to = canonical_mailbox_name(to)?;
        self.write(user, |tx, fx| mailboxes::rename(tx, user, &from, &to, fx))
    }

    fn subscriptions(&self, user: &str) -> Result<Vec<String>> {
        self.db.read(|tx| mailboxes::subscriptions(tx, user))
    }

    fn set_subscribed(&self, user: &str, name: &str, subscribed: bool) -> Result<()> {
        let name = canonical_mailbox_name(name)?;
        self.write(user, |tx, _| mailboxes::set_subscribed(tx, user, &name, subscribed))
    }

    fn status(&self, user: &str, name: &str) -> Result<MailboxStatus> {
        let name = canonical_mailbox_name(name)?;
        self.db.read(|tx| mailboxes::status(tx, user, &name))
    }

    fn select(&self, user: &str, name: &str) -> Result<MailboxSnapshot> {
        let name = canonical_mailbox_name(name)?;
        self.db.read(|tx| messages::select(tx, user, &name))
    }

    fn open_mailbox(&self, user: &str, name: &str) -> Result<MailboxHeader> {
        let name = canonical_mailbox_name(name)?;
        self.db.read(|tx| messages::open_mailbox(tx, user, &name))
    }

    fn claim_recent(&self, user: &str, mailbox: MailboxId) -> Result<Vec<u32>> {
        self.write(user, |tx, _| messages::claim_recent(tx, user, mailbox))
    }

    fn changes(
        &self,
        user: &str,
        mailbox: MailboxId,
        since: u64,
        known_max_uid: u32,
    ) -> Result<MailboxChanges> {
        self.db.read(|tx| messages::changes(tx, user, mailbox, since, known_max_uid))
    }

    fn expunged_since(&self, user: &str, mailbox: MailboxId, since: u64) -> Result<Vec<u32>> {
        self.db.read(|tx| messages::expunged_since(tx, user, mailbox, since))
    }

    fn fetch_meta(
        &self,
        user: &str,
        mailbox: MailboxId,
        uids: &[u32],
        parts: MetaParts,
    ) -> Result<Vec<MessageMeta>> {
        self.db.read(|tx| messages::fetch_meta(tx, user, mailbox, uids, parts))
    }

    fn read_message(&self, user: &str, mailbox: MailboxId, uid: u32) -> Result<Vec<u8>> {
        let (sha, size) = self.db.read(|tx| messages::blob_of(tx, user, mailbox, uid))?;
        let data = self.blobs.get(&sha)?;
        content_size::checked(data, size, (user, mailbox, uid), "object", &sha)
    }

    /// Expunged messages are retained for every session on every node until the sweeper's
    /// grace period has passed, so no hold needs registering (the default hold does nothing).
    fn retained_meta(
        &self,
        user: &str,
        mailbox: MailboxId,
        uids: &[u32],
        parts: MetaParts,
    ) -> Result<Vec<MessageMeta>> {
        self.db.read(|tx| messages::retained_meta(tx, user, mailbox, uids, parts))
    }

    fn search_texts(&self, user: &str, mailbox: MailboxId, uids: &[u32]) -> Result<Vec<(u32, String)>> {
        let rows = self.db.read(|tx| messages::search_texts(tx, user, mailbox, uids))?;
        let (out, computed) = search_text::resolve(user, rows, |sha| Ok(Some(self.blobs.get(sha)?)))?;
        if !computed.is_empty() {
            // Failing to keep what was computed is no reason to fail the search.
            if let Err(e) = self.write(user, |tx, _| messages::backfill_search_texts(tx, &computed)) {
                tracing::warn!(user, error = %e, "could not store search text");
            }
        }
        Ok(out)
    }

    fn append(&self, user: &str, mailbox: &str, messages: &[NewMessage<'_>]) -> Result<Placed> {
        let name = canonical_mailbox_name(mailbox)?;
        let flags = messages.iter().map(|m| Flags::parse(&m.flags)).collect::<Result<Vec<_>>>()?;
        let datas: Vec<&[u8]> = messages.iter().map(|m| m.data).collect();
        self.with_objects(user, &datas, |tx, prepared, fx| {
            messages::append(tx, user, &name, messages, &flags, prepared, fx)
        })
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
        let flags = Flags::parse(flags)?;
        let store = flags::FlagStore { change, flags: &flags, unchanged_since };
        self.write(user, |tx, fx| flags::store(tx, user, mailbox, uids, &store, fx))
    }

    fn copy(&self, user: &str, mailbox: MailboxId, uids: &[u32], to: &str) -> Result<Placed> {
        let to = canonical_mailbox_name(to)?;
        self.write(user, |tx, fx| messages::copy(tx, user, mailbox, uids, &to, false, fx))
    }

    fn move_messages(&self, user: &str, mailbox: MailboxId, uids: &[u32], to: &str) -> Result<Placed> {
        let to = canonical_mailbox_name(to)?;
        self.write(user, |tx, fx| messages::copy(tx, user, mailbox, uids, &to, true, fx))
    }

    fn expunge(&self, user: &str, mailbox: MailboxId, uids: Option<&[u32]>) -> Result<Vec<u32>> {
        self.write(user, |tx, fx| messages::expunge(tx, user, mailbox, uids, fx))
    }

    fn sweep(&self, grace: Duration) -> Result<u64> {
        objects::sweep(&self.db, &*self.blobs, grace)
    }

    fn watch(&self, user: &str, mailbox: MailboxId) -> tokio::sync::watch::Receiver<u64> {
        self.listener.get_or_init(|| watch::Listener::start(&self.url, self.node, self.notifier.clone()));
        let current = self.db.read(|tx| mailboxes::highest_modseq(tx, user, mailbox)).unwrap_or(0);
        self.notifier.subscribe(user, mailbox, current)
    }

    fn usage(&self, user: &str) -> Result<(u64, u64)> {
        let total = self.db.read(|tx| usage::total(tx, user))?;
        Ok((total.bytes, total.messages))
    }

    fn mailbox_usage(&self, user: &str) -> Result<Vec<MailboxUsage>> {
        self.db.read(|tx| usage::per_mailbox(tx, user))
    }

    fn fix_usage(&self, user: &str) -> Result<Vec<UsageFix>> {
        self.write(user, |tx, _| usage::fix(tx, user))
    }

    fn share_content(&self, from_user: &str, _to_user: &str, data: &[u8]) -> Result<bool> {
        let sha = crate::blobs::content_address(data);
        self.db.read(|tx| messages::owner_holds(tx, from_user, &sha))
    }

    fn get_acl(&self, owner: &str, mailbox: &str) -> Result<Vec<(String, String)>> {
        let name = canonical_mailbox_name(mailbox)?;
        self.db.read(|tx| acl::get(tx, owner, &name))
    }

    fn set_acl(&self, owner: &str, mailbox: &str, identifier: &str, rights: Option<&str>) -> Result<()> {
        let name = canonical_mailbox_name(mailbox)?;
        self.write(owner, |tx, _| acl::set(tx, owner, &name, identifier, rights))
    }

    fn grantors(&self, identifiers: &[String]) -> Result<Vec<String>> {
        self.db.read(|tx| acl::grantors(tx, identifiers))
    }

    fn seen_uids(&self, owner: &str, mailbox: MailboxId, viewer: &str) -> Result<Vec<u32>> {
        self.db.read(|tx| acl::seen_uids(tx, owner, mailbox, viewer))
    }

    fn set_seen(
        &self,
        owner: &str,
        mailbox: MailboxId,
        viewer: &str,
        uids: &[u32],
        seen: bool,
    ) -> Result<Vec<MessageState>> {
        self.write(owner, |tx, fx| acl::set_seen(tx, owner, mailbox, viewer, uids, seen, fx))
    }

    fn import_mailbox(&self, user: &str, image: &MailboxImage) -> Result<MailboxId> {
        let name = canonical_mailbox_name(&image.name)?;
        self.write(user, |tx, _| import::mailbox(tx, user, &name, image))
    }

    fn import_messages(
        &self,
        user: &str,
        mailbox: MailboxId,
        messages: &[ImportedMessage<'_>],
    ) -> Result<usize> {
        let flags = messages.iter().map(|m| Flags::parse(&m.flags)).collect::<Result<Vec<_>>>()?;
        let datas: Vec<&[u8]> = messages.iter().map(|m| m.data).collect();
        self.with_objects(user, &datas, |tx, prepared, fx| {
            import::messages(tx, user, mailbox, messages, &flags, prepared, fx)
        })
    }
}
