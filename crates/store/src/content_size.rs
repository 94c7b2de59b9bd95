//! The check every backend makes on a message's octets as read back: their length must be the
//! size the index recorded, or the content was truncated or altered behind the store's back.

use crate::api::MailboxId;
use crate::error::{Result, StoreError};

/// Returns `data` when it has the `recorded` size; otherwise logs the damage (user, mailbox,
/// UID, the content's name) and answers [`StoreError::Damaged`] for this message only.
/// `kind` says where the content lives ("file", "object").
pub(crate) fn checked(
    data: Vec<u8>,
    recorded: u64,
    (user, mailbox, uid): (&str, MailboxId, u32),
    kind: &str,
    name: &str,
) -> Result<Vec<u8>> {
    if data.len() as u64 == recorded {
        return Ok(data);
    }
    tracing::error!(
        user,
        mailbox = mailbox.0,
        uid,
        content = name,
        octets = data.len(),
        recorded,
        "message {kind} truncated or altered: its size differs from the index"
    );
    Err(StoreError::Damaged(format!(
        "message UID {uid} is damaged: its {kind} {name} has {} octets, {recorded} were stored",
        data.len()
    )))
}
