//! SEARCH and UID SEARCH, with ESEARCH (RETURN MIN MAX ALL COUNT) and SEARCHRES (SAVE).

use bushbuck_proto::imap::command::{SearchDate, SearchKey, SearchReturn};
use bushbuck_store::{MessageMeta, MetaParts};
use chrono::{DateTime, NaiveDate};

use super::contexts::Query;
use super::esearch::Found;
use super::sequence::set_contains;
use super::session::{Outcome, Session};

/// A message that matched a search.
pub(super) struct Hit {
    /// Its sequence number.
    pub seq: u32,
    /// Its MODSEQ.
    pub modseq: u64,
    /// Its index row (with the header block when asked for).
    pub meta: MessageMeta,
}

/// What evaluating the keys will need besides flags and the index row.
#[derive(Default)]
struct Needs {
    header: bool,
    body: bool,
}

fn needs(key: &SearchKey, n: &mut Needs) {
    use SearchKey::*;
    match key {
        And(keys) => keys.iter().for_each(|k| needs(k, n)),
        Not(k) => needs(k, n),
        Or(a, b) => {
            needs(a, n);
            needs(b, n);
        }
        Bcc(_) | Cc(_) | From(_) | To(_) | Subject(_) | Header(..) | SentBefore(_) | SentOn(_)
        | SentSince(_) => n.header = true,
        Body(_) => n.body = true,
        Text(_) => {
            n.header = true;
            n.body = true;
        }
        _ => {}
    }
}

/// Calls `f` on every key of the tree, parents before their children.
fn visit_mut(key: &mut SearchKey, f: &mut impl FnMut(&mut SearchKey)) {
    use SearchKey::*;
    f(key);
    match key {
        And(keys) => keys.iter_mut().for_each(|k| visit_mut(k, f)),
        Not(k) => visit_mut(k, f),
        Or(a, b) => {
            visit_mut(a, f);
            visit_mut(b, f);
        }
        _ => {}
    }
}

/// Converts every string of the key tree from `charset` to UTF-8.
fn transcode(key: &mut SearchKey, charset: &'static encoding_rs::Encoding) {
    use SearchKey::*;
    visit_mut(key, &mut |k| {
        if let Bcc(s) | Body(s) | Cc(s) | From(s) | Subject(s) | Text(s) | To(s) | Header(_, s) = k {
            let (text, _, _) = charset.decode(s);
            *s = text.into_owned().into_bytes();
        }
    });
}

/// Folds the strings of BODY and TEXT keys once, as the search text index is folded, so
/// each message's text is scanned without folding the needle again.
fn fold_body_needles(key: &mut SearchKey) {
    visit_mut(key, &mut |k| {
        if let SearchKey::Body(s) | SearchKey::Text(s) = k {
            *s = bushbuck_mime::fold(&String::from_utf8_lossy(s)).into_bytes();
        }
    });
}

/// Whether the folded body text holds the (folded) needle: for TEXT the whole text, for BODY
/// without the header lines of embedded messages (`bushbuck_mime::without_embedded_headers`).
fn body_contains(c: &Candidate, needle: &[u8], embedded_headers: bool) -> bool {
    c.body_text.as_deref().is_some_and(|b| {
        let text = if embedded_headers {
            std::borrow::Cow::Borrowed(b)
        } else {
            bushbuck_mime::without_embedded_headers(b)
        };
        memchr::memmem::find(text.as_bytes(), needle).is_some()
    })
}

/// One message as the evaluator sees it.
struct Candidate<'a> {
    seq: u32,
    uid: u32,
    flags: &'a [String],
    recent: bool,
    meta: &'a MessageMeta,
    header: &'a [u8],
    /// The body's search text, already folded (`Store::search_texts`), when the keys need it.
    body_text: Option<String>,
}

struct Context<'a> {
    count: u32,
    max_uid: u32,
    saved: &'a [u32],
    now: i64,
}

fn has_flag(c: &Candidate, flag: &str) -> bool {
    c.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
}

fn civil(secs: i64, offset_minutes: i32) -> Option<NaiveDate> {
    DateTime::from_timestamp(secs + offset_minutes as i64 * 60, 0).map(|d| d.date_naive())
}

fn date_of(d: &SearchDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.0, d.1, d.2)
}

fn header_matches(c: &Candidate, field: &str, needle: &[u8]) -> bool {
    let needle = String::from_utf8_lossy(needle);
    if !needle.is_empty() && !bushbuck_mime::header_may_contain(c.header, &needle) {
        return false;
    }
    let values = bushbuck_mime::header_values(c.header, field);
    if needle.is_empty() {
        return !values.is_empty();
    }
    values.iter().any(|v| bushbuck_mime::contains_folded(v, &needle))
}

/// FROM, TO, CC and BCC: the header text holds the needle, or one of its addresses as
/// parsed (`name <local@domain>`, without comments, quoting or folding) does,
/// so `<user (comment)@ (comment) domain.org>` matches `user@domain.org` as in Dovecot.
fn address_matches(c: &Candidate, field: &str, needle: &[u8]) -> bool {
    if header_matches(c, field, needle) {
        return true;
    }
    let needle = String::from_utf8_lossy(needle);
    let lossy = |b: &Option<Vec<u8>>| String::from_utf8_lossy(b.as_deref().unwrap_or_default()).into_owned();
    bushbuck_mime::header_values(c.header, field).iter().any(|value| {
        bushbuck_mime::parse_address_list(value.as_bytes()).iter().any(|a| {
            let spec = format!("{}@{}", lossy(&a.mailbox), lossy(&a.domain));
            let name = lossy(&a.name);
            a.domain.is_some()
                && (bushbuck_mime::contains_folded(&spec, &needle)
                    || bushbuck_mime::contains_folded(&format!("{name} <{spec}>"), &needle))
        })
    })
}

/// The Date: header's day in its own zone; a message without a usable Date: counts as sent
/// at the epoch, as Dovecot has it.
fn sent_date(c: &Candidate) -> Option<NaiveDate> {
    let (secs, offset) = c.meta_sent().unwrap_or((0, 0));
    civil(secs, offset)
}

impl Candidate<'_> {
    fn meta_sent(&self) -> Option<(i64, i32)> {
        bushbuck_mime::header_values(self.header, "Date").first().and_then(|d| bushbuck_mime::parse_date(d))
    }
}

fn matches(key: &SearchKey, c: &Candidate, cx: &Context) -> bool {
    use SearchKey::*;
    let internal = || civil(c.meta.internal_date, c.meta.internal_date_offset);
    let text = |s: &[u8]| String::from_utf8_lossy(s).into_owned();
    match key {
        And(keys) => keys.iter().all(|k| matches(k, c, cx)),
        All => true,
        Answered => has_flag(c, "\\Answered"),
        Unanswered => !has_flag(c, "\\Answered"),
        Deleted => has_flag(c, "\\Deleted"),
        Undeleted => !has_flag(c, "\\Deleted"),
        Draft => has_flag(c, "\\Draft"),
        Undraft => !has_flag(c, "\\Draft"),
        Flagged => has_flag(c, "\\Flagged"),
        Unflagged => !has_flag(c, "\\Flagged"),
        Seen => has_flag(c, "\\Seen"),
        Unseen => !has_flag(c, "\\Seen"),
        Keyword(k) => has_flag(c, k),
        Unkeyword(k) => !has_flag(c, k),
        Recent => c.recent,
        New => c.recent && !has_flag(c, "\\Seen"),
        Old => !c.recent,
        Bcc(s) => address_matches(c, "Bcc", s),
        Cc(s) => address_matches(c, "Cc", s),
        From(s) => address_matches(c, "From", s),
        To(s) => address_matches(c, "To", s),
        Subject(s) => header_matches(c, "Subject", s),
        Header(field, s) => header_matches(c, field, s),
        // BODY and TEXT needles are already folded (`fold_body_needles`).
        Body(s) => body_contains(c, s, false),
        Text(s) => {
            bushbuck_mime::contains_folded(&bushbuck_mime::header_text(c.header), &text(s))
                || body_contains(c, s, true)
        }
        Larger(n) => c.meta.size > *n,
        Smaller(n) => c.meta.size < *n,
        Before(d) => internal().zip(date_of(d)).is_some_and(|(a, b)| a < b),
        On(d) => internal().zip(date_of(d)).is_some_and(|(a, b)| a == b),
        Since(d) => internal().zip(date_of(d)).is_some_and(|(a, b)| a >= b),
        SentBefore(d) => sent_date(c).zip(date_of(d)).is_some_and(|(a, b)| a < b),
        SentOn(d) => sent_date(c).zip(date_of(d)).is_some_and(|(a, b)| a == b),
        SentSince(d) => sent_date(c).zip(date_of(d)).is_some_and(|(a, b)| a >= b),
        Older(secs) => cx.now - c.meta.internal_date >= *secs as i64,
        Younger(secs) => cx.now - c.meta.internal_date <= *secs as i64,
        Not(k) => !matches(k, c, cx),
        Or(a, b) => matches(a, c, cx) || matches(b, c, cx),
        Uid(set) => set_contains(set, c.uid, cx.max_uid, cx.saved, c.uid),
        Sequence(set) => set_contains(set, c.seq, cx.count, cx.saved, c.uid),
        ModSeq(m) => c.meta.modseq >= *m,
    }
}

fn uses_modseq(key: &SearchKey) -> bool {
    match key {
        SearchKey::ModSeq(_) => true,
        SearchKey::And(keys) => keys.iter().any(uses_modseq),
        SearchKey::Not(k) => uses_modseq(k),
        SearchKey::Or(a, b) => uses_modseq(a) || uses_modseq(b),
        _ => false,
    }
}

impl Session {
    /// The messages of the selected mailbox that match `criteria`, in sequence order, with
    /// their metadata (the header block too when `header` is asked for).
    pub(super) fn matching(
        &mut self,
        charset: Option<&str>,
        criteria: &SearchKey,
        header: bool,
    ) -> Result<Vec<Hit>, Outcome> {
        let mut key = criteria.clone();
        if let Some(cs) = charset {
            match encoding_rs::Encoding::for_label(cs.as_bytes()) {
                Some(enc) if !cs.eq_ignore_ascii_case("UTF-8") && !cs.eq_ignore_ascii_case("US-ASCII") => {
                    transcode(&mut key, enc)
                }
                Some(_) => {}
                None => return Err(Outcome::No("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset".into())),
            }
        }
        fold_body_needles(&mut key);
        let mut need = Needs::default();
        needs(&key, &mut need);
        if uses_modseq(&key) {
            self.enable_condstore();
        }
        let Some(view) = self.selected.as_ref() else {
            return Err(Outcome::Bad("No mailbox selected".into()));
        };
        let (user, id) = (view.owner.clone(), view.id);
        let all: Vec<u32> = view.messages.uids().to_vec();
        let cx = Context {
            count: view.count(),
            max_uid: view.max_uid(),
            saved: &view.saved_search,
            now: chrono::Utc::now().timestamp(),
        };
        let mut hits = Vec::new();
        for chunk in all.chunks(256) {
            let metas = self.blocking(|s| {
                s.fetch_meta(&user, id, chunk, MetaParts { structure: false, header: need.header || header })
            })?;
            let texts =
                if need.body { self.blocking(|s| s.search_texts(&user, id, chunk))? } else { Vec::new() };
            // Both ascending by UID.
            let mut texts = texts.into_iter().peekable();
            for meta in metas {
                let Some(state) = view.get(meta.uid) else {
                    continue;
                };
                while texts.next_if(|(uid, _)| *uid < meta.uid).is_some() {}
                let body_text = texts.next_if(|(uid, _)| *uid == meta.uid).map(|(_, text)| text);
                let candidate = Candidate {
                    seq: view.seq_of(meta.uid).unwrap_or(0),
                    uid: meta.uid,
                    flags: state.flags,
                    recent: view.recent.contains(&meta.uid),
                    meta: &meta,
                    header: meta.header.as_deref().unwrap_or_default(),
                    body_text,
                };
                if matches(&key, &candidate, &cx) {
                    hits.push(Hit { seq: candidate.seq, modseq: state.modseq, meta });
                }
            }
        }
        Ok(hits)
    }

    /// The messages matching `criteria`, in mailbox order.
    pub(super) fn search_found(
        &mut self,
        charset: Option<&str>,
        criteria: &SearchKey,
    ) -> Result<Vec<Found>, Outcome> {
        let hits = self.matching(charset, criteria, false)?;
        Ok(hits.into_iter().map(|h| Found { seq: h.seq, uid: h.meta.uid, modseq: h.modseq }).collect())
    }

    pub(super) fn search(
        &mut self,
        uid_cmd: bool,
        charset: Option<&str>,
        ret: Option<&[SearchReturn]>,
        criteria: &SearchKey,
    ) -> Outcome {
        if let Some(bad) = self.refuse_update_tag(ret) {
            return bad;
        }
        let found = match self.search_found(charset, criteria) {
            Ok(f) => f,
            Err(o) => return o,
        };
        let modseq = if uses_modseq(criteria) { found.iter().map(|f| f.modseq).max() } else { None };
        let ret = match ret {
            None if self.rev2 => Some(&[][..]),
            other => other,
        };
        let Some(ret) = ret else {
            let mut line = String::from("SEARCH");
            for f in &found {
                line.push_str(&format!(" {}", if uid_cmd { f.uid } else { f.seq }));
            }
            if let Some(m) = modseq {
                line.push_str(&format!(" (MODSEQ {m})"));
            }
            self.untagged(&line);
            return Outcome::done(if uid_cmd { "UID SEARCH" } else { "SEARCH" });
        };
        let query = Query::Search { charset: charset.map(str::to_string), key: criteria.clone() };
        self.answer_esearch(uid_cmd, ret, &found, modseq, query)
    }
}
