//! SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE and UID EXPUNGE.

use std::collections::HashSet;

use bushbuck_proto::imap::command::SequenceSet;
use bushbuck_proto::imap::response;

use super::selected::SelectedMailbox;
use super::sequence::uids_from_uid_set;
use super::session::{Outcome, Session};
use crate::acl::Rights;

/// The system flags every mailbox supports.
const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

/// PERMANENTFLAGS for these rights: \Seen with `s`, \Deleted with `t`, the other flags and
/// new keywords with `w` (RFC 4314 section 4).
fn permanent_flags(rights: Rights, keywords: &str) -> String {
    let mut flags = Vec::new();
    if rights.contains(Rights::WRITE) {
        flags.extend(["\\Answered", "\\Flagged"]);
    }
    if rights.contains(Rights::DELETE_MESSAGES) {
        flags.push("\\Deleted");
    }
    if rights.contains(Rights::SEEN) {
        flags.push("\\Seen");
    }
    if rights.contains(Rights::WRITE) {
        flags.push("\\Draft");
        if !keywords.is_empty() {
            flags.push(keywords);
        }
        flags.push("\\*");
    }
    flags.join(" ")
}

impl Session {
    pub(super) fn select(&mut self, raw: &[u8], condstore: bool, read_only: bool) -> Outcome {
        self.selected = None;
        let target = match self.access(raw, Rights::READ) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        if condstore {
            self.condstore = true;
        }
        // Without any right that changes messages, SELECT is READ-ONLY (RFC 4314 section 4).
        let read_only = read_only || !target.rights.intersects(Rights::WRITES);
        let viewer = self.private_seen_viewer(&target.at);
        let (owner, name) = (target.at.owner.clone(), target.at.name.clone());
        // \Recent is claimed only in one's own mailboxes.
        let claims = !read_only && viewer.is_none();
        let opened = self.blocking(|s| {
            let snapshot = s.select(&owner, &name)?;
            let recent = if claims { s.claim_recent(&owner, snapshot.id)? } else { Vec::new() };
            Ok::<_, bushbuck_store::StoreError>((snapshot, recent))
        });
        let (mut snapshot, recent) = match opened {
            Ok(x) => x,
            Err(e) => return e.into(),
        };
        if let Err(e) = self.overlay_seen(&owner, snapshot.id, viewer.as_deref(), &mut snapshot.messages) {
            return e.into();
        }
        let keywords = snapshot.keywords.join(" ");
        let sep = if keywords.is_empty() { "" } else { " " };
        self.untagged(&format!("FLAGS ({SYSTEM_FLAGS}{sep}{keywords})"));
        if read_only {
            self.untagged("OK [PERMANENTFLAGS ()] Read-only mailbox");
        } else {
            let permitted = permanent_flags(target.rights, &keywords);
            self.untagged(&format!("OK [PERMANENTFLAGS ({permitted})] Flags permitted"));
        }
        self.untagged(&format!("{} EXISTS", snapshot.messages.len()));
        if self.rev2 {
            self.untagged(&format!("LIST () \"/\" {}", response::mailbox(&target.imap_name, true)));
        } else {
            self.untagged(&format!("{} RECENT", recent.len()));
            if let Some(i) = snapshot.messages.iter().position(|m| !m.flags.iter().any(|f| f == "\\Seen")) {
                self.untagged(&format!("OK [UNSEEN {}] First unseen message", i + 1));
            }
        }
        self.untagged(&format!("OK [UIDVALIDITY {}] UIDs valid", snapshot.uid_validity));
        self.untagged(&format!("OK [UIDNEXT {}] Predicted next UID", snapshot.uid_next));
        self.untagged(&format!("OK [HIGHESTMODSEQ {}] Highest", snapshot.highest_modseq));
        if Some(&owner) == self.user.as_ref() {
            self.quota_warning(&owner, &target.at.name);
        }
        let recent: HashSet<u32> = recent.into_iter().collect();
        self.selected = Some(SelectedMailbox {
            owner,
            id: snapshot.id,
            rights: target.rights,
            viewer,
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
        if expunge && !view.read_only && view.rights.contains(Rights::EXPUNGE) {
            if let Err(e) = self.blocking(|s| s.expunge(&view.owner, view.id, None)) {
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
        if !view.rights.contains(Rights::EXPUNGE) {
            return Outcome::No(
                "[NOPERM] You lack the e right to expunge here; ask the owner (SETACL)".into(),
            );
        }
        let only = set.map(|s| uids_from_uid_set(s, view));
        let (user, id) = (view.owner.clone(), view.id);
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
