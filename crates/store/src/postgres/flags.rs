//! STORE: flag changes with UNCHANGEDSINCE, and the per-mailbox keyword spellings.

use std::collections::HashMap;

use super::database::{Effects, Tx, TxResult};
use super::mailboxes::{bump_modseq, selectable_by_id};
use super::messages::uid_array;
use super::statements::Statements;
use crate::api::{FlagChange, FlagUpdate, MailboxId, MessageState};
use crate::flagset::Flags;

/// Maps keywords to the spelling first seen in the mailbox, registering new ones (in the
/// order given), in two statements whatever their number.
pub(crate) fn canonical_keywords(
    tx: &mut Tx<'_>,
    mailbox: MailboxId,
    keywords: &[String],
) -> TxResult<Vec<String>> {
    if keywords.is_empty() {
        return Ok(Vec::new());
    }
    let lnames: Vec<String> = keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
    tx.exec(
        "INSERT INTO mail_keywords (mailbox, lname, name)
         SELECT $1, k.lname, k.name FROM unnest($2::TEXT[], $3::TEXT[]) WITH ORDINALITY AS k(lname, name, n)
         ORDER BY k.n ON CONFLICT DO NOTHING",
        &[&mailbox.0, &lnames, &keywords],
    )?;
    let rows = tx.fetch(
        "SELECT lname, name FROM mail_keywords WHERE mailbox = $1 AND lname = ANY($2)",
        &[&mailbox.0, &lnames],
    )?;
    let spelled: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    Ok(lnames
        .iter()
        .zip(keywords)
        .map(|(lname, given)| {
            spelled.iter().find(|(l, _)| l == lname).map_or_else(|| given.clone(), |(_, name)| name.clone())
        })
        .collect())
}

/// A mailbox's spelling of some keywords, by their lower-case form.
pub(crate) struct Spellings(HashMap<String, String>);

impl Spellings {
    /// The spellings of every keyword in `flags`, registering those the mailbox has not seen
    /// (in the order they first appear).
    pub(crate) fn of<'f>(
        tx: &mut Tx<'_>,
        mailbox: MailboxId,
        flags: impl IntoIterator<Item = &'f Flags>,
    ) -> TxResult<Spellings> {
        let mut keywords: Vec<String> = Vec::new();
        for k in flags.into_iter().flat_map(|f| &f.keywords) {
            if !keywords.iter().any(|seen| seen.eq_ignore_ascii_case(k)) {
                keywords.push(k.clone());
            }
        }
        let spelled = canonical_keywords(tx, mailbox, &keywords)?;
        Ok(Spellings(keywords.iter().map(|k| k.to_ascii_lowercase()).zip(spelled).collect()))
    }

    /// The keywords column of `flags`, each keyword in the mailbox's spelling.
    pub(crate) fn column(&self, flags: &Flags) -> String {
        let spell = |k: &String| self.0.get(&k.to_ascii_lowercase()).cloned().unwrap_or_else(|| k.clone());
        Flags { system: flags.system, keywords: flags.keywords.iter().map(spell).collect() }.keywords_column()
    }
}

/// What a STORE asks for.
#[derive(Clone, Copy)]
pub(crate) struct FlagStore<'a> {
    /// Replace, add or remove.
    pub change: FlagChange,
    /// The flags given, parsed.
    pub flags: &'a Flags,
    /// UNCHANGEDSINCE, if given.
    pub unchanged_since: Option<u64>,
}

/// Changes flags of `uids`; messages changed after `unchanged_since` are refused. Messages
/// whose flags end up as they were keep their MODSEQ; the others share one new MODSEQ,
/// written in one statement.
pub(crate) fn store(
    tx: &mut Tx<'_>,
    owner: &str,
    mailbox: MailboxId,
    uids: &[u32],
    store: &FlagStore<'_>,
    fx: &mut Effects,
) -> TxResult<FlagUpdate> {
    let FlagStore { change, flags, unchanged_since } = *store;
    let m = selectable_by_id(tx, owner, mailbox)?;
    let mut given = flags.clone();
    if change != FlagChange::Remove {
        given.keywords = canonical_keywords(tx, m.id, &given.keywords)?;
    }
    let rows = tx.fetch(
        "SELECT uid, modseq, flags, keywords FROM mail_messages WHERE mailbox = $1 AND uid = ANY($2)
         ORDER BY uid FOR UPDATE",
        &[&m.id.0, &uid_array(uids)],
    )?;
    let mut update = FlagUpdate::default();
    // (index into update.updated, new flags) of the messages that change.
    let mut changed: Vec<(usize, Flags)> = Vec::new();
    for row in &rows {
        let uid = row.get::<_, i64>(0) as u32;
        let modseq = row.get::<_, i64>(1) as u64;
        if unchanged_since.is_some_and(|since| modseq > since) {
            update.modified.push(uid);
            continue;
        }
        let current = Flags::from_columns(row.get(2), row.get(3));
        let next = current.apply(change, &given);
        if next.same_as(&current) {
            update.updated.push(MessageState { uid, flags: current.to_strings(), modseq });
            continue;
        }
        update.updated.push(MessageState { uid, flags: next.to_strings(), modseq });
        changed.push((update.updated.len() - 1, next));
    }
    if changed.is_empty() {
        return Ok(update);
    }
    let stamp = bump_modseq(tx, m.id)?;
    let uids: Vec<i64> = changed.iter().map(|(i, _)| i64::from(update.updated[*i].uid)).collect();
    let systems: Vec<i64> = changed.iter().map(|(_, f)| f.system).collect();
    let keywords: Vec<String> = changed.iter().map(|(_, f)| f.keywords_column()).collect();
    tx.exec(
        "UPDATE mail_messages m SET flags = n.flags, keywords = n.keywords, modseq = $2
         FROM unnest($3::BIGINT[], $4::BIGINT[], $5::TEXT[]) AS n(uid, flags, keywords)
         WHERE m.mailbox = $1 AND m.uid = n.uid",
        &[&m.id.0, &(stamp as i64), &uids, &systems, &keywords],
    )?;
    for (i, _) in &changed {
        update.updated[*i].modseq = stamp;
    }
    fx.notify.push((m.id, stamp));
    Ok(update)
}
