//! `vacation` (RFC 5230): when an auto-reply may be sent, the default subject and handle.

use crate::address;
use crate::headers::Field;

/// Whether the envelope sender looks like a list or system address that must never get a
/// vacation response (RFC 5230 section 4.6).
pub fn sender_is_automated(sender: &str) -> bool {
    let a = address::from_envelope(sender);
    let local = a.local.to_ascii_lowercase();
    local.is_empty()
        || local == "mailer-daemon"
        || local == "postmaster"
        || local == "listserv"
        || local == "majordomo"
        || local.starts_with("owner-")
        || local.ends_with("-request")
        || local.ends_with("-owner")
}

/// Whether the message is itself automated: `Auto-Submitted` other than `no`, a bulk
/// `Precedence`, or a mailing-list header.
pub fn message_is_automated(fields: &[Field]) -> bool {
    fields.iter().any(|f| {
        if f.is("Auto-Submitted") {
            let v = f.text_value().to_ascii_lowercase();
            return v.split(';').next().unwrap_or("").trim() != "no";
        }
        if f.is("Precedence") {
            let v = f.text_value().to_ascii_lowercase();
            return matches!(v.trim(), "bulk" | "list" | "junk");
        }
        ["List-Id", "List-Post", "List-Unsubscribe", "List-Help", "List-Subscribe"].iter().any(|n| f.is(n))
    })
}

/// Whether one of `mine` appears in the recipient fields of the message.
pub fn addressed_to_user(fields: &[Field], mine: &[String]) -> bool {
    let mine: Vec<String> = mine.iter().map(|m| address::normalize(m).to_ascii_lowercase()).collect();
    fields
        .iter()
        .filter(|f| ["To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"].iter().any(|n| f.is(n)))
        .flat_map(|f| address::from_header(&f.raw_value()))
        .any(|a| {
            let full = format!("{}@{}", a.local, a.domain).to_ascii_lowercase();
            mine.contains(&full)
        })
}

/// FNV-1a hash of the parts, as hex: the default handle of a vacation action.
pub fn default_handle(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The default subject: `Auto: ` and the original subject (RFC 5230 section 4.3).
pub fn default_subject(original: Option<&str>) -> String {
    match original {
        Some(s) if !s.trim().is_empty() => format!("Auto: {}", s.trim()),
        _ => "Automated reply".to_string(),
    }
}
