//! SORT and UID SORT (RFC 5256), with DISPLAYFROM and DISPLAYTO (RFC 5957).

use std::cmp::Ordering;

use bushbuck_proto::imap::command::{SearchKey, SearchReturn, SortCriterion, SortKey};
use bushbuck_store::MessageMeta;

use super::contexts::Query;
use super::esearch::Found;
use super::session::{Outcome, Session};

/// One sort key's value for one message. Text is compared as i;ascii-casemap does (RFC
/// 5256 3, RFC 4790 9.2): octet by octet after mapping ASCII letters to upper case, so
/// `[xyz]` and `_` sort after every letter.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Number(i64),
    Text(String),
}

fn header_field(meta: &MessageMeta, name: &str) -> Option<String> {
    bushbuck_mime::header_values(meta.header.as_deref().unwrap_or_default(), name).into_iter().next()
}

/// The display name of the field's first address, else the address itself (RFC 5957).
fn display(meta: &MessageMeta, name: &str) -> String {
    let header = meta.header.as_deref().unwrap_or_default();
    let Some(address) = bushbuck_mime::first_address(header, name) else { return String::new() };
    match address.name.filter(|n| !n.is_empty()) {
        Some(n) => bushbuck_mime::decode_encoded_words(&n),
        None => {
            let part = |b: Option<Vec<u8>>| String::from_utf8_lossy(&b.unwrap_or_default()).into_owned();
            format!("{}@{}", part(address.mailbox), part(address.domain))
        }
    }
}

/// The sent date of RFC 5256 2.2 (SORT DATE, THREAD): the Date header in seconds since the
/// epoch, else the internal date.
pub(super) fn sent_date(meta: &MessageMeta) -> i64 {
    sent_date_from(header_field(meta, "Date").as_deref(), meta.internal_date)
}

/// [`sent_date`] from a Date header value already read.
pub(super) fn sent_date_from(date: Option<&str>, internal_date: i64) -> i64 {
    date.and_then(bushbuck_mime::parse_date).map_or(internal_date, |(secs, _)| secs)
}

fn value(meta: &MessageMeta, key: SortKey) -> Value {
    let header = meta.header.as_deref().unwrap_or_default();
    let mailbox = |field| {
        Value::Text(
            bushbuck_mime::first_address_mailbox(header, field).unwrap_or_default().to_ascii_uppercase(),
        )
    };
    match key {
        SortKey::Arrival => Value::Number(meta.internal_date),
        SortKey::Date => Value::Number(sent_date(meta)),
        SortKey::Size => Value::Number(meta.size as i64),
        SortKey::Subject => Value::Text(
            bushbuck_mime::base_subject(&header_field(meta, "Subject").unwrap_or_default())
                .to_ascii_uppercase(),
        ),
        SortKey::From => mailbox("From"),
        SortKey::To => mailbox("To"),
        SortKey::Cc => mailbox("Cc"),
        SortKey::DisplayFrom => Value::Text(display(meta, "From").to_ascii_uppercase()),
        SortKey::DisplayTo => Value::Text(display(meta, "To").to_ascii_uppercase()),
    }
}

impl Session {
    /// The messages matching `search`, in the order of `criteria` (ties by sequence number).
    pub(super) fn sort_found(
        &mut self,
        criteria: &[SortCriterion],
        charset: &str,
        search: &SearchKey,
    ) -> Result<Vec<Found>, Outcome> {
        let hits = self.matching(Some(charset), search, true)?;
        let mut keyed: Vec<(Vec<Value>, Found)> = hits
            .into_iter()
            .map(|h| {
                let found = Found { seq: h.seq, uid: h.meta.uid, modseq: h.modseq };
                (criteria.iter().map(|c| value(&h.meta, c.key)).collect(), found)
            })
            .collect();
        keyed.sort_by(|a, b| {
            for (i, c) in criteria.iter().enumerate() {
                let order = a.0[i].cmp(&b.0[i]);
                let order = if c.reverse { order.reverse() } else { order };
                if order != Ordering::Equal {
                    return order;
                }
            }
            a.1.seq.cmp(&b.1.seq)
        });
        Ok(keyed.into_iter().map(|(_, f)| f).collect())
    }

    /// SORT and UID SORT; with RETURN options the answer is an ESEARCH (ESORT, RFC 5267 3).
    pub(super) fn sort(
        &mut self,
        uid_cmd: bool,
        ret: Option<&[SearchReturn]>,
        criteria: &[SortCriterion],
        charset: &str,
        search: &SearchKey,
    ) -> Outcome {
        if let Some(bad) = self.refuse_update_tag(ret) {
            return bad;
        }
        let found = match self.sort_found(criteria, charset, search) {
            Ok(f) => f,
            Err(o) => return o,
        };
        if let Some(ret) = ret {
            let query = Query::Sort {
                criteria: criteria.to_vec(),
                charset: charset.to_string(),
                key: search.clone(),
            };
            return self.answer_esearch(uid_cmd, ret, &found, None, query);
        }
        let mut line = String::from("SORT");
        for f in &found {
            line.push_str(&format!(" {}", if uid_cmd { f.uid } else { f.seq }));
        }
        self.untagged(&line);
        Outcome::done(if uid_cmd { "UID SORT" } else { "SORT" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(header: &str, internal_date: i64, size: u64) -> MessageMeta {
        MessageMeta {
            uid: 1,
            flags: vec![],
            modseq: 1,
            internal_date,
            internal_date_offset: 0,
            save_date: 0,
            size,
            envelope: String::new(),
            body_structure: String::new(),
            body: String::new(),
            email_id: String::new(),
            header: Some(header.as_bytes().to_vec()),
        }
    }

    #[test]
    fn keys() {
        let m = meta("From: \"Zed\" <b@x.org>\r\nSubject: Re: [list] Hello\r\nDate: Thu, 1 Jan 1970 00:00:10 +0000\r\n\r\n", 99, 5);
        assert!(value(&m, SortKey::Subject) == Value::Text("HELLO".into()));
        assert!(value(&m, SortKey::From) == Value::Text("B".into()));
        assert!(value(&m, SortKey::DisplayFrom) == Value::Text("ZED".into()));
        assert!(value(&m, SortKey::Date) == Value::Number(10));
        assert!(value(&m, SortKey::Arrival) == Value::Number(99));
        assert!(value(&meta("\r\n", 7, 1), SortKey::Date) == Value::Number(7));
    }

    #[test]
    fn groups_sort_by_their_first_mailbox() {
        let m = meta("Cc: user2: blah@domain1.org, z@y.org;\r\nTo: team: \"Bea\" <x@y.org>;\r\n\r\n", 1, 1);
        assert!(value(&m, SortKey::Cc) == Value::Text("BLAH".into()));
        assert!(value(&m, SortKey::DisplayTo) == Value::Text("BEA".into()));
        let empty = meta("To: empty:;\r\nCc: empty:;, c@d.org\r\n\r\n", 1, 1);
        assert!(value(&empty, SortKey::To) == Value::Text(String::new()));
        assert!(value(&empty, SortKey::DisplayTo) == Value::Text(String::new()));
        assert!(value(&empty, SortKey::Cc) == Value::Text(String::new()));
    }

    #[test]
    fn subjects_compare_with_ascii_casemap() {
        let subject = |s: &str| value(&meta(&format!("Subject: {s}\r\n\r\n"), 1, 1), SortKey::Subject);
        assert!(subject("[xyz]") == Value::Text("[XYZ]".into()));
        assert!(subject("_") == Value::Text("_".into()));
        assert!(subject("Re: [FWD: c]") == Value::Text("C".into()));
        assert!(subject("[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)") == Value::Text("B".into()));
        assert!(subject("C") < subject("[xyz]") && subject("[xyz]") < subject("_"));
    }
}
