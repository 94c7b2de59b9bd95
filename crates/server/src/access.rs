//! Host access rules (what TCP wrappers gave): per listener, a list of `allow`/`deny`
//! networks checked in order against the client's address; the first match decides.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize, Serializer};

/// An address or CIDR network (`192.0.2.7`, `10.0.0.0/8`, `2001:db8::/32`), or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Network(Option<IpNet>);

impl Serialize for Network {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Network {
    /// True when `ip` is inside the network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.is_none_or(|net| net.contains(&ip.to_canonical()))
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("all") {
            return Ok(Network(None));
        }
        let net = match text.parse::<IpAddr>() {
            Ok(ip) => IpNet::from(ip),
            Err(_) => text.parse::<IpNet>().map_err(|_| {
                format!("{text:?} is not an address, a network like 10.0.0.0/8 or 2001:db8::/32, or \"all\"")
            })?,
        };
        Ok(Network(Some(net.trunc())))
    }
}

impl TryFrom<String> for Network {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(net) => write!(f, "{net}"),
            None => f.write_str("all"),
        }
    }
}

/// One rule, written `allow NETWORK` or `deny NETWORK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Rule {
    allow: bool,
    network: Network,
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl TryFrom<String> for Rule {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let (verb, network) = text.trim().split_once(char::is_whitespace).unwrap_or((text.trim(), ""));
        let allow = match verb {
            "allow" => true,
            "deny" => false,
            _ => return Err(format!("access rule {text:?} must start with \"allow\" or \"deny\"")),
        };
        let network = network.trim().parse().map_err(|e| format!("access rule {text:?}: {e}"))?;
        Ok(Rule { allow, network })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", if self.allow { "allow" } else { "deny" }, self.network)
    }
}

/// The rules of one listener (`[access.imap] rules = [...]` in the configuration).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRules {
    /// Checked in order; the first rule whose network holds the client decides. When none
    /// does, the client is allowed, so a list that admits only some ends with `deny all`.
    pub rules: Vec<Rule>,
}

impl AccessRules {
    /// The rule that denies `ip`, or `None` when `ip` is allowed.
    pub fn denying(&self, ip: IpAddr) -> Option<&Rule> {
        self.rules.iter().find(|r| r.network.contains(ip)).filter(|r| !r.allow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[&str]) -> AccessRules {
        AccessRules { rules: list.iter().map(|r| Rule::try_from(r.to_string()).unwrap()).collect() }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn first_match_wins() {
        let r = rules(&["deny 127.0.0.3", "allow 127.0.0.0/8", "deny all"]);
        assert!(r.denying(ip("127.0.0.1")).is_none());
        assert_eq!(r.denying(ip("127.0.0.3")).unwrap().to_string(), "deny 127.0.0.3/32");
        assert_eq!(r.denying(ip("192.0.2.1")).unwrap().to_string(), "deny all");
        assert!(r.denying(ip("::ffff:127.0.0.9")).is_none());
    }

    #[test]
    fn no_match_allows() {
        assert!(rules(&["deny 10.0.0.0/8"]).denying(ip("192.0.2.1")).is_none());
        assert!(rules(&[]).denying(ip("192.0.2.1")).is_none());
    }

    #[test]
    fn networks_of_both_families() {
        let r = rules(&["allow 2001:db8::/32", "deny ::/0", "deny 10.1.2.3/8"]);
        assert!(r.denying(ip("2001:db8::5")).is_none());
        assert!(r.denying(ip("2001:db9::5")).is_some());
        assert!(r.denying(ip("10.200.0.1")).is_some());
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let e = Rule::try_from("permit 10.0.0.0/8".to_string()).unwrap_err();
        assert!(e.contains("must start with \"allow\" or \"deny\""), "{e}");
        let e = Rule::try_from("allow 10.0.0.0/33".to_string()).unwrap_err();
        assert!(e.contains("not an address, a network"), "{e}");
        assert!(Rule::try_from("deny".to_string()).is_err());
    }
}
