//! The `stress` scenario, of the shape of a conformance suite's stress mode: many clients
//! running short sessions, each logging in as one of several users and issuing every kind of
//! command (LIST, STATUS, SELECT or EXAMINE, FETCH of flags, envelopes and bodies, SEARCH,
//! STORE, COPY, EXPUNGE, APPEND, NOOP, a brief IDLE, LOGOUT) on a shared mailbox per user, so
//! that sessions of one user see each other's changes. Reports commands/s and the NO and BAD
//! answers: a server that loses track of its state under concurrency shows it there.

use std::time::{Duration, Instant};

use crate::client::Imap;
use crate::corpus::{self, Rng};
use crate::{report_commands, timed, MixedStats, Res};

/// One command of a session after its mailbox is open, in the order a session issues them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    FetchFlags,
    FetchEnvelopes,
    FetchBody,
    Search,
    Store,
    Expunge,
    Copy,
    Append,
    Noop,
    Idle,
}

impl Step {
    /// Steps that change the mailbox, skipped by a session that opened it with EXAMINE.
    fn writes(self) -> bool {
        matches!(self, Step::Store | Step::Copy | Step::Expunge | Step::Append)
    }

    /// Steps that name messages by the sequence numbers of the SELECT answer: they come
    /// before every step that may announce an expunge (RFC 3501 7.4.1 keeps them out of
    /// FETCH, STORE and SEARCH only). EXPUNGE's own STORE precedes its EXPUNGE.
    fn uses_sequence_numbers(self) -> bool {
        matches!(self, Step::FetchBody | Step::Store | Step::Expunge)
    }

    /// Steps during which the server may announce expunges (so renumber messages).
    fn announces_expunges(self) -> bool {
        matches!(self, Step::Expunge | Step::Copy | Step::Append | Step::Noop | Step::Idle)
    }
}

const ALL: [Step; 10] = [
    Step::FetchFlags,
    Step::FetchEnvelopes,
    Step::FetchBody,
    Step::Search,
    Step::Store,
    Step::Expunge,
    Step::Copy,
    Step::Append,
    Step::Noop,
    Step::Idle,
];

/// The steps of one session: each with probability 1/2 (EXPUNGE only when the mailbox is
/// full, so it stays near its size), write steps only when `writable`, in [`Step`] order.
pub fn plan(rng: &mut Rng, writable: bool, full: bool) -> Vec<Step> {
    ALL.into_iter()
        .filter(|s| writable || !s.writes())
        .filter(|s| *s != Step::Expunge || full)
        .filter(|s| *s == Step::Expunge || rng.below(2) == 0)
        .collect()
}

/// Settings of a stress run.
pub struct Settings {
    pub addr: String,
    pub users: Vec<String>,
    pub pass: String,
    pub clients: u64,
    pub seconds: u64,
    pub mailbox: String,
    pub size: u64,
    pub seed: u64,
}

/// Runs the scenario and prints its RESULT lines.
pub async fn run(s: Settings) -> Res<()> {
    if s.users.is_empty() {
        return Err("stress needs at least one user (--users a,b)".into());
    }
    for user in &s.users {
        prepare(&s, user).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(s.seconds);
    let t0 = Instant::now();
    let s = std::sync::Arc::new(s);
    let tasks: Vec<_> = (0..s.clients).map(|id| tokio::spawn(client(s.clone(), id, deadline))).collect();
    let mut all = MixedStats::default();
    for t in tasks {
        all.merge(t.await??);
    }
    report_commands("stress", all, t0.elapsed().as_secs_f64());
    Ok(())
}

/// Creates the user's stress mailbox and fills it to its size.
async fn prepare(s: &Settings, user: &str) -> Res<()> {
    let mut c = Imap::connect(&s.addr).await?;
    c.login(user, &s.pass).await?;
    let _ = c.cmd(&format!("CREATE \"{}\"", s.mailbox), false).await?;
    let r = c.cmd(&format!("SELECT \"{}\"", s.mailbox), true).await?;
    for i in r.exists().unwrap_or(0)..s.size {
        c.append(&s.mailbox, "", &corpus::message(s.seed, i)).await?;
    }
    let _ = c.cmd("LOGOUT", false).await;
    Ok(())
}

/// One client: short sessions until the deadline.
async fn client(s: std::sync::Arc<Settings>, id: u64, deadline: Instant) -> std::io::Result<MixedStats> {
    let mut st = MixedStats::default();
    let mut rng = Rng::new(s.seed * 104_729 + id);
    let mut session = 0u64;
    while Instant::now() < deadline && session < 1_000_000 {
        let user = &s.users[rng.below(s.users.len() as u64) as usize];
        let mut c = Imap::connect(&s.addr).await?;
        c.timeout = Duration::from_secs(120);
        let r = timed(&mut st, "LOGIN", c.cmd(&format!("LOGIN \"{user}\" \"{}\"", s.pass), false)).await?;
        if !r.ok() {
            return Err(std::io::Error::other(r.text));
        }
        timed(&mut st, "LIST", c.cmd("LIST \"\" \"*\"", false)).await?;
        let status = format!("STATUS \"{}\" (MESSAGES UIDNEXT UNSEEN)", s.mailbox);
        timed(&mut st, "STATUS", c.cmd(&status, false)).await?;
        let writable = rng.below(4) != 0;
        let open = format!("{} \"{}\"", if writable { "SELECT" } else { "EXAMINE" }, s.mailbox);
        let r = timed(&mut st, if writable { "SELECT" } else { "EXAMINE" }, c.cmd(&open, true)).await?;
        let n = r.exists().unwrap_or(0);
        let mut renumbered = false;
        for step in plan(&mut rng, writable, n >= s.size) {
            // plan() orders steps so that this skips only when the mailbox is empty.
            if step.uses_sequence_numbers() && (n == 0 || renumbered) {
                continue;
            }
            renumbered |= step.announces_expunges();
            let k = 1 + rng.below(n.max(1));
            match step {
                Step::FetchFlags => {
                    timed(&mut st, "FETCH flags", c.cmd("FETCH 1:* (UID FLAGS)", false)).await?
                }
                Step::FetchEnvelopes => {
                    let lo = n.saturating_sub(9).max(1);
                    let cmd = format!("FETCH {lo}:* (ENVELOPE INTERNALDATE RFC822.SIZE)");
                    timed(&mut st, "FETCH envelope", c.cmd(&cmd, false)).await?
                }
                Step::FetchBody => {
                    timed(&mut st, "FETCH body", c.cmd(&format!("FETCH {k} (BODY.PEEK[])"), false)).await?
                }
                Step::Search => timed(&mut st, "SEARCH", c.cmd("SEARCH UNSEEN SUBJECT \"a\"", false)).await?,
                Step::Store => {
                    timed(&mut st, "STORE", c.cmd(&format!("STORE {k} FLAGS (\\Seen)"), false)).await?
                }
                // Message 1 is still there after expunges: the mailbox stays near its size.
                Step::Copy => {
                    timed(&mut st, "COPY", c.cmd(&format!("COPY 1 \"{}\"", s.mailbox), false)).await?
                }
                Step::Expunge => {
                    timed(&mut st, "STORE", c.cmd(&format!("STORE {k},1 +FLAGS (\\Deleted)"), false)).await?;
                    timed(&mut st, "EXPUNGE", c.cmd("EXPUNGE", false)).await?
                }
                Step::Append => {
                    let m = corpus::message(s.seed, 1_000_000 * (id + 1) + session);
                    timed(&mut st, "APPEND", c.append(&s.mailbox, "", &m)).await?
                }
                Step::Noop => timed(&mut st, "NOOP", c.cmd("NOOP", false)).await?,
                Step::Idle => {
                    let t = Instant::now();
                    let tag = c.idle().await?;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let reply = c.idle_done(&tag).await?;
                    st.record("IDLE", t.elapsed(), &reply);
                    reply
                }
            };
        }
        timed(&mut st, "LOGOUT", c.cmd("LOGOUT", false)).await?;
        session += 1;
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_cover_every_step_in_a_safe_order() {
        let mut rng = Rng::new(1);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let writable = i % 4 != 0;
            let steps = plan(&mut rng, writable, i % 2 == 0);
            assert!(steps.windows(2).all(|w| w[0] < w[1]), "out of order: {steps:?}");
            assert!(writable || steps.iter().all(|s| !s.writes()), "EXAMINE session writes: {steps:?}");
            for (i, step) in steps.iter().enumerate() {
                if step.uses_sequence_numbers() {
                    assert!(
                        !steps[..i].iter().any(|s| s.announces_expunges()),
                        "renumbered before {step:?}: {steps:?}"
                    );
                }
            }
            seen.extend(steps);
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ALL.to_vec(), "some command kind never ran");
    }

    #[test]
    fn a_full_writable_mailbox_always_expunges_and_a_small_one_never_does() {
        let mut rng = Rng::new(2);
        for _ in 0..50 {
            assert!(plan(&mut rng, true, true).contains(&Step::Expunge));
            assert!(!plan(&mut rng, true, false).contains(&Step::Expunge));
            assert!(!plan(&mut rng, false, true).contains(&Step::Expunge));
        }
    }
}
