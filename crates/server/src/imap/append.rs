//! APPEND (with MULTIAPPEND), answering with UIDPLUS APPENDUID.

use bushbuck_proto::imap::command::AppendMessage;
use bushbuck_proto::imap::response;
use bushbuck_store::{NewMessage, StoreError};

use super::flags::normalize;
use super::session::{Outcome, Session};

impl Session {
    pub(super) fn append(&mut self, raw: &[u8], messages: &[AppendMessage]) -> Outcome {
        let target = match self.mailbox_arg(raw) {
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
                Ok(f) => f,
                Err(why) => return Outcome::Bad(why),
            };
            new.push(NewMessage { data: &m.data, flags, internal_date: m.internal_date });
        }
        let bytes: u64 = new.iter().map(|m| m.data.len() as u64).sum();
        if let Err(o) = self.check_quota(bytes, new.len() as u64) {
            return o;
        }
        let user = self.user();
        let placed = match self.blocking(|s| s.append(&user, &target, &new)) {
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
