//! COPY, MOVE and their UID forms, answering with UIDPLUS COPYUID.

use bushbuck_proto::imap::command::SequenceSet;
use bushbuck_proto::imap::response;
use bushbuck_store::{Placed, StoreError};

use super::sequence::message_uids;
use super::session::{Outcome, Session};

impl Session {
    pub(super) fn copy(&mut self, uid_cmd: bool, set: &SequenceSet, raw: &[u8], is_move: bool) -> Outcome {
        let Some(view) = self.selected.as_ref() else {
            return Outcome::Bad("No mailbox selected".into());
        };
        let name = if is_move { "MOVE" } else { "COPY" };
        if is_move && view.read_only {
            return Outcome::No("[READ-ONLY] Mailbox is read-only".into());
        }
        let uids = match message_uids(uid_cmd, set, view) {
            Ok(u) => u,
            Err(o) => return o,
        };
        let target = match self.mailbox_arg(raw) {
            Ok(t) => t,
            Err(o) => return o,
        };
        if uids.is_empty() {
            return Outcome::Ok(format!("No messages to {}", name.to_lowercase()));
        }
        let (user, id) = (self.user(), view.id);
        if !is_move {
            let sizes = match self.blocking(|s| s.fetch_meta(&user, id, &uids, false)) {
                Ok(metas) => metas.iter().map(|m| m.size).sum::<u64>(),
                Err(e) => return e.into(),
            };
            if let Err(o) = self.check_quota(sizes, uids.len() as u64) {
                return o;
            }
        }
        let result = self.blocking(|s| {
            if is_move {
                s.move_messages(&user, id, &uids, &target)
            } else {
                s.copy(&user, id, &uids, &target)
            }
        });
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
            for seq in view.remove_own(&moved) {
                self.conn.write(format!("* {seq} EXPUNGE\r\n").as_bytes());
            }
        }
        Outcome::done("MOVE")
    }
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
