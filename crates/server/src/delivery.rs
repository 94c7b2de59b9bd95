//! Local delivery shared by LMTP and `bushbuck deliver`: recipient resolution with
//! plus-addressing, trace headers, and filing into the store.

use bushbuck_auth::Directory;
use bushbuck_store::{NewMessage, Store, StoreError, SHARED_OWNER};

use crate::acl::{self, Identity, Rights};
use crate::config::Config;
use crate::duplicates::DuplicateLog;
use crate::quota::{self, Verdict};
use crate::sieve::filter::{self, Disposition, Incoming, SieveContext, Target};

/// A local recipient: whose store, and which folder plus-addressing asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The address as given.
    pub address: String,
    /// Canonical user name.
    pub user: String,
    /// `folder` of `user+folder@domain`, if any.
    pub folder: Option<String>,
}

/// Why a recipient could not be resolved.
#[derive(Debug)]
pub enum ResolveError {
    /// No such user here.
    UnknownUser,
    /// The directory could not be read.
    Unavailable(String),
}

/// Resolves an address to a local user: the whole address (lower-cased) if it is a user,
/// else its local part; `user+detail` files into the folder `detail`.
pub fn resolve(directory: &Directory, address: &str) -> Result<Recipient, ResolveError> {
    let lower = address.to_ascii_lowercase();
    let (local, domain) = match lower.rsplit_once('@') {
        Some((l, d)) => (l.to_string(), Some(d.to_string())),
        None => (lower.clone(), None),
    };
    let (base, detail) = match local.split_once('+') {
        Some((b, d)) => (b.to_string(), Some(d.to_string())),
        None => (local.clone(), None),
    };
    let mut candidates = Vec::new();
    if let Some(d) = &domain {
        candidates.push((format!("{local}@{d}"), None));
        candidates.push((format!("{base}@{d}"), detail.clone()));
    }
    candidates.push((local.clone(), None));
    candidates.push((base, detail));
    for (user, folder) in candidates {
        match directory.exists(&user) {
            Ok(true) => {
                let folder = folder.map(|f| original_case_detail(address, &f));
                return Ok(Recipient { address: address.to_string(), user, folder });
            }
            Ok(false) => {}
            Err(e) => return Err(ResolveError::Unavailable(e.to_string())),
        }
    }
    Err(ResolveError::UnknownUser)
}

/// Resolves a recipient: `SHARED_PREFIX+NAME@domain` is the shared mailbox `Shared/NAME`
/// (when it exists and the anonymous poster has the `p` right there, else unknown);
/// anything else a user as [`resolve`] says.
pub fn resolve_recipient(
    directory: &Directory,
    store: &dyn Store,
    shared_prefix: &str,
    address: &str,
) -> Result<Recipient, ResolveError> {
    let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
    let shared =
        local.split_once('+').filter(|(p, name)| p.eq_ignore_ascii_case(shared_prefix) && !name.is_empty());
    let Some((_, name)) = shared.filter(|_| !shared_prefix.is_empty()) else {
        return resolve(directory, address);
    };
    match may_post(store, SHARED_OWNER, name) {
        Ok(true) => Ok(Recipient {
            address: address.to_string(),
            user: SHARED_OWNER.to_string(),
            folder: Some(name.to_string()),
        }),
        Ok(false) => Err(ResolveError::UnknownUser),
        Err(e) => Err(ResolveError::Unavailable(e.to_string())),
    }
}

/// Whether the anonymous poster (mail from outside) may post into `owner`'s `mailbox`:
/// it exists, is selectable and `anyone` or `anonymous` has the `p` right there.
fn may_post(store: &dyn Store, owner: &str, mailbox: &str) -> Result<bool, StoreError> {
    let selectable = match store.list_mailboxes(owner) {
        Ok(boxes) => boxes.iter().any(|m| m.name == mailbox && m.selectable),
        Err(StoreError::NoSuchUser) => false,
        Err(e) => return Err(e),
    };
    if !selectable {
        return Ok(false);
    }
    let list = store.get_acl(owner, mailbox)?;
    Ok(acl::effective(&list, Some(owner), &Identity::anonymous()).contains(Rights::POST))
}

/// The detail part as the sender wrote it (folder names are case-sensitive).
fn original_case_detail(address: &str, lower_detail: &str) -> String {
    let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
    local
        .split_once('+')
        .map(|(_, d)| d.to_string())
        .filter(|d| d.eq_ignore_ascii_case(lower_detail))
        .unwrap_or_else(|| lower_detail.to_string())
}

/// Prepends Return-Path and Received as an MDA does. The same bytes are stored for every
/// recipient, so the store can keep one file for all of them.
pub fn with_trace_headers(message: &[u8], from: &str, helo: &str, protocol: &str, host: &str) -> Vec<u8> {
    let now = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S +0000");
    let mut out = format!(
        "Return-Path: <{from}>\r\nReceived: from {helo}\r\n\tby {host} (Bushbuck) with {protocol};\r\n\t{now}\r\n"
    )
    .into_bytes();
    out.extend_from_slice(message);
    out
}

/// Where a delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// Stored in this mailbox.
    Stored(String),
    /// Not stored: this mailbox already has a message with the same Message-ID.
    Duplicate(String),
    /// Not stored: the recipient is over quota (temporary: try again later).
    OverQuota,
    /// Not stored: the message is larger than the recipient's whole quota (permanent).
    TooBigForQuota,
    /// Not stored: the recipient's Sieve script discarded it.
    Discarded,
    /// Not stored: the recipient's Sieve script rejected it with this reason.
    Rejected(String),
}

/// What quota enforcement needs: limits come from the directory or the defaults.
pub struct QuotaCheck<'a> {
    /// Default limits.
    pub config: &'a Config,
    /// Per-user limits.
    pub directory: &'a Directory,
}

/// Duplicate suppression settings for one delivery.
pub struct Duplicates<'a> {
    /// The log of delivered Message-IDs.
    pub log: &'a DuplicateLog,
    /// How far back a Message-ID counts as a duplicate, in seconds.
    pub window_secs: i64,
}

/// One message being delivered to several recipients: filed for each in turn, stored once
/// on disk (later recipients share the first one's file).
pub struct Delivery<'a> {
    store: &'a dyn Store,
    message: &'a [u8],
    duplicates: Option<&'a Duplicates<'a>>,
    quota: Option<QuotaCheck<'a>>,
    sieve: Option<(SieveContext<'a>, &'a str)>,
    stored_for: Option<(String, Vec<u8>)>,
}

impl<'a> Delivery<'a> {
    /// Prepares the delivery of `message` (trace headers already added); `quota` enforces
    /// the recipients' quotas (`None` ignores them).
    pub fn new(
        store: &'a dyn Store,
        message: &'a [u8],
        duplicates: Option<&'a Duplicates<'a>>,
        quota: Option<QuotaCheck<'a>>,
    ) -> Self {
        Delivery { store, message, duplicates, quota, sieve: None, stored_for: None }
    }

    /// Runs each recipient's active Sieve script; `envelope_from` is the envelope sender.
    pub fn with_sieve(mut self, sieve: SieveContext<'a>, envelope_from: &'a str) -> Self {
        self.sieve = Some((sieve, envelope_from));
        self
    }

    /// Files the message for one recipient: as the recipient's Sieve script says, else into
    /// the plus-address folder (or `folder_override`) when it exists, else INBOX. A
    /// Message-ID that mailbox already received within the duplicate window is not stored
    /// again; nothing is stored over quota.
    pub fn file(
        &mut self,
        recipient: &Recipient,
        folder_override: Option<&str>,
        flags: &[String],
    ) -> Result<Filed, StoreError> {
        let default = target_mailbox(self.store, recipient, folder_override)?;
        // The Message-ID is looked for only when duplicates are suppressed.
        let message_id = self
            .duplicates
            .and_then(|_| bushbuck_mime::header_values(self.message, "Message-ID").into_iter().next());
        let check = self.duplicates.zip(message_id.as_deref());
        if let Some((d, id)) = check {
            if d.log.seen(&recipient.user, &default, id, d.window_secs).map_err(StoreError::Io)? {
                return Ok(Filed::Duplicate(default));
            }
        }
        let keep = || vec![Target { mailbox: default.clone(), flags: Vec::new(), create: false }];
        let shared = recipient.user == SHARED_OWNER;
        let (targets, data, seen) = match (&self.sieve, folder_override) {
            (Some((ctx, from)), None) if !shared => {
                let incoming = Incoming {
                    message: self.message,
                    from,
                    to: &recipient.address,
                    user: &recipient.user,
                    default_mailbox: &default,
                };
                match filter::run(ctx, self.store, &incoming) {
                    None => (keep(), self.message.to_vec(), None),
                    Some(Disposition::Reject(reason)) => return Ok(Filed::Rejected(reason)),
                    Some(Disposition::File { targets, message, seen }) => {
                        (targets, message, Some((ctx.log, seen)))
                    }
                }
            }
            _ => (keep(), self.message.to_vec(), None),
        };
        let remember_seen = || {
            if let Some((log, seen)) = &seen {
                seen.remember(log, &recipient.user);
            }
        };
        if targets.is_empty() {
            remember_seen();
            return Ok(Filed::Discarded);
        }
        if let Some(q) = self.quota.as_ref() {
            let mailboxes: Vec<&str> = targets.iter().map(|t| t.mailbox.as_str()).collect();
            let verdict = quota::admits_copies(
                q.config,
                q.directory,
                self.store,
                &recipient.user,
                &mailboxes,
                data.len() as u64,
            )
            .map_err(StoreError::Io)?;
            match verdict {
                Verdict::Fits => {}
                Verdict::Over => return Ok(Filed::OverQuota),
                Verdict::NeverFits => return Ok(Filed::TooBigForQuota),
            }
        }
        if let Some((first, _)) = self.stored_for.as_ref().filter(|(u, d)| *u != recipient.user && *d == data)
        {
            if let Err(e) = self.store.share_content(first, &recipient.user, &data) {
                tracing::warn!(error = %e, "cannot share the stored file; storing a copy");
            }
        }
        let mut stored_in = Vec::new();
        for target in targets {
            let mailbox = self.resolve_target(&recipient.user, &target)?;
            let mut all_flags = flags.to_vec();
            all_flags.extend(target.flags);
            let new = NewMessage { data: &data, flags: all_flags, internal_date: None };
            self.store.append(&recipient.user, &mailbox, std::slice::from_ref(&new))?;
            stored_in.push(mailbox);
        }
        if self.stored_for.is_none() {
            self.stored_for = Some((recipient.user.clone(), data));
        }
        remember_seen();
        if let Some((d, id)) = check {
            if let Err(e) = d.log.record(&recipient.user, &default, id) {
                tracing::warn!(error = %e, "cannot record the delivery for duplicate suppression");
            }
        }
        Ok(Filed::Stored(stored_in.join(", ")))
    }

    /// The mailbox a filing target really goes to: itself when it exists (or was created
    /// for `:create`), else INBOX.
    fn resolve_target(&self, user: &str, target: &Target) -> Result<String, StoreError> {
        if target.mailbox.eq_ignore_ascii_case("INBOX") {
            // Where everything else falls back to: no need to list the user's mailboxes.
            return Ok("INBOX".to_string());
        }
        let exists = |name: &str| {
            self.store.list_mailboxes(user).map(|b| b.iter().any(|m| m.name == name && m.selectable))
        };
        if exists(&target.mailbox)? {
            return Ok(target.mailbox.clone());
        }
        if target.create {
            match self.store.create_mailbox(user, &target.mailbox, None) {
                Ok(_) | Err(StoreError::MailboxExists) => return Ok(target.mailbox.clone()),
                Err(e) => {
                    tracing::warn!(user, mailbox = %target.mailbox, error = %e, "cannot create; using INBOX")
                }
            }
        }
        Ok("INBOX".to_string())
    }
}

/// The mailbox a delivery goes to: `folder_override` (the MDA's `-m`) when it exists; the
/// plus-address folder when the anonymous poster may post there (RFC 4314 `p`), as checked
/// at resolution for shared mailboxes; else INBOX.
fn target_mailbox(
    store: &dyn Store,
    recipient: &Recipient,
    folder_override: Option<&str>,
) -> Result<String, StoreError> {
    if let Some(folder) = folder_override {
        let exists = store.list_mailboxes(&recipient.user)?.iter().any(|m| m.name == folder && m.selectable);
        return Ok(if exists { folder.to_string() } else { "INBOX".to_string() });
    }
    match &recipient.folder {
        Some(folder) if recipient.user == SHARED_OWNER => Ok(folder.clone()),
        Some(folder) if may_post(store, &recipient.user, folder)? => Ok(folder.clone()),
        _ => Ok("INBOX".to_string()),
    }
}

/// The message with every bare LF turned into CRLF, as RFC 5322 and IMAP sizes expect
/// (a pipe from an MTA usually gives Unix line ends).
pub fn crlf_line_endings(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 40);
    let mut prev = 0u8;
    for &b in message {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// This machine's name for Received headers.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_addressing_and_domains() {
        let dir = tempfile::tempdir().unwrap();
        let d = Directory::open(dir.path()).unwrap();
        d.add_user("alice", b"pw").unwrap();
        d.add_user("carol@example.org", b"pw").unwrap();
        let r = resolve(&d, "Alice+Work@example.com").unwrap();
        assert_eq!((r.user.as_str(), r.folder.as_deref()), ("alice", Some("Work")));
        let r = resolve(&d, "alice").unwrap();
        assert_eq!((r.user.as_str(), r.folder), ("alice", None));
        let r = resolve(&d, "carol+x@example.org").unwrap();
        assert_eq!((r.user.as_str(), r.folder.as_deref()), ("carol@example.org", Some("x")));
        assert!(matches!(resolve(&d, "nobody@example.com"), Err(ResolveError::UnknownUser)));
    }

    #[test]
    fn bare_lf_becomes_crlf() {
        assert_eq!(crlf_line_endings(b"a\nb\r\nc\n\n"), b"a\r\nb\r\nc\r\n\r\n");
        assert_eq!(crlf_line_endings(b"no newline"), b"no newline");
    }

    #[test]
    fn trace_headers_come_first() {
        let m = with_trace_headers(b"Subject: x\r\n\r\nbody\r\n", "a@b", "mx", "LMTP", "host");
        let text = String::from_utf8(m).unwrap();
        assert!(
            text.starts_with("Return-Path: <a@b>\r\nReceived: from mx\r\n\tby host (Bushbuck) with LMTP;")
        );
        assert!(text.ends_with("Subject: x\r\n\r\nbody\r\n"));
    }
}
