//! APPEND (with MULTIAPPEND), answering with UIDPLUS APPENDUID.

use bushbuck_proto::imap::command::AppendMessage;
use bushbuck_proto::imap::response;
use bushbuck_store::{NewMessage, Placed, StoreError};

use super::access::{Access, Denied};
use super::flags::{normalize, permitted};
use super::session::{Outcome, Session};
use crate::accounts;
use crate::acl::Rights;
use crate::namespace::Located;

impl Session {
    /// The destination of APPEND, COPY or MOVE: needs the i right; a missing mailbox of
    /// one's own gets `[TRYCREATE]`.
    pub(super) fn insert_target(&self, raw: &[u8]) -> Result<Access, Outcome> {
        self.access(raw, Rights::INSERT).map_err(|d| match d {
            Denied::Missing
                if self
                    .mailbox_arg(raw)
                    .is_ok_and(|n| self.locate(&n).is_ok_and(|at| Some(&at.owner) == self.user.as_ref())) =>
            {
                Outcome::No("[TRYCREATE] Mailbox does not exist".into())
            }
            d => d.into(),
        })
    }

    /// Creates the missing mailbox `raw` of one's own, with its special use, when it is one
    /// of the configured `default_folders` (a client storing into its Sent or Drafts that the
    /// user never had); says whether it now exists.
    fn create_default_folder(&self, raw: &[u8]) -> bool {
        let Ok(name) = self.mailbox_arg(raw) else {
            return false;
        };
        let Ok(at) = self.locate(&name) else {
            return false;
        };
        if Some(&at.owner) != self.user.as_ref() || !self.ctx.config.default_folders.contains(&at.name) {
            return false;
        }
        let special_use = accounts::special_use_of(&at.name);
        match self.blocking(|s| s.create_mailbox(&at.owner, &at.name, special_use)) {
            Ok(_) => {
                tracing::info!(user = %at.owner, mailbox = %at.name, "created a default folder on APPEND");
                true
            }
            Err(StoreError::MailboxExists) => true,
            Err(e) => {
                tracing::warn!(user = %at.owner, mailbox = %at.name, error = %e, "could not create a default folder on APPEND");
                false
            }
        }
    }

    /// The flags a message brings into `target`: those the rights there allow, but no \\Seen
    /// in another's store, where the viewer's \\Seen is their own, not the owner's; the second
    /// value says whether to set that ([`Session::mark_seen_by_viewer`]).
    pub(super) fn flags_for(&self, target: &Access, flags: &[String]) -> (Vec<String>, bool) {
        let mut flags = permitted(flags, target.rights);
        let mut seen_by_viewer = false;
        if self.private_seen_viewer(&target.at).is_some() {
            let before = flags.len();
            flags.retain(|f| f != "\\Seen");
            seen_by_viewer = flags.len() != before;
        }
        (flags, seen_by_viewer)
    }

    /// Sets the viewer's own \\Seen on the messages APPEND or COPY just placed in `at` (another
    /// owner's mailbox) whose `seen_by_viewer` (from [`Session::flags_for`], in placing order)
    /// is set. A failure is logged: the messages are stored either way.
    pub(super) fn mark_seen_by_viewer(&self, at: &Located, placed: &Placed, seen_by_viewer: &[bool]) {
        let Some(viewer) = self.private_seen_viewer(at) else {
            return;
        };
        let uids: Vec<u32> = placed
            .uids
            .iter()
            .zip(seen_by_viewer)
            .filter(|(_, seen)| **seen)
            .map(|((_, uid), _)| *uid)
            .collect();
        if uids.is_empty() {
            return;
        }
        let marked = self.blocking(|s| {
            let mailbox = s.open_mailbox(&at.owner, &at.name)?;
            // Renamed or re-created meanwhile: these UIDs are not that mailbox's.
            if mailbox.uid_validity != placed.uid_validity {
                return Ok(());
            }
            s.set_seen(&at.owner, mailbox.id, &viewer, &uids, true).map(|_| ())
        });
        if let Err(e) = marked {
            tracing::warn!(owner = %at.owner, mailbox = %at.name, error = %e, "could not set the viewer's \\Seen");
        }
    }

    /// APPEND of `messages`, parsed from `command` (which holds their octets).
    pub(super) fn append(&mut self, raw: &[u8], messages: &[AppendMessage], command: &[u8]) -> Outcome {
        let target = match self.insert_target(raw) {
            Ok(t) => t,
            Err(_) if self.create_default_folder(raw) => match self.insert_target(raw) {
                Ok(t) => t,
                Err(o) => return o,
            },
            Err(o) => return o,
        };
        let mut new = Vec::with_capacity(messages.len());
        let mut seen_by_viewer = Vec::with_capacity(messages.len());
        for m in messages {
            let data = m.data(command);
            if data.is_empty() {
                return Outcome::No("Cannot append an empty message".into());
            }
            if data.len() as u64 > self.ctx.config.max_literal_size {
                return Outcome::No("[TOOBIG] Message is larger than APPENDLIMIT".into());
            }
            let (flags, seen) = match normalize(&m.flags) {
                Ok(f) => self.flags_for(&target, &f),
                Err(why) => return Outcome::Bad(why),
            };
            seen_by_viewer.push(seen);
            new.push(NewMessage { data, flags, internal_date: m.internal_date });
        }
        let bytes: u64 = new.iter().map(|m| m.data.len() as u64).sum();
        if let Err(o) = self.check_quota(&target.at.owner, &target.at.name, bytes, new.len() as u64) {
            return o;
        }
        let placed = match self.blocking(|s| s.append(&target.at.owner, &target.at.name, &new)) {
            Ok(p) => p,
            Err(StoreError::NoSuchMailbox) => {
                return Outcome::No("[TRYCREATE] Mailbox does not exist".into())
            }
            Err(e) => return e.into(),
        };
        self.mark_seen_by_viewer(&target.at, &placed, &seen_by_viewer);
        let uids: Vec<u32> = placed.uids.iter().map(|(_, u)| *u).collect();
        Outcome::Ok(format!(
            "[APPENDUID {} {}] APPEND completed",
            placed.uid_validity,
            response::sequence_set_ordered(&uids)
        ))
    }
}
