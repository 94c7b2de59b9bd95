//! Decoding of SASL client responses (RFC 4422 mechanisms PLAIN and LOGIN).

use base64::Engine;

/// Credentials carried by a SASL exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Authorization identity (who to act as); empty when the client gave none.
    pub authzid: String,
    /// Authentication identity (whose password this is).
    pub authcid: String,
    /// The password.
    pub password: Vec<u8>,
}

impl Credentials {
    /// The user to log in as. Acting as another user (an authorization identity different
    /// from the authentication identity) is not allowed, so such credentials give `None`.
    pub fn login_name(&self) -> Option<&str> {
        (self.authzid.is_empty() || self.authzid == self.authcid).then_some(self.authcid.as_str())
    }
}

/// Why a SASL response could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// The response was not valid base64.
    #[error("invalid base64 in SASL response")]
    Base64,
    /// The decoded response does not have the mechanism's form.
    #[error("malformed SASL response: {0}")]
    Malformed(&'static str),
    /// The client cancelled the exchange with `*`.
    #[error("authentication cancelled by the client")]
    Cancelled,
}

/// Decodes one base64 client response line; `*` is a cancel, `=` or empty an empty response.
pub fn decode_response(line: &str) -> Result<Vec<u8>, SaslError> {
    let line = line.trim();
    match line {
        "*" => Err(SaslError::Cancelled),
        "=" | "" => Ok(Vec::new()),
        _ => base64::engine::general_purpose::STANDARD.decode(line).map_err(|_| SaslError::Base64),
    }
}

/// Parses a decoded PLAIN message `authzid NUL authcid NUL password` (RFC 4616).
pub fn parse_plain(message: &[u8]) -> Result<Credentials, SaslError> {
    let mut parts = message.splitn(3, |b| *b == 0);
    let authzid = parts.next().ok_or(SaslError::Malformed("PLAIN needs three fields"))?;
    let authcid = parts.next().ok_or(SaslError::Malformed("PLAIN needs three fields"))?;
    let password = parts.next().ok_or(SaslError::Malformed("PLAIN needs three fields"))?;
    if authcid.is_empty() {
        return Err(SaslError::Malformed("PLAIN authentication identity is empty"));
    }
    if password.contains(&0) {
        return Err(SaslError::Malformed("PLAIN has more than three fields"));
    }
    let text =
        |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| SaslError::Malformed("identity is not UTF-8"));
    Ok(Credentials { authzid: text(authzid)?, authcid: text(authcid)?, password: password.to_vec() })
}

/// Base64 encodes a server challenge.
pub fn encode_challenge(challenge: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_with_and_without_authzid() {
        let c = parse_plain(b"\0alice\0pw").unwrap();
        assert_eq!(
            (c.authzid.as_str(), c.authcid.as_str(), c.password.as_slice()),
            ("", "alice", &b"pw"[..])
        );
        let c = parse_plain(b"admin\0alice\0pw").unwrap();
        assert_eq!(c.authzid, "admin");
        assert_eq!(c.login_name(), None);
        assert_eq!(parse_plain(b"alice\0alice\0pw").unwrap().login_name(), Some("alice"));
        assert!(parse_plain(b"alice\0pw").is_err());
        assert!(parse_plain(b"\0\0pw").is_err());
    }

    #[test]
    fn responses() {
        assert_eq!(decode_response("AGFsaWNlAHB3").unwrap(), b"\0alice\0pw");
        assert_eq!(decode_response("=").unwrap(), b"");
        assert_eq!(decode_response("*"), Err(SaslError::Cancelled));
        assert_eq!(decode_response("!!"), Err(SaslError::Base64));
    }
}
