//! Where a mailbox named by the client lives and what the session may do there: every
//! command that names a mailbox goes through [`Session::access`], so rights are checked in
//! one way everywhere and a mailbox the user may not see answers exactly like a missing one.

use bushbuck_store::{StoreError, SHARED_OWNER};

use super::session::{Outcome, Session};
use crate::acl::{self, Identity, Rights};
use crate::namespace::{self, Located, Resolved};

/// The answer for a mailbox that does not exist or that the user may not see.
pub const NONEXISTENT: &str = "[NONEXISTENT] Mailbox does not exist";

/// A mailbox the session may use as asked.
pub struct Access {
    /// The name as the client sees it.
    pub imap_name: String,
    /// Whose store and which mailbox.
    pub at: Located,
    /// The session's rights on it.
    pub rights: Rights,
}

/// Why [`Session::access`] refused.
pub enum Denied {
    /// No such mailbox, or the user lacks `l` and the needed right (never tells which).
    Missing,
    /// The answer to give (NOPERM, a bad name, a store failure).
    Refused(Outcome),
}

impl From<Denied> for Outcome {
    fn from(d: Denied) -> Outcome {
        match d {
            Denied::Missing => Outcome::No(NONEXISTENT.into()),
            Denied::Refused(o) => o,
        }
    }
}

/// The letters of `needed` missing from `have`, for error texts.
fn missing_letters(have: Rights, needed: Rights) -> String {
    needed.without(have).stored()
}

impl Session {
    /// Who the session acts as, for rights.
    pub(super) fn identity(&self) -> Identity {
        Identity { user: self.user.clone(), groups: self.groups.clone(), admin: self.is_admin() }
    }

    /// Whether the user is an administrator: listed in the config's `admins`, or marked so in
    /// the directory (`bushbuck user add NAME --admin`).
    pub(super) fn is_admin(&self) -> bool {
        self.directory_admin || self.ctx.config.admins.iter().any(|a| Some(a) == self.user.as_ref())
    }

    /// Resolves a decoded IMAP name to its store; namespace prefixes are no mailboxes.
    pub(super) fn locate(&self, imap_name: &str) -> Result<Located, Denied> {
        match namespace::resolve(&self.user(), imap_name) {
            Resolved::Mailbox(at) => Ok(at),
            Resolved::Prefix => Err(Denied::Missing),
        }
    }

    /// The session's rights on a located mailbox; `Missing` when it does not exist.
    pub(super) fn rights_on(&self, at: &Located) -> Result<Rights, Denied> {
        let identity = self.identity();
        let acl = self.blocking(|s| s.get_acl(&at.owner, &at.name));
        match acl {
            Ok(acl) => Ok(acl::effective(&acl, Some(&at.owner), &identity)),
            Err(StoreError::NoSuchMailbox | StoreError::NoSuchUser | StoreError::InvalidName(_)) => {
                Err(Denied::Missing)
            }
            Err(e) => Err(Denied::Refused(e.into())),
        }
    }

    /// Decodes, locates and checks a mailbox argument: the session must have every right of
    /// `needed`. Without them, a user who may see the mailbox (`l`) gets `NO [NOPERM]`, others
    /// the same answer as for a missing mailbox.
    pub(super) fn access(&self, raw: &[u8], needed: Rights) -> Result<Access, Denied> {
        let imap_name = self.mailbox_arg(raw).map_err(Denied::Refused)?;
        self.access_name(imap_name, needed)
    }

    /// [`Session::access`] for an already decoded name.
    pub(super) fn access_name(&self, imap_name: String, needed: Rights) -> Result<Access, Denied> {
        let at = self.locate(&imap_name)?;
        let rights = self.rights_on(&at)?;
        if rights.contains(needed) {
            return Ok(Access { imap_name, at, rights });
        }
        if !rights.contains(Rights::LOOKUP) {
            return Err(Denied::Missing);
        }
        Err(Denied::Refused(Outcome::No(format!(
            "[NOPERM] You lack the {} right on this mailbox; ask its owner to grant it (SETACL)",
            missing_letters(rights, needed)
        ))))
    }

    /// The rights the session has to create mailboxes as inferiors of `at`'s name's parent:
    /// those on the nearest existing superior; at the top of a store, all for the owner,
    /// those on INBOX in other users' stores, and in the shared store only an admin's.
    pub(super) fn create_rights(&self, at: &Located) -> Result<Rights, Denied> {
        let mut parent = at.name.as_str();
        while let Some(i) = parent.rfind('/') {
            parent = &parent[..i];
            let up = Located { owner: at.owner.clone(), name: parent.to_string() };
            match self.rights_on(&up) {
                Ok(r) => return Ok(r),
                Err(Denied::Missing) => continue,
                Err(e) => return Err(e),
            }
        }
        if Some(&at.owner) == self.user.as_ref() {
            return Ok(Rights::ALL);
        }
        if at.owner == SHARED_OWNER {
            return Ok(acl::effective(&[], None, &self.identity()));
        }
        self.rights_on(&Located { owner: at.owner.clone(), name: "INBOX".into() })
    }

    /// Whether `at` is another user's store and the viewer keeps a \Seen state of their own
    /// there (per-user \Seen on shared mailboxes): the viewer's name then.
    pub(super) fn private_seen_viewer(&self, at: &Located) -> Option<String> {
        self.user.clone().filter(|u| *u != at.owner)
    }
}
