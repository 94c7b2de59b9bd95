//! Failed-login throttling, as Dovecot's auth penalty and fail2ban give it: failures are
//! counted per source (IPv4 address or IPv6 /64) and per account, answers to failed attempts
//! are delayed more and more, a source that keeps failing is banned for a while, and
//! password hashing is split into two bounded queues so that failing sources cannot starve
//! the others. A correct password from a clean source is never delayed or refused.

mod bans;
mod counters;
mod keys;
mod queues;

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use bans::{Ban, BanStore};
pub use keys::SourceKey;
pub use queues::{Lane, Place};

use crate::config::Config;
use crate::metrics::{Metrics, Protocol};
use bans::BanCache;
use counters::FailureCounters;
use queues::HashQueues;

/// Failures from one source answered without delay; later ones wait more and more.
const FREE_FAILURES: u32 = 2;
/// The delay of the first delayed answer; each further failure doubles it.
const FIRST_DELAY: Duration = Duration::from_millis(250);

/// The delay before answering the `failures`-th failure: none for the first
/// [`FREE_FAILURES`], then 250 ms doubling each time, at most `max`.
pub fn penalty(failures: u32, max: Duration) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(16);
    (FIRST_DELAY * (1u32 << doublings)).min(max)
}

/// Counters, bans and hashing queues shared by every protocol's logins.
pub struct Throttle {
    penalty_max: Duration,
    ban_failures: u32,
    ban_length: Duration,
    sources: Mutex<FailureCounters<SourceKey>>,
    accounts: Mutex<FailureCounters<String>>,
    bans: BanCache,
    queues: HashQueues,
}

impl Throttle {
    /// Reads the bans of the data directory and starts the hashing threads.
    pub fn new(config: &Config) -> Result<Throttle, String> {
        let decay = Duration::from_secs(config.auth_failure_decay_secs);
        Ok(Throttle {
            penalty_max: Duration::from_secs(config.auth_penalty_max_secs),
            ban_failures: config.auth_ban_failures,
            ban_length: Duration::from_secs(config.auth_ban_secs),
            sources: Mutex::new(FailureCounters::new(decay)),
            accounts: Mutex::new(FailureCounters::new(decay)),
            bans: BanCache::open(&config.data)?,
            queues: HashQueues::new(config.auth_hash_queue_max, config.auth_penalty_queue_max),
        })
    }

    /// The greeting-time refusal for a connection from a banned address, `None` to serve it.
    /// LMTP is never refused: it carries mail from the MTA, not logins.
    pub fn refuse_at_connect(
        &self,
        metrics: &Metrics,
        ip: IpAddr,
        protocol: Protocol,
    ) -> Option<&'static [u8]> {
        if protocol == Protocol::Lmtp || !self.is_banned(ip) {
            return None;
        }
        metrics.auth_throttled();
        Some(match protocol {
            Protocol::Imap => b"* BYE Too many failed logins from your address; try again later\r\n",
            Protocol::Pop3 => {
                b"-ERR [SYS/TEMP] Too many failed logins from your address; try again later\r\n"
            }
            Protocol::ManageSieve => b"BYE \"Too many failed logins from your address; try again later\"\r\n",
            Protocol::Lmtp => return None,
        })
    }

    /// True when `ip` (or its IPv6 /64) is banned now.
    pub fn is_banned(&self, ip: IpAddr) -> bool {
        self.bans.is_banned(SourceKey::from(ip))
    }

    /// A place in the hashing queue that suits `ip`: the main queue (waiting for a place)
    /// while it has no recent failures; `None` when a failing source has its one attempt in
    /// flight already.
    pub async fn enter(&self, ip: IpAddr) -> Option<Place<'_>> {
        let source = SourceKey::from(ip);
        let clean =
            || self.sources.lock().unwrap_or_else(|p| p.into_inner()).get(&source, Instant::now()) == 0;
        self.queues.enter(source, clean).await
    }

    /// Counts a failed login of `user` from `ip`, bans the source when it has failed
    /// `auth_ban_failures` times, and returns how long to wait before answering. The
    /// account's failures count only when this source had failed before.
    pub fn failed(&self, metrics: &Metrics, ip: IpAddr, user: &str) -> Duration {
        let (source, now) = (SourceKey::from(ip), Instant::now());
        let (earlier, from_source) = {
            let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
            (sources.get(&source, now), sources.add(source, now))
        };
        let of_account =
            self.accounts.lock().unwrap_or_else(|p| p.into_inner()).add(user.to_ascii_lowercase(), now);
        metrics.auth_failure();
        if self.ban_failures > 0 && from_source >= self.ban_failures && !self.bans.is_banned(source) {
            self.bans.ban(source, self.ban_length, from_source);
            metrics.auth_ban();
            metrics.set_auth_banned(self.bans.refresh());
            tracing::warn!(source = %source, failures = from_source, secs = self.ban_length.as_secs(), "ban");
        }
        let counted = if earlier > 0 { from_source.max(of_account) } else { from_source };
        let delay = penalty(counted, self.penalty_max);
        if !delay.is_zero() {
            metrics.auth_throttled();
        }
        delay
    }

    /// Re-reads the ban list if stale and updates the banned gauge.
    pub fn refresh(&self, metrics: &Metrics) {
        metrics.set_auth_banned(self.bans.refresh());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(data: &std::path::Path) -> Throttle {
        let config = Config { data: data.to_path_buf(), auth_ban_failures: 5, ..Config::default() };
        Throttle::new(&config).unwrap()
    }

    #[test]
    fn penalty_doubles_after_the_free_failures_up_to_the_cap() {
        let max = Duration::from_secs(15);
        let delays: Vec<u64> = (1..=10).map(|n| penalty(n, max).as_millis() as u64).collect();
        assert_eq!(delays, [0, 0, 250, 500, 1000, 2000, 4000, 8000, 15000, 15000]);
        assert_eq!(penalty(u32::MAX, max), max);
        assert_eq!(penalty(5, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_source_is_banned_after_enough_failures() {
        let dir = tempfile::tempdir().unwrap();
        let (t, metrics) = (throttle(dir.path()), Metrics::default());
        let attacker: IpAddr = "192.0.2.9".parse().unwrap();
        for _ in 0..4 {
            t.failed(&metrics, attacker, "alice");
        }
        assert!(!t.is_banned(attacker));
        t.failed(&metrics, attacker, "alice");
        assert!(t.is_banned(attacker));
        assert!(throttle(dir.path()).is_banned(attacker), "kept across a restart");
        let text = metrics.render();
        assert!(text.contains("bushbuck_auth_failures_total 5"), "{text}");
        assert!(text.contains("bushbuck_auth_bans_total 1"), "{text}");
        assert!(text.contains("bushbuck_auth_banned 1"), "{text}");
    }

    #[tokio::test]
    async fn an_attacked_account_does_not_slow_a_clean_source() {
        let dir = tempfile::tempdir().unwrap();
        let (t, metrics) = (throttle(dir.path()), Metrics::default());
        let attacker: IpAddr = "2001:db8::1".parse().unwrap();
        for _ in 0..4 {
            t.failed(&metrics, attacker, "alice");
        }
        let neighbour: IpAddr = "2001:db8::2".parse().unwrap();
        assert_eq!(t.enter(neighbour).await.unwrap().lane(), Lane::Penalty, "same /64 as the attacker");
        let user: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(t.enter(user).await.unwrap().lane(), Lane::Main);
        assert_eq!(t.failed(&metrics, user, "alice"), Duration::ZERO, "a first typo is not delayed");
        assert!(t.failed(&metrics, user, "alice") > Duration::ZERO, "now the account's failures count");
    }
}
