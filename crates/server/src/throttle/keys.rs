//! Which failures count together: one IPv4 address, or one IPv6 /64 (what one customer
//! usually gets, so an attacker cannot dodge the counters by walking through a /64).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// The source a failure is charged to: an IPv4 address or an IPv6 /64 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKey {
    /// One IPv4 address (IPv4-mapped IPv6 addresses count as IPv4).
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6Net([u8; 8]),
}

impl From<IpAddr> for SourceKey {
    fn from(ip: IpAddr) -> SourceKey {
        match ip {
            IpAddr::V4(v4) => SourceKey::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => SourceKey::V4(v4.octets()),
                None => {
                    let mut net = [0u8; 8];
                    net.copy_from_slice(&v6.octets()[..8]);
                    SourceKey::V6Net(net)
                }
            },
        }
    }
}

impl fmt::Display for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceKey::V4(o) => write!(f, "{}.{}.{}.{}", o[0], o[1], o[2], o[3]),
            SourceKey::V6Net(net) => {
                let mut full = [0u8; 16];
                full[..8].copy_from_slice(net);
                write!(f, "{}/64", Ipv6Addr::from(full))
            }
        }
    }
}

impl FromStr for SourceKey {
    type Err = String;

    /// Parses an address (`192.0.2.7`, `2001:db8::1`) or the shown form of an IPv6 /64
    /// (`2001:db8::/64`).
    fn from_str(text: &str) -> Result<SourceKey, String> {
        let text = text.trim();
        let address = text.strip_suffix("/64").filter(|a| a.contains(':')).unwrap_or(text);
        address.parse::<IpAddr>().map(SourceKey::from).map_err(|_| {
            format!("{text:?} is not an IP address (give e.g. 192.0.2.7, 2001:db8::1 or 2001:db8::/64)")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> SourceKey {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_of_one_slash_64_share_a_key() {
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2::99").to_string(), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2::/64"), key("2001:db8:1:2::7"));
    }

    #[test]
    fn ipv4_addresses_are_their_own_key() {
        assert_ne!(key("127.0.0.1"), key("127.0.0.2"));
        assert_eq!(key("::ffff:127.0.0.2"), key("127.0.0.2"));
        assert_eq!(key("127.0.0.2").to_string(), "127.0.0.2");
        assert!("127.0.0.2/64".parse::<SourceKey>().is_err());
        assert!("nonsense".parse::<SourceKey>().is_err());
    }
}
