//! The stored form of a search text: LZ4-compressed, so the index stays small and writing
//! it (append, reconstruct) costs fewer pages.
//!
//! Format: the length of the UTF-8 text as 4 bytes little endian, then one LZ4 block (what
//! `lz4_flex::compress_prepend_size` writes).

use crate::error::Result;

/// The largest expansion of an LZ4 block: each byte of input yields at most 255 of output
/// (a run-length continuation byte), plus slack for the last sequence.
const MAX_RATIO: usize = 255;

/// Compresses a search text for the `search_text.text` column.
pub(crate) fn pack(text: &str) -> Vec<u8> {
    lz4_flex::compress_prepend_size(text.as_bytes())
}

/// The search text stored as `packed`, or None when it is not a valid [`pack`]ed text
/// (a damaged row, or one written by something else): the caller then decodes the file.
/// The declared length is checked against what the block could hold before allocating, so
/// a damaged header cannot ask for gigabytes.
pub(crate) fn unpack(packed: &[u8]) -> Option<String> {
    let (len, block) = packed.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > block.len().saturating_mul(MAX_RATIO).saturating_add(16) {
        return None;
    }
    let bytes = lz4_flex::decompress(block, len).ok()?;
    if bytes.len() != len {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// A message's row in the search text index: (UID, content address, packed text if any).
pub(crate) type StoredText = (u32, String, Option<Vec<u8>>);

/// (UID, text) of each message, and (content address, packed text) computed to be stored.
pub(crate) type Resolved = (Vec<(u32, String)>, Vec<(String, Vec<u8>)>);

/// The texts SEARCH BODY matches, from a store's rows: unpacked (on every core), or, where a
/// row has no usable text (none stored, or damaged: logged), decoded from the octets `read`
/// gives (`None`: the message is gone meanwhile, and is left out). Also returns the texts so
/// computed, packed and one per content address, for the caller to store.
pub(crate) fn resolve(
    user: &str,
    rows: Vec<StoredText>,
    read: impl Fn(&str) -> Result<Option<Vec<u8>>>,
) -> Result<Resolved> {
    let mut out = Vec::with_capacity(rows.len());
    let mut computed: Vec<(String, Vec<u8>)> = Vec::new();
    // Unpacking is most of a body search's time: on every core.
    let unpacked = crate::parallel::map(&rows, 32, |(_, _, packed)| packed.as_deref().map(unpack));
    for ((uid, blob, _), unpacked) in rows.into_iter().zip(unpacked) {
        let stored = unpacked.and_then(|text| {
            if text.is_none() {
                tracing::warn!(user, blob, "unreadable search text, decoding the message instead");
            }
            text
        });
        let text = match stored {
            Some(text) => text,
            None => match read(&blob)? {
                Some(data) => {
                    let text = bushbuck_mime::folded_body_text(&data);
                    computed.push((blob, pack(&text)));
                    text
                }
                None => continue,
            },
        };
        out.push((uid, text));
    }
    computed.sort_unstable();
    computed.dedup_by(|a, b| a.0 == b.0);
    Ok((out, computed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for text in ["", "a", "grüße von herrn müller\r\n", &"the quick brown fox ".repeat(1000)] {
            let packed = pack(text);
            assert_eq!(unpack(&packed).as_deref(), Some(text));
        }
        assert!(pack(&"abc ".repeat(1000)).len() < 100, "repetitive text compresses");
    }

    #[test]
    fn damaged_rows_are_refused() {
        let packed = pack(&"some text to compress, some text to compress".repeat(10));
        assert_eq!(unpack(b""), None);
        assert_eq!(unpack(b"abc"), None);
        assert_eq!(unpack(b"stale"), None);
        assert_eq!(unpack(&packed[..packed.len() - 3]), None, "truncated");
        let mut huge = packed.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(unpack(&huge), None, "an impossible length");
        let mut short = packed.clone();
        short[0] -= 1;
        assert_eq!(unpack(&short), None, "a wrong length");
        // Not UTF-8.
        assert_eq!(unpack(&lz4_flex::compress_prepend_size(b"\xff\xfe")), None);
        // Every single-byte change either is refused or yields some string: no panic.
        for i in 0..packed.len() {
            for bit in 0..8 {
                let mut p = packed.clone();
                p[i] ^= 1 << bit;
                let _ = unpack(&p);
            }
        }
    }
}
