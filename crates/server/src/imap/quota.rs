//! GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208), and the quota checks of APPEND and COPY.
//! Each mailbox is governed by one quota root (see [`crate::quota_roots`]).

use bushbuck_auth::QuotaLimits;
use bushbuck_store::SHARED_OWNER;

use super::session::{Outcome, Session};
use crate::acl::Rights;
use crate::quota::{self, QuotaState, Verdict};
use crate::quota_roots::QuotaRoot;

/// The answer for a root that does not exist or that the user may not see.
const NO_ROOT: &str = "[NONEXISTENT] No such quota root";

impl Session {
    /// Runs a quota reading on a blocking thread; a failure is a NO the client may retry.
    fn read_quota(
        &self,
        read: impl FnOnce(&crate::context::ServerContext) -> Result<QuotaState, String>,
    ) -> Result<QuotaState, Outcome> {
        let ctx = self.ctx.clone();
        tokio::task::block_in_place(|| read(&ctx)).map_err(|e| {
            tracing::error!(error = %e, "cannot read quota");
            Outcome::No("[UNAVAILABLE] Quota information unavailable; try again later".into())
        })
    }

    /// The state of the root governing `mailbox` of `owner`'s store.
    fn quota_for(&self, owner: &str, mailbox: &str) -> Result<QuotaState, Outcome> {
        self.read_quota(|c| {
            quota::state_for_mailbox(&c.config, &c.directory, c.store.as_ref(), owner, mailbox)
        })
    }

    /// Refuses adding `bytes` in `messages` messages to `mailbox` of `owner`'s store when the
    /// quota root governing it does not allow it.
    pub(super) fn check_quota(
        &self,
        owner: &str,
        mailbox: &str,
        bytes: u64,
        messages: u64,
    ) -> Result<(), Outcome> {
        match self.quota_for(owner, mailbox)?.admits(bytes, messages) {
            Verdict::Fits => Ok(()),
            Verdict::Over | Verdict::NeverFits => {
                Err(Outcome::No("[OVERQUOTA] Quota exceeded; delete some mail first".into()))
            }
        }
    }

    /// Whether the session may read a root's usage: its own roots, the shared ones, or any
    /// for an admin.
    fn may_see_root(&self, root: &QuotaRoot) -> bool {
        Some(&root.owner) == self.user.as_ref() || root.owner == SHARED_OWNER || self.is_admin()
    }

    pub(super) fn getquotaroot(&mut self, raw: &[u8]) -> Outcome {
        // RFC 9208 4.3: the quota roots of a mailbox are for those who may read it.
        let access = match self.access(raw, Rights::READ) {
            Ok(a) => a,
            Err(d) => return d.into(),
        };
        let state = match self.quota_for(&access.at.owner, &access.at.name) {
            Ok(q) => q,
            Err(o) => return o,
        };
        let encoded = bushbuck_proto::imap::response::mailbox(&access.imap_name, self.rev2);
        self.untagged(&format!("QUOTAROOT {encoded} \"{}\"", state.root));
        self.untagged(&state.response());
        Outcome::done("GETQUOTAROOT")
    }

    pub(super) fn getquota(&mut self, raw: &[u8]) -> Outcome {
        let name = String::from_utf8_lossy(raw).into_owned();
        let Some(root) = QuotaRoot::parse(&name).filter(|r| self.may_see_root(r)) else {
            return Outcome::No(NO_ROOT.into());
        };
        match self.read_quota(|c| quota::state_of_root(&c.config, &c.directory, c.store.as_ref(), &root)) {
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
        let name = String::from_utf8_lossy(raw).into_owned();
        let Some(root) = QuotaRoot::parse(&name) else {
            return Outcome::No(format!(
                "{NO_ROOT}; name a user (user/NAME), a mailbox of theirs (user/NAME/Folder) or a shared \
                 one (shared/Folder)"
            ));
        };
        let mut new = QuotaLimits::default();
        for (resource, limit) in limits {
            match resource.as_str() {
                "STORAGE" => new.storage_kb = Some(*limit),
                "MESSAGE" => new.messages = Some(*limit),
                other => return Outcome::No(format!("Unsupported quota resource {other}")),
            }
        }
        let ctx = self.ctx.clone();
        let saved =
            tokio::task::block_in_place(|| quota::set_limits(&ctx.directory, ctx.store.as_ref(), &root, new));
        if let Err(why) = saved {
            return Outcome::No(format!("[NONEXISTENT] {why}"));
        }
        match self.read_quota(|c| quota::state_of_root(&c.config, &c.directory, c.store.as_ref(), &root)) {
            Ok(state) => {
                self.untagged(&state.response());
                Outcome::done("SETQUOTA")
            }
            Err(o) => o,
        }
    }

    /// The ALERT a SELECT gives when the quota governing the mailbox is nearly used up.
    pub(super) fn quota_warning(&mut self, owner: &str, mailbox: &str) {
        if let Ok(state) = self.quota_for(owner, mailbox) {
            if let Some(p) = state.percent_used().filter(|p| *p >= self.ctx.config.quota_warn_percent) {
                self.untagged(&format!("OK [ALERT] Your mailbox is {p}% full; please delete some mail"));
            }
        }
    }
}
