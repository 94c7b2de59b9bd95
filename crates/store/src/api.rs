//! The mailstore contract: what protocol sessions and tools may ask of a store.
//!
//! Nothing here names SQLite or files, so a second back end (PostgreSQL index, object store
//! for message bodies) can implement the same trait. Mailbox names are UTF-8 with `/` as the
//! hierarchy separator; `INBOX` is always spelled in upper case here (the session folds any
//! case of `inbox` to it before calling).

use crate::error::Result;

/// The owner key of the shared mailboxes (bulletin boards, `Shared/...` in IMAP): pass it as
/// the `user` argument of any [`Store`] method. It is never a valid user name, so it can
/// neither clash with a user nor appear in [`Store::list_users`].
pub const SHARED_OWNER: &str = "#shared";

/// The rights a user's new top-level mailboxes (and INBOX) give their owner: every RFC 4314
/// right, as Cyrus does.
pub const OWNER_RIGHTS: &str = "lrswipkxtea";

/// Identifies a mailbox within one user's store; stable across renames, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxId(pub i64);

/// A mailbox as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    /// Full name, e.g. `INBOX` or `Archive/2024`.
    pub name: String,
    /// Stable identity (also the OBJECTID MAILBOXID).
    pub id: MailboxId,
    /// SPECIAL-USE attribute such as `\Sent`, if any.
    pub special_use: Option<String>,
    /// False for a `\Noselect` placeholder left when a parent with children was deleted.
    pub selectable: bool,
}

/// Counters answered by STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MailboxStatus {
    /// Number of messages.
    pub messages: u32,
    /// Messages not yet claimed as \Recent by any session.
    pub recent: u32,
    /// Messages without \Seen.
    pub unseen: u32,
    /// Messages with \Deleted.
    pub deleted: u32,
    /// Next UID to be assigned.
    pub uid_next: u32,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// Highest MODSEQ in the mailbox (at least 1).
    pub highest_modseq: u64,
    /// Sum of message sizes in octets.
    pub size: u64,
}

/// The state of one message as a session tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageState {
    /// UID.
    pub uid: u32,
    /// Flags: system flags spelled `\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`,
    /// keywords as first stored. Never `\Recent` (that is per session).
    pub flags: Vec<String>,
    /// MODSEQ of the last change to this message.
    pub modseq: u64,
}

/// What a session sees when it selects a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxSnapshot {
    /// Identity of the selected mailbox.
    pub id: MailboxId,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UIDNEXT.
    pub uid_next: u32,
    /// HIGHESTMODSEQ.
    pub highest_modseq: u64,
    /// Every message, in ascending UID order (sequence number = index + 1).
    pub messages: Vec<MessageState>,
    /// Keywords in use in this mailbox, for the FLAGS / PERMANENTFLAGS responses.
    pub keywords: Vec<String>,
}

/// A mailbox's identity and counters, without its messages: what a session needs to decide
/// whether a message list it already holds can be brought up to date instead of read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxHeader {
    /// Identity of the mailbox.
    pub id: MailboxId,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UIDNEXT.
    pub uid_next: u32,
    /// HIGHESTMODSEQ.
    pub highest_modseq: u64,
    /// Number of messages.
    pub messages: u32,
    /// UIDs up to this one have been claimed as \Recent by some session.
    pub recent_mark: u32,
    /// Keywords in use in this mailbox, for the FLAGS / PERMANENTFLAGS responses.
    pub keywords: Vec<String>,
}

/// What changed in a mailbox since a session last looked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxChanges {
    /// Messages with a UID above the caller's known maximum, ascending.
    pub new_messages: Vec<MessageState>,
    /// Messages at or below the known maximum whose MODSEQ is above `since`.
    pub changed: Vec<MessageState>,
    /// UIDs expunged with a MODSEQ above `since`, ascending.
    pub expunged: Vec<u32>,
    /// HIGHESTMODSEQ now.
    pub highest_modseq: u64,
    /// UIDNEXT now.
    pub uid_next: u32,
    /// Number of messages now.
    pub messages: u32,
}

/// Everything FETCH may need about a message without reading its file, except the header,
/// which is only filled when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMeta {
    /// UID.
    pub uid: u32,
    /// Flags, as in [`MessageState::flags`].
    pub flags: Vec<String>,
    /// MODSEQ.
    pub modseq: u64,
    /// INTERNALDATE: seconds since the Unix epoch.
    pub internal_date: i64,
    /// Zone offset of INTERNALDATE in minutes east of UTC.
    pub internal_date_offset: i32,
    /// SAVEDATE: when the message was stored in this mailbox, seconds since the epoch.
    pub save_date: i64,
    /// RFC822.SIZE in octets.
    pub size: u64,
    /// ENVELOPE, already in IMAP syntax (a parenthesised list).
    pub envelope: String,
    /// BODYSTRUCTURE, already in IMAP syntax.
    pub body_structure: String,
    /// BODY (non-extensible form), already in IMAP syntax.
    pub body: String,
    /// EMAILID (OBJECTID): stable id of the content, equal for copies of one message.
    pub email_id: String,
    /// The message's header block (up to and including the blank line), when requested.
    pub header: Option<Vec<u8>>,
}

/// Which of [`MessageMeta`]'s costlier parts [`Store::fetch_meta`] reads. SEARCH, SORT,
/// COPY and POP3 need neither; reading the cached IMAP strings of every message made a
/// header search of a big mailbox several times slower than it needs to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetaParts {
    /// ENVELOPE, BODYSTRUCTURE, BODY and EMAILID (left empty when not read).
    pub structure: bool,
    /// The header block (`None` when not read).
    pub header: bool,
}

impl MetaParts {
    /// UID, flags, MODSEQ, dates and size only.
    pub const FACTS: MetaParts = MetaParts { structure: false, header: false };
    /// The facts and ENVELOPE, BODYSTRUCTURE, BODY and EMAILID.
    pub const WITH_STRUCTURE: MetaParts = MetaParts { structure: true, header: false };
}

/// A message to be stored by APPEND or delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage<'a> {
    /// The octets, stored exactly.
    pub data: &'a [u8],
    /// Flags to set (system flags and keywords).
    pub flags: Vec<String>,
    /// INTERNALDATE as (seconds since the epoch, zone offset in minutes); now if `None`.
    pub internal_date: Option<(i64, i32)>,
}

/// Where APPEND, COPY or MOVE put messages (UIDPLUS answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// UIDVALIDITY of the destination.
    pub uid_validity: u32,
    /// (source UID, new UID) for COPY/MOVE in ascending source order; (0, new UID) for APPEND.
    pub uids: Vec<(u32, u32)>,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagChange {
    /// Set exactly these flags.
    Replace,
    /// Add these flags.
    Add,
    /// Remove these flags.
    Remove,
}

/// The outcome of a STORE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlagUpdate {
    /// New state of every message whose flags were looked at and not refused (including
    /// those that did not actually change: their MODSEQ is then unchanged).
    pub updated: Vec<MessageState>,
    /// UIDs refused because their MODSEQ was above UNCHANGEDSINCE.
    pub modified: Vec<u32>,
}

/// Storage a mailbox holds, as quotas count it (every copy of a message counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Sum of message sizes in octets.
    pub bytes: u64,
    /// Number of messages.
    pub messages: u64,
}

/// One mailbox's usage, as listed by [`Store::mailbox_usage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxUsage {
    /// Full mailbox name (placeholders included, with zero usage).
    pub name: String,
    /// What it holds.
    pub usage: Usage,
}

/// A mailbox whose usage counters [`Store::fix_usage`] found wrong and corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageFix {
    /// Full mailbox name.
    pub mailbox: String,
    /// What the counters said.
    pub was: Usage,
    /// What the messages add up to, now stored.
    pub now: Usage,
}

/// A mailbox as another store holds it: what [`Store::import_mailbox`] recreates when a store
/// is copied (`bushbuck store migrate`), so that clients' cached UIDs stay valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxImage {
    /// Full name.
    pub name: String,
    /// SPECIAL-USE attribute, if any.
    pub special_use: Option<String>,
    /// UIDVALIDITY in the source store.
    pub uid_validity: u32,
    /// UIDNEXT in the source store.
    pub uid_next: u32,
    /// HIGHESTMODSEQ in the source store.
    pub highest_modseq: u64,
}

/// A message with the identity it has in another store, for [`Store::import_messages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMessage<'a> {
    /// UID in the source mailbox.
    pub uid: u32,
    /// MODSEQ in the source mailbox.
    pub modseq: u64,
    /// Flags (system flags and keywords).
    pub flags: Vec<String>,
    /// INTERNALDATE as (seconds since the epoch, zone offset in minutes).
    pub internal_date: (i64, i32),
    /// SAVEDATE, seconds since the epoch.
    pub save_date: i64,
    /// Users other than the owner who have seen the message (their own \Seen in another
    /// user's or a shared mailbox, see [`Store::seen_uids`]); stored without a new MODSEQ.
    pub seen_by: Vec<String>,
    /// The octets.
    pub data: &'a [u8],
}

impl<'a> ImportedMessage<'a> {
    /// The message `meta` describes (as another store's [`Store::fetch_meta`] gave it), with
    /// its octets and the other users who have seen it.
    pub fn from_meta(meta: &MessageMeta, data: &'a [u8], seen_by: Vec<String>) -> ImportedMessage<'a> {
        ImportedMessage {
            uid: meta.uid,
            modseq: meta.modseq,
            flags: meta.flags.clone(),
            internal_date: (meta.internal_date, meta.internal_date_offset),
            save_date: meta.save_date,
            seen_by,
            data,
        }
    }
}

/// A session's hold on a mailbox's expunged messages (see [`Store::hold_expunged`]): while it
/// lives, a message expunged by someone else stays readable through
/// [`Store::retained_meta`] and [`Store::read_message`] until the session reports, with
/// [`ExpungeHold::caught_up`], that it has announced that expunge. Dropping it ends the hold
/// (and may remove files, so drop it where blocking is allowed).
pub trait ExpungeHold: Send + Sync {
    /// Every expunge of the mailbox with a MODSEQ up to `modseq` has been announced to the
    /// session (it sent `* n EXPUNGE`, or never knew the message).
    fn caught_up(&self, modseq: u64);
}

/// The hold of a store that does not retain expunged messages: FETCH of a message another
/// session expunged then finds nothing.
pub struct NoExpungeHold;

impl ExpungeHold for NoExpungeHold {
    fn caught_up(&self, _modseq: u64) {}
}

/// The mailstore. Every method is synchronous and may block on disk; async callers run them
/// on a blocking thread. All methods are safe to call from many threads at once.
pub trait Store: Send + Sync {
    /// Creates a user's store with an empty INBOX on the default partition. Fails with
    /// `UserExists` if present.
    fn create_user(&self, user: &str) -> Result<()> {
        self.create_user_on(user, None)
    }
    /// Creates a user's store with an empty INBOX on the named partition (`None`: the
    /// default one). Fails with `UserExists` if present.
    fn create_user_on(&self, user: &str, partition: Option<&str>) -> Result<()>;
    /// Names of the partitions users can be placed on, sorted.
    fn partitions(&self) -> Vec<String>;
    /// The partition holding a user's store.
    fn partition_of(&self, user: &str) -> Result<String>;
    /// Moves a user's store (index and message files) to another partition while it is in
    /// use: operations of that user wait during the copy, then go on at the new place.
    /// Moving to the partition the user is on does nothing.
    fn move_user(&self, user: &str, partition: &str) -> Result<()>;
    /// Deletes a user's store and every message in it.
    fn delete_user(&self, user: &str) -> Result<()>;
    /// Users that have a store, sorted.
    fn list_users(&self) -> Result<Vec<String>>;

    /// Every mailbox of the user, sorted by name.
    fn list_mailboxes(&self, user: &str) -> Result<Vec<MailboxInfo>>;
    /// Creates a mailbox and any missing parents. `MailboxExists` if it exists (a
    /// `\Noselect` placeholder of that name is turned into a real mailbox instead).
    fn create_mailbox(&self, user: &str, name: &str, special_use: Option<&str>) -> Result<MailboxId>;
    /// Deletes a mailbox and its messages. INBOX cannot be deleted. A mailbox with children
    /// becomes a `\Noselect` placeholder; deleting a placeholder that has children fails.
    fn delete_mailbox(&self, user: &str, name: &str) -> Result<()>;
    /// Renames a mailbox and its children, creating missing parents of the new name.
    /// Renaming INBOX moves its messages to the new mailbox and leaves INBOX empty.
    fn rename_mailbox(&self, user: &str, from: &str, to: &str) -> Result<()>;
    /// Subscribed names, sorted (names need not exist).
    fn subscriptions(&self, user: &str) -> Result<Vec<String>>;
    /// Adds or removes a subscription.
    fn set_subscribed(&self, user: &str, name: &str, subscribed: bool) -> Result<()>;
    /// STATUS counters of a mailbox by name.
    fn status(&self, user: &str, name: &str) -> Result<MailboxStatus>;

    /// Opens a mailbox by name and returns its current state.
    fn select(&self, user: &str, name: &str) -> Result<MailboxSnapshot>;
    /// Opens a mailbox by name and returns its identity and counters, not its messages (a
    /// caller holding an older message list brings it up to date with [`Store::changes`]).
    fn open_mailbox(&self, user: &str, name: &str) -> Result<MailboxHeader>;
    /// Atomically takes the \Recent claim on every message no session has claimed yet and
    /// returns their UIDs (ascending). Read-only sessions never call this.
    fn claim_recent(&self, user: &str, mailbox: MailboxId) -> Result<Vec<u32>>;
    /// Changes since `since` (a MODSEQ) for a session that knows UIDs up to `known_max_uid`.
    fn changes(
        &self,
        user: &str,
        mailbox: MailboxId,
        since: u64,
        known_max_uid: u32,
    ) -> Result<MailboxChanges>;
    /// UIDs expunged with a MODSEQ above `since` (QRESYNC VANISHED (EARLIER)), ascending. A
    /// store whose expunge log does not reach back to `since` (a mailbox copied in by
    /// [`Store::import_mailbox`] from a MODSEQ older than the copy) answers every UID below
    /// UIDNEXT without a message instead, so a resync never misses an expunge.
    fn expunged_since(&self, user: &str, mailbox: MailboxId, since: u64) -> Result<Vec<u32>>;
    /// Metadata of the given UIDs that still exist, ascending by UID, with the costlier
    /// parts that `parts` asks for.
    fn fetch_meta(
        &self,
        user: &str,
        mailbox: MailboxId,
        uids: &[u32],
        parts: MetaParts,
    ) -> Result<Vec<MessageMeta>>;
    /// The full octets of one message (also of one expunged but retained, see
    /// [`Store::hold_expunged`]).
    fn read_message(&self, user: &str, mailbox: MailboxId, uid: u32) -> Result<Vec<u8>>;
    /// Starts a session's hold on the expunged messages of a mailbox it is about to read (call
    /// before reading its state): messages expunged while the hold lives are retained, metadata
    /// and content, until every hold on the mailbox has caught up with their expunge. A store
    /// may not retain anything (the default), so a session must still cope with a message that
    /// is gone.
    fn hold_expunged(&self, _user: &str, _mailbox: MailboxId) -> Box<dyn ExpungeHold> {
        Box::new(NoExpungeHold)
    }
    /// Metadata, as [`Store::fetch_meta`] gives it, of those of `uids` that were expunged and
    /// are retained for a hold (see [`Store::hold_expunged`]), ascending by UID.
    fn retained_meta(
        &self,
        _user: &str,
        _mailbox: MailboxId,
        _uids: &[u32],
        _parts: MetaParts,
    ) -> Result<Vec<MessageMeta>> {
        Ok(Vec::new())
    }
    /// The text SEARCH BODY matches, for the given UIDs that still exist, ascending by UID:
    /// the decoded text parts of each message (`bushbuck_mime::body_text`) folded to lower
    /// case with `bushbuck_mime::fold`, so a folded needle can be looked for as a plain
    /// substring.
    fn search_texts(&self, user: &str, mailbox: MailboxId, uids: &[u32]) -> Result<Vec<(u32, String)>>;

    /// Stores messages in a mailbox by name, atomically (all or none), durably: when this
    /// returns Ok the messages survive a crash.
    fn append(&self, user: &str, mailbox: &str, messages: &[NewMessage<'_>]) -> Result<Placed>;
    /// Changes flags of the given UIDs. With `unchanged_since`, messages whose MODSEQ is
    /// higher are left alone and reported in `modified`.
    fn store_flags(
        &self,
        user: &str,
        mailbox: MailboxId,
        uids: &[u32],
        change: FlagChange,
        flags: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<FlagUpdate>;
    /// Copies messages to another mailbox of the same user (sharing the stored file).
    fn copy(&self, user: &str, mailbox: MailboxId, uids: &[u32], to: &str) -> Result<Placed>;
    /// Moves messages to another mailbox atomically (copy, then expunge from the source).
    fn move_messages(&self, user: &str, mailbox: MailboxId, uids: &[u32], to: &str) -> Result<Placed>;
    /// Expunges messages flagged \Deleted: all of them, or only those among `uids`.
    /// Returns the expunged UIDs, ascending.
    fn expunge(&self, user: &str, mailbox: MailboxId, uids: Option<&[u32]>) -> Result<Vec<u32>>;

    /// A receiver that changes value whenever the mailbox changes in this process (with a
    /// store many nodes share, such as `PostgresStore`: on any node), so IDLE sessions wake
    /// up. Sessions must still poll [`Store::changes`] now and then for changes made by other
    /// processes of the embedded store, and for wake-ups lost while a node was cut off.
    fn watch(&self, user: &str, mailbox: MailboxId) -> tokio::sync::watch::Receiver<u64>;

    /// Removes stored message contents that no message has named for at least `grace`;
    /// returns how many. A backend that removes a content with its last reference (the
    /// embedded store) has nothing to sweep; a shared one leaves expunged and orphaned
    /// objects to this, which the server calls now and then (safe on several nodes at once).
    fn sweep(&self, grace: std::time::Duration) -> Result<u64> {
        let _ = grace;
        Ok(0)
    }

    /// (octets, messages) the user's mailboxes hold, every copy counted (quota usage).
    /// Cheap: read from per-mailbox counters, not by counting messages.
    fn usage(&self, user: &str) -> Result<(u64, u64)>;
    /// Usage of each of the user's mailboxes, sorted by name (from the same counters), so
    /// quota roots below the user level can be summed from it.
    fn mailbox_usage(&self, user: &str) -> Result<Vec<MailboxUsage>>;
    /// Recounts every mailbox's usage from its messages, stores the result, and reports the
    /// mailboxes whose counters were wrong. Safe while the store is in use.
    fn fix_usage(&self, user: &str) -> Result<Vec<UsageFix>>;

    /// Makes `data`, already stored for `from_user`, available to `to_user` without a second
    /// copy, so that a following [`Store::append`] of the same octets shares it (one message
    /// delivered to many recipients is stored once). Returns false when nothing was shared;
    /// append then stores its own copy.
    fn share_content(&self, from_user: &str, to_user: &str, data: &[u8]) -> Result<bool>;

    /// The access control list of a mailbox (RFC 4314) as (identifier, rights) pairs sorted
    /// by identifier; rights are stored as given. A new mailbox starts with its nearest
    /// superior's list, or, at the top of a user's hierarchy, `(owner, OWNER_RIGHTS)`;
    /// top-level shared mailboxes start empty.
    fn get_acl(&self, owner: &str, mailbox: &str) -> Result<Vec<(String, String)>>;
    /// Sets one identifier's rights on a mailbox, or removes the entry with `None` (or an
    /// empty string).
    fn set_acl(&self, owner: &str, mailbox: &str, identifier: &str, rights: Option<&str>) -> Result<()>;
    /// Owners (users, or [`SHARED_OWNER`]) whose ACLs name any of `identifiers`, sorted: where
    /// LIST looks for mailboxes shared with someone. May name owners that no longer grant
    /// anything (callers check the ACLs themselves).
    fn grantors(&self, identifiers: &[String]) -> Result<Vec<String>>;
    /// UIDs of the mailbox's messages that `viewer`, who is not the owner, has seen
    /// (per-user \Seen on shared mailboxes), ascending.
    fn seen_uids(&self, owner: &str, mailbox: MailboxId, viewer: &str) -> Result<Vec<u32>>;
    /// Marks messages seen or unseen for `viewer`. Messages whose state changes get a new
    /// MODSEQ so the viewer's other sessions notice; returns the stored state (owner's flags)
    /// of every given message that exists.
    fn set_seen(
        &self,
        owner: &str,
        mailbox: MailboxId,
        viewer: &str,
        uids: &[u32],
        seen: bool,
    ) -> Result<Vec<MessageState>>;
    /// Creates the mailbox `image.name` with the image's UIDVALIDITY, or finds it when it
    /// already has that UIDVALIDITY (a copy resumed) or is empty; raises its UIDNEXT and
    /// HIGHESTMODSEQ to at least the image's. `NotPossible` when it exists with another
    /// UIDVALIDITY and holds messages.
    fn import_mailbox(&self, user: &str, image: &MailboxImage) -> Result<MailboxId>;
    /// Stores messages under the UIDs and MODSEQs they have in the source, with the viewers
    /// who have seen them, skipping UIDs the mailbox already holds (a copy resumed); keeps
    /// UIDNEXT above every UID and HIGHESTMODSEQ at or above every MODSEQ. Returns how many
    /// were stored.
    fn import_messages(
        &self,
        user: &str,
        mailbox: MailboxId,
        messages: &[ImportedMessage<'_>],
    ) -> Result<usize>;
}
