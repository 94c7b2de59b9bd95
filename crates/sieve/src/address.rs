//! Address parts for `address` and `envelope` tests: `:all`, `:localpart`, `:domain` and the
//! subaddress parts `:user` / `:detail` (RFC 5233, separator `+`).

use crate::program::AddressPart;

/// The subaddress separator.
pub const SEPARATOR: char = '+';

/// A parsed address: local part and domain (empty when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    /// Local part.
    pub local: String,
    /// Domain.
    pub domain: String,
}

/// Addresses of a raw header value (groups flattened, group markers skipped).
pub fn from_header(raw_value: &[u8]) -> Vec<Addr> {
    bushbuck_mime::parse_address_list(raw_value)
        .into_iter()
        .filter(|a| a.domain.is_some())
        .map(|a| {
            let local = a.mailbox.map(|m| String::from_utf8_lossy(&m).into_owned()).unwrap_or_default();
            let domain = a.domain.map(|d| String::from_utf8_lossy(&d).into_owned()).unwrap_or_default();
            let domain = if domain == "MISSING_DOMAIN" { String::new() } else { domain };
            Addr { local, domain }
        })
        .collect()
}

/// Parses an envelope address (`local@domain`, optional angle brackets; empty for `<>`).
pub fn from_envelope(s: &str) -> Addr {
    let s = s.trim().trim_start_matches('<').trim_end_matches('>');
    match s.rfind('@') {
        Some(p) => Addr { local: s[..p].to_string(), domain: s[p + 1..].to_string() },
        None => Addr { local: s.to_string(), domain: String::new() },
    }
}

/// The requested part of an address; None when the part does not exist (`:detail` without
/// a separator).
pub fn part(a: &Addr, p: AddressPart) -> Option<String> {
    match p {
        AddressPart::All => {
            Some(if a.domain.is_empty() { a.local.clone() } else { format!("{}@{}", a.local, a.domain) })
        }
        AddressPart::Localpart => Some(a.local.clone()),
        AddressPart::Domain => Some(a.domain.clone()),
        AddressPart::User => Some(a.local.split(SEPARATOR).next().unwrap_or("").to_string()),
        AddressPart::Detail => a.local.split_once(SEPARATOR).map(|(_, d)| d.to_string()),
    }
}

/// Whether `s` looks like an addr-spec usable with `redirect`.
pub fn valid_redirect(s: &str) -> bool {
    let s = s.trim();
    match s.rfind('@') {
        Some(p) => {
            p > 0
                && p + 1 < s.len()
                && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
        }
        None => false,
    }
}

/// Normalised form used to compare addresses (domain lowercased).
pub fn normalize(s: &str) -> String {
    let a = from_envelope(s);
    if a.domain.is_empty() {
        a.local
    } else {
        format!("{}@{}", a.local, a.domain.to_ascii_lowercase())
    }
}
