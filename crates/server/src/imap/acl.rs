//! SETACL, DELETEACL, GETACL, LISTRIGHTS and MYRIGHTS (RFC 4314).

use bushbuck_proto::imap::response;

use super::access::Denied;
use super::session::{Outcome, Session};
use crate::acl::{self, Rights};

impl Session {
    /// SETACL (`rights` given, with an optional `+`/`-` modifier) or DELETEACL (`None`).
    pub(super) fn setacl(&mut self, raw: &[u8], identifier: &str, rights: Option<&str>) -> Outcome {
        let command = if rights.is_some() { "SETACL" } else { "DELETEACL" };
        let target = match self.access(raw, Rights::ADMIN) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        if !acl::valid_identifier(identifier) {
            return Outcome::Bad(format!(
                "Invalid identifier {identifier:?}: use a user name, anyone, anonymous or group:NAME, \
                 with a leading - for a negative entry"
            ));
        }
        let (owner, name) = (target.at.owner.clone(), target.at.name.clone());
        let new = match rights {
            None => None,
            Some(text) => {
                let (how, given) = match acl::parse_modification(text) {
                    Ok(x) => x,
                    Err(why) => return Outcome::Bad(format!("Invalid rights: {why}")),
                };
                let current = match self.blocking(|s| s.get_acl(&owner, &name)) {
                    Ok(list) => list
                        .iter()
                        .find(|(id, _)| id == identifier)
                        .map_or(Rights::NONE, |(_, r)| Rights::from_stored(r)),
                    Err(e) => return e.into(),
                };
                Some(acl::modify(current, how, given).stored())
            }
        };
        match self.blocking(|s| s.set_acl(&owner, &name, identifier, new.as_deref())) {
            Ok(()) => {
                tracing::info!(user = %self.user(), mailbox = %target.imap_name, identifier, rights = ?new, "ACL changed");
                Outcome::done(command)
            }
            Err(e) => e.into(),
        }
    }

    pub(super) fn getacl(&mut self, raw: &[u8]) -> Outcome {
        let target = match self.access(raw, Rights::ADMIN) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        let list = match self.blocking(|s| s.get_acl(&target.at.owner, &target.at.name)) {
            Ok(l) => l,
            Err(e) => return e.into(),
        };
        let mut line = format!("ACL {}", response::mailbox(&target.imap_name, self.rev2));
        for (identifier, rights) in list {
            line.push_str(&format!(
                " {} {}",
                response::astring(identifier.as_bytes()),
                response::astring(Rights::from_stored(&rights).to_string().as_bytes())
            ));
        }
        self.untagged(&line);
        Outcome::done("GETACL")
    }

    pub(super) fn listrights(&mut self, raw: &[u8], identifier: &str) -> Outcome {
        let target = match self.access(raw, Rights::ADMIN) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        // The owner always keeps l and a; everything else may be granted one by one.
        let required =
            if identifier == target.at.owner { Rights::LOOKUP | Rights::ADMIN } else { Rights::NONE };
        let mut line = format!(
            "LISTRIGHTS {} {} {}",
            response::mailbox(&target.imap_name, self.rev2),
            response::astring(identifier.as_bytes()),
            response::string(required.stored().as_bytes())
        );
        for c in Rights::ALL.without(required).stored().chars() {
            line.push(' ');
            line.push(c);
        }
        self.untagged(&line);
        Outcome::done("LISTRIGHTS")
    }

    pub(super) fn myrights(&mut self, raw: &[u8]) -> Outcome {
        let target = match self.access(raw, Rights::NONE) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        // RFC 4314 section 4: MYRIGHTS needs any of l r i k x a; else the mailbox stays hidden.
        let visible = Rights::LOOKUP
            | Rights::READ
            | Rights::INSERT
            | Rights::CREATE
            | Rights::DELETE_MAILBOX
            | Rights::ADMIN;
        if !target.rights.intersects(visible) {
            return Denied::Missing.into();
        }
        self.untagged(&format!(
            "MYRIGHTS {} {}",
            response::mailbox(&target.imap_name, self.rev2),
            response::astring(target.rights.to_string().as_bytes())
        ));
        Outcome::done("MYRIGHTS")
    }
}
