//! Mailbox management: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS.

use bushbuck_proto::imap::command::StatusItem;
use bushbuck_proto::imap::response;
use bushbuck_store::{MailboxStatus, StoreError, SHARED_OWNER};

use super::access::NONEXISTENT;
use super::mailbox_name;
use super::session::{Outcome, Session};
use crate::acl::Rights;
use crate::namespace::{self, Located, OTHER_USERS, SHARED};

/// SPECIAL-USE attributes a client may ask for at CREATE (RFC 6154).
const SPECIAL_USES: [&str; 7] =
    ["\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"];

impl Session {
    /// Decodes a mailbox argument, or the NO answer explaining why it is unusable.
    pub(super) fn mailbox_arg(&self, raw: &[u8]) -> Result<String, Outcome> {
        mailbox_name::decode(raw, self.rev2).map_err(|why| Outcome::No(format!("[CANNOT] {why}")))
    }

    pub(super) fn create(&mut self, raw: &[u8], special_use: &[String], partition: Option<&str>) -> Outcome {
        let name = match self.mailbox_arg(raw) {
            Ok(n) => n.trim_end_matches('/').to_string(),
            Err(o) => return o,
        };
        let mut use_attr = None;
        for wanted in special_use {
            match SPECIAL_USES.iter().find(|s| s.eq_ignore_ascii_case(wanted)) {
                Some(s) if use_attr.is_none() => use_attr = Some(*s),
                Some(_) => return Outcome::No("[USEATTR] Only one special use per mailbox".into()),
                None => return Outcome::No(format!("[USEATTR] Unknown special use {wanted}")),
            }
        }
        if name == "INBOX" {
            return Outcome::No("[ALREADYEXISTS] INBOX always exists".into());
        }
        let at = match self.locate(&name) {
            Ok(at) => at,
            Err(_) => return Outcome::No("[CANNOT] A namespace prefix cannot be created".into()),
        };
        if Some(&at.owner) == self.user.as_ref() && !namespace::personal_name_allowed(&at.name) {
            return Outcome::No(format!(
                "[CANNOT] Personal mailboxes cannot be named {OTHER_USERS} or {SHARED}: those are namespaces"
            ));
        }
        if at.owner != SHARED_OWNER && at.owner != self.user() && at.name == "INBOX" {
            return self.create_user_store(&at.owner, partition);
        }
        if let Err(o) = self.check_partition(&at.owner, partition) {
            return o;
        }
        match self.create_rights(&at) {
            Ok(r) if r.contains(Rights::CREATE) => {}
            // In another user's store, a parent the user may not see answers like a missing
            // user, so that CREATE cannot tell which users exist.
            Ok(r)
                if !r.contains(Rights::LOOKUP)
                    && at.owner != SHARED_OWNER
                    && Some(&at.owner) != self.user.as_ref() =>
            {
                return Outcome::No(NONEXISTENT.into())
            }
            Ok(_) => {
                return Outcome::No(
                    "[NOPERM] You lack the k right on the parent mailbox; ask its owner to grant it".into(),
                )
            }
            Err(d) => return d.into(),
        }
        if let Err(e) = self.blocking(|s| s.create_mailbox(&at.owner, &at.name, use_attr)) {
            return e.into();
        }
        if at.owner == SHARED_OWNER && !at.name.contains('/') {
            if let Err(o) = self.apply_shared_default_acl(&at.name) {
                return o;
            }
        }
        Outcome::done("CREATE")
    }

    /// An administrator's CREATE "Other Users/NAME": makes the mail store of directory user NAME.
    fn create_user_store(&mut self, owner: &str, partition: Option<&str>) -> Outcome {
        if !self.is_admin() {
            return Outcome::No("[NOPERM] Only administrators create users' mail stores".into());
        }
        let directory = self.ctx.directory.clone();
        match tokio::task::block_in_place(|| directory.exists(owner)) {
            Ok(true) => {}
            Ok(false) => {
                return Outcome::No(format!(
                    "[CANNOT] {owner} is not a user; add it first with `bushbuck user add {owner}`"
                ))
            }
            Err(e) => return Outcome::No(format!("[UNAVAILABLE] User directory unavailable: {e}")),
        }
        match self.blocking(|s| s.create_user_on(owner, partition)) {
            Ok(()) => {
                tracing::info!(admin = %self.user(), user = owner, partition, "mail store created");
                Outcome::done("CREATE")
            }
            Err(e) => e.into(),
        }
    }

    /// Gives a new top-level shared mailbox the configured `shared_default_acl`.
    fn apply_shared_default_acl(&self, name: &str) -> Result<(), Outcome> {
        let words: Vec<&str> = self.ctx.config.shared_default_acl.split_whitespace().collect();
        for pair in words.chunks(2) {
            let [identifier, rights] = pair else {
                return Err(Outcome::No(
                    "[SERVERBUG] shared_default_acl must be pairs of identifier and rights".into(),
                ));
            };
            let rights = Rights::parse(rights)
                .map_err(|why| Outcome::No(format!("[SERVERBUG] shared_default_acl: {why}")))?;
            self.blocking(|s| s.set_acl(SHARED_OWNER, name, identifier, Some(&rights.stored())))
                .map_err(Outcome::from)?;
        }
        Ok(())
    }

    pub(super) fn delete(&mut self, raw: &[u8]) -> Outcome {
        let name = match self.mailbox_arg(raw) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let target = match self.access_name(name, Rights::DELETE_MAILBOX) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        let at = &target.at;
        let whole_store =
            at.owner != SHARED_OWNER && Some(&at.owner) != self.user.as_ref() && at.name == "INBOX";
        if whole_store && target.imap_name.matches('/').count() == 1 {
            return self.delete_user_store(&at.owner.clone());
        }
        match self.blocking(|s| s.delete_mailbox(&at.owner, &at.name)) {
            Ok(()) => {
                tracing::info!(user = %self.user(), mailbox = %target.imap_name, "mailbox deleted");
                Outcome::done("DELETE")
            }
            Err(e) => e.into(),
        }
    }

    /// An administrator's DELETE "Other Users/NAME": removes that user's whole mail store.
    fn delete_user_store(&mut self, owner: &str) -> Outcome {
        if !self.is_admin() {
            return Outcome::No("[NOPERM] Only administrators delete users' mail stores".into());
        }
        match self.blocking(|s| s.delete_user(owner)) {
            Ok(()) => {
                self.ctx.tables.forget_owner(owner);
                tracing::info!(admin = %self.user(), user = owner, "mail store deleted");
                Outcome::done("DELETE")
            }
            Err(e) => e.into(),
        }
    }

    /// A partition named with CREATE or RENAME for a mailbox in `owner`'s store: only
    /// administrators name partitions, and a store sits on one partition as a whole, so the
    /// name must be the one the store is on.
    fn check_partition(&self, owner: &str, partition: Option<&str>) -> Result<(), Outcome> {
        let Some(partition) = partition else { return Ok(()) };
        if !self.is_admin() {
            return Err(Outcome::No("[NOPERM] Only administrators choose partitions".into()));
        }
        match self.blocking(|s| s.partition_of(owner)) {
            Ok(p) if p == partition => Ok(()),
            Ok(p) => Err(Outcome::No(format!(
                "[CANNOT] All of a user's mailboxes are on one partition ({p}); move the user with \
                 RENAME \"{OTHER_USERS}/{owner}\" \"{OTHER_USERS}/{owner}\" {partition}"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// An administrator's RENAME of a user's INBOX onto itself with a partition (Cyrus's way to
    /// move a user): moves the whole store while the user's sessions go on.
    fn move_user_store(&mut self, owner: &str, partition: &str) -> Outcome {
        if !self.is_admin() {
            return Outcome::No("[NOPERM] Only administrators move users between partitions".into());
        }
        match self.blocking(|s| s.move_user(owner, partition)) {
            Ok(()) => {
                tracing::info!(admin = %self.user(), user = owner, partition, "mail store moved");
                Outcome::done("RENAME")
            }
            Err(e) => Outcome::No(format!("[CANNOT] {e}")),
        }
    }

    pub(super) fn rename(&mut self, from: &[u8], to: &[u8], partition: Option<&str>) -> Outcome {
        let source = match self.access(from, Rights::DELETE_MAILBOX) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        let to = match self.mailbox_arg(to) {
            Ok(t) => t.trim_end_matches('/').to_string(),
            Err(o) => return o,
        };
        let dest = match self.locate(&to) {
            Ok(at) => at,
            Err(_) => return Outcome::No("[CANNOT] A namespace prefix cannot be a mailbox".into()),
        };
        if dest.owner != source.at.owner {
            return Outcome::No(
                "[CANNOT] Mailboxes cannot be renamed from one user's store to another's".into(),
            );
        }
        if let Some(partition) = partition.filter(|_| dest == source.at && dest.name == "INBOX") {
            return self.move_user_store(&dest.owner, partition);
        }
        if let Err(o) = self.check_partition(&dest.owner, partition) {
            return o;
        }
        if Some(&dest.owner) == self.user.as_ref() && !namespace::personal_name_allowed(&dest.name) {
            return Outcome::No(format!("[CANNOT] {OTHER_USERS} and {SHARED} are namespaces, not names"));
        }
        match self.create_rights(&dest) {
            Ok(r) if r.contains(Rights::CREATE) => {}
            Ok(_) => return Outcome::No("[NOPERM] You lack the k right on the new parent mailbox".into()),
            Err(d) => return d.into(),
        }
        match self.blocking(|s| s.rename_mailbox(&dest.owner, &source.at.name, &dest.name)) {
            Ok(()) => Outcome::done("RENAME"),
            Err(e) => e.into(),
        }
    }

    pub(super) fn subscribe(&mut self, raw: &[u8], on: bool) -> Outcome {
        let name = match self.mailbox_arg(raw) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let user = self.user();
        match self.blocking(|s| s.set_subscribed(&user, &name, on)) {
            Ok(()) => Outcome::done(if on { "SUBSCRIBE" } else { "UNSUBSCRIBE" }),
            Err(e) => e.into(),
        }
    }

    pub(super) fn status(&mut self, raw: &[u8], items: &[StatusItem]) -> Outcome {
        let target = match self.access(raw, Rights::READ) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        match self.status_of(&target.at) {
            Ok(status) => {
                let line = status_line(&target.imap_name, &status, items, self.rev2);
                self.untagged(&line);
                if items.iter().any(|i| matches!(i, StatusItem::HighestModSeq)) {
                    self.enable_condstore();
                }
                Outcome::done("STATUS")
            }
            Err(e) => e.into(),
        }
    }

    /// STATUS counters as the session sees them: UNSEEN is the viewer's own in other users'
    /// and shared mailboxes.
    pub(super) fn status_of(&self, at: &Located) -> Result<MailboxStatus, StoreError> {
        let mut status = self.blocking(|s| s.status(&at.owner, &at.name))?;
        if let Some(viewer) = self.private_seen_viewer(at) {
            let boxes = self.blocking(|s| s.list_mailboxes(&at.owner))?;
            let id = boxes.iter().find(|b| b.name == at.name).ok_or(StoreError::NoSuchMailbox)?.id;
            status.unseen = self.unseen_for(&at.owner, id, &viewer, status.messages)?;
        }
        Ok(status)
    }
}

/// `STATUS name (ITEM n ...)` without the leading `* `; `utf8` names are sent as UTF-8.
pub fn status_line(name: &str, status: &MailboxStatus, items: &[StatusItem], utf8: bool) -> String {
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        parts.push(match item {
            StatusItem::Messages => format!("MESSAGES {}", status.messages),
            StatusItem::Recent => format!("RECENT {}", status.recent),
            StatusItem::UidNext => format!("UIDNEXT {}", status.uid_next),
            StatusItem::UidValidity => format!("UIDVALIDITY {}", status.uid_validity),
            StatusItem::Unseen => format!("UNSEEN {}", status.unseen),
            StatusItem::HighestModSeq => format!("HIGHESTMODSEQ {}", status.highest_modseq),
            StatusItem::Size => format!("SIZE {}", status.size),
            StatusItem::Deleted => format!("DELETED {}", status.deleted),
        });
    }
    format!("STATUS {} ({})", response::mailbox(name, utf8), parts.join(" "))
}
