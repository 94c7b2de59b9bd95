//! What every store keeps about a message's content, computed from its octets before the
//! write transaction: the content address, the MIME summary (cached ENVELOPE, BODYSTRUCTURE,
//! BODY, header length, sent date) and the packed search text. Parsing and decoding are the
//! costly part of an append, so they happen outside any lock.

use bushbuck_mime::{folded_body_text, summarize, MessageSummary};

use crate::blobs::content_address;
use crate::search_text::pack;

/// A message's content as the index keeps it.
pub(crate) struct Prepared {
    /// Content address of the octets.
    sha: String,
    summary: MessageSummary,
    /// The search text ([`folded_body_text`]), compressed for storage.
    text: Vec<u8>,
}

impl Prepared {
    /// Content address of the octets.
    pub(crate) fn sha(&self) -> &str {
        &self.sha
    }

    /// The MIME summary (cached IMAP strings, header length, sent date).
    pub(crate) fn summary(&self) -> &MessageSummary {
        &self.summary
    }

    /// The search text, [`pack`]ed.
    pub(crate) fn text(&self) -> &[u8] {
        &self.text
    }
}

/// Messages below this many are prepared on the calling thread; larger batches (reconstruct,
/// big MULTIAPPENDs) are split over the machine's cores.
const PARALLEL_FROM: usize = 8;

/// [`Prepared`] for each message's octets, in order.
pub(crate) fn prepare(octets: &[&[u8]]) -> Vec<Prepared> {
    let one = |data: &&[u8]| Prepared {
        sha: content_address(data),
        summary: summarize(data),
        text: pack(&folded_body_text(data)),
    };
    crate::parallel::map(octets, PARALLEL_FROM, one)
}

/// EMAILID of a message: `M` and the first 24 hex digits of its content hash.
pub(crate) fn email_id(blob: &str) -> String {
    format!("M{}", &blob[..blob.len().min(24)])
}
