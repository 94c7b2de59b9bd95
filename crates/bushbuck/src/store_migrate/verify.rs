//! Checking a copy: for each owner, the directory record, the mailbox list, subscriptions,
//! quota usage and scripts are compared, and per mailbox its counters (UIDVALIDITY, UIDNEXT,
//! HIGHESTMODSEQ, messages, size), every message's UID, flags, MODSEQ and dates, the ACL, the
//! viewers' own \Seen, and a hash of the contents: the SHA-256 of every message read back
//! from each side.

use std::fmt;

use bushbuck_store::{MailboxSnapshot, MetaParts, SHARED_OWNER};
use sha2::{Digest, Sha256};

use super::side::Side;
use super::{owner_label, store_failed};
use crate::settings::CliError;
use crate::user::auth_error;

/// One difference between source and target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The user (or the shared mailboxes' owner).
    pub owner: String,
    /// The mailbox, when the difference is in one.
    pub mailbox: Option<String>,
    /// What differs.
    pub what: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mailbox {
            Some(mailbox) => write!(f, "{}, mailbox {mailbox}: {}", owner_label(&self.owner), self.what),
            None => write!(f, "{}: {}", owner_label(&self.owner), self.what),
        }
    }
}

/// SHA-256 of `data` in lower-case hex.
pub fn hex_digest(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares everything of `owner` in both sides; `viewers` are the users whose own \Seen is
/// compared.
pub fn owner(
    source: &Side,
    target: &Side,
    owner: &str,
    viewers: &[String],
) -> Result<Vec<Mismatch>, CliError> {
    let mut found = Vec::new();
    let mut differs = |mailbox: Option<&str>, what: String| {
        found.push(Mismatch { owner: owner.to_string(), mailbox: mailbox.map(str::to_string), what })
    };
    if owner != SHARED_OWNER {
        let record = |side: &Side| side.directory.user_record(owner).map_err(auth_error);
        let (want, have) = (record(source)?, record(target)?);
        if want.is_some() && want != have {
            differs(
                None,
                "the directory record (password, admin mark, groups or quota limits) differs".into(),
            );
        }
        let (want, have) = (scripts(source, owner)?, scripts(target, owner)?);
        if want != have {
            differs(
                None,
                format!("Sieve scripts differ: {} in the source, {} in the copy", want.len(), have.len()),
            );
        }
    }
    let (want, have) = (source.mailboxes(owner)?, target.mailboxes(owner)?);
    let shape = |list: &[bushbuck_store::MailboxInfo]| -> Vec<(String, Option<String>, bool)> {
        list.iter().map(|m| (m.name.clone(), m.special_use.clone(), m.selectable)).collect()
    };
    if shape(&want) != shape(&have) {
        let names =
            |list: &[bushbuck_store::MailboxInfo]| list.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
        differs(
            None,
            format!("mailboxes differ: {:?} in the source, {:?} in the copy", names(&want), names(&have)),
        );
    }
    if want.is_empty() {
        return Ok(found);
    }
    let read = |side: &Side, what: &str| {
        let failed = |e| store_failed(&format!("verifying {}: {what}", owner_label(owner)), e);
        Ok::<_, CliError>((
            side.store.subscriptions(owner).map_err(failed)?,
            side.store.usage(owner).map_err(failed)?,
        ))
    };
    let ((want_subs, want_usage), (have_subs, have_usage)) = (read(source, "source")?, read(target, "copy")?);
    if want_subs != have_subs {
        differs(
            None,
            format!("subscriptions differ: {want_subs:?} in the source, {have_subs:?} in the copy"),
        );
    }
    if want_usage != have_usage {
        differs(None, format!("quota usage differs: {want_usage:?} (octets, messages) in the source, {have_usage:?} in the copy"));
    }
    for mailbox in
        want.iter().filter(|m| m.selectable && have.iter().any(|h| h.name == m.name && h.selectable))
    {
        let name = mailbox.name.as_str();
        let acl = source
            .store
            .get_acl(owner, name)
            .map_err(|e| store_failed(&format!("verifying {owner}'s {name}"), e))?;
        let a = MailboxDigest::read(source, owner, name, &acl, viewers)?;
        let b = MailboxDigest::read(target, owner, name, &acl, viewers)?;
        for what in a.differences(&b) {
            differs(Some(name), what);
        }
    }
    Ok(found)
}

/// Compares the quota roots on shared mailboxes.
pub fn shared_quota_roots(source: &Side, target: &Side) -> Result<Vec<Mismatch>, CliError> {
    let shared = |side: &Side| -> Result<Vec<_>, CliError> {
        let roots = side.directory.root_quotas().map_err(auth_error)?;
        Ok(roots.into_iter().filter(|(root, _)| !root.starts_with("user/")).collect::<Vec<_>>())
    };
    let (want, have) = (shared(source)?, shared(target)?);
    Ok(if want == have {
        Vec::new()
    } else {
        vec![Mismatch {
            owner: SHARED_OWNER.to_string(),
            mailbox: None,
            what: format!("quota roots differ: {want:?} in the source, {have:?} in the copy"),
        }]
    })
}

/// A user's scripts: (name, active, source hash), sorted by name.
fn scripts(side: &Side, user: &str) -> Result<Vec<(String, bool, String)>, CliError> {
    let failed = |e| CliError::Failed(format!("verifying {user}'s Sieve scripts: {e}"));
    let mut out = Vec::new();
    for script in side.scripts.list(user).map_err(failed)? {
        let text = side.scripts.get(user, &script.name).map_err(failed)?;
        out.push((script.name, script.active, hex_digest(&text)));
    }
    Ok(out)
}

/// What is compared of one message: UID, sorted flags, MODSEQ, INTERNALDATE (and zone),
/// SAVEDATE, size.
type MessageFacts = (u32, Vec<String>, u64, (i64, i32), i64, u64);

/// What is compared of one mailbox.
struct MailboxDigest {
    /// UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, messages, octets.
    counters: (u32, u32, u64, u32, u64),
    /// Per message: UID, sorted flags, MODSEQ, INTERNALDATE (and zone), SAVEDATE, size.
    messages: Vec<MessageFacts>,
    /// Per message: UID and the SHA-256 of its octets.
    contents: Vec<(u32, String)>,
    /// The ACL.
    acl: Vec<(String, String)>,
    /// Viewers' own \Seen.
    seen: std::collections::BTreeMap<String, Vec<u32>>,
}

impl MailboxDigest {
    /// Reads the digest of a mailbox of `side`; `acl` (the source's) says whose \Seen to read.
    fn read(
        side: &Side,
        owner: &str,
        name: &str,
        acl: &[(String, String)],
        viewers: &[String],
    ) -> Result<Self, CliError> {
        let failed = |e| store_failed(&format!("verifying {owner}'s {name} in {}", side.label), e);
        let store = &*side.store;
        let s = store.status(owner, name).map_err(failed)?;
        let MailboxSnapshot { id, messages, .. } = store.select(owner, name).map_err(failed)?;
        let uids: Vec<u32> = messages.iter().map(|m| m.uid).collect();
        let metas = store.fetch_meta(owner, id, &uids, MetaParts::FACTS).map_err(failed)?;
        let mut facts = Vec::with_capacity(metas.len());
        let mut contents = Vec::with_capacity(metas.len());
        for m in metas {
            let data = store.read_message(owner, id, m.uid).map_err(failed)?;
            contents.push((m.uid, hex_digest(&data)));
            let mut flags = m.flags;
            flags.sort();
            facts.push((
                m.uid,
                flags,
                m.modseq,
                (m.internal_date, m.internal_date_offset),
                m.save_date,
                m.size,
            ));
        }
        Ok(MailboxDigest {
            counters: (s.uid_validity, s.uid_next, s.highest_modseq, s.messages, s.size),
            messages: facts,
            contents,
            acl: store.get_acl(owner, name).map_err(failed)?,
            seen: side.seen_by(owner, id, acl, viewers)?,
        })
    }

    /// The hash of the whole mailbox's contents.
    fn content_hash(&self) -> String {
        let lines: Vec<String> = self.contents.iter().map(|(uid, sha)| format!("{uid} {sha}")).collect();
        hex_digest(lines.join("\n").as_bytes())
    }

    /// What differs between the source's digest (`self`) and the copy's, one sentence each.
    fn differences(&self, copy: &MailboxDigest) -> Vec<String> {
        let mut out = Vec::new();
        if self.counters != copy.counters {
            out.push(format!(
                "(UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, messages, octets) {:?} in the source, {:?} in the copy",
                self.counters, copy.counters
            ));
        }
        if let Some((a, b)) = first_difference(&self.messages, &copy.messages) {
            out.push(format!("message state differs: {a} in the source, {b} in the copy"));
        }
        let (want, have) = (self.content_hash(), copy.content_hash());
        if want != have {
            let at = first_difference(&self.contents, &copy.contents).map(|(a, _)| a).unwrap_or_default();
            out.push(format!(
                "content hash {want} in the source, {have} in the copy (first difference: {at})"
            ));
        }
        if self.acl != copy.acl {
            out.push(format!("ACL {:?} in the source, {:?} in the copy", self.acl, copy.acl));
        }
        if self.seen != copy.seen {
            out.push(format!("viewers' \\Seen {:?} in the source, {:?} in the copy", self.seen, copy.seen));
        }
        out
    }
}

/// The first entries that differ (or "nothing" where one list is shorter), shown with Debug.
fn first_difference<T: fmt::Debug + PartialEq>(a: &[T], b: &[T]) -> Option<(String, String)> {
    let show = |x: Option<&T>| x.map_or_else(|| "nothing".to_string(), |x| format!("{x:?}"));
    (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)).map(|i| (show(a.get(i)), show(b.get(i))))
}
