//! The `bruteforce` scenario: attacking connections guess a victim's password from one
//! loopback source while another user logs in from 127.0.0.1; reports that user's login
//! latency and the guesses per second the attacker got answered.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Imap;
use crate::{percentile, result, Res};

/// What the attacker saw.
#[derive(Default)]
struct Counts {
    /// Wrong passwords answered as wrong: what the attacker learns from.
    guesses: AtomicU64,
    /// Attempts refused without a check (NO [UNAVAILABLE] or another NO).
    throttled: AtomicU64,
    /// Connections refused at the greeting.
    refused: AtomicU64,
    /// Wrong passwords let in (must stay 0).
    accepted: AtomicU64,
}

/// Pause after a refusal before the attacker tries again, so the attacker's own loop does not
/// eat the cores the servers are measured on.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

async fn attacker(
    addr: String,
    source: IpAddr,
    victim: String,
    id: u64,
    deadline: Instant,
    counts: Arc<Counts>,
) {
    let mut n = 0u64;
    while Instant::now() < deadline {
        let mut c = match Imap::connect_from(&addr, Some(source)).await {
            Ok(c) => c,
            Err(e) => {
                if e.to_string().starts_with("greeting:") {
                    counts.refused.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
        };
        c.timeout = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
        while Instant::now() < deadline {
            n += 1;
            let Ok(r) = c.cmd(&format!("LOGIN \"{victim}\" \"wrong-{id}-{n}\""), false).await else { break };
            if r.ok() {
                counts.accepted.fetch_add(1, Ordering::Relaxed);
                break;
            } else if r.text.contains("AUTHENTICATIONFAILED") {
                counts.guesses.fetch_add(1, Ordering::Relaxed);
            } else {
                counts.throttled.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

/// Runs `connections` attackers from `source` against `victim` for `seconds`, while `user`
/// logs in from the default address every `interval_ms` (after a 2 s warm-up).
#[allow(clippy::too_many_arguments)]
pub async fn run(
    addr: String,
    source: IpAddr,
    victim: String,
    user: String,
    pass: String,
    connections: u64,
    seconds: u64,
    interval_ms: u64,
) -> Res<()> {
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(seconds);
    let counts = Arc::new(Counts::default());
    let attackers: Vec<_> = (0..connections)
        .map(|id| tokio::spawn(attacker(addr.clone(), source, victim.clone(), id, deadline, counts.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut latencies = Vec::new();
    let mut failed = 0u64;
    while Instant::now() + Duration::from_secs(1) < deadline {
        let t = Instant::now();
        let login = async {
            let mut c = Imap::connect(&addr).await?;
            c.login(&user, &pass).await?;
            let _ = c.cmd("LOGOUT", false).await;
            Ok::<_, std::io::Error>(())
        };
        match login.await {
            Ok(()) => latencies.push(t.elapsed().as_micros() as u64),
            Err(e) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("bruteforce: {user}'s login failed: {e}");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(interval_ms)).await;
    }
    for a in attackers {
        let _ = tokio::time::timeout(Duration::from_secs(20), a).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
    eprintln!(
        "bruteforce: {} logins of {user} (p50 {:.1} ms, p99 {:.1} ms, {failed} failed); attacker: {} guesses, {} throttled, {} refused, {} accepted in {secs:.1}s",
        latencies.len(),
        percentile(&latencies, 0.5) / 1000.0,
        percentile(&latencies, 0.99) / 1000.0,
        get(&counts.guesses),
        get(&counts.throttled),
        get(&counts.refused),
        get(&counts.accepted),
    );
    result("logins", latencies.len() as f64);
    result("failed_logins", failed as f64);
    result("login_p50_ms", percentile(&latencies, 0.5) / 1000.0);
    result("login_p99_ms", percentile(&latencies, 0.99) / 1000.0);
    result("guesses_per_s", get(&counts.guesses) / secs);
    result("throttled_per_s", get(&counts.throttled) / secs);
    result("refused_connections", get(&counts.refused));
    result("accepted_guesses", get(&counts.accepted));
    if latencies.is_empty() {
        return Err(format!("no login of {user} succeeded under the attack").into());
    }
    Ok(())
}
