//! GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208), and the quota checks of APPEND and COPY.

use bushbuck_auth::QuotaLimits;

use super::session::{Outcome, Session};
use crate::quota::{self, QuotaState, Verdict};

impl Session {
    /// The logged-in user's quota, or the NO answer when it cannot be read.
    pub(super) fn own_quota(&self) -> Result<QuotaState, Outcome> {
        self.quota_of(&self.user())
    }

    fn quota_of(&self, user: &str) -> Result<QuotaState, Outcome> {
        let ctx = self.ctx.clone();
        tokio::task::block_in_place(|| quota::state(&ctx.config, &ctx.directory, ctx.store.as_ref(), user))
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read quota");
                Outcome::No("[UNAVAILABLE] Quota information unavailable; try again later".into())
            })
    }

    /// Refuses adding `bytes` in `messages` messages when the quota does not allow it.
    pub(super) fn check_quota(&self, bytes: u64, messages: u64) -> Result<(), Outcome> {
        match self.own_quota()?.admits(bytes, messages) {
            Verdict::Fits => Ok(()),
            Verdict::Over | Verdict::NeverFits => {
                Err(Outcome::No("[OVERQUOTA] Quota exceeded; delete some mail first".into()))
            }
        }
    }

    pub(super) fn getquotaroot(&mut self, raw: &[u8]) -> Outcome {
        let name = match self.mailbox_arg(raw) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let user = self.user();
        if let Err(e) = self.blocking(|s| s.status(&user, &name)) {
            return e.into();
        }
        let state = match self.own_quota() {
            Ok(q) => q,
            Err(o) => return o,
        };
        let encoded = bushbuck_proto::imap::response::mailbox(&name, self.rev2);
        self.untagged(&format!("QUOTAROOT {encoded} \"{}\"", state.root));
        self.untagged(&state.response());
        Outcome::done("GETQUOTAROOT")
    }

    pub(super) fn getquota(&mut self, raw: &[u8]) -> Outcome {
        let root = String::from_utf8_lossy(raw).into_owned();
        let owner = match quota::user_of(&root) {
            Some(u) if Some(u) == self.user.as_deref() || self.is_admin() => u.to_string(),
            _ => return Outcome::No("[NONEXISTENT] No such quota root".into()),
        };
        match self.quota_of(&owner) {
            Ok(state) => {
                self.untagged(&state.response());
                Outcome::done("GETQUOTA")
            }
            Err(o) => o,
        }
    }

    pub(super) fn setquota(&mut self, raw: &[u8], limits: &[(String, u64)]) -> Outcome {
        if !self.is_admin() {
            return Outcome::No("[NOPERM] Only administrators may set quotas".into());
        }
        let root = String::from_utf8_lossy(raw).into_owned();
        let Some(owner) = quota::user_of(&root).map(str::to_string) else {
            return Outcome::No("[NONEXISTENT] No such quota root; use user/NAME".into());
        };
        let mut new = QuotaLimits::default();
        for (resource, limit) in limits {
            match resource.as_str() {
                "STORAGE" => new.storage_kb = Some(*limit),
                "MESSAGE" => new.messages = Some(*limit),
                other => return Outcome::No(format!("Unsupported quota resource {other}")),
            }
        }
        let directory = self.ctx.directory.clone();
        match tokio::task::block_in_place(|| directory.set_quota(&owner, new)) {
            Ok(()) => match self.quota_of(&owner) {
                Ok(state) => {
                    self.untagged(&state.response());
                    Outcome::done("SETQUOTA")
                }
                Err(o) => o,
            },
            Err(e) => Outcome::No(format!("[NONEXISTENT] {e}")),
        }
    }

    /// The ALERT a SELECT gives when the quota is nearly used up.
    pub(super) fn quota_warning(&mut self) {
        if let Ok(state) = self.own_quota() {
            if let Some(p) = state.percent_used().filter(|p| *p >= self.ctx.config.quota_warn_percent) {
                self.untagged(&format!("OK [ALERT] Your mailbox is {p}% full; please delete some mail"));
            }
        }
    }
}
