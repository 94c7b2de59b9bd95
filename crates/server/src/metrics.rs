//! Counters and latency histograms for operators, rendered in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// A latency histogram.
#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// Picks one counter out of a protocol's counters.
type CounterField = fn(&ProtocolCounters) -> &AtomicU64;

/// Counters of one protocol.
#[derive(Default)]
struct ProtocolCounters {
    connections_total: AtomicU64,
    connections_open: AtomicU64,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
}

/// The protocols Bushbuck serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// IMAP (plain or TLS).
    Imap,
    /// POP3 (plain or TLS).
    Pop3,
    /// LMTP.
    Lmtp,
    /// ManageSieve.
    ManageSieve,
}

impl Protocol {
    const ALL: [Protocol; 4] = [Protocol::Imap, Protocol::Pop3, Protocol::Lmtp, Protocol::ManageSieve];

    /// The protocol's name as used in labels and logs.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Pop3 => "pop3",
            Protocol::Lmtp => "lmtp",
            Protocol::ManageSieve => "managesieve",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Everything the server counts. Cheap to update from any thread.
#[derive(Default)]
pub struct Metrics {
    protocols: [ProtocolCounters; 4],
    commands: Mutex<BTreeMap<(&'static str, &'static str), Histogram>>,
    deliveries_ok: AtomicU64,
    deliveries_failed: AtomicU64,
    delivered_bytes: AtomicU64,
    refusals: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    auth: AuthCounters,
    damaged_messages: AtomicU64,
}

/// Counters of password checks: failed-login throttling (see the `throttle` module) and the
/// verified-password cache.
#[derive(Default)]
struct AuthCounters {
    failures: AtomicU64,
    cache_hits: AtomicU64,
    bans: AtomicU64,
    banned: AtomicU64,
    throttled: AtomicU64,
}

/// Keeps the open-connections gauge up while it lives.
pub struct OpenConnection<'a> {
    counters: &'a ProtocolCounters,
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.counters.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts a new connection; the returned guard counts it closed when dropped.
    pub fn connection(&self, protocol: Protocol) -> OpenConnection<'_> {
        let counters = &self.protocols[protocol.index()];
        counters.connections_total.fetch_add(1, Ordering::Relaxed);
        counters.connections_open.fetch_add(1, Ordering::Relaxed);
        OpenConnection { counters }
    }

    /// Counts a login attempt.
    pub fn login(&self, protocol: Protocol, ok: bool) {
        let c = &self.protocols[protocol.index()];
        if ok { &c.logins_ok } else { &c.logins_failed }.fetch_add(1, Ordering::Relaxed);
    }

    /// Records one command and how long it took.
    pub fn command(&self, protocol: Protocol, name: &'static str, took: Duration) {
        let mut commands = self.commands.lock().unwrap_or_else(|p| p.into_inner());
        commands.entry((protocol.name(), name)).or_default().observe(took.as_secs_f64());
    }

    /// Counts a delivery attempt for one recipient.
    pub fn delivery(&self, ok: bool, bytes: usize) {
        if ok {
            self.deliveries_ok.fetch_add(1, Ordering::Relaxed);
            self.delivered_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        } else {
            self.deliveries_failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a connection refused at accept, by listener (its configuration key) and reason.
    pub fn refused(&self, listener: &'static str, reason: &'static str) {
        let mut refusals = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
        *refusals.entry((listener, reason)).or_default() += 1;
    }

    /// Counts a failed password check, whatever the protocol.
    pub fn auth_failure(&self) {
        self.auth.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a login whose password was recognised by the verified-password cache (no Argon2).
    pub fn login_cache_hit(&self) {
        self.auth.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a source banned for failing too often.
    pub fn auth_ban(&self) {
        self.auth.bans.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets how many sources are banned now.
    pub fn set_auth_banned(&self, banned: usize) {
        self.auth.banned.store(banned as u64, Ordering::Relaxed);
    }

    /// Counts a login attempt or connection delayed or refused by throttling.
    pub fn auth_throttled(&self) {
        self.auth.throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message whose file was found truncated or altered when a client asked for it.
    pub fn damaged_message(&self) {
        self.damaged_messages.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let families: [(&str, &str, &str, CounterField); 4] = [
            ("bushbuck_connections_total", "counter", "Connections accepted.", |c| &c.connections_total),
            ("bushbuck_connections_open", "gauge", "Connections open now.", |c| &c.connections_open),
            ("bushbuck_logins_total", "counter", "Successful logins.", |c| &c.logins_ok),
            ("bushbuck_login_failures_total", "counter", "Failed logins.", |c| &c.logins_failed),
        ];
        for (name, kind, help, field) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for p in Protocol::ALL {
                let _ = writeln!(
                    out,
                    "{name}{{protocol=\"{}\"}} {}",
                    p.name(),
                    get(field(&self.protocols[p.index()]))
                );
            }
        }
        let _ = writeln!(out, "# HELP bushbuck_command_duration_seconds Time to execute a command.");
        let _ = writeln!(out, "# TYPE bushbuck_command_duration_seconds histogram");
        let commands = self.commands.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for ((protocol, command), h) in commands {
            let labels = format!("protocol=\"{protocol}\",command=\"{command}\"");
            for (bound, count) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "bushbuck_command_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ =
                writeln!(out, "bushbuck_command_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "bushbuck_command_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "bushbuck_command_duration_seconds_count{{{labels}}} {}", h.count);
        }
        let _ = writeln!(out, "# HELP bushbuck_deliveries_total Deliveries to one recipient, by result.");
        let _ = writeln!(out, "# TYPE bushbuck_deliveries_total counter");
        let _ = writeln!(out, "bushbuck_deliveries_total{{result=\"ok\"}} {}", get(&self.deliveries_ok));
        let _ =
            writeln!(out, "bushbuck_deliveries_total{{result=\"failed\"}} {}", get(&self.deliveries_failed));
        let _ = writeln!(out, "# HELP bushbuck_delivered_bytes_total Octets delivered.");
        let _ = writeln!(out, "# TYPE bushbuck_delivered_bytes_total counter");
        let _ = writeln!(out, "bushbuck_delivered_bytes_total {}", get(&self.delivered_bytes));
        let _ = writeln!(out, "# HELP bushbuck_connections_refused_total Connections refused at accept.");
        let _ = writeln!(out, "# TYPE bushbuck_connections_refused_total counter");
        let refusals = self.refusals.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for ((listener, reason), n) in refusals {
            let _ = writeln!(
                out,
                "bushbuck_connections_refused_total{{listener=\"{listener}\",reason=\"{reason}\"}} {n}"
            );
        }
        let counters: [(&str, &str, &str, &AtomicU64); 6] = [
            ("bushbuck_auth_failures_total", "counter", "Failed password checks.", &self.auth.failures),
            (
                "bushbuck_auth_cache_hits_total",
                "counter",
                "Logins whose password the verified-password cache recognised (no Argon2 run).",
                &self.auth.cache_hits,
            ),
            ("bushbuck_auth_bans_total", "counter", "Sources banned for failing too often.", &self.auth.bans),
            ("bushbuck_auth_banned", "gauge", "Sources banned now.", &self.auth.banned),
            (
                "bushbuck_auth_throttled_total",
                "counter",
                "Login attempts and connections delayed or refused by throttling.",
                &self.auth.throttled,
            ),
            (
                "bushbuck_damaged_messages_total",
                "counter",
                "Message files found truncated or altered when read (answered as damaged).",
                &self.damaged_messages,
            ),
        ];
        for (name, kind, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}", get(value));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        let open = m.connection(Protocol::Imap);
        m.login(Protocol::Imap, true);
        m.login(Protocol::Pop3, false);
        m.command(Protocol::Imap, "FETCH", Duration::from_millis(3));
        m.delivery(true, 100);
        m.refused("imaps", "access");
        m.refused("imaps", "access");
        let text = m.render();
        assert!(text.contains("bushbuck_connections_refused_total{listener=\"imaps\",reason=\"access\"} 2"));
        assert!(text.contains("bushbuck_connections_open{protocol=\"imap\"} 1"));
        assert!(text.contains("bushbuck_logins_total{protocol=\"imap\"} 1"));
        assert!(text.contains("bushbuck_login_failures_total{protocol=\"pop3\"} 1"));
        assert!(text.contains(
            "bushbuck_command_duration_seconds_bucket{protocol=\"imap\",command=\"FETCH\",le=\"0.0025\"} 0"
        ));
        assert!(text.contains(
            "bushbuck_command_duration_seconds_bucket{protocol=\"imap\",command=\"FETCH\",le=\"0.005\"} 1"
        ));
        assert!(text.contains("bushbuck_delivered_bytes_total 100"));
        drop(open);
        assert!(m.render().contains("bushbuck_connections_open{protocol=\"imap\"} 0"));
    }
}
