//! FETCH and UID FETCH: every RFC 3501 item plus BINARY, MODSEQ, SAVEDATE and EMAILID.

use bushbuck_mime::{BinaryError, SectionPart};
use bushbuck_proto::imap::command::{FetchAttribute, PartialRange, Section, SectionText, SequenceSet};
use bushbuck_proto::imap::response;
use bushbuck_store::{FlagChange, MessageMeta, MetaParts, StoreError};

use super::message_table::Entry;
use super::seen::overlay;
use super::sequence::message_uids;
use super::session::{Outcome, Session};
use super::wire;
use crate::acl::Rights;

/// How many messages' metadata are loaded at a time, to bound memory on huge mailboxes.
const BATCH: usize = 256;

/// What a FETCH needs from the store besides the index row.
struct Needs {
    /// The index row (anything but UID, FLAGS and MODSEQ, which the session's view has).
    meta: bool,
    header: bool,
    full: bool,
    sets_seen: bool,
}

fn needs(items: &[FetchAttribute]) -> Needs {
    let mut n = Needs { meta: false, header: false, full: false, sets_seen: false };
    for item in items {
        n.meta |= !matches!(item, FetchAttribute::Uid | FetchAttribute::Flags | FetchAttribute::ModSeq);
        match item {
            FetchAttribute::Rfc822Header => n.header = true,
            FetchAttribute::Rfc822 | FetchAttribute::Rfc822Text => {
                n.full = true;
                n.sets_seen = true;
            }
            FetchAttribute::BodySection { peek, section, .. } => {
                let header_only = section.part.is_empty()
                    && matches!(
                        section.text,
                        Some(
                            SectionText::Header
                                | SectionText::HeaderFields(_)
                                | SectionText::HeaderFieldsNot(_)
                        )
                    );
                if header_only {
                    n.header = true;
                } else {
                    n.full = true;
                }
                n.sets_seen |= !peek;
            }
            FetchAttribute::Binary { peek, .. } => {
                n.full = true;
                n.sets_seen |= !peek;
            }
            FetchAttribute::BinarySize { .. } => n.full = true,
            _ => {}
        }
    }
    n
}

impl Session {
    pub(super) fn fetch(
        &mut self,
        uid_cmd: bool,
        set: &SequenceSet,
        items: &[FetchAttribute],
        changed_since: Option<u64>,
        partial: Option<PartialRange>,
    ) -> Outcome {
        if changed_since.is_some() || items.iter().any(|i| matches!(i, FetchAttribute::ModSeq)) {
            self.enable_condstore();
        }
        let Some(view) = self.selected.as_ref() else {
            return Outcome::Bad("No mailbox selected".into());
        };
        let mut uids = match message_uids(uid_cmd, set, view) {
            Ok(u) => u,
            Err(o) => return o,
        };
        if let Some(since) = changed_since {
            uids.retain(|u| view.get(*u).is_some_and(|m| m.modseq > since));
        }
        // RFC 9394 3.3: only the messages at these positions among those left.
        if let Some(range) = partial {
            uids = range.window(&uids).to_vec();
        }
        let need = needs(items);
        let (user, id, viewer) = (view.owner.clone(), view.id, view.viewer.clone());
        // Reading sets \Seen only where the session may keep it (RFC 4314: s right).
        let keeps_seen = !view.read_only && view.rights.contains(Rights::SEEN);
        let mut seen_now = Vec::new();
        if need.sets_seen && keeps_seen {
            let unseen: Vec<u32> = uids
                .iter()
                .copied()
                .filter(|u| view.get(*u).is_some_and(|m| !m.flags.iter().any(|f| f == "\\Seen")))
                .collect();
            if !unseen.is_empty() {
                let flags = vec!["\\Seen".to_string()];
                let stored = self.blocking(|s| match &viewer {
                    Some(v) => s.set_seen(&user, id, v, &unseen, true),
                    None => {
                        s.store_flags(&user, id, &unseen, FlagChange::Add, &flags, None).map(|u| u.updated)
                    }
                });
                match stored {
                    Ok(mut states) => {
                        if viewer.is_some() {
                            states.iter_mut().for_each(|s| overlay(s, true));
                        }
                        let view = self.selected.as_mut().expect("selected");
                        for state in &states {
                            view.record(state);
                        }
                        seen_now = unseen;
                    }
                    Err(e) => return e.into(),
                }
            }
        }
        let mut failed = false;
        let mut corrupt = false;
        let mut vanished = false;
        for chunk in uids.chunks(BATCH) {
            let metas: Vec<(u32, Option<MessageMeta>)> = if need.meta {
                match self.blocking(|s| {
                    s.fetch_meta(&user, id, chunk, MetaParts { structure: true, header: need.header })
                }) {
                    Ok(mut m) => {
                        // Messages another session expunged since this one last looked have
                        // no row; the store may have retained them for this session.
                        if m.len() < chunk.len() {
                            match self.retained(&user, id, chunk, &m, need.header) {
                                Ok(kept) => m.extend(kept),
                                Err(e) => return e.into(),
                            }
                            m.sort_unstable_by_key(|m| m.uid);
                            vanished |= m.len() < chunk.len();
                        }
                        m.into_iter().map(|m| (m.uid, Some(m))).collect()
                    }
                    Err(e) => return e.into(),
                }
            } else {
                // UID, FLAGS and MODSEQ come from the view, as this session knows them.
                chunk.iter().map(|uid| (*uid, None)).collect()
            };
            for (uid, meta) in metas {
                let body = if need.full {
                    match self.blocking(|s| s.read_message(&user, id, uid)) {
                        Ok(b) => Some(b),
                        Err(StoreError::Damaged(why)) => {
                            // Logged by the store; the other messages are still served.
                            tracing::error!(uid, error = %why, "damaged message not served");
                            self.ctx.metrics.damaged_message();
                            corrupt = true;
                            continue;
                        }
                        Err(e) => {
                            let gone = self.blocking(|s| s.fetch_meta(&user, id, &[uid], MetaParts::FACTS));
                            if gone.is_ok_and(|m| m.is_empty()) {
                                vanished = true;
                            } else {
                                tracing::error!(uid, error = %e, "cannot read message file");
                                failed = true;
                            }
                            continue;
                        }
                    }
                } else {
                    None
                };
                let add_flags = seen_now.binary_search(&uid).is_ok();
                // MODSEQ goes with CHANGEDSINCE and, under CONDSTORE, with a flag change
                // (RFC 7162 3.1), never into an answer that did not ask for it otherwise.
                let add_modseq = changed_since.is_some() || (add_flags && self.condstore);
                match self.fetch_line(
                    uid_cmd,
                    items,
                    Message { uid, meta: meta.as_ref(), body: body.as_deref() },
                    add_flags,
                    add_modseq,
                ) {
                    Ok(line) => self.conn.write(&line),
                    Err(outcome) => return outcome,
                }
            }
        }
        if corrupt {
            return Outcome::No(
                "[CORRUPTION] Some messages are damaged and were not sent; the server log says which".into(),
            );
        }
        if failed {
            return Outcome::No(
                "[SERVERBUG] Some messages could not be read; the server log says which".into(),
            );
        }
        if vanished && !uid_cmd {
            return Outcome::No("[EXPUNGEISSUED] Some of the requested messages no longer exist".into());
        }
        Outcome::done(if uid_cmd { "UID FETCH" } else { "FETCH" })
    }

    /// The retained metadata (see `Store::hold_expunged`) of the UIDs of `chunk` that
    /// `found` lacks: messages expunged by another session that this one has not announced.
    fn retained(
        &self,
        user: &str,
        id: bushbuck_store::MailboxId,
        chunk: &[u32],
        found: &[MessageMeta],
        header: bool,
    ) -> Result<Vec<MessageMeta>, StoreError> {
        let missing: Vec<u32> =
            chunk.iter().copied().filter(|u| found.binary_search_by_key(u, |m| m.uid).is_err()).collect();
        self.blocking(|s| s.retained_meta(user, id, &missing, MetaParts { structure: true, header }))
    }

    /// One `* n FETCH (...)` response for a message.
    fn fetch_line(
        &self,
        uid_cmd: bool,
        items: &[FetchAttribute],
        message: Message<'_>,
        add_flags: bool,
        add_modseq: bool,
    ) -> Result<Vec<u8>, Outcome> {
        let Message { uid, meta, body } = message;
        let view = self.selected.as_ref().expect("selected");
        let Some(seq) = view.seq_of(uid) else {
            return Ok(Vec::new());
        };
        let state = view.get(uid).expect("in view");
        // Present whenever an item needs it (see `needs`).
        let row =
            || meta.ok_or_else(|| Outcome::No("[SERVERBUG] Message data missing; please report".into()));
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let has = |f: fn(&FetchAttribute) -> bool| items.iter().any(f);
        // Once QRESYNC is on every FETCH answer names its UID, as Dovecot does (the client keys
        // its cache by UID, RFC 7162 3.2), as for UID FETCH.
        if (uid_cmd || self.qresync) && !has(|i| matches!(i, FetchAttribute::Uid)) {
            parts.push(format!("UID {}", uid).into_bytes());
        }
        for item in items {
            let part = match item {
                FetchAttribute::Uid => format!("UID {}", uid).into_bytes(),
                FetchAttribute::Flags => flags_item(state, self.shows_recent(uid)),
                FetchAttribute::InternalDate => {
                    let m = row()?;
                    let date = response::date_time(m.internal_date, m.internal_date_offset);
                    format!("INTERNALDATE \"{date}\"").into_bytes()
                }
                FetchAttribute::Rfc822Size => format!("RFC822.SIZE {}", row()?.size).into_bytes(),
                FetchAttribute::Envelope => format!("ENVELOPE {}", row()?.envelope).into_bytes(),
                FetchAttribute::BodyStructure => {
                    format!("BODYSTRUCTURE {}", row()?.body_structure).into_bytes()
                }
                FetchAttribute::Body => format!("BODY {}", row()?.body).into_bytes(),
                FetchAttribute::ModSeq => format!("MODSEQ ({})", state.modseq).into_bytes(),
                FetchAttribute::SaveDate => {
                    format!("SAVEDATE \"{}\"", response::date_time(row()?.save_date, 0)).into_bytes()
                }
                FetchAttribute::EmailId => format!("EMAILID ({})", row()?.email_id).into_bytes(),
                FetchAttribute::ThreadId => b"THREADID NIL".to_vec(),
                FetchAttribute::Rfc822 => literal_item("RFC822", body.unwrap_or_default()),
                FetchAttribute::Rfc822Header => {
                    let header = meta.and_then(|m| m.header.as_deref()).unwrap_or_default();
                    literal_item("RFC822.HEADER", header)
                }
                FetchAttribute::Rfc822Text => {
                    let text = bushbuck_mime::section(body.unwrap_or_default(), &[], SectionPart::Text)
                        .unwrap_or_default();
                    literal_item("RFC822.TEXT", &text)
                }
                FetchAttribute::BodySection { section, partial, .. } => {
                    let source = body.or(meta.and_then(|m| m.header.as_deref())).unwrap_or_default();
                    section_item(section, *partial, source)
                }
                FetchAttribute::Binary { part, partial, .. } => {
                    let data = binary_content(body.unwrap_or_default(), part)?;
                    partial_item(&format!("BINARY[{}]", dotted(part)), &data, *partial, true)
                }
                FetchAttribute::BinarySize { part } => {
                    let data = binary_content(body.unwrap_or_default(), part)?;
                    format!("BINARY.SIZE[{}] {}", dotted(part), data.len()).into_bytes()
                }
            };
            parts.push(part);
        }
        if add_flags && !has(|i| matches!(i, FetchAttribute::Flags)) {
            parts.push(flags_item(state, self.shows_recent(uid)));
        }
        if add_modseq && !has(|i| matches!(i, FetchAttribute::ModSeq)) {
            parts.push(format!("MODSEQ ({})", state.modseq).into_bytes());
        }
        let mut line = format!("* {seq} FETCH (").into_bytes();
        line.extend(parts.join(&b' '));
        line.extend_from_slice(b")\r\n");
        Ok(line)
    }
}

/// What FETCH has read of one message.
struct Message<'a> {
    uid: u32,
    /// The index row, when an item needs it.
    meta: Option<&'a MessageMeta>,
    /// The whole message, when an item needs it.
    body: Option<&'a [u8]>,
}

/// BINARY content of a part; a part that does not exist is empty (as Dovecot answers), an
/// encoding that cannot be undone is refused with UNKNOWN-CTE (RFC 3516).
fn binary_content(message: &[u8], part: &[u32]) -> Result<Vec<u8>, Outcome> {
    match bushbuck_mime::binary(message, part) {
        Ok(data) => Ok(data),
        Err(BinaryError::NoSuchPart) => Ok(Vec::new()),
        Err(BinaryError::UnknownEncoding) => {
            Err(Outcome::No("[UNKNOWN-CTE] Unknown Content-Transfer-Encoding".into()))
        }
    }
}

fn flags_item(state: Entry<'_>, recent: bool) -> Vec<u8> {
    format!("FLAGS {}", wire::flag_list(state.flags, recent)).into_bytes()
}

/// `NAME {n}\r\ndata`.
fn literal_item(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("{name} {{{}}}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out
}

/// `NAME[<origin>] data`, cutting the data to `<offset.length>` when given; `binary` uses
/// literal8 when the data holds NUL.
fn partial_item(name: &str, data: &[u8], partial: Option<(u32, u32)>, binary: bool) -> Vec<u8> {
    let (name, data) = match partial {
        Some((offset, length)) => {
            let start = (offset as usize).min(data.len());
            let end = start.saturating_add(length as usize).min(data.len());
            (format!("{name}<{offset}>"), &data[start..end])
        }
        None => (name.to_string(), data),
    };
    if binary && data.contains(&0) {
        let mut out = format!("{name} ~{{{}}}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out
    } else {
        literal_item(&name, data)
    }
}

fn dotted(part: &[u32]) -> String {
    part.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(".")
}

/// The section specification as echoed in the response, e.g. `1.HEADER.FIELDS (From)`.
fn section_spec(section: &Section) -> String {
    let mut spec = dotted(&section.part);
    let text = match &section.text {
        None => return spec,
        Some(SectionText::Header) => "HEADER".to_string(),
        Some(SectionText::Text) => "TEXT".to_string(),
        Some(SectionText::Mime) => "MIME".to_string(),
        Some(SectionText::HeaderFields(names)) => format!("HEADER.FIELDS ({})", field_names(names)),
        Some(SectionText::HeaderFieldsNot(names)) => {
            format!("HEADER.FIELDS.NOT ({})", field_names(names))
        }
    };
    if !spec.is_empty() {
        spec.push('.');
    }
    spec.push_str(&text);
    spec
}

fn field_names(names: &[String]) -> String {
    names.iter().map(|n| response::astring(n.to_ascii_uppercase().as_bytes())).collect::<Vec<_>>().join(" ")
}

fn section_item(section: &Section, partial: Option<(u32, u32)>, message: &[u8]) -> Vec<u8> {
    let name = format!("BODY[{}]", section_spec(section));
    let kind = match &section.text {
        None => SectionPart::Full,
        Some(SectionText::Header) => SectionPart::Header,
        Some(SectionText::Text) => SectionPart::Text,
        Some(SectionText::Mime) => SectionPart::Mime,
        Some(SectionText::HeaderFields(n)) => SectionPart::HeaderFields(n),
        Some(SectionText::HeaderFieldsNot(n)) => SectionPart::HeaderFieldsNot(n),
    };
    // A part that does not exist is answered with an empty string, as Dovecot does.
    let data = bushbuck_mime::section(message, &section.part, kind).unwrap_or_default();
    partial_item(&name, &data, partial, false)
}
