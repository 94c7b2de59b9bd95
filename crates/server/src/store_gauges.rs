//! Store size and quota usage gauges for `/metrics`: read from the store's per-mailbox
//! counters when scraped (one small query per user), and cached for a few seconds so that
//! frequent or concurrent scrapes stay cheap.

use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bushbuck_auth::QuotaLimits;
use bushbuck_store::{StoreError, SHARED_OWNER};

use crate::context::ServerContext;
use crate::quota::OwnerRoots;
use crate::quota_roots::QuotaRoot;

/// How long one reading is served before the store is asked again.
const CACHE_FOR: Duration = Duration::from_secs(5);

/// One store's usage, and for a user their quota root's.
struct UserUsage {
    user: String,
    /// Everything the store holds.
    bytes: u64,
    messages: u64,
    /// What the user's root `user/NAME` counts: less than the store when a nested root
    /// (`user/NAME/Archive`) takes part of it.
    quota_bytes: u64,
    quota_messages: u64,
    limits: QuotaLimits,
}

/// The gauges' last rendering and when it was made.
#[derive(Default)]
pub struct StoreGauges {
    cached: Mutex<Option<(Instant, String)>>,
}

impl StoreGauges {
    /// The gauges in the Prometheus text format, at most [`CACHE_FOR`] old. Blocks on the
    /// store: call it from a blocking thread.
    pub fn render(&self, ctx: &ServerContext) -> String {
        // Held while reading, so concurrent scrapes wait for one reading instead of each
        // making their own.
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, text)) = cached.as_ref() {
            if at.elapsed() < CACHE_FOR {
                return text.clone();
            }
        }
        let text = render(&read(ctx));
        *cached = Some((Instant::now(), text.clone()));
        text
    }
}

/// A user's store usage and their whole-store quota root's state.
fn read_user(ctx: &ServerContext, user: &str) -> Result<UserUsage, String> {
    let roots = OwnerRoots::read(&ctx.directory, user)?;
    let quota = roots.state(&ctx.config, &ctx.directory, ctx.store.as_ref(), &QuotaRoot::whole(user))?;
    // Without roots below it, the whole-store root's usage is the store's: no second read.
    let (bytes, messages) = if roots.whole_store_only() {
        (quota.used_bytes, quota.used_messages)
    } else {
        ctx.store.usage(user).map_err(|e| e.to_string())?
    };
    Ok(UserUsage {
        user: user.to_string(),
        bytes,
        messages,
        quota_bytes: quota.used_bytes,
        quota_messages: quota.used_messages,
        limits: quota.limits,
    })
}

/// The shared mailboxes' usage, counted in the store totals only (they have no user root).
fn read_shared(ctx: &ServerContext) -> Option<UserUsage> {
    match ctx.store.usage(SHARED_OWNER) {
        Ok((bytes, messages)) => Some(UserUsage {
            user: SHARED_OWNER.to_string(),
            bytes,
            messages,
            quota_bytes: 0,
            quota_messages: 0,
            limits: QuotaLimits::default(),
        }),
        Err(StoreError::NoSuchUser) => None,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the shared mailboxes' usage");
            None
        }
    }
}

/// Usage and limits of every user with a store, then the shared store's; stores that cannot
/// be read are logged and left out.
fn read(ctx: &ServerContext) -> Vec<UserUsage> {
    let users = match ctx.store.list_users() {
        Ok(users) => users,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot list the store's users");
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        match read_user(ctx, &user) {
            Ok(usage) => out.push(usage),
            Err(e) => tracing::warn!(user, error = %e, "metrics: cannot read usage"),
        }
    }
    out.extend(read_shared(ctx));
    out
}

/// The Prometheus text of store totals and per-user quota gauges (users with a limit only).
fn render(users: &[UserUsage]) -> String {
    let mut out = String::new();
    let total = |f: fn(&UserUsage) -> u64| users.iter().map(f).sum::<u64>();
    for (name, help, value) in [
        ("bushbuck_store_bytes", "Octets stored, every copy counted.", total(|u| u.bytes)),
        ("bushbuck_store_messages", "Messages stored, every copy counted.", total(|u| u.messages)),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
    }
    let limited: Vec<&UserUsage> =
        users.iter().filter(|u| u.limits.storage_kb.is_some() || u.limits.messages.is_some()).collect();
    type Gauge = (&'static str, &'static str, fn(&UserUsage) -> Option<u64>);
    let gauges: [Gauge; 4] = [
        ("bushbuck_quota_used_bytes", "Octets counted against the user's quota.", |u| Some(u.quota_bytes)),
        ("bushbuck_quota_limit_bytes", "The user's storage limit in octets.", |u| {
            u.limits.storage_kb.map(|kb| kb.saturating_mul(1024))
        }),
        ("bushbuck_quota_used_messages", "Messages counted against the user's quota.", |u| {
            Some(u.quota_messages)
        }),
        ("bushbuck_quota_limit_messages", "The user's message limit.", |u| u.limits.messages),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for u in &limited {
            if let Some(v) = value(u) {
                // User names are restricted to characters that need no escaping in a label.
                let _ = writeln!(out, "{name}{{user=\"{}\"}} {v}", u.user);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_gauges_for_limited_users_only() {
        let user = |name: &str, bytes, messages, storage_kb, limit| UserUsage {
            user: name.into(),
            bytes,
            messages,
            quota_bytes: bytes - 1000,
            quota_messages: messages,
            limits: QuotaLimits { storage_kb, messages: limit },
        };
        let text = render(&[user("alice", 3000, 2, Some(10), None), user("bob", 1500, 1, None, None)]);
        assert!(text.contains("bushbuck_store_bytes 4500\n"));
        assert!(text.contains("bushbuck_store_messages 3\n"));
        assert!(text.contains("bushbuck_quota_used_bytes{user=\"alice\"} 2000\n"));
        assert!(text.contains("bushbuck_quota_limit_bytes{user=\"alice\"} 10240\n"));
        assert!(text.contains("bushbuck_quota_used_messages{user=\"alice\"} 2\n"));
        assert!(!text.contains("bushbuck_quota_limit_messages{"));
        assert!(!text.contains("user=\"bob\""));
    }
}
