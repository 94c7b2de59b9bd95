//! One end of a migration: the mail store, the user directory and the Sieve scripts of one
//! configuration, opened the way the server opens them.

use std::collections::BTreeMap;
use std::sync::Arc;

use bushbuck_auth::Directory;
use bushbuck_server::sieve::scripts::ScriptStore;
use bushbuck_server::Config;
use bushbuck_store::{MailboxId, Store};

use super::store_failed;
use crate::settings::CliError;
use crate::user::auth_error;
use bushbuck_server::config::mask_password;

/// The stores of one installation.
pub struct Side {
    /// Mailboxes and messages.
    pub store: Arc<dyn Store>,
    /// Users, passwords, groups, quota limits.
    pub directory: Directory,
    /// Sieve scripts.
    pub scripts: ScriptStore,
    /// Where it is, for messages (a password in a URL masked).
    pub label: String,
}

impl Side {
    /// Opens the stores `config` names.
    pub fn open(config: &Config) -> Result<Side, CliError> {
        let label = match &config.store_url {
            Some(url) => mask_password(url),
            None => config.data.display().to_string(),
        };
        let store = config.open_store().map_err(CliError::Failed)?;
        let directory = config.open_directory().map_err(auth_error)?;
        let scripts = config.open_scripts().map_err(CliError::Failed)?;
        Ok(Side { store, directory, scripts, label })
    }

    /// Messages held by the owners' selectable mailboxes (the size of the copy, for the
    /// progress bar).
    pub fn count_messages(&self, owners: &[String]) -> Result<u64, CliError> {
        let mut total = 0;
        for owner in owners {
            for mailbox in self.mailboxes(owner)? {
                if mailbox.selectable {
                    let status = self
                        .store
                        .status(owner, &mailbox.name)
                        .map_err(|e| store_failed(&format!("reading {owner}'s {}", mailbox.name), e))?;
                    total += u64::from(status.messages);
                }
            }
        }
        Ok(total)
    }

    /// An owner's mailboxes, sorted by name (parents first); none when the owner has no
    /// store (a directory entry only).
    pub fn mailboxes(&self, owner: &str) -> Result<Vec<bushbuck_store::MailboxInfo>, CliError> {
        match self.store.list_mailboxes(owner) {
            Ok(list) => Ok(list),
            Err(bushbuck_store::StoreError::NoSuchUser) => Ok(Vec::new()),
            Err(e) => Err(store_failed(&format!("listing {owner}'s mailboxes"), e)),
        }
    }

    /// Per-user \Seen in one of `owner`'s mailboxes: the UIDs each of `viewers` (other than
    /// the owner) has seen, for the viewers that have seen any. Only a mailbox whose ACL
    /// names someone besides the owner can have such viewers, so others cost no lookup.
    pub fn seen_by(
        &self,
        owner: &str,
        mailbox: MailboxId,
        acl: &[(String, String)],
        viewers: &[String],
    ) -> Result<BTreeMap<String, Vec<u32>>, CliError> {
        let mut out = BTreeMap::new();
        if acl.iter().all(|(identifier, _)| identifier == owner) {
            return Ok(out);
        }
        for viewer in viewers.iter().filter(|v| *v != owner) {
            let uids = self
                .store
                .seen_uids(owner, mailbox, viewer)
                .map_err(|e| store_failed(&format!("reading {viewer}'s \\Seen in {owner}'s mailboxes"), e))?;
            if !uids.is_empty() {
                out.insert(viewer.clone(), uids);
            }
        }
        Ok(out)
    }
}
