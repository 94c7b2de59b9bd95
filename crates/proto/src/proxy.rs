//! The HAProxy PROXY protocol, versions 1 (text) and 2 (binary): the header a proxy sends
//! first on a connection to say which client it carries.
//!
//! [`parse`] looks at the bytes read so far and says either how many more it needs at least
//! (so a caller can read exactly the header and not a byte of what follows it) or what the
//! header declared and how long it was.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The twelve octets every version 2 header starts with.
pub const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// What every version 1 header starts with.
const V1_PREFIX: &[u8] = b"PROXY ";
/// The shortest version 1 header, `PROXY UNKNOWN\r\n`.
const V1_MIN: usize = 15;
/// The longest version 1 header the specification allows, CRLF included.
pub const V1_MAX: usize = 107;
/// Length of the fixed part of a version 2 header.
const V2_FIXED: usize = 16;

/// What a complete header declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyHeader {
    /// The client the proxy carries; `None` when the header names none (v1 `UNKNOWN`, v2
    /// `LOCAL` or an unspecified or Unix address family), so the connection's own address
    /// stands.
    pub source: Option<SocketAddr>,
    /// The address the client connected to, when declared.
    pub destination: Option<SocketAddr>,
}

/// How far [`parse`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// The header is not complete: at least this many more octets belong to it.
    Incomplete(usize),
    /// A whole header of `length` octets.
    Complete {
        /// What it declared.
        header: ProxyHeader,
        /// Octets it took; what follows is the client's own data.
        length: usize,
    },
}

/// Why the bytes are not a PROXY header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyError {
    /// Neither signature: the peer did not speak the PROXY protocol.
    NotProxy,
    /// A version 1 line without CRLF within 107 octets.
    LineTooLong,
    /// A version 1 line that does not follow the grammar.
    BadLine,
    /// A version 2 header with another version, command or family than the specification's.
    BadBinary,
    /// A version 2 header whose length cannot hold the addresses of its family.
    ShortAddress,
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProxyError::NotProxy => "no PROXY protocol header",
            ProxyError::LineTooLong => "PROXY v1 header longer than 107 octets",
            ProxyError::BadLine => "malformed PROXY v1 header",
            ProxyError::BadBinary => "unsupported PROXY v2 version, command or family",
            ProxyError::ShortAddress => "PROXY v2 header too short for its addresses",
        })
    }
}

impl std::error::Error for ProxyError {}

/// Parses the start of a connection as a PROXY header (either version).
pub fn parse(input: &[u8]) -> Result<Parsed, ProxyError> {
    if input.is_empty() {
        return Ok(Parsed::Incomplete(V1_MIN));
    }
    let prefix_of = |signature: &[u8]| {
        let n = input.len().min(signature.len());
        input[..n] == signature[..n]
    };
    if prefix_of(&V2_SIGNATURE) {
        parse_v2(input)
    } else if prefix_of(V1_PREFIX) {
        parse_v1(input)
    } else {
        Err(ProxyError::NotProxy)
    }
}

fn parse_v1(input: &[u8]) -> Result<Parsed, ProxyError> {
    if input.len() < V1_MIN {
        return Ok(Parsed::Incomplete(V1_MIN - input.len()));
    }
    let window = &input[..input.len().min(V1_MAX)];
    let Some(cr) = window.windows(2).position(|w| w == b"\r\n") else {
        if input.len() >= V1_MAX {
            return Err(ProxyError::LineTooLong);
        }
        return Ok(Parsed::Incomplete(1));
    };
    let line = std::str::from_utf8(&input[V1_PREFIX.len()..cr]).map_err(|_| ProxyError::BadLine)?;
    let header = parse_v1_fields(line)?;
    Ok(Parsed::Complete { header, length: cr + 2 })
}

/// The fields after `PROXY `: `UNKNOWN [anything]` or `TCP4|TCP6 src dst sport dport`.
fn parse_v1_fields(line: &str) -> Result<ProxyHeader, ProxyError> {
    if line == "UNKNOWN" || line.starts_with("UNKNOWN ") {
        return Ok(ProxyHeader { source: None, destination: None });
    }
    let fields: Vec<&str> = line.split(' ').collect();
    let [family, src, dst, sport, dport] = fields[..] else {
        return Err(ProxyError::BadLine);
    };
    let address = |text: &str| -> Result<IpAddr, ProxyError> {
        match family {
            "TCP4" => text.parse::<Ipv4Addr>().map(IpAddr::V4).map_err(|_| ProxyError::BadLine),
            "TCP6" => text.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| ProxyError::BadLine),
            _ => Err(ProxyError::BadLine),
        }
    };
    let (source, destination) = (address(src)?, address(dst)?);
    Ok(ProxyHeader {
        source: Some(SocketAddr::new(source, v1_port(sport)?)),
        destination: Some(SocketAddr::new(destination, v1_port(dport)?)),
    })
}

/// A decimal port without sign or leading zeros.
fn v1_port(text: &str) -> Result<u16, ProxyError> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (text.len() > 1 && text.starts_with('0')) {
        return Err(ProxyError::BadLine);
    }
    text.parse().map_err(|_| ProxyError::BadLine)
}

fn parse_v2(input: &[u8]) -> Result<Parsed, ProxyError> {
    if input.len() < V2_FIXED {
        return Ok(Parsed::Incomplete(V2_FIXED - input.len()));
    }
    let (version, command) = (input[12] >> 4, input[12] & 0x0f);
    let (family, transport) = (input[13] >> 4, input[13] & 0x0f);
    let length = V2_FIXED + usize::from(u16::from_be_bytes([input[14], input[15]]));
    if version != 2 || command > 1 || family > 3 || transport > 2 {
        return Err(ProxyError::BadBinary);
    }
    if input.len() < length {
        return Ok(Parsed::Incomplete(length - input.len()));
    }
    let addresses = &input[V2_FIXED..length];
    let local = command == 0;
    let header = match family {
        _ if local => ProxyHeader { source: None, destination: None },
        1 if transport == 1 => v2_addresses(addresses, 4)?,
        2 if transport == 1 => v2_addresses(addresses, 16)?,
        // UNSPEC and Unix sockets name no IP client; a datagram client is not this connection.
        0 | 3 if transport != 2 => ProxyHeader { source: None, destination: None },
        _ => return Err(ProxyError::BadBinary),
    };
    Ok(Parsed::Complete { header, length })
}

/// Source and destination of an INET (`width` 4) or INET6 (16) block; TLVs after it are
/// ignored.
fn v2_addresses(block: &[u8], width: usize) -> Result<ProxyHeader, ProxyError> {
    if block.len() < 2 * width + 4 {
        return Err(ProxyError::ShortAddress);
    }
    let ip = |at: usize| -> IpAddr {
        let bytes = &block[at..at + width];
        match <[u8; 4]>::try_from(bytes) {
            Ok(v4) => IpAddr::from(v4),
            Err(_) => IpAddr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default()),
        }
    };
    let port = |at: usize| u16::from_be_bytes([block[at], block[at + 1]]);
    Ok(ProxyHeader {
        source: Some(SocketAddr::new(ip(0), port(2 * width))),
        destination: Some(SocketAddr::new(ip(width), port(2 * width + 2))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(input: &[u8]) -> (ProxyHeader, usize) {
        match parse(input) {
            Ok(Parsed::Complete { header, length }) => (header, length),
            other => panic!("{input:?} gave {other:?}"),
        }
    }

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut out = V2_SIGNATURE.to_vec();
        out.extend([0x20 | command, family]);
        out.extend((body.len() as u16).to_be_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn v1_tcp4_and_tcp6() {
        let line = b"PROXY TCP4 192.0.2.7 127.0.0.1 56324 143\r\na LOGIN";
        let (h, n) = complete(line);
        assert_eq!(h.source, Some("192.0.2.7:56324".parse().unwrap()));
        assert_eq!(h.destination, Some("127.0.0.1:143".parse().unwrap()));
        assert_eq!(&line[n..], b"a LOGIN");
        let (h, _) = complete(b"PROXY TCP6 2001:db8::1 ::1 65535 993\r\n");
        assert_eq!(h.source, Some("[2001:db8::1]:65535".parse().unwrap()));
    }

    #[test]
    fn v1_unknown_keeps_the_connection_address() {
        assert_eq!(complete(b"PROXY UNKNOWN\r\n"), (ProxyHeader { source: None, destination: None }, 15));
        assert_eq!(complete(b"PROXY UNKNOWN ffff::1 ::1 1 2\r\n").0.source, None);
    }

    #[test]
    fn v1_asks_for_what_it_lacks() {
        assert_eq!(parse(b""), Ok(Parsed::Incomplete(15)));
        assert_eq!(parse(b"PROX"), Ok(Parsed::Incomplete(11)));
        assert_eq!(parse(b"PROXY TCP4 192.0.2.7"), Ok(Parsed::Incomplete(1)));
        assert_eq!(parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), Ok(Parsed::Incomplete(1)));
    }

    #[test]
    fn v1_garbage_is_refused() {
        for bad in [
            &b"GET / HTTP/1.0\r\n"[..],
            b"a LOGIN alice pw\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
            b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
            b"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
            b"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
            b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
            b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        ] {
            assert!(parse(bad).is_err(), "{:?} was accepted", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(&[b"PROXY TCP4 ".to_vec(), vec![b'1'; 120]].concat()), Err(ProxyError::LineTooLong));
    }

    #[test]
    fn v2_inet_and_inet6() {
        let mut body = vec![192, 0, 2, 7, 127, 0, 0, 1];
        body.extend(56324u16.to_be_bytes());
        body.extend(143u16.to_be_bytes());
        body.extend([0x04, 0x00, 0x01, 0xAA]); // a TLV, ignored
        let mut bytes = v2(1, 0x11, &body);
        let (h, n) = complete(&bytes);
        assert_eq!(h.source, Some("192.0.2.7:56324".parse().unwrap()));
        assert_eq!(n, bytes.len());
        bytes.extend(b"a1 CAPABILITY\r\n");
        assert_eq!(complete(&bytes).1, n);

        let mut body = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9).octets().to_vec();
        body.extend(Ipv6Addr::LOCALHOST.octets());
        body.extend([0, 80, 0, 143]);
        assert_eq!(complete(&v2(1, 0x21, &body)).0.source, Some("[2001:db8::9]:80".parse().unwrap()));
    }

    #[test]
    fn v2_local_and_unspec_keep_the_connection_address() {
        assert_eq!(complete(&v2(0, 0x00, &[])).0.source, None);
        assert_eq!(complete(&v2(0, 0x11, &[1, 2, 3])).0.source, None);
        assert_eq!(complete(&v2(1, 0x00, &[])).0.source, None);
    }

    #[test]
    fn v2_asks_for_its_length() {
        let bytes = v2(1, 0x11, &[0; 12]);
        assert_eq!(parse(&bytes[..5]), Ok(Parsed::Incomplete(11)));
        assert_eq!(parse(&bytes[..16]), Ok(Parsed::Incomplete(12)));
        assert_eq!(parse(&bytes[..27]), Ok(Parsed::Incomplete(1)));
    }

    #[test]
    fn v2_bad_headers_are_refused() {
        let mut wrong_version = v2(1, 0x11, &[0; 12]);
        wrong_version[12] = 0x11;
        assert_eq!(parse(&wrong_version), Err(ProxyError::BadBinary));
        assert_eq!(parse(&v2(2, 0x11, &[0; 12])), Err(ProxyError::BadBinary));
        assert_eq!(parse(&v2(1, 0x41, &[0; 12])), Err(ProxyError::BadBinary));
        assert_eq!(parse(&v2(1, 0x12, &[0; 12])), Err(ProxyError::BadBinary));
        assert_eq!(parse(&v2(1, 0x11, &[0; 11])), Err(ProxyError::ShortAddress));
        assert_eq!(parse(&v2(1, 0x21, &[0; 12])), Err(ProxyError::ShortAddress));
        assert_eq!(parse(b"\r\n\r\nX"), Err(ProxyError::NotProxy));
    }
}
