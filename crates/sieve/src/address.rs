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

/// The addr-spec of `s` when it is one, trimmed.
fn addr_spec(s: &str) -> Option<&str> {
    let s = s.trim();
    let p = s.rfind('@')?;
    let ok = p > 0
        && p + 1 < s.len()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',');
    ok.then_some(s)
}

/// Whether `phrase` is a display name: words and quoted strings without specials
/// (RFC 5322 section 3.4).
fn valid_display_name(phrase: &str) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    for c in phrase.chars() {
        if escaped {
            escaped = false;
        } else if quoted {
            match c {
                '\\' => escaped = true,
                '"' => quoted = false,
                '\r' | '\n' => return false,
                _ => {}
            }
        } else if c == '"' {
            quoted = true;
        } else if c.is_control() || "<>@,;:\\[]".contains(c) {
            return false;
        }
    }
    !quoted && !escaped
}

/// The addr-spec of a mailbox: a bare addr-spec or a name-addr
/// (`Display Name <local@domain>`, RFC 5322 section 3.4), as `redirect` accepts
/// (RFC 5228 section 2.4.2.3). None when `s` is neither.
pub fn mailbox_address(s: &str) -> Option<&str> {
    let s = s.trim();
    match s.strip_suffix('>').and_then(|rest| rest.rsplit_once('<')) {
        Some((display, inner)) if valid_display_name(display) => addr_spec(inner),
        Some(_) => None,
        None => addr_spec(s),
    }
}

/// The value of a `From:` field for a vacation `:from` address: a valid name-addr as
/// given, anything else as an angle-bracketed address.
pub fn from_field_value(s: &str) -> String {
    let s = s.trim();
    match mailbox_address(s) {
        Some(_) if s.ends_with('>') => s.to_string(),
        _ => format!("<{}>", s.trim_start_matches('<').trim_end_matches('>')),
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
