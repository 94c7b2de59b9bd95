//! Rebuilding a user's index from the message files (`bushbuck reconstruct`).
//!
//! Every content-addressed file under `users/<user>/blobs` is a message. Two cases:
//!
//! - The index opens and passes `PRAGMA integrity_check`: it is repaired in place. First every
//!   value of every row is read and rows that do not decode are repaired from their files
//!   (see `damage`). Messages it
//!   knows keep mailbox, UID, flags, dates and MODSEQ, and get their search text recomputed
//!   from their files; rows whose file is missing are removed (recorded as expunged, so
//!   sessions and QRESYNC clients see them go); files no row refers to are appended to the
//!   mailbox [`RECOVERED_MAILBOX`] with new UIDs. They are not put in INBOX because such
//!   files are usually either appends that crashed before their commit or expunged messages
//!   whose unlink did not happen: resurrecting deleted mail into INBOX would surprise the
//!   user more than a separate folder.
//! - The index is missing, empty or damaged: it is renamed aside (`index.sqlite3.corrupt-
//!   <unix time>`, with its `-wal`/`-shm` files renamed alike so the copy stays readable)
//!   and a new one is created. Whatever rows can still be read from the damaged copy are
//!   salvaged (mailboxes, subscriptions, each message's mailbox, flags and internal date, in
//!   UID order); every other file goes to INBOX with no flags and its file time as internal
//!   date. All mailboxes get a fresh UIDVALIDITY, so clients resynchronise.
//!
//! No per-append recovery record (sidecar) is written: flags change after the append, so a
//! record written at append time would be stale, and keeping it current would cost a second
//! write per STORE. Backups (`bushbuck backup`) are the way to keep flags safe.
//!
//! Run it with the server stopped: the rebuild renames the index a running server may have
//! open, and an append in flight can look like an unreferenced file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};

use super::damage::DamagedRow;
use super::mailboxes::{self, bump_modseq};
use super::messages;
use super::{now, schema, usage, Effects, SqliteStore, INDEX_FILE};
use crate::api::{NewMessage, UsageFix};
use crate::blobs::BlobDir;
use crate::error::{Result, StoreError};
use crate::flagset::Flags;
use crate::hex;

/// The mailbox that receives files the surviving index did not know.
pub const RECOVERED_MAILBOX: &str = "Recovered";

/// Messages appended per transaction while rebuilding (bounded further by size).
const BATCH_MESSAGES: usize = 200;
/// Octets read into memory per append batch while rebuilding.
const BATCH_BYTES: usize = 32 << 20;

/// What [`SqliteStore::reconstruct`] found and did for one user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconstructReport {
    /// The user.
    pub user: String,
    /// True when the index was missing or damaged and a new one was built.
    pub rebuilt: bool,
    /// Where the damaged index was moved, if it existed.
    pub moved_aside: Option<PathBuf>,
    /// Messages whose mailbox and flags were read back from the damaged index.
    pub salvaged: u64,
    /// Messages the index holds afterwards (every copy counted).
    pub messages: u64,
    /// Files the index did not refer to that were added, and the mailbox they went to.
    pub recovered: u64,
    /// The mailbox recovered files went to (`Recovered`, or INBOX after a rebuild).
    pub recovered_into: Option<String>,
    /// (mailbox, UID) of index rows dropped because their file is missing (after a rebuild
    /// the UID is the one in the damaged index).
    pub missing: Vec<(String, u32)>,
    /// Files whose size differs from what the index recorded (kept; check them).
    pub damaged: Vec<String>,
    /// Files whose content no longer hashes to their name (altered after they were
    /// written; kept, restore them from a backup).
    pub altered: Vec<String>,
    /// Mailboxes whose usage counters were wrong and have been recounted.
    pub usage_fixed: Vec<UsageFix>,
    /// Rows whose values did not decode, repaired from their message files.
    pub repaired: Vec<DamagedRow>,
    /// True for [`SqliteStore::check_index`]: what was found, nothing changed (`rebuilt`
    /// then means the index would be rebuilt, `recovered` the files that would be added).
    pub check_only: bool,
}

impl ReconstructReport {
    /// Whether anything was (or, for a check, would be) repaired.
    pub fn found_damage(&self) -> bool {
        self.rebuilt
            || self.recovered > 0
            || !self.missing.is_empty()
            || !self.damaged.is_empty()
            || !self.altered.is_empty()
            || !self.usage_fixed.is_empty()
            || !self.repaired.is_empty()
    }
}

impl std::fmt::Display for ReconstructReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.user == crate::api::SHARED_OWNER {
            write!(f, "shared mailboxes: ")?;
        } else {
            write!(f, "user {}: ", self.user)?;
        }
        if self.check_only {
            write!(f, "index {}", if self.rebuilt { "damaged, would be rebuilt" } else { "read" })?;
            if self.rebuilt {
                return Ok(());
            }
        } else if self.rebuilt {
            write!(f, "index rebuilt")?;
            if self.salvaged > 0 {
                write!(f, " ({} messages salvaged from the damaged index)", self.salvaged)?;
            }
        } else {
            write!(f, "index checked")?;
        }
        write!(f, ", {} messages", self.messages)?;
        if self.recovered > 0 {
            let into = self.recovered_into.as_deref().unwrap_or("INBOX");
            let added = if self.check_only { "would be added" } else { "added" };
            write!(f, ", {} unindexed files {added} to {into}", self.recovered)?;
        }
        if !self.repaired.is_empty() {
            let done = if self.check_only { "undecodable" } else { "repaired" };
            write!(f, ", {} rows {done}", self.repaired.len())?;
        }
        if !self.missing.is_empty() {
            let s = if self.missing.len() == 1 { "" } else { "s" };
            write!(f, ", {} missing file{s} dropped", self.missing.len())?;
        }
        if !self.damaged.is_empty() {
            write!(f, ", {} files with a wrong size", self.damaged.len())?;
        }
        if !self.altered.is_empty() {
            write!(f, ", {} files whose content does not match their hash", self.altered.len())?;
        }
        if !self.usage_fixed.is_empty() {
            write!(f, ", usage of {} mailboxes recounted", self.usage_fixed.len())?;
        }
        if self.check_only {
            write!(f, "; nothing changed")?;
        }
        Ok(())
    }
}

/// One message file: size and modification time (seconds since the epoch).
#[derive(Debug, Clone, Copy)]
struct FileInfo {
    size: u64,
    mtime: i64,
}

/// A message row read back from a damaged index.
struct SalvagedRow {
    mailbox: String,
    uid: u32,
    blob: String,
    internal_date: (i64, i32),
    flags: Vec<String>,
}

/// What could be read from a damaged index.
#[derive(Default)]
struct Salvage {
    mailboxes: Vec<(String, Option<String>)>,
    subscriptions: Vec<String>,
    rows: Vec<SalvagedRow>,
}

impl SqliteStore {
    /// Rebuilds or repairs a user's index from the message files (see the module
    /// documentation of `reconstruct` for the rules). The user's directory must exist;
    /// the index need not. Run it while no server uses this data directory.
    pub fn reconstruct(&self, user: &str) -> Result<ReconstructReport> {
        let dir = self.user_dir(user)?;
        if !dir.is_dir() {
            return Err(StoreError::NoSuchUser);
        }
        self.users.lock().unwrap_or_else(|e| e.into_inner()).remove(user);
        let index = dir.join(INDEX_FILE);
        let blobs = BlobDir::new(dir.join("blobs"));
        let files = blob_files(&dir.join("blobs"))?;
        let mut report = ReconstructReport { user: user.to_string(), ..Default::default() };
        if index.is_file() && index_is_healthy(&index)? {
            let (mut conn, found_version) = schema::open(&index, false)?;
            super::acl::init_owner(&conn, user, found_version)?;
            if user != crate::api::SHARED_OWNER {
                mailboxes::ensure_inbox(&mut conn)?;
            }
            report.repaired = super::damage::repair(&mut conn, &blobs, user)?;
            repair_in_place(&mut conn, &blobs, &files, &mut report)?;
            report.usage_fixed = usage::fix(&mut conn)?;
        } else {
            report.rebuilt = true;
            let salvage = match move_aside(&index)? {
                Some(aside) => {
                    let salvage = salvage(&aside);
                    report.moved_aside = Some(aside);
                    salvage
                }
                None => Salvage::default(),
            };
            let (mut conn, _) = schema::open(&index, true)?;
            super::acl::init_owner(&conn, user, 0)?;
            mailboxes::ensure_inbox(&mut conn)?;
            rebuild(&mut conn, &blobs, &files, salvage, &mut report)?;
        }
        Ok(report)
    }
}

impl SqliteStore {
    /// What [`SqliteStore::reconstruct`] would do for `user`, changing nothing: whether the
    /// index would be rebuilt, rows that do not decode (every value of every row is read),
    /// rows whose file is missing or has another size, files no row refers to.
    pub fn check_index(&self, user: &str) -> Result<ReconstructReport> {
        let dir = self.user_dir(user)?;
        if !dir.is_dir() {
            return Err(StoreError::NoSuchUser);
        }
        let index = dir.join(INDEX_FILE);
        let blobs = BlobDir::new(dir.join("blobs"));
        let files = blob_files(blobs.dir())?;
        let mut report = ReconstructReport { user: user.to_string(), check_only: true, ..Default::default() };
        if !(index.is_file() && index_is_healthy(&index)?) {
            report.rebuilt = true;
            return Ok(report);
        }
        let conn = Connection::open_with_flags(&index, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        report.repaired = super::damage::find(&conn)?;
        if report.repaired.is_empty() {
            let survey = survey(&conn, &files, &mut report)?;
            for sha in &survey.referenced {
                if crate::blobs::content_address(&blobs.read(sha)?) != *sha {
                    report.altered.push(sha.clone());
                }
            }
            report.recovered = files.keys().filter(|sha| !survey.referenced.contains(*sha)).count() as u64;
            report.recovered_into = Some(RECOVERED_MAILBOX.to_string());
        }
        report.messages = count_messages(&conn)?;
        Ok(report)
    }
}

/// Whether the index opens, is a Bushbuck index (schema present) and passes integrity_check
/// (which, unlike quick_check, also checks that the indexes match the tables).
/// An index newer than this program is an error, never "damaged".
fn index_is_healthy(index: &Path) -> Result<bool> {
    let conn = match Connection::open_with_flags(index, OpenFlags::SQLITE_OPEN_READ_WRITE) {
        Ok(c) => c,
        Err(_) => return Ok(false),
    };
    let check = conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0));
    if !matches!(check.as_deref(), Ok("ok")) {
        return Ok(false);
    }
    match conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)) {
        Ok(v) if v > schema::SCHEMA_VERSION => Err(StoreError::Io(format!(
            "{} has schema version {v}, newer than this program ({}); use a newer bushbuck",
            index.display(),
            schema::SCHEMA_VERSION
        ))),
        Ok(0) | Err(_) => Ok(false),
        Ok(_) => Ok(conn.query_row("SELECT COUNT(*) FROM mailboxes", [], |r| r.get::<_, i64>(0)).is_ok()),
    }
}

/// Renames the index and its `-wal`/`-shm` files to `index.sqlite3.corrupt-<time>[...]`.
/// Returns the new name of the index, or None when there was no index file.
fn move_aside(index: &Path) -> Result<Option<PathBuf>> {
    let mut stamp = now();
    let name = |stamp: i64| index.with_file_name(format!("{INDEX_FILE}.corrupt-{stamp}"));
    while name(stamp).exists() {
        stamp += 1;
    }
    let aside = name(stamp);
    for suffix in ["-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", index.display()));
        if from.exists() {
            fs::rename(&from, format!("{}{suffix}", aside.display()))?;
        }
    }
    if !index.exists() {
        return Ok(None);
    }
    fs::rename(index, &aside)?;
    if let Some(dir) = index.parent() {
        crate::blobs::sync_dir(dir)?;
    }
    Ok(Some(aside))
}

/// Best effort: the rows that can still be read from a damaged index, read-only.
fn salvage(path: &Path) -> Salvage {
    let mut out = Salvage::default();
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return out;
    };
    let _ = (|| -> rusqlite::Result<()> {
        let mut stmt =
            conn.prepare("SELECT name, special_use FROM mailboxes WHERE selectable ORDER BY name")?;
        let mut rows = stmt.query([])?;
        while let Ok(Some(r)) = rows.next() {
            if let (Ok(name), Ok(special)) = (r.get(0), r.get(1)) {
                out.mailboxes.push((name, special));
            }
        }
        Ok(())
    })();
    let _ = (|| -> rusqlite::Result<()> {
        let mut stmt = conn.prepare("SELECT name FROM subscriptions ORDER BY name")?;
        let mut rows = stmt.query([])?;
        while let Ok(Some(r)) = rows.next() {
            if let Ok(name) = r.get(0) {
                out.subscriptions.push(name);
            }
        }
        Ok(())
    })();
    let _ = (|| -> rusqlite::Result<()> {
        let mut stmt = conn.prepare(
            "SELECT mb.name, m.uid, m.blob, m.internal_date, m.internal_date_offset, m.flags, m.keywords
             FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox ORDER BY mb.name, m.uid",
        )?;
        let mut rows = stmt.query([])?;
        while let Ok(Some(r)) = rows.next() {
            let row = (|| -> rusqlite::Result<SalvagedRow> {
                Ok(SalvagedRow {
                    mailbox: r.get(0)?,
                    uid: r.get(1)?,
                    blob: r.get(2)?,
                    internal_date: (r.get(3)?, r.get(4)?),
                    flags: Flags::from_columns(r.get(5)?, &r.get::<_, String>(6)?).to_strings(),
                })
            })();
            if let Ok(row) = row {
                out.rows.push(row);
            }
        }
        Ok(())
    })();
    out
}

/// Every message file under `blobs/`: content address -> size and time.
fn blob_files(dir: &Path) -> Result<BTreeMap<String, FileInfo>> {
    let mut out = BTreeMap::new();
    let shards = match fs::read_dir(dir) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    for shard in shards {
        let shard = shard?;
        if shard.file_name() == "tmp" || !shard.file_type()?.is_dir() {
            continue;
        }
        for file in fs::read_dir(shard.path())? {
            let file = file?;
            let Ok(name) = file.file_name().into_string() else { continue };
            if !hex::is_sha256(&name) || !name.starts_with(shard.file_name().to_str().unwrap_or("-")) {
                continue;
            }
            let meta = file.metadata()?;
            if !meta.is_file() {
                continue;
            }
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or_else(now, |d| d.as_secs() as i64);
            out.insert(name, FileInfo { size: meta.len(), mtime });
        }
    }
    Ok(out)
}

/// The message rows of a readable index held against the files.
struct Survey {
    /// Content addresses rows refer to whose file exists.
    referenced: BTreeSet<String>,
    /// Rows whose file is missing: mailbox id -> UIDs.
    gone: BTreeMap<i64, Vec<u32>>,
}

/// Reads every message row: rows whose file is missing go to `report.missing` (and the
/// survey's `gone`), files of another size than recorded to `report.damaged`.
fn survey(
    conn: &Connection,
    files: &BTreeMap<String, FileInfo>,
    report: &mut ReconstructReport,
) -> Result<Survey> {
    let mut out = Survey { referenced: BTreeSet::new(), gone: BTreeMap::new() };
    let mut stmt = conn.prepare(
        "SELECT m.mailbox, mb.name, m.uid, m.blob, m.size
         FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox ORDER BY mb.name, m.uid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (mailbox, name, uid, blob, size) = row?;
        match files.get(&blob) {
            None => {
                report.missing.push((name, uid));
                out.gone.entry(mailbox).or_default().push(uid);
            }
            Some(info) => {
                if info.size != size as u64 && !report.damaged.contains(&blob) {
                    report.damaged.push(blob.clone());
                }
                out.referenced.insert(blob);
            }
        }
    }
    // Files kept for sessions that have not been told of an expunge are not orphans: they
    // must not come back in `Recovered` (the rows go when released or stale).
    let has_retained =
        conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retained'")?.exists([])?;
    if has_retained {
        let mut stmt = conn.prepare("SELECT DISTINCT blob FROM retained")?;
        for blob in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let blob = blob?;
            if files.contains_key(&blob) {
                out.referenced.insert(blob);
            }
        }
    }
    Ok(out)
}

/// Repair of a readable index: drops rows without files, adds unreferenced files.
fn repair_in_place(
    conn: &mut Connection,
    blobs: &BlobDir,
    files: &BTreeMap<String, FileInfo>,
    report: &mut ReconstructReport,
) -> Result<()> {
    let referenced = {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Survey { referenced, gone } = survey(&tx, files, report)?;
        for (mailbox, uids) in gone {
            let modseq = bump_modseq(&tx, crate::api::MailboxId(mailbox))? as i64;
            for uid in uids {
                tx.execute("DELETE FROM messages WHERE mailbox = ?1 AND uid = ?2", params![mailbox, uid])?;
                tx.execute(
                    "INSERT OR REPLACE INTO expunged (mailbox, uid, modseq) VALUES (?1, ?2, ?3)",
                    params![mailbox, uid, modseq],
                )?;
            }
        }
        tx.commit()?;
        referenced
    };
    report.altered = rebuild_search_texts(conn, blobs, &referenced)?;
    let orphans: Vec<(&String, &FileInfo)> =
        files.iter().filter(|(sha, _)| !referenced.contains(*sha)).collect();
    if !orphans.is_empty() {
        match mailboxes::create(conn, RECOVERED_MAILBOX, None) {
            Ok(_) | Err(StoreError::MailboxExists) => {}
            Err(e) => return Err(e),
        }
        let items = sorted_by_time(orphans).into_iter().map(|(sha, info)| Item {
            sha: sha.clone(),
            flags: Vec::new(),
            date: (info.mtime, 0),
        });
        report.recovered = append_items(conn, blobs, RECOVERED_MAILBOX, items.collect())?;
        report.recovered_into = Some(RECOVERED_MAILBOX.to_string());
    }
    report.messages = count_messages(conn)?;
    Ok(())
}

/// Recomputes the search text of every file in `referenced` from its octets, and drops the
/// text of content no message refers to, in batches of transactions. Returns the files whose
/// octets no longer hash to their name (logged).
fn rebuild_search_texts(
    conn: &mut Connection,
    blobs: &BlobDir,
    referenced: &BTreeSet<String>,
) -> Result<Vec<String>> {
    let mut altered = Vec::new();
    conn.execute("DELETE FROM search_text WHERE blob NOT IN (SELECT blob FROM messages)", [])?;
    let mut batch: Vec<(String, Vec<u8>)> = Vec::new();
    let mut bytes = 0;
    let mut shas = referenced.iter().peekable();
    while let Some(sha) = shas.next() {
        let data = blobs.read(sha)?;
        if crate::blobs::content_address(&data) != *sha {
            tracing::error!(file = sha, "message file altered: its content does not match its hash");
            altered.push(sha.clone());
        }
        // Compressed here, outside the write transaction.
        let text = crate::search_text::pack(&bushbuck_mime::folded_body_text(&data));
        bytes += text.len();
        batch.push((sha.clone(), text));
        if batch.len() >= BATCH_MESSAGES || bytes >= BATCH_BYTES || shas.peek().is_none() {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            messages::replace_search_texts(&tx, &batch)?;
            tx.commit()?;
            batch.clear();
            bytes = 0;
        }
    }
    Ok(altered)
}

/// A file to append: its address, flags and internal date.
struct Item {
    sha: String,
    flags: Vec<String>,
    date: (i64, i32),
}

/// Files in time order (then by name, for a stable order).
fn sorted_by_time<'a>(mut v: Vec<(&'a String, &'a FileInfo)>) -> Vec<(&'a String, &'a FileInfo)> {
    v.sort_by(|a, b| (a.1.mtime, a.0).cmp(&(b.1.mtime, b.0)));
    v
}

/// Builds a new index from salvaged rows and files.
fn rebuild(
    conn: &mut Connection,
    blobs: &BlobDir,
    files: &BTreeMap<String, FileInfo>,
    salvage: Salvage,
    report: &mut ReconstructReport,
) -> Result<()> {
    for (name, special_use) in &salvage.mailboxes {
        if !is_canonical(name) {
            continue;
        }
        match mailboxes::create(conn, name, special_use.as_deref()) {
            Ok(_) | Err(StoreError::MailboxExists) => {}
            Err(e) => return Err(e),
        }
    }
    for name in &salvage.subscriptions {
        mailboxes::set_subscribed(conn, name, true)?;
    }
    let mut used = BTreeSet::new();
    let mut by_mailbox: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for row in salvage.rows {
        if !files.contains_key(&row.blob) {
            report.missing.push((row.mailbox, row.uid));
            continue;
        }
        if mailboxes::by_name(conn, &row.mailbox)?.is_none_or(|m| !m.selectable) {
            if !is_canonical(&row.mailbox) {
                continue;
            }
            match mailboxes::create(conn, &row.mailbox, None) {
                Ok(_) | Err(StoreError::MailboxExists) => {}
                Err(e) => return Err(e),
            }
        }
        used.insert(row.blob.clone());
        by_mailbox.entry(row.mailbox).or_default().push(Item {
            sha: row.blob,
            flags: row.flags,
            date: row.internal_date,
        });
    }
    for (mailbox, items) in by_mailbox {
        report.salvaged += append_items(conn, blobs, &mailbox, items)?;
    }
    let rest: Vec<_> = files.iter().filter(|(sha, _)| !used.contains(*sha)).collect();
    if !rest.is_empty() {
        let items = sorted_by_time(rest)
            .into_iter()
            .map(|(sha, info)| Item { sha: sha.clone(), flags: Vec::new(), date: (info.mtime, 0) })
            .collect();
        report.recovered = append_items(conn, blobs, "INBOX", items)?;
        report.recovered_into = Some("INBOX".to_string());
    }
    report.messages = count_messages(conn)?;
    Ok(())
}

/// Whether a name read back from a damaged index is a valid mailbox name as stored.
fn is_canonical(name: &str) -> bool {
    crate::names::canonical_mailbox_name(name).is_ok_and(|c| c == name)
}

/// Appends files to a mailbox in batches, in the given order; returns how many. A second
/// thread reads and parses the next batch while this one writes the current one to the index,
/// so the disk, the parser and SQLite work at the same time.
fn append_items(conn: &mut Connection, blobs: &BlobDir, mailbox: &str, items: Vec<Item>) -> Result<u64> {
    let (to_writer, batches) = std::sync::mpsc::sync_channel::<Result<Batch>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for batch in read_batches(blobs, items) {
                let failed = batch.is_err();
                if to_writer.send(batch).is_err() || failed {
                    return;
                }
            }
        });
        let mut done = 0;
        for batch in batches {
            let batch = batch?;
            let messages = batch.messages();
            let mut fx = Effects::default();
            messages::append(conn, blobs, mailbox, &messages, &batch.prepared, &mut fx)?;
            done += messages.len() as u64;
        }
        Ok(done)
    })
}

/// Files read and parsed, ready to be appended.
struct Batch {
    files: Vec<(Vec<u8>, Item)>,
    prepared: Vec<crate::prepared::Prepared>,
}

impl Batch {
    fn messages(&self) -> Vec<NewMessage<'_>> {
        self.files
            .iter()
            .map(|(data, item)| NewMessage {
                data,
                flags: item.flags.clone(),
                internal_date: Some(item.date),
            })
            .collect()
    }
}

/// The items' files in batches of at most [`BATCH_MESSAGES`] files or [`BATCH_BYTES`] octets,
/// each parsed.
fn read_batches(blobs: &BlobDir, items: Vec<Item>) -> impl Iterator<Item = Result<Batch>> + '_ {
    let mut items = items.into_iter().peekable();
    std::iter::from_fn(move || {
        items.peek()?;
        let mut files = Vec::new();
        let mut bytes = 0;
        while let Some(item) = items.next_if(|_| files.len() < BATCH_MESSAGES && bytes < BATCH_BYTES) {
            let data = match blobs.read(&item.sha) {
                Ok(d) => d,
                Err(e) => return Some(Err(e.into())),
            };
            bytes += data.len();
            files.push((data, item));
        }
        let mut batch = Batch { files, prepared: Vec::new() };
        batch.prepared =
            crate::prepared::prepare(&batch.messages().iter().map(|m| m.data).collect::<Vec<_>>());
        Some(Ok(batch))
    })
}

/// Messages in the index (every copy).
fn count_messages(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get::<_, i64>(0))? as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{FlagChange, Store};

    fn msg(n: u32) -> Vec<u8> {
        format!("Subject: m{n}\r\nFrom: a@example.org\r\n\r\nbody {n}\r\n").into_bytes()
    }

    fn setup() -> (tempfile::TempDir, SqliteStore) {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(tmp.path()).unwrap();
        store.create_user("u").unwrap();
        store.create_mailbox("u", "Work", None).unwrap();
        for n in 0..3 {
            let data = msg(n);
            let m = NewMessage {
                data: &data,
                flags: vec!["\\Seen".into()],
                internal_date: Some((1000 + n as i64, 0)),
            };
            store.append("u", if n == 0 { "INBOX" } else { "Work" }, &[m]).unwrap();
        }
        (tmp, store)
    }

    #[test]
    fn healthy_index_keeps_state_and_drops_missing() {
        let (tmp, store) = setup();
        let work = store.select("u", "Work").unwrap();
        store.store_flags("u", work.id, &[1], FlagChange::Add, &["$Important".into()], None).unwrap();
        let sha = crate::blobs::content_address(&msg(2));
        fs::remove_file(tmp.path().join("users/u/blobs").join(&sha[..2]).join(&sha)).unwrap();
        let fresh = SqliteStore::open(tmp.path()).unwrap();
        let r = fresh.reconstruct("u").unwrap();
        assert!(!r.rebuilt);
        assert_eq!(r.missing, vec![("Work".to_string(), 2)]);
        assert_eq!(r.messages, 2);
        let work2 = fresh.select("u", "Work").unwrap();
        assert_eq!(work2.uid_validity, work.uid_validity);
        assert_eq!(work2.messages.len(), 1);
        assert_eq!(work2.messages[0].flags, vec!["\\Seen".to_string(), "$Important".to_string()]);
        assert_eq!(fresh.expunged_since("u", work2.id, 0).unwrap(), vec![2]);
    }

    #[test]
    fn orphan_goes_to_recovered() {
        let (tmp, store) = setup();
        let data = b"Subject: orphan\r\n\r\nx\r\n";
        let sha = crate::blobs::content_address(data);
        BlobDir::new(tmp.path().join("users/u/blobs")).ensure(&sha, data).unwrap();
        let r = store.reconstruct("u").unwrap();
        assert_eq!((r.recovered, r.messages), (1, 4));
        let rec = store.select("u", RECOVERED_MAILBOX).unwrap();
        assert_eq!(store.read_message("u", rec.id, rec.messages[0].uid).unwrap(), data);
        // A second run finds nothing to do.
        let r = store.reconstruct("u").unwrap();
        assert_eq!((r.recovered, r.missing.len(), r.messages), (0, 0, 4));
    }

    #[test]
    fn damaged_index_is_rebuilt_and_salvaged() {
        let (tmp, store) = setup();
        drop(store);
        let index = tmp.path().join("users/u/index.sqlite3");
        fs::write(&index, b"garbage garbage garbage garbage").unwrap();
        let store = SqliteStore::open(tmp.path()).unwrap();
        let r = store.reconstruct("u").unwrap();
        assert!(r.rebuilt && r.moved_aside.is_some());
        assert_eq!((r.messages, r.recovered), (3, 3));
        assert_eq!(store.select("u", "INBOX").unwrap().messages.len(), 3);
    }

    #[test]
    fn deleted_index_with_salvageable_copy() {
        let (tmp, store) = setup();
        drop(store);
        let dir = tmp.path().join("users/u");
        // Simulate a damaged index that still reads: quick_check fails is hard to fake, so
        // remove the schema version instead (treated as not a Bushbuck index), which keeps
        // the rows readable for salvage.
        let conn = Connection::open(dir.join(INDEX_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 0).unwrap();
        drop(conn);
        let store = SqliteStore::open(tmp.path()).unwrap();
        let r = store.reconstruct("u").unwrap();
        assert!(r.rebuilt);
        assert_eq!((r.salvaged, r.recovered, r.messages), (3, 0, 3));
        let work = store.select("u", "Work").unwrap();
        assert_eq!(work.messages.len(), 2);
        assert!(work.messages.iter().all(|m| m.flags == vec!["\\Seen".to_string()]));
    }
}
