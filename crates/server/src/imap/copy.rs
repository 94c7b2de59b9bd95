//! COPY, MOVE and their UID forms, answering with UIDPLUS COPYUID. Within one store the
//! store shares the message files; into another store (another user's or a shared mailbox)
//! messages are read and appended there.

use bushbuck_proto::imap::command::SequenceSet;
use bushbuck_proto::imap::response;
use bushbuck_store::{FlagChange, MailboxId, MetaParts, NewMessage, Placed, Store, StoreError};

use super::access::Access;
use super::sequence::message_uids;
use super::session::{Outcome, Session};
use crate::acl::Rights;

impl Session {
    pub(super) fn copy(&mut self, uid_cmd: bool, set: &SequenceSet, raw: &[u8], is_move: bool) -> Outcome {
        let Some(view) = self.selected.as_ref() else {
            return Outcome::Bad("No mailbox selected".into());
        };
        let name = if is_move { "MOVE" } else { "COPY" };
        if is_move && view.read_only {
            return Outcome::No("[READ-ONLY] Mailbox is read-only".into());
        }
        if is_move && !view.rights.contains(Rights::DELETE_MESSAGES | Rights::EXPUNGE) {
            return Outcome::No("[NOPERM] MOVE needs the t and e rights here; use COPY".into());
        }
        let uids = match message_uids(uid_cmd, set, view) {
            Ok(u) => u,
            Err(o) => return o,
        };
        let target = match self.insert_target(raw) {
            Ok(t) => t,
            Err(o) => return o,
        };
        if uids.is_empty() {
            return Outcome::Ok(format!("No messages to {}", name.to_lowercase()));
        }
        let (owner, id) = (view.owner.clone(), view.id);
        if !is_move || owner != target.at.owner {
            let sizes = match self.blocking(|s| s.fetch_meta(&owner, id, &uids, MetaParts::FACTS)) {
                Ok(metas) => metas.iter().map(|m| m.size).sum::<u64>(),
                Err(e) => return e.into(),
            };
            if let Err(o) = self.check_quota(&target.at.owner, &target.at.name, sizes, uids.len() as u64) {
                return o;
            }
        }
        let result = if owner == target.at.owner {
            self.blocking(|s| {
                if is_move {
                    s.move_messages(&owner, id, &uids, &target.at.name)
                } else {
                    s.copy(&owner, id, &uids, &target.at.name)
                }
            })
        } else {
            self.copy_across(&owner, id, &uids, &target, is_move)
        };
        let placed = match result {
            Ok(p) => p,
            Err(StoreError::NoSuchMailbox) => {
                return Outcome::No("[TRYCREATE] Destination mailbox does not exist".into())
            }
            Err(e) => return e.into(),
        };
        let code = copyuid(&placed);
        if !is_move {
            return Outcome::Ok(format!("{code} COPY completed"));
        }
        self.untagged(&format!("OK {code} Moved"));
        let moved: Vec<u32> = placed.uids.iter().map(|(src, _)| *src).collect();
        if let Some(view) = self.selected.as_mut() {
            let removed = view.remove_own(&moved);
            for line in super::qresync::expunge_lines(self.qresync, &removed) {
                self.untagged(&line);
            }
        }
        Outcome::done("MOVE")
    }

    /// COPY or MOVE into another store: appends each message there (flags as this session
    /// sees them, limited by the rights there), then for MOVE expunges them here.
    fn copy_across(
        &self,
        owner: &str,
        id: MailboxId,
        uids: &[u32],
        target: &Access,
        is_move: bool,
    ) -> Result<Placed, StoreError> {
        let view = self.selected.as_ref().expect("selected");
        let metas = self.blocking(|s| s.fetch_meta(owner, id, uids, MetaParts::FACTS))?;
        let mut bodies = Vec::with_capacity(metas.len());
        for meta in &metas {
            bodies.push(self.blocking(|s| s.read_message(owner, id, meta.uid))?);
        }
        let mut new: Vec<NewMessage<'_>> = Vec::with_capacity(metas.len());
        let mut seen_by_viewer = Vec::with_capacity(metas.len());
        for (meta, data) in metas.iter().zip(&bodies) {
            let flags = view.get(meta.uid).map_or(meta.flags.clone(), |m| m.flags.to_vec());
            let (flags, seen) = self.flags_for(target, &flags);
            seen_by_viewer.push(seen);
            new.push(NewMessage {
                data,
                flags,
                internal_date: Some((meta.internal_date, meta.internal_date_offset)),
            });
        }
        let mut placed = self.blocking(|s| s.append(&target.at.owner, &target.at.name, &new))?;
        self.mark_seen_by_viewer(&target.at, &placed, &seen_by_viewer);
        let sources: Vec<u32> = metas.iter().map(|m| m.uid).collect();
        for (pair, src) in placed.uids.iter_mut().zip(&sources) {
            pair.0 = *src;
        }
        if is_move {
            self.blocking(|s| expunge_moved(s, owner, id, &sources))?;
        }
        Ok(placed)
    }
}

/// Removes messages that were moved away: flags them \Deleted and expunges just them.
fn expunge_moved(store: &dyn Store, owner: &str, id: MailboxId, uids: &[u32]) -> Result<(), StoreError> {
    store.store_flags(owner, id, uids, FlagChange::Add, &["\\Deleted".to_string()], None)?;
    store.expunge(owner, id, Some(uids))?;
    Ok(())
}

/// `[COPYUID validity source-uids dest-uids]`.
fn copyuid(placed: &Placed) -> String {
    let src: Vec<u32> = placed.uids.iter().map(|(s, _)| *s).collect();
    let dst: Vec<u32> = placed.uids.iter().map(|(_, d)| *d).collect();
    format!(
        "[COPYUID {} {} {}]",
        placed.uid_validity,
        response::sequence_set_ordered(&src),
        response::sequence_set_ordered(&dst)
    )
}
