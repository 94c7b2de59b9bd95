//! The mailboxes LIST shows a user: their own, and every mailbox of other users and the
//! shared store on which they have the `l` right, named as the namespaces say, with
//! `\Noselect` stand-ins for levels the user cannot see above the ones they can (RFC 5258).

use std::collections::BTreeSet;

use bushbuck_store::{MailboxId, MailboxInfo, StoreError, SHARED_OWNER};

use super::session::Session;
use crate::acl::{self, Rights};
use crate::namespace;

impl Session {
    /// Every mailbox the session may see, by IMAP name, sorted.
    pub(super) fn visible_mailboxes(&self) -> Result<Vec<MailboxInfo>, StoreError> {
        let user = self.user();
        let identity = self.identity();
        let mut out = self.blocking(|s| s.list_mailboxes(&user))?;
        let mut owners = if identity.admin {
            self.blocking(|s| s.list_users())?
        } else {
            self.blocking(|s| s.grantors(&identity.identifiers()))?
        };
        owners.push(SHARED_OWNER.to_string());
        owners.sort();
        owners.dedup();
        let mut foreign = Vec::new();
        for owner in owners.iter().filter(|o| **o != user) {
            let boxes = match self.blocking(|s| s.list_mailboxes(owner)) {
                Ok(b) => b,
                Err(StoreError::NoSuchUser) => continue,
                Err(e) => return Err(e),
            };
            for mut info in boxes {
                let acl = match self.blocking(|s| s.get_acl(owner, &info.name)) {
                    Ok(a) => a,
                    Err(StoreError::NoSuchMailbox) => continue,
                    Err(e) => return Err(e),
                };
                if acl::effective(&acl, Some(owner), &identity).contains(Rights::LOOKUP) {
                    info.name = namespace::imap_name(&user, owner, &info.name);
                    foreign.push(info);
                }
            }
        }
        let known: BTreeSet<String> = foreign.iter().map(|b| b.name.clone()).collect();
        let mut stand_ins = BTreeSet::new();
        for info in &foreign {
            let mut name = info.name.as_str();
            while let Some(i) = name.rfind('/') {
                name = &name[..i];
                if !known.contains(name) {
                    stand_ins.insert(name.to_string());
                }
            }
        }
        out.extend(foreign);
        out.extend(stand_ins.into_iter().map(|name| MailboxInfo {
            name,
            id: MailboxId(0),
            special_use: None,
            selectable: false,
        }));
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}
