//! APPEND (with MULTIAPPEND), answering with UIDPLUS APPENDUID.

use bushbuck_proto::imap::command::AppendMessage;
use bushbuck_proto::imap::response;
use bushbuck_store::{NewMessage, StoreError};

use super::access::{Access, Denied};
use super::flags::{normalize, permitted};
use super::session::{Outcome, Session};
use crate::acl::Rights;

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

    /// The flags a message brings into `target`: those the rights there allow, and no \\Seen
    /// in another's store (the viewer's \\Seen there is their own, not the owner's).
    pub(super) fn flags_for(&self, target: &Access, flags: &[String]) -> Vec<String> {
        let mut flags = permitted(flags, target.rights);
        if self.private_seen_viewer(&target.at).is_some() {
            flags.retain(|f| f != "\\Seen");
        }
        flags
    }

    pub(super) fn append(&mut self, raw: &[u8], messages: &[AppendMessage]) -> Outcome {
        let target = match self.insert_target(raw) {
            Ok(t) => t,
            Err(o) => return o,
        };
        let mut new = Vec::with_capacity(messages.len());
        for m in messages {
            if m.data.is_empty() {
                return Outcome::No("Cannot append an empty message".into());
            }
            if m.data.len() as u64 > self.ctx.config.max_literal_size {
                return Outcome::No("[TOOBIG] Message is larger than APPENDLIMIT".into());
            }
            let flags = match normalize(&m.flags) {
                Ok(f) => self.flags_for(&target, &f),
                Err(why) => return Outcome::Bad(why),
            };
            new.push(NewMessage { data: &m.data, flags, internal_date: m.internal_date });
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
        let uids: Vec<u32> = placed.uids.iter().map(|(_, u)| *u).collect();
        Outcome::Ok(format!(
            "[APPENDUID {} {}] APPEND completed",
            placed.uid_validity,
            response::sequence_set_ordered(&uids)
        ))
    }
}
