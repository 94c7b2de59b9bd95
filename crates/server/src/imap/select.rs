//! SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE and UID EXPUNGE.

use std::collections::HashSet;

use bushbuck_proto::imap::command::SequenceSet;
use bushbuck_proto::imap::response;

use super::selected::SelectedMailbox;
use super::sequence::uids_from_uid_set;
use super::session::{Outcome, Session};

/// The system flags every mailbox supports.
const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

impl Session {
    pub(super) fn select(&mut self, raw: &[u8], condstore: bool, read_only: bool) -> Outcome {
        self.selected = None;
        let name = match self.mailbox_arg(raw) {
            Ok(n) => n,
            Err(o) => return o,
        };
        if condstore {
            self.condstore = true;
        }
        let user = self.user();
        let opened = self.blocking(|s| {
            let snapshot = s.select(&user, &name)?;
            let recent = if read_only { Vec::new() } else { s.claim_recent(&user, snapshot.id)? };
            Ok::<_, bushbuck_store::StoreError>((snapshot, recent))
        });
        let (snapshot, recent) = match opened {
            Ok(x) => x,
            Err(e) => return e.into(),
        };
        let keywords = snapshot.keywords.join(" ");
        let sep = if keywords.is_empty() { "" } else { " " };
        self.untagged(&format!("FLAGS ({SYSTEM_FLAGS}{sep}{keywords})"));
        if read_only {
            self.untagged("OK [PERMANENTFLAGS ()] Read-only mailbox");
        } else {
            self.untagged(&format!(
                "OK [PERMANENTFLAGS ({SYSTEM_FLAGS}{sep}{keywords} \\*)] Flags permitted"
            ));
        }
        self.untagged(&format!("{} EXISTS", snapshot.messages.len()));
        if self.rev2 {
            self.untagged(&format!("LIST () \"/\" {}", response::mailbox(&name, true)));
        } else {
            self.untagged(&format!("{} RECENT", recent.len()));
            if let Some(i) = snapshot.messages.iter().position(|m| !m.flags.iter().any(|f| f == "\\Seen")) {
                self.untagged(&format!("OK [UNSEEN {}] First unseen message", i + 1));
            }
        }
        self.untagged(&format!("OK [UIDVALIDITY {}] UIDs valid", snapshot.uid_validity));
        self.untagged(&format!("OK [UIDNEXT {}] Predicted next UID", snapshot.uid_next));
        self.untagged(&format!("OK [HIGHESTMODSEQ {}] Highest", snapshot.highest_modseq));
        self.quota_warning();
        let recent: HashSet<u32> = recent.into_iter().collect();
        self.selected = Some(SelectedMailbox {
            id: snapshot.id,
            read_only,
            messages: snapshot.messages,
            recent,
            highest_modseq: snapshot.highest_modseq,
            uid_next: snapshot.uid_next,
            pending_expunges: Vec::new(),
            saved_search: Vec::new(),
        });
        let mode = if read_only { "[READ-ONLY]" } else { "[READ-WRITE]" };
        Outcome::Ok(format!("{mode} {} completed", if read_only { "EXAMINE" } else { "SELECT" }))
    }

    /// CLOSE (`expunge` true: removes \Deleted messages silently) or UNSELECT.
    pub(super) fn close(&mut self, expunge: bool) -> Outcome {
        let Some(view) = self.selected.take() else {
            return Outcome::Bad("No mailbox selected".into());
        };
        if expunge && !view.read_only {
            let user = self.user();
            if let Err(e) = self.blocking(|s| s.expunge(&user, view.id, None)) {
                return e.into();
            }
        }
        Outcome::done(if expunge { "CLOSE" } else { "UNSELECT" })
    }

    /// EXPUNGE, or UID EXPUNGE limited to a set.
    pub(super) fn expunge(&mut self, set: Option<&SequenceSet>) -> Outcome {
        let Some(view) = self.selected.as_ref() else {
            return Outcome::Bad("No mailbox selected".into());
        };
        if view.read_only {
            return Outcome::No("[READ-ONLY] Mailbox is read-only".into());
        }
        let only = set.map(|s| uids_from_uid_set(s, view));
        let (user, id) = (self.user(), view.id);
        let expunged = match self.blocking(|s| s.expunge(&user, id, only.as_deref())) {
            Ok(u) => u,
            Err(e) => return e.into(),
        };
        if let Some(view) = self.selected.as_mut() {
            for seq in view.remove_own(&expunged) {
                self.conn.write(format!("* {seq} EXPUNGE\r\n").as_bytes());
            }
        }
        Outcome::done(if set.is_some() { "UID EXPUNGE" } else { "EXPUNGE" })
    }
}
