//! A mailbox's row as every backend's index keeps it: identity, name, counters, flags.

use crate::api::MailboxId;

/// A mailbox row.
#[derive(Debug, Clone)]
pub(crate) struct Mailbox {
    pub id: MailboxId,
    pub name: String,
    pub uidvalidity: u32,
    pub uidnext: u32,
    pub highestmodseq: u64,
    pub recent_mark: u32,
    pub special_use: Option<String>,
    pub selectable: bool,
}
