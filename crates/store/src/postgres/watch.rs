//! Change notification across nodes: every write that changes a mailbox sends
//! `NOTIFY bushbuck_mail` in its own transaction (so it is delivered if and only if the change
//! commits), and each store keeps a listener thread with a connection of its own that wakes the
//! in-process watchers ([`Notifier`]) of the mailboxes other nodes changed. The listener
//! reconnects by itself after a database outage and then wakes every watcher, so changes
//! whose notifications were lost meanwhile are found at once (sessions poll now and then too).

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use super::database::{Tx, TxResult};
use super::statements::Statements;
use crate::api::MailboxId;
use crate::notify::Notifier;

/// The channel every node listens on.
const CHANNEL: &str = "bushbuck_mail";

/// How often the listener looks whether its store is gone, and waits before reconnecting.
const TICK: Duration = Duration::from_secs(1);

/// Sends, inside `tx`, one notification per changed mailbox: `NODE OWNER MAILBOX MODSEQ`
/// (tab separated; `node` tells the sender's own listener to skip it, since the sender woke
/// its watchers itself).
pub(crate) fn announce(
    tx: &mut Tx<'_>,
    node: u64,
    owner: &str,
    changed: &[(MailboxId, u64)],
) -> TxResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let payloads: Vec<String> =
        changed.iter().map(|(mailbox, modseq)| format!("{node}\t{owner}\t{}\t{modseq}", mailbox.0)).collect();
    tx.exec("SELECT pg_notify($1, p) FROM unnest($2::TEXT[]) AS p", &[&CHANNEL, &payloads])?;
    Ok(())
}

/// The listener thread of one store; stops when dropped.
pub(crate) struct Listener {
    stop: Arc<AtomicBool>,
}

impl Listener {
    /// Starts listening on the database at `url` for changes made by nodes other than `node`,
    /// waking `notifier`'s watchers.
    /// Listening has begun when this returns (or, with the database unreachable, begins as
    /// soon as it is back), so no change committed after it is missed.
    pub(crate) fn start(url: &str, node: u64, notifier: Arc<Notifier>) -> Listener {
        let stop = Arc::new(AtomicBool::new(false));
        // The URL was parsed when the store was opened.
        let Ok(config) = postgres::Config::from_str(url) else { return Listener { stop } };
        let first = super::database::blocking(|| connect(&config))
            .map_err(|e| tracing::warn!(error = %e, "change listener cannot reach PostgreSQL yet; retrying"))
            .ok();
        let stopped = stop.clone();
        let started = std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || listen(&config, first, node, &notifier, &stopped));
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start the change listener: other nodes' changes wake no one here");
        }
        Listener { stop }
    }
}

/// A connection listening on [`CHANNEL`].
fn connect(config: &postgres::Config) -> std::result::Result<postgres::Client, postgres::Error> {
    let mut client = config.connect(postgres::NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Delivers until `stop`, starting with the connection `first` if there is one, and
/// connecting again after every failure.
fn listen(
    config: &postgres::Config,
    mut first: Option<postgres::Client>,
    node: u64,
    notifier: &Notifier,
    stop: &AtomicBool,
) {
    let mut logged = false;
    let mut missed = first.is_none();
    while !stop.load(Ordering::Relaxed) {
        let client = match first.take() {
            Some(client) => Ok(client),
            None => connect(config),
        };
        let client = client.inspect(|_| {
            if missed {
                // Changes made while this node was not listening notified no one here: every
                // watcher looks for itself.
                notifier.wake_all();
                if logged {
                    tracing::info!("change listener reached PostgreSQL again");
                }
                (missed, logged) = (false, false);
            }
        });
        match client.and_then(|client| deliver(client, node, notifier, stop)) {
            Ok(()) => return,
            Err(e) => {
                missed = true;
                if !logged {
                    tracing::warn!(error = %e, "change listener lost PostgreSQL; reconnecting");
                    logged = true;
                }
                std::thread::sleep(TICK);
            }
        }
    }
}

/// One connection's life: `Ok` when asked to stop, `Err` when the connection failed.
fn deliver(
    mut client: postgres::Client,
    node: u64,
    notifier: &Notifier,
    stop: &AtomicBool,
) -> std::result::Result<(), postgres::Error> {
    while !stop.load(Ordering::Relaxed) {
        {
            let mut notifications = client.notifications();
            let mut batch = notifications.timeout_iter(TICK);
            while let Some(note) = batch.next()? {
                if let Some((from, owner, mailbox, modseq)) = parse(note.payload()) {
                    if from != node {
                        notifier.notify(owner, mailbox, modseq);
                    }
                }
            }
        }
        // A dead connection yields no notifications and no error: ask it.
        client.batch_execute("")?;
    }
    Ok(())
}

/// `NODE OWNER MAILBOX MODSEQ` from a payload [`announce`] wrote.
fn parse(payload: &str) -> Option<(u64, &str, MailboxId, u64)> {
    let mut fields = payload.split('\t');
    let node = fields.next()?.parse().ok()?;
    let owner = fields.next()?;
    let mailbox = MailboxId(fields.next()?.parse().ok()?);
    let modseq = fields.next()?.parse().ok()?;
    Some((node, owner, mailbox, modseq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        assert_eq!(parse("7\talice@example.org\t42\t9"), Some((7, "alice@example.org", MailboxId(42), 9)));
        assert_eq!(parse("7\talice"), None);
        assert_eq!(parse("x\talice\t1\t2"), None);
    }
}
