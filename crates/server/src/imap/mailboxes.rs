//! Mailbox management: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS.

use bushbuck_proto::imap::command::StatusItem;
use bushbuck_proto::imap::response;
use bushbuck_store::MailboxStatus;

use super::mailbox_name;
use super::session::{Outcome, Session};

/// SPECIAL-USE attributes a client may ask for at CREATE (RFC 6154).
const SPECIAL_USES: [&str; 7] =
    ["\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"];

impl Session {
    /// Decodes a mailbox argument, or the NO answer explaining why it is unusable.
    pub(super) fn mailbox_arg(&self, raw: &[u8]) -> Result<String, Outcome> {
        mailbox_name::decode(raw, self.rev2).map_err(|why| Outcome::No(format!("[CANNOT] {why}")))
    }

    pub(super) fn create(&mut self, raw: &[u8], special_use: &[String]) -> Outcome {
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
        let user = self.user();
        match self.blocking(|s| s.create_mailbox(&user, &name, use_attr)) {
            Ok(_) => Outcome::done("CREATE"),
            Err(e) => e.into(),
        }
    }

    pub(super) fn delete(&mut self, raw: &[u8]) -> Outcome {
        let name = match self.mailbox_arg(raw) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let user = self.user();
        match self.blocking(|s| s.delete_mailbox(&user, &name)) {
            Ok(()) => {
                tracing::info!(user = %user, mailbox = %name, "mailbox deleted");
                Outcome::done("DELETE")
            }
            Err(e) => e.into(),
        }
    }

    pub(super) fn rename(&mut self, from: &[u8], to: &[u8]) -> Outcome {
        let (from, to) = match (self.mailbox_arg(from), self.mailbox_arg(to)) {
            (Ok(f), Ok(t)) => (f, t.trim_end_matches('/').to_string()),
            (Err(o), _) | (_, Err(o)) => return o,
        };
        let user = self.user();
        match self.blocking(|s| s.rename_mailbox(&user, &from, &to)) {
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
        let name = match self.mailbox_arg(raw) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let user = self.user();
        match self.blocking(|s| s.status(&user, &name)) {
            Ok(status) => {
                let line = status_line(&name, &status, items, self.rev2);
                self.untagged(&line);
                Outcome::done("STATUS")
            }
            Err(e) => e.into(),
        }
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
