//! What a script run produces: actions, header edits and errors.

use crate::error::RuntimeError;

/// A delivery or response action decided by the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Deliver to the default mailbox (explicit or implicit keep).
    Keep {
        /// IMAP flags to set on the stored message.
        flags: Vec<String>,
    },
    /// Deliver to `mailbox`.
    FileInto {
        /// Target mailbox name (UTF-8).
        mailbox: String,
        /// IMAP flags to set on the stored message.
        flags: Vec<String>,
        /// `:copy` was given (does not cancel implicit keep).
        copy: bool,
        /// `:create`: create the mailbox when missing.
        create: bool,
    },
    /// Forward the message to `address`.
    Redirect {
        /// Target address.
        address: String,
        /// `:copy` was given.
        copy: bool,
    },
    /// Silently drop the message.
    Discard,
    /// Refuse the message with `reason` (as an MDN for `reject`, at SMTP/LMTP level for
    /// `ereject` when possible).
    Reject {
        /// Human-readable reason.
        reason: String,
        /// `ereject`.
        ereject: bool,
    },
    /// Send an auto-reply. The caller records the response in its vacation tracker.
    Vacation {
        /// Recipient of the reply (the envelope sender).
        to: String,
        /// Subject of the reply.
        subject: String,
        /// `:from` address, if given (else the user's address).
        from: Option<String>,
        /// Body text, or a MIME entity when `mime` is true.
        body: String,
        /// The body is a MIME entity (headers included).
        mime: bool,
        /// Handle that identifies this response for the tracker.
        handle: String,
        /// Minimum time between two responses to one sender, in seconds.
        period_secs: u64,
    },
}

/// One change to the header of the message (editheader, RFC 5293).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Add `name: value` at the top (or bottom with `last`).
    Add {
        /// Field name.
        name: String,
        /// Field value (UTF-8; encoded on application when needed).
        value: String,
        /// Append instead of prepend.
        last: bool,
    },
    /// Delete the `occurrence`-th (1-based, from the top) field called `name`, counted in
    /// the header as it is when this edit applies.
    Delete {
        /// Field name.
        name: String,
        /// 1-based occurrence.
        occurrence: usize,
    },
}

/// The result of running a script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Actions to perform, duplicates merged, implicit keep included when it applies.
    /// After a runtime error this is only the implicit keep.
    pub actions: Vec<Action>,
    /// Header edits, in order; apply with [`crate::apply_edits`] before storing.
    pub edits: Vec<HeaderEdit>,
    /// Runtime errors; when non-empty the script failed and `actions` is a plain keep.
    pub errors: Vec<RuntimeError>,
}

impl Outcome {
    /// Whether the outcome delivers to the default mailbox.
    pub fn keeps(&self) -> bool {
        self.actions.iter().any(|a| matches!(a, Action::Keep { .. }))
    }
}

fn merge_flags(into: &mut Vec<String>, more: Vec<String>) {
    for f in more {
        if !into.iter().any(|x| x.eq_ignore_ascii_case(&f)) {
            into.push(f);
        }
    }
}

/// Adds an action, merging it with an equivalent earlier one (RFC 5228 section 2.10.3).
/// Returns true when a new entry was added.
pub(crate) fn push_merged(list: &mut Vec<Action>, action: Action) -> bool {
    for existing in list.iter_mut() {
        match (existing, &action) {
            (Action::Keep { flags }, Action::Keep { flags: f2 }) => {
                merge_flags(flags, f2.clone());
                return false;
            }
            (
                Action::FileInto { mailbox, flags, copy, create },
                Action::FileInto { mailbox: m2, flags: f2, copy: c2, create: cr2 },
            ) if mailbox == m2 => {
                merge_flags(flags, f2.clone());
                *copy = *copy && *c2;
                *create = *create || *cr2;
                return false;
            }
            (Action::Redirect { address, copy }, Action::Redirect { address: a2, copy: c2 })
                if crate::address::normalize(address) == crate::address::normalize(a2) =>
            {
                *copy = *copy && *c2;
                return false;
            }
            (Action::Discard, Action::Discard) => return false,
            _ => {}
        }
    }
    list.push(action);
    true
}
