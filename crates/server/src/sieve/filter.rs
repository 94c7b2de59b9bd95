//! Running a user's active Sieve script at delivery: what to file where, what to send out
//! (redirects, vacation replies), and whether to refuse. Whatever fails, mail is kept.

use bushbuck_sieve::{
    apply_edits, evaluate, Action, DuplicateTracker, Environment, Location, MailboxChecker, MessageContext,
    ScriptLoader, VacationTracker,
};
use bushbuck_store::Store;

use super::scripts::ScriptStore;
use super::{redirect_mark, smtp};
use crate::duplicates::DuplicateLog;

/// Where the global scripts for `include :global` live, as a pseudo-user of the script store
/// (user names cannot start with a dot).
const GLOBAL: &str = ".global";

/// What filtering needs from the server.
pub struct SieveContext<'a> {
    /// Users' scripts.
    pub scripts: &'a ScriptStore,
    /// Duplicate and vacation memory.
    pub log: &'a DuplicateLog,
    /// SMTP relay for redirects and replies (`host:port`, empty for none).
    pub relay: &'a str,
    /// This host's name, for EHLO.
    pub host: &'a str,
    /// Most redirects per message.
    pub max_redirects: usize,
}

/// One message for one recipient, as the script sees it.
pub struct Incoming<'a> {
    /// The message octets.
    pub message: &'a [u8],
    /// Envelope sender (empty for the null sender).
    pub from: &'a str,
    /// The recipient address as given to LMTP or deliver.
    pub to: &'a str,
    /// Canonical user name.
    pub user: &'a str,
    /// Where an implicit or explicit keep files.
    pub default_mailbox: &'a str,
}

/// One copy to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Mailbox name.
    pub mailbox: String,
    /// Flags to set.
    pub flags: Vec<String>,
    /// Create the mailbox when missing (fileinto :create); otherwise a missing mailbox
    /// means INBOX.
    pub create: bool,
}

/// What the script decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Store the (possibly edited) message in each target; none means discarded.
    File {
        /// Copies to store.
        targets: Vec<Target>,
        /// The message after editheader.
        message: Vec<u8>,
        /// Ids the `duplicate` test saw, to remember once the message is stored.
        seen: DuplicateIds,
    },
    /// Refuse the message with this reason.
    Reject(String),
}

/// The ids a script's `duplicate` tests will have seen once the message is delivered. They
/// are recorded only then (RFC 7352 section 3), so a message deferred (452) and retried by
/// the MTA is not taken for its own duplicate.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DuplicateIds {
    /// (tracking key, id) pairs to record with the delivery time.
    entries: Vec<(String, String)>,
}

impl DuplicateIds {
    /// Records every id for `user`, dated now.
    pub fn remember(&self, log: &DuplicateLog, user: &str) {
        for (key, id) in &self.entries {
            if let Err(e) = log.record(user, key, id) {
                tracing::warn!(user, error = %e, "cannot record a Sieve duplicate id");
            }
        }
    }
}

struct Trackers<'a> {
    ctx: &'a SieveContext<'a>,
    store: &'a dyn Store,
    user: &'a str,
    seen: std::cell::RefCell<DuplicateIds>,
}

impl DuplicateTracker for Trackers<'_> {
    fn seen(&self, handle: &str, id: &str, period_secs: u64, last: bool) -> bool {
        let key = format!("sieve-duplicate:{handle}");
        let seen = self.ctx.log.seen(self.user, &key, id, period_secs as i64).unwrap_or(false);
        // A new id starts its period now; a seen one only restarts it with `:last`.
        if !seen || last {
            self.seen.borrow_mut().entries.push((key, id.to_string()));
        }
        seen
    }
}

impl VacationTracker for Trackers<'_> {
    fn responded(&self, sender: &str, handle: &str, period_secs: u64) -> bool {
        let key = format!("vacation:{handle}");
        self.ctx.log.seen(self.user, &key, &sender.to_ascii_lowercase(), period_secs as i64).unwrap_or(false)
    }
}

impl MailboxChecker for Trackers<'_> {
    fn exists(&self, name: &str) -> bool {
        self.store
            .list_mailboxes(self.user)
            .is_ok_and(|boxes| boxes.iter().any(|b| b.name == name && b.selectable))
    }
}

impl ScriptLoader for Trackers<'_> {
    fn load(&self, name: &str, location: Location) -> Option<String> {
        let owner = match location {
            Location::Personal => self.user,
            Location::Global => GLOBAL,
        };
        self.ctx.scripts.source(owner, name)
    }
}

/// Runs the user's active script; `None` when there is none (deliver as usual).
pub fn run(ctx: &SieveContext<'_>, store: &dyn Store, incoming: &Incoming<'_>) -> Option<Disposition> {
    let script = match ctx.scripts.active(incoming.user) {
        Ok(Some(s)) => s,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(user = %incoming.user, error = %e, "active Sieve script unusable; keeping the message");
            return None;
        }
    };
    let trackers = Trackers { ctx, store, user: incoming.user, seen: Default::default() };
    let addresses = vec![incoming.to.to_string()];
    let now = chrono::Utc::now().timestamp();
    let env = Environment {
        duplicate: &trackers,
        vacation: &trackers,
        mailboxes: &trackers,
        loader: &trackers,
        ..Environment::new(&addresses, now, 0)
    };
    let limits = bushbuck_sieve::Limits { max_redirects: ctx.max_redirects, ..Default::default() };
    let message_context = MessageContext::new(incoming.message, incoming.from, incoming.to);
    let outcome = evaluate(&script, &message_context, &env, &limits);
    for error in &outcome.errors {
        tracing::warn!(user = %incoming.user, line = error.line, error = %error.message, "Sieve runtime error; keeping the message");
    }
    // The trace headers delivery added stay on top; edits apply to the message as sent,
    // and a redirect forwards it as sent (Return-Path belongs to final delivery only).
    let (trace, original) = split_trace(incoming.message);
    let message = if outcome.edits.is_empty() {
        incoming.message.to_vec()
    } else {
        [trace, &apply_edits(original, &outcome.edits)].concat()
    };
    let forwarded = &message[trace.len()..];
    let mut targets = Vec::new();
    let keep =
        |flags: Vec<String>| Target { mailbox: incoming.default_mailbox.to_string(), flags, create: false };
    // A redirect that did not go out keeps the message, once, unless the script keeps it anyway.
    let mut unsent_redirect = false;
    for action in outcome.actions {
        match action {
            Action::Keep { flags } => targets.push(keep(flags)),
            Action::FileInto { mailbox, flags, create, .. } => {
                targets.push(Target { mailbox, flags, create })
            }
            Action::Discard => {}
            Action::Reject { reason, .. } => return Some(Disposition::Reject(reason)),
            Action::Redirect { address, .. } => {
                if redirect_mark::already_redirected(incoming.message, incoming.user, ctx.host) {
                    tracing::warn!(user = %incoming.user, to = %address, "redirect loop: this user already redirected the message; keeping it");
                    unsent_redirect = true;
                    continue;
                }
                let copy = redirect_mark::marked(forwarded, incoming.user, ctx.host);
                if let Err(e) = smtp::send(ctx.relay, ctx.host, incoming.from, &[&address], &copy) {
                    tracing::warn!(user = %incoming.user, to = %address, error = %e, "redirect failed; keeping the message");
                    unsent_redirect = true;
                } else {
                    tracing::info!(user = %incoming.user, to = %address, "redirected");
                }
            }
            Action::Vacation { to, subject, from, body, mime, handle, .. } => {
                let from = from.unwrap_or_else(|| incoming.to.to_string());
                let reply = vacation_reply(original, ctx.host, &from, &to, &subject, &body, mime);
                match smtp::send(ctx.relay, ctx.host, "", &[&to], &reply) {
                    Ok(()) => {
                        let _ = ctx.log.record(
                            incoming.user,
                            &format!("vacation:{handle}"),
                            &to.to_ascii_lowercase(),
                        );
                        tracing::info!(user = %incoming.user, to = %to, "vacation reply sent");
                    }
                    Err(e) => {
                        tracing::warn!(user = %incoming.user, to = %to, error = %e, "vacation reply failed")
                    }
                }
            }
        }
    }
    if unsent_redirect && !targets.iter().any(|t| t.mailbox == incoming.default_mailbox) {
        targets.push(keep(Vec::new()));
    }
    Some(Disposition::File { targets, message, seen: trackers.seen.into_inner() })
}

/// The vacation reply (RFC 5230 section 5): to the sender, marked auto-replied, threaded to
/// the original.
fn vacation_reply(
    original: &[u8],
    host: &str,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    mime: bool,
) -> Vec<u8> {
    let (header, _, _) = bushbuck_sieve::headers::split(original);
    let message_id = bushbuck_mime::header_values(header, "Message-ID").into_iter().next();
    let now = chrono::Utc::now();
    let mut out = format!(
        "From: {}\r\nTo: <{to}>\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <vacation.{}.{}@{host}>\r\nAuto-Submitted: auto-replied\r\n",
        bushbuck_sieve::address::from_field_value(from),
        encode_header_text(subject),
        now.format("%a, %d %b %Y %H:%M:%S +0000"),
        now.timestamp_nanos_opt().unwrap_or_default(),
        std::process::id(),
    );
    if let Some(id) = message_id {
        out.push_str(&format!("In-Reply-To: {id}\r\nReferences: {id}\r\n"));
    }
    out.push_str("MIME-Version: 1.0\r\n");
    if !mime {
        out.push_str("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
    }
    let body = crate::delivery::crlf_line_endings(body.as_bytes());
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    if !bytes.ends_with(b"\r\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

/// Splits the trace block delivery put on top (`Return-Path:` and one `Received:` field with
/// its continuation lines) from the message as it was sent.
fn split_trace(message: &[u8]) -> (&[u8], &[u8]) {
    if !message.starts_with(b"Return-Path:") {
        return (&[], message);
    }
    let line_end = |from: usize| {
        message[from..].iter().position(|b| *b == b'\n').map_or(message.len(), |i| from + i + 1)
    };
    let mut end = line_end(0);
    if message[end..].starts_with(b"Received:") {
        end = line_end(end);
        while end < message.len() && matches!(message[end], b' ' | b'\t') {
            end = line_end(end);
        }
    }
    message.split_at(end)
}

/// A header text as RFC 2047 wants it: as is when ASCII, else one UTF-8 encoded word.
fn encode_header_text(text: &str) -> String {
    use base64::Engine;
    if text.is_ascii() {
        text.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vacation_from_keeps_a_name_addr() {
        let reply = vacation_reply(
            b"Subject: s\r\n\r\nx",
            "mx",
            "Bob Example <bob@example.com>",
            "a@b.c",
            "s",
            "away",
            false,
        );
        let text = String::from_utf8(reply).unwrap();
        assert!(text.starts_with("From: Bob Example <bob@example.com>\r\nTo: <a@b.c>\r\n"), "{text}");
        let reply =
            vacation_reply(b"Subject: s\r\n\r\nx", "mx", "bob@example.com", "a@b.c", "s", "away", false);
        assert!(reply.starts_with(b"From: <bob@example.com>\r\n"));
    }

    #[test]
    fn trace_block_is_split_off() {
        let m = b"Return-Path: <a@b>\r\nReceived: from x\r\n\tby y;\r\n\tdate\r\nSubject: s\r\n\r\nbody\r\n";
        let (trace, rest) = split_trace(m);
        assert!(trace.ends_with(b"\tdate\r\n"));
        assert_eq!(rest, b"Subject: s\r\n\r\nbody\r\n");
        assert_eq!(split_trace(b"Subject: s\r\n\r\n").0, b"");
    }

    #[test]
    fn non_ascii_subjects_are_encoded() {
        assert_eq!(encode_header_text("Auto: hi"), "Auto: hi");
        assert_eq!(encode_header_text("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
    }
}
