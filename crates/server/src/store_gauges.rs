//! Store size and quota usage gauges for `/metrics`: read from the store's per-mailbox
//! counters when scraped (one small query per user), and cached for a few seconds so that
//! frequent or concurrent scrapes stay cheap.

use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bushbuck_auth::QuotaLimits;

use crate::context::ServerContext;
use crate::quota;

/// How long one reading is served before the store is asked again.
const CACHE_FOR: Duration = Duration::from_secs(5);

/// One user's usage and limits.
struct UserUsage {
    user: String,
    bytes: u64,
    messages: u64,
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

/// Usage and limits of every user with a store; users that cannot be read are logged and left out.
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
        let usage = ctx.store.usage(&user).map_err(|e| e.to_string());
        match usage.and_then(|u| Ok((u, quota::limits(&ctx.config, &ctx.directory, &user)?))) {
            Ok(((bytes, messages), limits)) => out.push(UserUsage { user, bytes, messages, limits }),
            Err(e) => tracing::warn!(user, error = %e, "metrics: cannot read usage"),
        }
    }
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
        ("bushbuck_quota_used_bytes", "Octets counted against the user's quota.", |u| Some(u.bytes)),
        ("bushbuck_quota_limit_bytes", "The user's storage limit in octets.", |u| {
            u.limits.storage_kb.map(|kb| kb.saturating_mul(1024))
        }),
        ("bushbuck_quota_used_messages", "Messages counted against the user's quota.", |u| Some(u.messages)),
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
            limits: QuotaLimits { storage_kb, messages: limit },
        };
        let text = render(&[user("alice", 3000, 2, Some(10), None), user("bob", 500, 1, None, None)]);
        assert!(text.contains("bushbuck_store_bytes 3500\n"));
        assert!(text.contains("bushbuck_store_messages 3\n"));
        assert!(text.contains("bushbuck_quota_used_bytes{user=\"alice\"} 3000\n"));
        assert!(text.contains("bushbuck_quota_limit_bytes{user=\"alice\"} 10240\n"));
        assert!(text.contains("bushbuck_quota_used_messages{user=\"alice\"} 2\n"));
        assert!(!text.contains("bushbuck_quota_limit_messages{"));
        assert!(!text.contains("user=\"bob\""));
    }
}
