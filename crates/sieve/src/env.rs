//! What the caller supplies to a run: the message, the environment (time, addresses,
//! trackers, script loader) and resource limits.

use crate::headers;

/// The message being filtered and its envelope.
#[derive(Debug, Clone, Copy)]
pub struct MessageContext<'a> {
    /// The whole message.
    pub message: &'a [u8],
    /// The header block (without the blank line).
    pub header: &'a [u8],
    /// Envelope sender (MAIL FROM), empty for the null reverse-path.
    pub envelope_from: &'a str,
    /// Envelope recipient (RCPT TO) this delivery is for.
    pub envelope_to: &'a str,
    /// Size of the message in octets as `size` sees it.
    pub size: u64,
}

impl<'a> MessageContext<'a> {
    /// Builds a context from the message bytes and envelope; header and size are derived.
    pub fn new(message: &'a [u8], envelope_from: &'a str, envelope_to: &'a str) -> Self {
        MessageContext {
            message,
            header: headers::split(message).0,
            envelope_from,
            envelope_to,
            size: message.len() as u64,
        }
    }
}

/// Remembers message ids for the `duplicate` test (RFC 7352).
pub trait DuplicateTracker {
    /// Whether `id` was seen under `handle` within the last `period_secs`. The caller also
    /// records the id, but only once the message is delivered (RFC 7352 section 3): a new id
    /// from now, and a seen one again from now when `last` (`:last`) asks for the period to
    /// run from the latest occurrence instead of the first.
    fn seen(&self, handle: &str, id: &str, period_secs: u64, last: bool) -> bool;
}

/// Remembers vacation responses (RFC 5230 section 4.2).
pub trait VacationTracker {
    /// Whether a response with `handle` was sent to `sender` within the last `period_secs`.
    fn responded(&self, sender: &str, handle: &str, period_secs: u64) -> bool;
}

/// Answers `mailboxexists` (RFC 5490).
pub trait MailboxChecker {
    /// Whether the user's mailbox `name` exists (and may be delivered to).
    fn exists(&self, name: &str) -> bool;
}

/// Where an included script lives (RFC 6609).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// The user's own scripts (`:personal`, the default).
    Personal,
    /// Site-wide scripts (`:global`).
    Global,
}

/// Fetches scripts for `include` (RFC 6609).
pub trait ScriptLoader {
    /// The source of script `name` at `location`, or None when it does not exist.
    fn load(&self, name: &str, location: Location) -> Option<String>;
}

/// Stateless stand-in for every tracker: nothing seen, nothing sent, no mailbox, no script.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoState;

impl DuplicateTracker for NoState {
    fn seen(&self, _: &str, _: &str, _: u64, _: bool) -> bool {
        false
    }
}
impl VacationTracker for NoState {
    fn responded(&self, _: &str, _: &str, _: u64) -> bool {
        false
    }
}
impl MailboxChecker for NoState {
    fn exists(&self, _: &str) -> bool {
        false
    }
}
impl ScriptLoader for NoState {
    fn load(&self, _: &str, _: Location) -> Option<String> {
        None
    }
}

static NO_STATE: NoState = NoState;

/// The user and the world the script runs in.
#[derive(Clone, Copy)]
pub struct Environment<'a> {
    /// The user's own addresses (for vacation).
    pub user_addresses: &'a [String],
    /// Current time, seconds since the Unix epoch.
    pub now: i64,
    /// Local zone offset in minutes east of UTC.
    pub zone_offset_min: i32,
    /// `duplicate` tracker.
    pub duplicate: &'a dyn DuplicateTracker,
    /// Vacation response tracker.
    pub vacation: &'a dyn VacationTracker,
    /// `mailboxexists` callback.
    pub mailboxes: &'a dyn MailboxChecker,
    /// `include` loader.
    pub loader: &'a dyn ScriptLoader,
}

impl<'a> Environment<'a> {
    /// An environment with the given addresses and clock and [`NoState`] for the rest.
    pub fn new(user_addresses: &'a [String], now: i64, zone_offset_min: i32) -> Self {
        Environment {
            user_addresses,
            now,
            zone_offset_min,
            duplicate: &NO_STATE,
            vacation: &NO_STATE,
            mailboxes: &NO_STATE,
            loader: &NO_STATE,
        }
    }
}

/// Resource bounds for parsing and running scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest script source accepted, in bytes.
    pub max_script_size: usize,
    /// Most distinct `redirect` actions per run.
    pub max_redirects: usize,
    /// Most actions per run.
    pub max_actions: usize,
    /// Longest variable value in bytes (longer values are truncated).
    pub max_variable_size: usize,
    /// Most variables per script.
    pub max_variables: usize,
    /// Deepest `include` nesting.
    pub max_include_depth: usize,
    /// Most `include` executions per run.
    pub max_includes: usize,
    /// Most header edits per run.
    pub max_header_edits: usize,
    /// Default `duplicate` period in seconds when `:seconds` is absent.
    pub duplicate_default_secs: u64,
    /// Longest vacation / duplicate period accepted (longer ones are clamped).
    pub max_period_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_script_size: 1 << 20,
            max_redirects: 4,
            max_actions: 64,
            max_variable_size: 4096,
            max_variables: 256,
            max_include_depth: 5,
            max_includes: 32,
            max_header_edits: 64,
            duplicate_default_secs: 7 * 86400,
            max_period_secs: 90 * 86400,
        }
    }
}
