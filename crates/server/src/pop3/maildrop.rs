//! The maildrop of one POP3 session: INBOX as it was at login, with deletion marks that take
//! effect only at QUIT.

use bushbuck_store::{MailboxId, MetaParts, Store, StoreError};

/// One message as POP3 numbers it.
pub struct DropMessage {
    /// UID in INBOX.
    pub uid: u32,
    /// Size in octets (RFC822.SIZE).
    pub size: u64,
    /// Marked by DELE.
    pub deleted: bool,
}

/// INBOX at login time.
pub struct Maildrop {
    /// INBOX's identity.
    pub mailbox: MailboxId,
    /// UIDVALIDITY, part of every UIDL.
    pub uid_validity: u32,
    /// Messages numbered from 1.
    pub messages: Vec<DropMessage>,
}

impl Maildrop {
    /// Takes the snapshot of a user's INBOX.
    pub fn open(store: &dyn Store, user: &str) -> Result<Maildrop, StoreError> {
        let snapshot = store.select(user, "INBOX")?;
        let uids: Vec<u32> = snapshot.messages.iter().map(|m| m.uid).collect();
        let mut messages = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(1024) {
            for meta in store.fetch_meta(user, snapshot.id, chunk, MetaParts::FACTS)? {
                messages.push(DropMessage { uid: meta.uid, size: meta.size, deleted: false });
            }
        }
        Ok(Maildrop { mailbox: snapshot.id, uid_validity: snapshot.uid_validity, messages })
    }

    /// The message with this number, unless deleted.
    pub fn get(&self, number: u32) -> Option<&DropMessage> {
        self.messages.get((number as usize).checked_sub(1)?).filter(|m| !m.deleted)
    }

    /// Marks a message deleted; false if there is no such (undeleted) message.
    pub fn delete(&mut self, number: u32) -> bool {
        match (number as usize).checked_sub(1).and_then(|i| self.messages.get_mut(i)) {
            Some(m) if !m.deleted => {
                m.deleted = true;
                true
            }
            _ => false,
        }
    }

    /// Undoes every DELE.
    pub fn reset(&mut self) {
        self.messages.iter_mut().for_each(|m| m.deleted = false);
    }

    /// (count, octets) of undeleted messages.
    pub fn stat(&self) -> (usize, u64) {
        self.messages.iter().filter(|m| !m.deleted).fold((0, 0), |(n, s), m| (n + 1, s + m.size))
    }

    /// The UIDL of a message: the same for IMAP's view (UIDVALIDITY and UID).
    pub fn uidl(&self, message: &DropMessage) -> String {
        format!("{}.{}", self.uid_validity, message.uid)
    }

    /// UIDs marked deleted.
    pub fn deleted_uids(&self) -> Vec<u32> {
        self.messages.iter().filter(|m| m.deleted).map(|m| m.uid).collect()
    }
}
