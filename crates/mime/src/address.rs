//! RFC 5322 address lists parsed the way Dovecot does for ENVELOPE: display names and local
//! parts unquoted, comments skipped (a trailing comment names an addr-spec), groups as start
//! and end markers, missing parts filled with `MISSING_MAILBOX` / `MISSING_DOMAIN` and a
//! broken angle address given the domain `SYNTAX_ERROR` (Dovecot 2.3's choices).

/// One element of an address list as ENVELOPE shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Display name (raw bytes, encoded-words kept).
    pub name: Option<Vec<u8>>,
    /// Source route (`@a,@b`).
    pub route: Option<Vec<u8>>,
    /// Local part; the group name for a group start; None for a group end.
    pub mailbox: Option<Vec<u8>>,
    /// Domain; None for group markers.
    pub domain: Option<Vec<u8>>,
}

fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b) || b >= 0x80
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    last_comment: Vec<u8>,
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
    /// Skips whitespace and comments; false on an unterminated comment.
    fn skip_cfws(&mut self) -> bool {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                b'(' => {
                    self.last_comment.clear();
                    let mut depth = 0usize;
                    while let Some(c) = self.peek() {
                        self.i += 1;
                        match c {
                            b'(' => {
                                if depth > 0 {
                                    self.last_comment.push(c);
                                }
                                depth += 1;
                            }
                            b')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                                self.last_comment.push(c);
                            }
                            b'\\' => {
                                if let Some(n) = self.peek() {
                                    self.i += 1;
                                    self.last_comment.push(n);
                                }
                            }
                            b'\r' | b'\n' => {}
                            _ => self.last_comment.push(c),
                        }
                    }
                    if depth > 0 {
                        return false;
                    }
                }
                _ => break,
            }
        }
        true
    }
    fn atom(&mut self, out: &mut Vec<u8>) -> bool {
        let start = self.i;
        while self.peek().is_some_and(is_atext) {
            self.i += 1;
        }
        out.extend_from_slice(&self.s[start..self.i]);
        self.i > start
    }
    fn quoted(&mut self, out: &mut Vec<u8>) -> bool {
        self.i += 1; // opening quote
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => return true,
                b'\\' => {
                    if let Some(n) = self.peek() {
                        self.i += 1;
                        out.push(n);
                    }
                }
                b'\r' | b'\n' => {}
                _ => out.push(c),
            }
        }
        false
    }
    /// phrase = 1*word / obs-phrase, words joined with single spaces.
    fn phrase(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') => {
                    if !out.is_empty() {
                        out.push(b' ');
                    }
                    if !self.quoted(&mut out) {
                        return None;
                    }
                }
                Some(b) if is_atext(b) || b == b'.' => {
                    if !out.is_empty() {
                        out.push(b' ');
                    }
                    let start = self.i;
                    while self.peek().is_some_and(|c| is_atext(c) || c == b'.') {
                        self.i += 1;
                    }
                    out.extend_from_slice(&self.s[start..self.i]);
                }
                _ => return Some(out),
            }
            if !self.skip_cfws() {
                return None;
            }
        }
    }
    fn dot_atom(&mut self, out: &mut Vec<u8>) -> bool {
        if !self.atom(out) {
            return false;
        }
        loop {
            let save = self.i;
            self.skip_cfws();
            if self.peek() != Some(b'.') {
                self.i = save;
                self.skip_cfws();
                return true;
            }
            self.i += 1;
            out.push(b'.');
            self.skip_cfws();
            if !self.atom(out) {
                return false;
            }
        }
    }
    fn local_part(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let ok = if self.peek() == Some(b'"') {
            let ok = self.quoted(&mut out);
            self.skip_cfws();
            ok
        } else {
            self.dot_atom(&mut out)
        };
        ok.then_some(out)
    }
    /// At '@': the domain after it.
    fn domain(&mut self) -> Option<Vec<u8>> {
        self.i += 1;
        self.skip_cfws();
        let mut out = Vec::new();
        if self.peek() == Some(b'[') {
            while let Some(c) = self.peek() {
                self.i += 1;
                if c != b'\r' && c != b'\n' {
                    out.push(c);
                }
                if c == b']' {
                    self.skip_cfws();
                    return Some(out);
                }
            }
            None
        } else if self.dot_atom(&mut out) {
            Some(out)
        } else {
            None
        }
    }
    fn angle_addr(&mut self, addr: &mut Address) -> bool {
        self.i += 1; // '<'
        self.skip_cfws();
        if self.peek() == Some(b'@') {
            let mut route = Vec::new();
            while self.peek() == Some(b'@') {
                if !route.is_empty() {
                    route.push(b',');
                }
                route.push(b'@');
                match self.domain() {
                    Some(d) => route.extend_from_slice(&d),
                    None => return false,
                }
                while self.peek() == Some(b',') {
                    self.i += 1;
                    self.skip_cfws();
                }
            }
            if self.peek() != Some(b':') {
                addr.route = Some(b"INVALID_ROUTE".to_vec());
                return false;
            }
            addr.route = Some(route);
            self.i += 1;
            self.skip_cfws();
        }
        if self.peek() == Some(b'>') {
            self.i += 1;
            self.skip_cfws();
            return true;
        }
        match self.local_part() {
            Some(l) => addr.mailbox = Some(l),
            None => return false,
        }
        if self.peek() == Some(b'@') {
            match self.domain() {
                Some(d) => addr.domain = Some(d),
                None => return false,
            }
        }
        if self.peek() != Some(b'>') {
            return false;
        }
        self.i += 1;
        self.skip_cfws();
        true
    }
    /// mailbox = name-addr / addr-spec; returns false when parsing should stop.
    fn mailbox(&mut self, out: &mut Vec<Address>) -> bool {
        let start = self.i;
        let mut addr = Address::default();
        let mut ok = true;
        let name_addr = match self.phrase() {
            Some(name) if self.peek() == Some(b'<') => {
                addr.name = (!name.is_empty()).then_some(name);
                if !self.angle_addr(&mut addr) {
                    addr.domain = Some(b"SYNTAX_ERROR".to_vec());
                    ok = false;
                }
                true
            }
            _ => false,
        };
        if !name_addr {
            self.i = start;
            addr = Address::default();
            self.last_comment.clear();
            match self.local_part() {
                Some(l) => {
                    addr.mailbox = Some(l);
                    if self.peek() == Some(b'@') {
                        match self.domain() {
                            Some(d) => addr.domain = Some(d),
                            None => ok = false,
                        }
                    }
                }
                None => ok = false,
            }
            if !self.last_comment.is_empty() {
                addr.name = Some(std::mem::take(&mut self.last_comment));
            }
        }
        fill_missing(&mut addr);
        out.push(addr);
        ok
    }
    /// group = display-name ":" [mailbox-list] ";"; None when this is not a group.
    fn group(&mut self, out: &mut Vec<Address>) -> Option<bool> {
        let name = self.phrase()?;
        if self.peek() != Some(b':') {
            return None;
        }
        self.i += 1;
        let mut ok = self.skip_cfws();
        out.push(Address { mailbox: Some(name), ..Address::default() });
        if ok && !self.at_end() && self.peek() != Some(b';') {
            loop {
                if !self.mailbox(out) {
                    ok = false;
                    break;
                }
                if self.peek() != Some(b',') {
                    break;
                }
                self.i += 1;
                if !self.skip_cfws() || self.at_end() {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            if self.peek() == Some(b';') {
                self.i += 1;
                self.skip_cfws();
            } else {
                ok = false;
            }
        }
        out.push(Address::default());
        Some(ok)
    }
}

fn fill_missing(addr: &mut Address) {
    if addr.mailbox.is_none() {
        addr.mailbox = Some(b"MISSING_MAILBOX".to_vec());
    }
    if addr.domain.is_none() {
        addr.domain = Some(b"MISSING_DOMAIN".to_vec());
    }
}

/// Parses an address-list header value. Empty values give an empty list; after an invalid
/// address parsing goes on when a comma follows, otherwise it stops, keeping what was read.
pub fn parse_address_list(value: &[u8]) -> Vec<Address> {
    let mut p = P { s: value, i: 0, last_comment: Vec::new() };
    let mut out = Vec::new();
    if !p.skip_cfws() || p.at_end() {
        return out;
    }
    loop {
        let start = p.i;
        if p.group(&mut out).is_none() {
            p.i = start;
            p.mailbox(&mut out);
        }
        // Even after an invalid address Dovecot goes on when a comma follows
        // (`a@b, , c@d` gives a, a MISSING_MAILBOX/MISSING_DOMAIN entry and c).
        if p.peek() != Some(b',') {
            break;
        }
        p.i += 1;
        if !p.skip_cfws() {
            let mut a = Address::default();
            fill_missing(&mut a);
            out.push(a);
            break;
        }
        if p.at_end() {
            break;
        }
        if out.len() > 10_000 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(n: Option<&str>, m: &str, d: &str) -> Address {
        Address {
            name: n.map(|s| s.as_bytes().to_vec()),
            route: None,
            mailbox: Some(m.as_bytes().to_vec()),
            domain: Some(d.as_bytes().to_vec()),
        }
    }

    #[test]
    fn lists() {
        assert_eq!(
            parse_address_list(b"\"Doe, John\" <john@example.com>, jane@example.org (Jane D)"),
            vec![a(Some("Doe, John"), "john", "example.com"), a(Some("Jane D"), "jane", "example.org")]
        );
        assert_eq!(parse_address_list(b"<x@y>"), vec![a(None, "x", "y")]);
        assert_eq!(parse_address_list(b"root"), vec![a(None, "root", "MISSING_DOMAIN")]);
        let g = parse_address_list(b"undisclosed-recipients:;");
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].mailbox.as_deref(), Some(&b"undisclosed-recipients"[..]));
        assert_eq!(g[1], Address::default());
        let g = parse_address_list(b"Team: a@b, C <c@d>;, e@f");
        assert_eq!(g.len(), 5);
        assert_eq!(g[4], a(None, "e", "f"));
        assert_eq!(parse_address_list(b"   "), vec![]);
        let r = parse_address_list(b"Bob <@r1,@r2:bob@x>");
        assert_eq!(r[0].route.as_deref(), Some(&b"@r1,@r2"[..]));
        assert_eq!(
            parse_address_list(b"=?utf-8?q?J=C3=B6rg?= <j@x>")[0].name.as_deref(),
            Some(&b"=?utf-8?q?J=C3=B6rg?="[..])
        );
        assert_eq!(parse_address_list(b"Broken <a@b")[0].domain.as_deref(), Some(&b"SYNTAX_ERROR"[..]));
        let missing = a(None, "MISSING_MAILBOX", "MISSING_DOMAIN");
        assert_eq!(parse_address_list(b"a@b, , c@d"), vec![a(None, "a", "b"), missing, a(None, "c", "d")]);
    }
}
