//! THREAD and UID THREAD (RFC 5256): the searched messages' cached headers read into what
//! the algorithms of `thread.rs` need, and the `* THREAD` answer.

use bushbuck_proto::imap::command::{SearchKey, ThreadAlgorithm};
use bushbuck_store::MessageMeta;

use super::session::{Outcome, Session};
use super::sort::sent_date;
use super::thread::{message_ids, thread, ThreadMessage};

/// What threading reads from one message's cached header block (never its file).
fn thread_message(meta: &MessageMeta, seq: u32, uid_cmd: bool) -> ThreadMessage {
    let header = meta.header.as_deref().unwrap_or_default();
    let first = |name| bushbuck_mime::header_values(header, name).into_iter().next().unwrap_or_default();
    let (subject, reply) = bushbuck_mime::base_subject_of_reply(&first("Subject"));
    let mut references = message_ids(&first("References"));
    if references.is_empty() {
        references.extend(message_ids(&first("In-Reply-To")).into_iter().take(1));
    }
    ThreadMessage {
        number: if uid_cmd { meta.uid } else { seq },
        seq,
        date: sent_date(meta),
        subject: subject.to_ascii_uppercase(),
        reply,
        message_id: message_ids(&first("Message-ID")).into_iter().next(),
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
        let messages: Vec<ThreadMessage> =
            hits.iter().map(|h| thread_message(&h.meta, h.seq, uid_cmd)).collect();
        let tree = thread(&messages, algorithm);
        self.untagged(&if tree.is_empty() { "THREAD".to_string() } else { format!("THREAD {tree}") });
        Outcome::done(if uid_cmd { "UID THREAD" } else { "THREAD" })
    }
}
