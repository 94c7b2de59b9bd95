//! The message objects' life: registered before they are put, kept alive when newly
//! referenced, and removed only by the sweeper, after a grace period, when no row names them.
//!
//! `mail_objects` has a row per object with the time it was last registered or newly
//! referenced (`stored_at`). The rules that make this safe across nodes:
//! - an append registers its objects (stamping `stored_at` now) in a transaction of its own,
//!   *then* puts them, *then* commits the rows naming them; a copy stamps the objects it
//!   references in its own transaction;
//! - the sweeper deletes an object only while holding the lock on its `mail_objects` row, only
//!   if `stored_at` is older than the grace period and no message row names it, and removes
//!   the row in the same transaction.
//!
//! So an object an append or copy is about to reference is either stamped recently (the
//! sweeper leaves it alone) or was swept before it was registered (the append puts it again).
//! Objects without a row (a crash between a sweep's delete and its commit) are given one
//! and swept like the others.

use std::time::Duration;

use super::database::{Database, Tx, TxResult};
use super::statements::{Element, Statements};
use crate::clock::now;
use crate::error::Result;
use crate::object_blobs::BlobStore;

/// How many objects one sweeping transaction considers.
const SWEEP_BATCH: usize = 256;

/// Registers objects about to be put (stamping them now) and returns those that message rows
/// already name: they exist, and cannot be swept within the grace period, so need no put.
pub(crate) fn register(db: &Database, shas: &[&str]) -> Result<Vec<String>> {
    let mut shas: Vec<&str> = shas.to_vec();
    // One order for every node, so two registrations of the same objects cannot deadlock.
    shas.sort_unstable();
    shas.dedup();
    let (named, _) = db.write(|tx, _| {
        tx.exec(
            "INSERT INTO mail_objects (sha, stored_at) SELECT unnest($1::TEXT[]), $2
             ON CONFLICT (sha) DO UPDATE SET stored_at = excluded.stored_at",
            &[&shas, &now()],
        )?;
        named_by_rows(tx, &shas)
    })?;
    Ok(named)
}

/// Stamps objects a copy is about to reference, so a sweep that has not locked them yet
/// leaves them alone (and one that has makes this wait until it committed).
pub(crate) fn keep_alive(tx: &mut Tx<'_>, shas: &[String]) -> TxResult<()> {
    let mut shas: Vec<&str> = shas.iter().map(String::as_str).collect();
    shas.sort_unstable();
    shas.dedup();
    tx.exec("UPDATE mail_objects SET stored_at = $2 WHERE sha = ANY($1)", &[&shas, &now()])?;
    Ok(())
}

/// Those of `shas` that some message row names (or a retained row of an expunged message).
fn named_by_rows<T: Element>(tx: &mut Tx<'_>, shas: &[T]) -> TxResult<Vec<String>> {
    let rows = tx.fetch(
        "SELECT blob FROM mail_messages WHERE blob = ANY($1) UNION SELECT blob FROM mail_retained WHERE blob = ANY($1)",
        &[&shas],
    )?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Removes the objects that no message row names and that were stored or last referenced
/// more than `grace` ago (an hour is a good choice: longer than any append takes), with their
/// search text. Safe on any number of nodes at once and while the store is in use. Returns
/// how many objects were removed.
pub(crate) fn sweep(db: &Database, blobs: &dyn BlobStore, grace: Duration) -> Result<u64> {
    let cutoff = now() - grace.as_secs() as i64;
    // Retained rows of expunged messages older than the grace: no session still needs them.
    db.write(|tx, _| Ok(tx.exec("DELETE FROM mail_retained WHERE expunged_at <= $1", &[&cutoff])?))?;
    let mut candidates = blobs.stored_before(grace)?;
    candidates.extend(db.read(|tx| {
        let rows = tx.fetch(
            "SELECT sha FROM mail_objects o WHERE stored_at <= $1
             AND NOT EXISTS (SELECT 1 FROM mail_messages m WHERE m.blob = o.sha)
             AND NOT EXISTS (SELECT 1 FROM mail_retained r WHERE r.blob = o.sha)",
            &[&cutoff],
        )?;
        Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>())
    })?);
    candidates.sort_unstable();
    candidates.dedup();
    let mut removed = 0;
    for batch in candidates.chunks(SWEEP_BATCH) {
        let (count, _) = db.write(|tx, _| sweep_batch(tx, blobs, batch, cutoff))?;
        removed += count;
    }
    Ok(removed)
}

/// Sweeps one batch of candidates under the locks of their rows.
fn sweep_batch(tx: &mut Tx<'_>, blobs: &dyn BlobStore, batch: &[String], cutoff: i64) -> TxResult<u64> {
    let named = named_by_rows(tx, batch)?;
    let unnamed: Vec<&String> = batch.iter().filter(|sha| !named.contains(sha)).collect();
    if unnamed.is_empty() {
        return Ok(0);
    }
    tx.exec(
        "INSERT INTO mail_objects (sha, stored_at) SELECT unnest($1::TEXT[]), 0 ON CONFLICT DO NOTHING",
        &[&unnamed],
    )?;
    // Waits for appends and copies stamping these objects, and sees their new stamp.
    let locked: Vec<String> = tx
        .fetch(
            "SELECT sha FROM mail_objects WHERE sha = ANY($1) AND stored_at <= $2 ORDER BY sha FOR UPDATE",
            &[&unnamed, &cutoff],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    // A new statement: sees every row committed while this one waited for the locks.
    let named = named_by_rows(tx, &locked)?;
    let doomed: Vec<&String> = locked.iter().filter(|sha| !named.contains(sha)).collect();
    for sha in &doomed {
        blobs.delete(sha)?;
    }
    tx.exec("DELETE FROM mail_objects WHERE sha = ANY($1)", &[&doomed])?;
    tx.exec("DELETE FROM mail_search_text WHERE blob = ANY($1)", &[&doomed])?;
    Ok(doomed.len() as u64)
}
