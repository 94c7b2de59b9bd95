//! THREAD and UID THREAD (RFC 5256): the searched messages' cached headers read into what
//! the algorithms of `thread.rs` need, and the `* THREAD` answer.

use bushbuck_proto::imap::command::{SearchKey, ThreadAlgorithm};
use bushbuck_store::{parallel, MessageMeta};

use super::session::{Outcome, Session};
use super::sort::sent_date_from;
use super::thread::{message_ids, thread, ThreadMessage};

/// Below this many messages the headers are read on the session's own thread.
const PARALLEL_FROM: usize = 512;

/// The header fields threading reads, in the order [`thread_message`] takes them.
const FIELDS: [&str; 5] = ["Subject", "Date", "Message-ID", "References", "In-Reply-To"];

/// What threading reads from one message's cached header block (never its file).
fn thread_message(meta: &MessageMeta, seq: u32, uid_cmd: bool) -> ThreadMessage {
    let header = meta.header.as_deref().unwrap_or_default();
    let mut fields = bushbuck_mime::first_header_values(header, &FIELDS).into_iter();
    let mut next = || fields.next().flatten().unwrap_or_default();
    let (subject, date, message_id, references, in_reply_to) = (next(), next(), next(), next(), next());
    let (subject, reply) = bushbuck_mime::base_subject_of_reply(&subject);
    let mut references = message_ids(&references);
    if references.is_empty() {
        references.extend(message_ids(&in_reply_to).into_iter().take(1));
    }
    ThreadMessage {
        number: if uid_cmd { meta.uid } else { seq },
        seq,
        date: sent_date_from(Some(&date).filter(|d| !d.is_empty()).map(String::as_str), meta.internal_date),
        subject: subject.to_ascii_uppercase(),
        reply,
        message_id: message_ids(&message_id).into_iter().next(),
        references,
    }
}

impl Session {
    /// THREAD algorithm charset search: the matching messages as threads.
    pub(super) fn thread(
        &mut self,
        uid_cmd: bool,
        algorithm: ThreadAlgorithm,
        charset: &str,
        search: &SearchKey,
    ) -> Outcome {
        let hits = match self.matching(Some(charset), search, true) {
            Ok(h) => h,
            Err(o) => return o,
        };
        // Reading the headers is most of the work: spread it over the cores, off the runtime.
        let tree = tokio::task::block_in_place(|| {
            let messages: Vec<ThreadMessage> =
                parallel::map(&hits, PARALLEL_FROM, |h| thread_message(&h.meta, h.seq, uid_cmd));
            thread(&messages, algorithm)
        });
        self.untagged(&if tree.is_empty() { "THREAD".to_string() } else { format!("THREAD {tree}") });
        Outcome::done(if uid_cmd { "UID THREAD" } else { "THREAD" })
    }
}
