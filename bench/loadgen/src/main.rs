//! bushbuck-loadgen: drives an IMAP/LMTP server on loopback and prints `RESULT name value`
//! lines that bench/run collects. Every loop is bounded by a count and a deadline.

mod bruteforce;
mod client;
mod corpus;
mod refusals;
mod stress;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use client::{Imap, Lmtp};
use refusals::Refusals;

#[derive(Parser)]
#[command(about = "Load generator for the Bushbuck benchmarks (loopback targets only)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// LMTP delivery: sessions × messages, one recipient each; reports messages/s.
    Lmtp {
        #[arg(long)]
        addr: String,
        #[arg(long, default_value_t = 4)]
        sessions: u64,
        /// Messages per session.
        #[arg(long, default_value_t = 500)]
        messages: u64,
        #[arg(long)]
        to: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// First corpus index (keeps Message-IDs apart between runs).
        #[arg(long, default_value_t = 0)]
        start: u64,
        #[arg(long, default_value_t = 600)]
        max_seconds: u64,
    },
    /// APPEND: connections × messages into one mailbox (created if missing); messages/s.
    Append {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        pass: String,
        #[arg(long, default_value_t = 4)]
        connections: u64,
        /// Messages per connection.
        #[arg(long, default_value_t = 500)]
        messages: u64,
        #[arg(long, default_value = "INBOX")]
        mailbox: String,
        #[arg(long, default_value_t = 2)]
        seed: u64,
        #[arg(long, default_value_t = 0)]
        start: u64,
        #[arg(long, default_value_t = 600)]
        max_seconds: u64,
    },
    /// Timings on a pre-filled mailbox: SELECT, FETCH flags, FETCH envelope+bodystructure,
    /// UID SEARCH HEADER Subject, SEARCH BODY (seconds each).
    FetchLarge {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        pass: String,
        #[arg(long, default_value = "INBOX")]
        mailbox: String,
    },
    /// Mixed workload: clients loop login, select, fetch, store, append, expunge, logout.
    Mixed {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        pass: String,
        #[arg(long, default_value_t = 16)]
        clients: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Mailbox (created and filled to --size first).
        #[arg(long, default_value = "mixed")]
        mailbox: String,
        #[arg(long, default_value_t = 200)]
        size: u64,
        #[arg(long, default_value_t = 3)]
        seed: u64,
    },
    /// Stress: clients run short sessions of every command kind as several users (see the
    /// `stress` module); commands/s and NO/BAD answers.
    Stress {
        #[arg(long)]
        addr: String,
        /// Users, comma-separated (same password).
        #[arg(long, value_delimiter = ',')]
        users: Vec<String>,
        #[arg(long)]
        pass: String,
        #[arg(long, default_value_t = 20)]
        clients: u64,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Mailbox of each user (created and filled to --size first).
        #[arg(long, default_value = "stress")]
        mailbox: String,
        #[arg(long, default_value_t = 100)]
        size: u64,
        #[arg(long, default_value_t = 5)]
        seed: u64,
    },
    /// Opens N IDLE sessions, then reports the server's memory per connection.
    Idle {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        pass: String,
        #[arg(long, default_value_t = 1000)]
        connections: u64,
        /// Server process; its descendants are counted too (Dovecot, Cyrus fork per client).
        #[arg(long)]
        pid: u32,
        #[arg(long, default_value = "INBOX")]
        mailbox: String,
        /// Connections being opened at once.
        #[arg(long, default_value_t = 16)]
        parallel: usize,
        #[arg(long, default_value_t = 600)]
        max_seconds: u64,
    },
    /// Brute force: connections guess --victim's password from --source while --user logs
    /// in from 127.0.0.1; reports that user's login p50/p99 and the attacker's guesses/s.
    Bruteforce {
        #[arg(long)]
        addr: String,
        /// Loopback source address of the attacker (any 127.x on Linux).
        #[arg(long, default_value = "127.0.0.2")]
        source: std::net::IpAddr,
        #[arg(long)]
        victim: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        pass: String,
        #[arg(long, default_value_t = 150)]
        connections: u64,
        #[arg(long, default_value_t = 25)]
        seconds: u64,
        /// Pause between two logins of --user.
        #[arg(long, default_value_t = 200)]
        interval_ms: u64,
    },
    /// Waits until the IMAP greeting arrives; prints seconds since --since-ns (UNIX ns).
    WaitReady {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        since_ns: u128,
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Logs in and selects INBOX once (servers that create INBOX on first login).
    Login {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        pass: String,
    },
    /// Writes corpus message I of SEED to stdout (for inspection).
    Corpus {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 0)]
        index: u64,
    },
}

pub(crate) fn result(name: &str, value: f64) {
    println!("RESULT {name} {value:.4}");
}

pub(crate) type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub(crate) fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64
}

async fn run_lmtp(
    addr: String,
    sessions: u64,
    messages: u64,
    to: String,
    seed: u64,
    start: u64,
    max: u64,
) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(max);
    let done = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..sessions {
        let (addr, to, done) = (addr.clone(), to.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = Lmtp::connect(&addr).await?;
            for i in 0..messages {
                if Instant::now() > deadline {
                    break;
                }
                let m = corpus::message(seed, start + s * messages + i);
                c.deliver("sender@example.org", &to, &m).await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            c.quit().await;
            Ok::<_, std::io::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = t0.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    eprintln!("lmtp: {n} messages in {secs:.2}s");
    result("messages", n as f64);
    result("seconds", secs);
    result("messages_per_s", n as f64 / secs);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn run_append(
    addr: String,
    user: String,
    pass: String,
    connections: u64,
    messages: u64,
    mailbox: String,
    seed: u64,
    start: u64,
    max: u64,
) -> Res<()> {
    {
        let mut c = Imap::connect(&addr).await?;
        c.login(&user, &pass).await?;
        if !mailbox.eq_ignore_ascii_case("INBOX") {
            let _ = c.cmd(&format!("CREATE \"{mailbox}\""), false).await?;
        }
        let _ = c.cmd("LOGOUT", false).await;
    }
    let deadline = Instant::now() + Duration::from_secs(max);
    let done = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..connections {
        let (addr, user, pass, mailbox, done) =
            (addr.clone(), user.clone(), pass.clone(), mailbox.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = Imap::connect(&addr).await?;
            c.login(&user, &pass).await?;
            for i in 0..messages {
                if Instant::now() > deadline {
                    break;
                }
                let m = corpus::message(seed, start + s * messages + i);
                let r = c.append(&mailbox, "", &m).await?;
                if !r.ok() {
                    return Err(std::io::Error::other(format!("APPEND: {}", r.text)));
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            let _ = c.cmd("LOGOUT", false).await;
            Ok::<_, std::io::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = t0.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    eprintln!("append: {n} messages in {secs:.2}s");
    result("messages", n as f64);
    result("seconds", secs);
    result("messages_per_s", n as f64 / secs);
    Ok(())
}

async fn run_fetch_large(addr: String, user: String, pass: String, mailbox: String) -> Res<()> {
    let mut c = Imap::connect(&addr).await?;
    c.login(&user, &pass).await?;
    let steps: [(&str, String); 6] = [
        ("select_s", format!("SELECT \"{mailbox}\"")),
        ("fetch_flags_s", "FETCH 1:* (UID FLAGS)".into()),
        ("fetch_envelope_bodystructure_s", "FETCH 1:* (ENVELOPE BODYSTRUCTURE)".into()),
        ("search_header_subject_s", format!("UID SEARCH HEADER Subject {}", corpus::SUBJECT_WORD)),
        ("search_body_s", format!("SEARCH BODY {}", corpus::BODY_WORD)),
        // Half the corpus answers an earlier message (In-Reply-To), so this builds real trees.
        ("thread_references_s", "UID THREAD REFERENCES UTF-8 ALL".into()),
    ];
    for (name, command) in steps.iter() {
        let t = Instant::now();
        let r = c.cmd(command, true).await?;
        let secs = t.elapsed().as_secs_f64();
        if !r.ok() {
            return Err(format!("{command}: {}", r.text).into());
        }
        let detail = if name.starts_with("select") {
            format!("{} messages", r.exists().unwrap_or(0))
        } else if name.starts_with("search") {
            format!("{} hits", r.search_count())
        } else {
            format!("{} octets", r.bytes)
        };
        eprintln!("fetch-large: {command}: {secs:.3}s ({detail})");
        result(name, secs);
        if name.starts_with("select") {
            result("messages", r.exists().unwrap_or(0) as f64);
        } else if name.starts_with("search") {
            result(&format!("{}_hits", name.trim_end_matches("_s")), r.search_count() as f64);
        }
    }
    let _ = c.cmd("LOGOUT", false).await;
    Ok(())
}

/// Latencies (µs) of a workload's commands, all and by command, and its NO/BAD answers.
#[derive(Default)]
pub(crate) struct MixedStats {
    latencies: Vec<u64>,
    by_command: std::collections::BTreeMap<&'static str, Vec<u64>>,
    refusals: Refusals,
}

impl MixedStats {
    /// Records one command that took `took` and was answered `reply`.
    pub(crate) fn record(&mut self, name: &'static str, took: Duration, reply: &client::Reply) {
        let us = took.as_micros() as u64;
        self.latencies.push(us);
        self.by_command.entry(name).or_default().push(us);
        if self.refusals.count(reply) && self.refusals.total() <= 3 {
            eprintln!("{name}: {}", reply.text);
        }
    }

    /// Adds another client's figures.
    pub(crate) fn merge(&mut self, other: MixedStats) {
        self.latencies.extend(other.latencies);
        self.refusals.add(other.refusals);
        for (k, v) in other.by_command {
            self.by_command.entry(k).or_default().extend(v);
        }
    }
}

/// Runs one command, recording its latency and answer.
pub(crate) async fn timed(
    stats: &mut MixedStats,
    name: &'static str,
    fut: impl std::future::Future<Output = std::io::Result<client::Reply>>,
) -> std::io::Result<client::Reply> {
    let t = Instant::now();
    let r = fut.await?;
    stats.record(name, t.elapsed(), &r);
    Ok(r)
}

/// Prints a workload's RESULT lines: commands, NO/BAD, commands/s, latency percentiles (all
/// and p50 by command); `label` prefixes the human-readable lines on stderr.
pub(crate) fn report_commands(label: &str, mut all: MixedStats, secs: f64) {
    all.latencies.sort_unstable();
    let n = all.latencies.len();
    eprintln!("{label}: {n} commands in {secs:.2}s, {} NO, {} BAD", all.refusals.no, all.refusals.bad);
    for (k, v) in all.by_command.iter_mut() {
        v.sort_unstable();
        eprintln!(
            "{label}: {k:14} n={:6} p50={:8.2}ms p95={:8.2}ms p99={:8.2}ms",
            v.len(),
            percentile(v, 0.5) / 1000.0,
            percentile(v, 0.95) / 1000.0,
            percentile(v, 0.99) / 1000.0
        );
        let key = k.to_ascii_lowercase().replace(' ', "_");
        result(&format!("p50_{key}_ms"), percentile(v, 0.5) / 1000.0);
    }
    result("commands", n as f64);
    all.refusals.report();
    result("commands_per_s", n as f64 / secs);
    result("p50_ms", percentile(&all.latencies, 0.5) / 1000.0);
    result("p95_ms", percentile(&all.latencies, 0.95) / 1000.0);
    result("p99_ms", percentile(&all.latencies, 0.99) / 1000.0);
}

#[allow(clippy::too_many_arguments)]
async fn mixed_client(
    addr: String,
    user: String,
    pass: String,
    mailbox: String,
    size: u64,
    seed: u64,
    id: u64,
    deadline: Instant,
) -> std::io::Result<MixedStats> {
    let mut st = MixedStats::default();
    let mut rng = corpus::Rng::new(seed * 7919 + id);
    let mut iteration = 0u64;
    let login = format!("LOGIN \"{user}\" \"{pass}\"");
    let select = format!("SELECT \"{mailbox}\"");
    while Instant::now() < deadline && iteration < 1_000_000 {
        let mut c = Imap::connect(&addr).await?;
        c.timeout = Duration::from_secs(120);
        let r = timed(&mut st, "LOGIN", c.cmd(&login, false)).await?;
        if !r.ok() {
            return Err(std::io::Error::other(r.text));
        }
        let r = timed(&mut st, "SELECT", c.cmd(&select, true)).await?;
        let n = r.exists().unwrap_or(0);
        if n > 0 {
            let lo = n.saturating_sub(19).max(1);
            timed(
                &mut st,
                "FETCH headers",
                c.cmd(&format!("FETCH {lo}:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"), false),
            )
            .await?;
            let k = 1 + rng.below(n);
            timed(&mut st, "FETCH body", c.cmd(&format!("FETCH {k} (BODY.PEEK[])"), false)).await?;
            timed(&mut st, "STORE", c.cmd(&format!("STORE {k} +FLAGS (\\Seen)"), false)).await?;
        }
        // Still inside the FETCH/STORE window where no EXPUNGE may be announced (RFC 3501
        // 7.4.1), so sequence numbers from SELECT are valid; APPEND may announce expunges.
        if n >= size {
            let j = 1 + rng.below(n);
            timed(&mut st, "STORE", c.cmd(&format!("STORE {j} +FLAGS (\\Deleted)"), false)).await?;
            timed(&mut st, "EXPUNGE", c.cmd("EXPUNGE", false)).await?;
        }
        let m = corpus::message(seed, 1_000_000 * (id + 1) + iteration);
        timed(&mut st, "APPEND", c.append(&mailbox, "", &m)).await?;
        timed(&mut st, "LOGOUT", c.cmd("LOGOUT", false)).await?;
        iteration += 1;
    }
    Ok(st)
}

#[allow(clippy::too_many_arguments)]
async fn run_mixed(
    addr: String,
    user: String,
    pass: String,
    clients: u64,
    seconds: u64,
    mailbox: String,
    size: u64,
    seed: u64,
) -> Res<()> {
    // Prepare the mailbox: create it, fill it to `size`.
    {
        let mut c = Imap::connect(&addr).await?;
        c.login(&user, &pass).await?;
        let _ = c.cmd(&format!("CREATE \"{mailbox}\""), false).await?;
        let r = c.cmd(&format!("SELECT \"{mailbox}\""), true).await?;
        let n = r.exists().unwrap_or(0);
        for i in n..size {
            c.append(&mailbox, "", &corpus::message(seed, i)).await?;
        }
        let _ = c.cmd("LOGOUT", false).await;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for id in 0..clients {
        tasks.push(tokio::spawn(mixed_client(
            addr.clone(),
            user.clone(),
            pass.clone(),
            mailbox.clone(),
            size,
            seed,
            id,
            deadline,
        )));
    }
    let mut all = MixedStats::default();
    for t in tasks {
        all.merge(t.await??);
    }
    report_commands("mixed", all, t0.elapsed().as_secs_f64());
    Ok(())
}

/// Memory (KiB) of a process and its descendants: (sum of VmRSS, sum of Pss).
fn tree_memory(root: u32) -> (u64, u64) {
    let mut parent = std::collections::HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                // pid (comm) state ppid ...
                if let Some(rest) = stat.rsplit_once(')').map(|x| x.1) {
                    if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) {
                        parent.insert(pid, ppid);
                    }
                }
            }
        }
    }
    let in_tree = |mut p: u32| {
        for _ in 0..64 {
            if p == root {
                return true;
            }
            match parent.get(&p) {
                Some(&pp) if pp != 0 => p = pp,
                _ => return false,
            }
        }
        false
    };
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (mut rss, mut pss) = (0, 0);
    for &pid in parent.keys() {
        if in_tree(pid) {
            rss += std::fs::read_to_string(format!("/proc/{pid}/status"))
                .map(|t| field(&t, "VmRSS:"))
                .unwrap_or(0);
            pss += std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
                .map(|t| field(&t, "Pss:"))
                .unwrap_or(0);
        }
    }
    (rss, pss)
}

#[allow(clippy::too_many_arguments)]
async fn run_idle(
    addr: String,
    user: String,
    pass: String,
    connections: u64,
    pid: u32,
    mailbox: String,
    parallel: usize,
    max: u64,
) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(max);
    // One session first so that one-time costs (caches, the user's store) are not charged
    // to the idle connections.
    let mut warm = Imap::connect(&addr).await?;
    warm.login(&user, &pass).await?;
    warm.cmd(&format!("SELECT \"{mailbox}\""), false).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss0, pss0) = tree_memory(pid);
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (addr, user, pass, mailbox, sem) =
            (addr.clone(), user.clone(), pass.clone(), mailbox.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            if Instant::now() > deadline {
                return Err(std::io::Error::other("deadline passed while opening"));
            }
            let mut c = Imap::connect(&addr).await?;
            c.login(&user, &pass).await?;
            let r = c.cmd(&format!("SELECT \"{mailbox}\""), false).await?;
            if !r.ok() {
                return Err(std::io::Error::other(r.text));
            }
            c.idle().await?;
            Ok(c)
        }));
    }
    let mut open = Vec::new();
    let mut failed = 0;
    for t in tasks {
        match t.await? {
            Ok(c) => open.push(c),
            Err(e) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("idle: {e}");
                }
            }
        }
    }
    let open_secs = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss1, pss1) = tree_memory(pid);
    let n = open.len() as f64;
    eprintln!(
        "idle: {} open ({failed} failed) in {open_secs:.1}s; tree RSS {rss0} -> {rss1} KiB, PSS {pss0} -> {pss1} KiB",
        open.len()
    );
    result("connections", n);
    result("failed_connections", failed as f64);
    result("open_seconds", open_secs);
    result("rss_kib_per_conn", rss1.saturating_sub(rss0) as f64 / n.max(1.0));
    result("pss_kib_per_conn", pss1.saturating_sub(pss0) as f64 / n.max(1.0));
    for c in open.iter_mut() {
        let _ = c.send_raw(b"DONE\r\nz LOGOUT\r\n").await;
    }
    drop(open);
    let _ = warm.cmd("LOGOUT", false).await;
    if failed > 0 && n == 0.0 {
        return Err("no IDLE connection could be opened".into());
    }
    Ok(())
}

async fn wait_ready(addr: String, since_ns: u128, timeout: u64) -> Res<()> {
    client::check_loopback(&addr)?;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    while Instant::now() < deadline {
        if let Ok(c) = Imap::connect(&addr).await {
            drop(c);
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
            result("ready_s", (now.saturating_sub(since_ns)) as f64 / 1e9);
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Err(format!("{addr}: no greeting within {timeout}s").into())
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Lmtp { addr, sessions, messages, to, seed, start, max_seconds } => {
            run_lmtp(addr, sessions, messages, to, seed, start, max_seconds).await
        }
        Cmd::Append { addr, user, pass, connections, messages, mailbox, seed, start, max_seconds } => {
            run_append(addr, user, pass, connections, messages, mailbox, seed, start, max_seconds).await
        }
        Cmd::FetchLarge { addr, user, pass, mailbox } => run_fetch_large(addr, user, pass, mailbox).await,
        Cmd::Mixed { addr, user, pass, clients, seconds, mailbox, size, seed } => {
            run_mixed(addr, user, pass, clients, seconds, mailbox, size, seed).await
        }
        Cmd::Stress { addr, users, pass, clients, seconds, mailbox, size, seed } => {
            stress::run(stress::Settings { addr, users, pass, clients, seconds, mailbox, size, seed }).await
        }
        Cmd::Idle { addr, user, pass, connections, pid, mailbox, parallel, max_seconds } => {
            run_idle(addr, user, pass, connections, pid, mailbox, parallel, max_seconds).await
        }
        Cmd::Bruteforce { addr, source, victim, user, pass, connections, seconds, interval_ms } => {
            bruteforce::run(addr, source, victim, user, pass, connections, seconds, interval_ms).await
        }
        Cmd::WaitReady { addr, since_ns, timeout } => wait_ready(addr, since_ns, timeout).await,
        Cmd::Login { addr, user, pass } => {
            async {
                let mut c = Imap::connect(&addr).await?;
                c.login(&user, &pass).await?;
                let r = c.cmd("SELECT INBOX", false).await?;
                let _ = c.cmd("LOGOUT", false).await;
                if r.ok() {
                    Ok(())
                } else {
                    Err(format!("SELECT INBOX: {}", r.text).into())
                }
            }
            .await
        }
        Cmd::Corpus { seed, index } => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(&corpus::message(seed, index));
            Ok(())
        }
    };
    if let Err(e) = r {
        eprintln!("loadgen: error: {e}");
        std::process::exit(1);
    }
}
