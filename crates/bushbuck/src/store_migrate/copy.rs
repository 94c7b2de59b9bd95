//! Copying one owner (a user, or the shared mailboxes) from the source into the target:
//! the directory record, every mailbox under its UIDVALIDITY with its messages under their
//! UIDs, MODSEQs, flags, dates and per-user \Seen, the ACLs, the subscriptions and the Sieve
//! scripts. Every step makes the target hold what the source holds, whatever it held before,
//! so running it again (after a crash, or to catch up) is safe.

use std::collections::{BTreeMap, HashSet};

use bushbuck_store::{ImportedMessage, MailboxImage, MailboxInfo, MetaParts, StoreError, SHARED_OWNER};

use super::marks::Marks;
use super::progress::Progress;
use super::side::Side;
use super::{owner_label, store_failed};
use crate::settings::CliError;
use crate::user::auth_error;

/// Most messages per import transaction.
const BATCH_MESSAGES: usize = 200;
/// Most octets of messages per import transaction (a batch holds at least one message).
const BATCH_BYTES: u64 = 32 << 20;

/// Copies owners from one side to the other.
pub struct Copier<'a> {
    /// Where from.
    pub source: &'a Side,
    /// Where to.
    pub target: &'a Side,
    /// The target's done marks.
    pub marks: &'a Marks,
    /// The users whose own \Seen in others' mailboxes is copied (the source's directory).
    pub viewers: &'a [String],
}

/// What copying one owner did.
#[derive(Debug, Default)]
pub struct Copied {
    /// Mailboxes (placeholders included).
    pub mailboxes: usize,
    /// Messages stored in the target now.
    pub messages: u64,
    /// Messages the target held already (an earlier run).
    pub present: u64,
    /// The whole owner was marked done by an earlier run and had not changed.
    pub already: bool,
}

impl Copied {
    /// The line shown when the owner is done.
    pub fn summary(&self, owner: &str) -> String {
        let who = owner_label(owner);
        if self.already {
            return format!(
                "{who}: already copied ({} mailboxes, {} messages)",
                self.mailboxes, self.present
            );
        }
        format!(
            "{who}: {} mailboxes, {} messages copied, {} already there",
            self.mailboxes, self.messages, self.present
        )
    }
}

impl Copier<'_> {
    /// Copies everything of `owner`, skipping it when an earlier run copied this very state.
    pub fn copy_owner(&self, owner: &str, progress: &Progress) -> Result<Copied, CliError> {
        let mailboxes = self.source.mailboxes(owner)?;
        let item = format!("owner {owner}");
        let stamp = self.owner_stamp(owner, &mailboxes)?;
        let mut copied = Copied { mailboxes: mailboxes.len(), ..Copied::default() };
        if self.marks.done(&item, &stamp)? {
            copied.present = self.source.count_messages(&[owner.to_string()])?;
            progress.advance(copied.present);
            copied.already = true;
            return Ok(copied);
        }
        if owner != SHARED_OWNER {
            self.copy_record(owner)?;
        }
        if !mailboxes.is_empty() {
            self.ensure_store(owner)?;
        }
        for mailbox in mailboxes.iter().filter(|m| m.selectable) {
            let (stored, present) = self.copy_mailbox(owner, mailbox, progress)?;
            copied.messages += stored;
            copied.present += present;
        }
        self.restore_placeholders(owner, &mailboxes)?;
        self.copy_subscriptions(owner)?;
        if owner != SHARED_OWNER {
            self.copy_scripts(owner)?;
        }
        self.marks.set(&item, &stamp)?;
        Ok(copied)
    }

    /// The source's state of everything [`Copier::copy_owner`] copies, except message
    /// contents (which never change under a UID): when it equals the stamp of an earlier
    /// run's done mark, nothing changed since.
    fn owner_stamp(&self, owner: &str, mailboxes: &[MailboxInfo]) -> Result<String, CliError> {
        let (src, what) = (self.source, format!("reading {}", owner_label(owner)));
        let mut state = Vec::new();
        if owner != SHARED_OWNER {
            state.push(format!("{:?}", src.directory.user_record(owner).map_err(auth_error)?));
            for script in src.scripts.list(owner).map_err(|e| CliError::Failed(format!("{what}: {e}")))? {
                let text = src
                    .scripts
                    .get(owner, &script.name)
                    .map_err(|e| CliError::Failed(format!("{what}: {e}")))?;
                state.push(format!("{script:?} {}", super::verify::hex_digest(&text)));
            }
        }
        for mailbox in mailboxes {
            state.push(format!("{mailbox:?}"));
            if mailbox.selectable {
                state.push(self.mailbox_stamp(owner, &mailbox.name)?);
            }
        }
        if !mailboxes.is_empty() {
            let subscriptions = src.store.subscriptions(owner).map_err(|e| store_failed(&what, e))?;
            state.push(format!("{subscriptions:?}"));
        }
        Ok(super::verify::hex_digest(state.join("\n").as_bytes()))
    }

    /// The source's counters and ACL of a mailbox: what its done mark is stamped with.
    fn mailbox_stamp(&self, owner: &str, name: &str) -> Result<String, CliError> {
        let what = format!("reading {owner}'s {name}");
        let s = self.source.store.status(owner, name).map_err(|e| store_failed(&what, e))?;
        let acl = self.source.store.get_acl(owner, name).map_err(|e| store_failed(&what, e))?;
        Ok(format!(
            "{}/{}/{}/{}/{}/{acl:?}",
            s.uid_validity, s.uid_next, s.highest_modseq, s.messages, s.size
        ))
    }

    /// Makes the target's directory hold the source's record of `user` (when it has one).
    fn copy_record(&self, user: &str) -> Result<(), CliError> {
        if let Some(record) = self.source.directory.user_record(user).map_err(auth_error)? {
            self.target.directory.put_user_record(&record).map_err(auth_error)?;
        }
        Ok(())
    }

    /// Creates the owner's store in the target unless it exists.
    fn ensure_store(&self, owner: &str) -> Result<(), CliError> {
        if owner == SHARED_OWNER {
            return Ok(());
        }
        match self.target.store.create_user(owner) {
            Ok(()) | Err(StoreError::UserExists) => Ok(()),
            Err(e) => Err(store_failed(&format!("creating {owner}'s store in the target"), e)),
        }
    }

    /// Copies one selectable mailbox: its identity, the messages the target lacks, its ACL.
    /// Returns (messages stored now, messages that were there already).
    fn copy_mailbox(
        &self,
        owner: &str,
        mailbox: &MailboxInfo,
        progress: &Progress,
    ) -> Result<(u64, u64), CliError> {
        let (src, dst, name) = (&*self.source.store, &*self.target.store, mailbox.name.as_str());
        let what = format!("copying {owner}'s {name}");
        let failed = |e| store_failed(&what, e);
        let item = format!("mailbox {owner} {name}");
        let stamp = self.mailbox_stamp(owner, name)?;
        let status = src.status(owner, name).map_err(failed)?;
        if self.marks.done(&item, &stamp)? {
            progress.advance(status.messages.into());
            return Ok((0, status.messages.into()));
        }
        let image = MailboxImage {
            name: name.to_string(),
            special_use: mailbox.special_use.clone(),
            uid_validity: status.uid_validity,
            uid_next: status.uid_next,
            highest_modseq: status.highest_modseq,
        };
        let target_id = dst.import_mailbox(owner, &image).map_err(failed)?;
        let snapshot = src.select(owner, name).map_err(failed)?;
        let there: HashSet<u32> =
            dst.select(owner, name).map_err(failed)?.messages.iter().map(|m| m.uid).collect();
        let missing: Vec<u32> =
            snapshot.messages.iter().map(|m| m.uid).filter(|uid| !there.contains(uid)).collect();
        let present = (snapshot.messages.len() - missing.len()) as u64;
        progress.advance(present);

        let acl = src.get_acl(owner, name).map_err(failed)?;
        let mut seen_by: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for (viewer, uids) in self.source.seen_by(owner, snapshot.id, &acl, self.viewers)? {
            for uid in uids {
                seen_by.entry(uid).or_default().push(viewer.clone());
            }
        }
        let metas = src.fetch_meta(owner, snapshot.id, &missing, MetaParts::FACTS).map_err(failed)?;
        let mut stored = 0;
        for batch in batches(&metas) {
            let contents = batch
                .iter()
                .map(|m| src.read_message(owner, snapshot.id, m.uid))
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed)?;
            let messages: Vec<ImportedMessage<'_>> = batch
                .iter()
                .zip(&contents)
                .map(|(m, data)| {
                    ImportedMessage::from_meta(m, data, seen_by.get(&m.uid).cloned().unwrap_or_default())
                })
                .collect();
            stored += dst.import_messages(owner, target_id, &messages).map_err(failed)? as u64;
            progress.advance(batch.len() as u64);
        }
        self.copy_acl(owner, name, &acl)?;
        self.marks.set(&item, &stamp)?;
        Ok((stored, present))
    }

    /// Makes the target's ACL of a mailbox exactly `acl`.
    fn copy_acl(&self, owner: &str, name: &str, acl: &[(String, String)]) -> Result<(), CliError> {
        let dst = &*self.target.store;
        let failed = |e| store_failed(&format!("setting the ACL of {owner}'s {name}"), e);
        let current = dst.get_acl(owner, name).map_err(failed)?;
        for (identifier, _) in current.iter().filter(|(id, _)| !acl.iter().any(|(i, _)| i == id)) {
            dst.set_acl(owner, name, identifier, None).map_err(failed)?;
        }
        for (identifier, rights) in acl.iter().filter(|entry| !current.contains(entry)) {
            dst.set_acl(owner, name, identifier, Some(rights)).map_err(failed)?;
        }
        Ok(())
    }

    /// Turns back into `\Noselect` placeholders the mailboxes that are placeholders in the
    /// source but were created as real (empty) parents of copied children in the target.
    fn restore_placeholders(&self, owner: &str, mailboxes: &[MailboxInfo]) -> Result<(), CliError> {
        let dst = &*self.target.store;
        let in_target = self.target.mailboxes(owner)?;
        for placeholder in mailboxes.iter().filter(|m| !m.selectable) {
            let name = placeholder.name.as_str();
            let failed = |e| store_failed(&format!("making {owner}'s {name} a placeholder"), e);
            if in_target.iter().any(|m| m.name == name && m.selectable)
                && dst.status(owner, name).map_err(failed)?.messages == 0
            {
                dst.delete_mailbox(owner, name).map_err(failed)?;
            }
        }
        Ok(())
    }

    /// Makes the target's subscriptions of `owner` the source's.
    fn copy_subscriptions(&self, owner: &str) -> Result<(), CliError> {
        let failed = |e| store_failed(&format!("copying {}'s subscriptions", owner_label(owner)), e);
        let wanted = self.source.store.subscriptions(owner).map_err(failed)?;
        let current = self.target.store.subscriptions(owner).map_err(failed)?;
        for name in current.iter().filter(|n| !wanted.contains(n)) {
            self.target.store.set_subscribed(owner, name, false).map_err(failed)?;
        }
        for name in wanted.iter().filter(|n| !current.contains(n)) {
            self.target.store.set_subscribed(owner, name, true).map_err(failed)?;
        }
        Ok(())
    }

    /// Makes the target's Sieve scripts of `user` and the active mark the source's.
    fn copy_scripts(&self, user: &str) -> Result<(), CliError> {
        let failed = |e| CliError::Failed(format!("copying {user}'s Sieve scripts: {e}"));
        let (src, dst) = (&self.source.scripts, &self.target.scripts);
        let wanted = src.list(user).map_err(failed)?;
        for script in &wanted {
            let text = src.get(user, &script.name).map_err(failed)?;
            dst.import(user, &script.name, &text).map_err(failed)?;
        }
        let active = wanted.iter().find(|s| s.active).map_or("", |s| s.name.as_str());
        dst.set_active(user, active).map_err(failed)?;
        for extra in
            dst.list(user).map_err(failed)?.iter().filter(|s| !wanted.iter().any(|w| w.name == s.name))
        {
            dst.delete(user, &extra.name).map_err(failed)?;
        }
        Ok(())
    }

    /// Makes the target's quota roots on shared mailboxes (`shared`, `shared/...`) the
    /// source's (roots below users go with their records).
    pub fn copy_shared_quota_roots(&self) -> Result<(), CliError> {
        let shared = |side: &Side| -> Result<Vec<_>, CliError> {
            let roots = side.directory.root_quotas().map_err(auth_error)?;
            Ok(roots.into_iter().filter(|(root, _)| !root.starts_with("user/")).collect())
        };
        let (wanted, current) = (shared(self.source)?, shared(self.target)?);
        for (root, _) in current.iter().filter(|(r, _)| !wanted.iter().any(|(w, _)| w == r)) {
            self.target.directory.set_root_quota(root, None).map_err(auth_error)?;
        }
        for (root, limits) in &wanted {
            self.target.directory.set_root_quota(root, Some(*limits)).map_err(auth_error)?;
        }
        Ok(())
    }
}

/// Splits messages into import batches of at most [`BATCH_MESSAGES`] messages and
/// [`BATCH_BYTES`] octets (a larger message goes alone).
fn batches(metas: &[bushbuck_store::MessageMeta]) -> Vec<&[bushbuck_store::MessageMeta]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, meta) in metas.iter().enumerate() {
        if i > start && (i - start == BATCH_MESSAGES || bytes + meta.size > BATCH_BYTES) {
            out.push(&metas[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += meta.size;
    }
    if start < metas.len() {
        out.push(&metas[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: u32, size: u64) -> bushbuck_store::MessageMeta {
        bushbuck_store::MessageMeta {
            uid,
            flags: Vec::new(),
            modseq: 1,
            internal_date: 0,
            internal_date_offset: 0,
            save_date: 0,
            size,
            envelope: String::new(),
            body_structure: String::new(),
            body: String::new(),
            email_id: String::new(),
            header: None,
        }
    }

    #[test]
    fn batches_are_bounded_by_count_and_size() {
        let small: Vec<_> = (1..=450).map(|uid| meta(uid, 10)).collect();
        let sizes: Vec<usize> = batches(&small).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![200, 200, 50]);
        let big = vec![meta(1, BATCH_BYTES - 1), meta(2, 2), meta(3, BATCH_BYTES * 2), meta(4, 1)];
        let uids: Vec<Vec<u32>> = batches(&big).iter().map(|b| b.iter().map(|m| m.uid).collect()).collect();
        assert_eq!(uids, vec![vec![1], vec![2], vec![3], vec![4]]);
        assert!(batches(&[]).is_empty());
    }
}
