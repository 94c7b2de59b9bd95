//! Content-* header fields: Content-Type with RFC 2231 parameters, Content-Transfer-Encoding,
//! Content-Disposition, Content-Language and the raw ones (ID, Description, MD5, Location).

use crate::header::Field;

/// A parameter list: (name as written, value) pairs.
pub(crate) type Params = Vec<(Vec<u8>, Vec<u8>)>;

/// The Content-* data of a part (first occurrence of each field wins).
#[derive(Debug, Default, Clone)]
pub(crate) struct ContentInfo {
    /// (type, subtype) as sent; subtype is empty when the value had no `/`.
    pub content_type: Option<(Vec<u8>, Vec<u8>)>,
    /// Content-Type parameters.
    pub type_params: Params,
    /// Content-ID (raw value).
    pub id: Option<Vec<u8>>,
    /// Content-Description (raw value).
    pub description: Option<Vec<u8>>,
    /// Content-Transfer-Encoding token.
    pub encoding: Option<Vec<u8>>,
    /// Content-MD5 (raw value).
    pub md5: Option<Vec<u8>>,
    /// Content-Disposition token and parameters.
    pub disposition: Option<(Vec<u8>, Params)>,
    /// Content-Language tags.
    pub language: Option<Vec<Vec<u8>>>,
    /// Content-Location (raw value).
    pub location: Option<Vec<u8>>,
    /// A multipart/digest child without Content-Type: message/rfc822 by default.
    pub default_rfc822: bool,
}

impl ContentInfo {
    fn type_is(&self, t: &str) -> bool {
        self.content_type.as_ref().is_some_and(|(ty, _)| ty.eq_ignore_ascii_case(t.as_bytes()))
    }
    /// Whether the subtype is `s` (case-insensitive).
    pub fn subtype_is(&self, s: &str) -> bool {
        self.content_type.as_ref().is_some_and(|(_, st)| st.eq_ignore_ascii_case(s.as_bytes()))
    }
    /// multipart/*.
    pub fn is_multipart(&self) -> bool {
        self.type_is("multipart")
    }
    /// text/* or no Content-Type at all (text/plain by default).
    pub fn is_text(&self) -> bool {
        if self.content_type.is_none() {
            return !self.default_rfc822;
        }
        self.type_is("text")
    }
    /// message/rfc822 (explicit or as the multipart/digest default).
    pub fn is_message_rfc822(&self) -> bool {
        (self.type_is("message") && self.subtype_is("rfc822"))
            || (self.content_type.is_none() && self.default_rfc822)
    }
    /// A Content-Type parameter by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&[u8]> {
        self.type_params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }
    /// The non-empty boundary parameter.
    pub fn boundary(&self) -> Option<Vec<u8>> {
        self.param("boundary").filter(|b| !b.is_empty()).map(<[u8]>::to_vec)
    }
}

fn is_token(b: u8) -> bool {
    b > b' ' && b != 0x7f && !b"()<>@,;:\\\"/[]?=".contains(&b)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_cfws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                b'(' => {
                    let mut depth = 0usize;
                    while let Some(c) = self.peek() {
                        self.i += 1;
                        match c {
                            b'(' => depth += 1,
                            b')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            b'\\' => self.i += 1,
                            _ => {}
                        }
                    }
                }
                _ => break,
            }
        }
    }
    fn token(&mut self) -> Vec<u8> {
        let start = self.i;
        while self.peek().is_some_and(is_token) {
            self.i += 1;
        }
        self.s[start..self.i].to_vec()
    }
    fn quoted(&mut self) -> Option<Vec<u8>> {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => return Some(out),
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
        None
    }
}

/// Parses `;name=value` parameters, then merges RFC 2231 continuations (`name*0`, `name*1*`)
/// into one `name` (or `name*` when extended) the way Dovecot does.
fn parse_params(c: &mut Cursor<'_>) -> Params {
    let mut plain: Params = Vec::new();
    let mut split: Vec<(Vec<u8>, u32, bool, Vec<u8>)> = Vec::new();
    loop {
        c.skip_cfws();
        match c.peek() {
            None => break,
            Some(b';') => c.i += 1,
            Some(_) => {
                // garbage: skip a byte and try again
                c.i += 1;
                continue;
            }
        }
        c.skip_cfws();
        let name = c.token();
        if name.is_empty() {
            continue;
        }
        c.skip_cfws();
        if c.peek() != Some(b'=') {
            continue;
        }
        c.i += 1;
        c.skip_cfws();
        let value = match c.peek() {
            Some(b'"') => match c.quoted() {
                Some(v) => v,
                None => break,
            },
            // Dovecot's workaround for broken input like `boundary==_abc` or
            // `name==?utf-8?b?...?=`: the value runs to the next `;` or whitespace.
            Some(b'=') => {
                let start = c.i;
                while c.peek().is_some_and(|b| !matches!(b, b';' | b' ' | b'\t' | b'\r' | b'\n')) {
                    c.i += 1;
                }
                c.s[start..c.i].to_vec()
            }
            _ => c.token(),
        };
        match name.iter().position(|&b| b == b'*') {
            Some(star) => {
                let key = name[..star].to_vec();
                let mut rest = &name[star + 1..];
                // "name*" alone is an extended value (index 0); "name*N[*]" a continuation.
                let lone_star = rest.is_empty();
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                let idx: u32 =
                    std::str::from_utf8(&rest[..digits]).ok().and_then(|d| d.parse().ok()).unwrap_or(0);
                rest = &rest[digits..];
                let extended = lone_star || rest.first() == Some(&b'*');
                if rest.first() == Some(&b'*') {
                    rest = &rest[1..];
                }
                if rest.is_empty() {
                    split.push((key, idx, extended, value));
                } else {
                    plain.push((name, value));
                }
            }
            None => plain.push((name, value)),
        }
    }
    if split.is_empty() {
        return plain;
    }
    split.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut i = 0;
    while i < split.len() {
        let mut j = i;
        let mut ok = true;
        let mut have_ext = false;
        while j < split.len() && split[j].0 == split[i].0 {
            ok &= split[j].1 as usize == j - i;
            have_ext |= split[j].2;
            j += 1;
        }
        if ok {
            let mut value = Vec::new();
            if !split[i].2 && have_ext {
                value.extend_from_slice(b"''");
            }
            for s in &split[i..j] {
                if !s.2 && have_ext {
                    for &b in &s.3 {
                        if b == b'%' {
                            value.extend_from_slice(b"%25");
                        } else {
                            value.push(b);
                        }
                    }
                } else {
                    value.extend_from_slice(&s.3);
                }
            }
            let mut key = split[i].0.clone();
            if have_ext {
                key.push(b'*');
            }
            plain.push((key, value));
        } else {
            for s in &split[i..j] {
                let mut key = s.0.clone();
                key.push(b'*');
                key.extend_from_slice(s.1.to_string().as_bytes());
                if s.2 {
                    key.push(b'*');
                }
                plain.push((key, s.3.clone()));
            }
        }
        i = j;
    }
    plain
}

fn parse_content_type(value: &[u8], info: &mut ContentInfo) {
    let mut c = Cursor { s: value, i: 0 };
    c.skip_cfws();
    let ty = c.token();
    c.skip_cfws();
    let mut ok = !ty.is_empty();
    let sub = if c.peek() == Some(b'/') {
        c.i += 1;
        c.skip_cfws();
        let s = c.token();
        ok &= !s.is_empty();
        s
    } else {
        ok = false;
        Vec::new()
    };
    info.content_type = Some((ty, sub));
    if ok {
        info.type_params = parse_params(&mut c);
    }
}

/// Reads the Content-* fields of a header.
pub(crate) fn content_info(fields: &[Field<'_>]) -> ContentInfo {
    let mut info = ContentInfo::default();
    for f in fields {
        if f.name.len() < 8 || !f.name[..8].eq_ignore_ascii_case(b"content-") {
            continue;
        }
        let v = &f.value;
        if f.is("Content-Type") && info.content_type.is_none() {
            parse_content_type(v, &mut info);
        } else if f.is("Content-Transfer-Encoding") && info.encoding.is_none() {
            let mut c = Cursor { s: v, i: 0 };
            c.skip_cfws();
            let t = c.token();
            c.skip_cfws();
            if !t.is_empty() && c.peek().is_none() {
                info.encoding = Some(t);
            }
        } else if f.is("Content-ID") && info.id.is_none() {
            info.id = Some(v.clone());
        } else if f.is("Content-Description") && info.description.is_none() {
            info.description = Some(v.clone());
        } else if f.is("Content-MD5") && info.md5.is_none() {
            info.md5 = Some(v.clone());
        } else if f.is("Content-Location") && info.location.is_none() {
            info.location = Some(v.clone());
        } else if f.is("Content-Disposition") && info.disposition.as_ref().is_none_or(|d| d.1.is_empty()) {
            let mut c = Cursor { s: v, i: 0 };
            c.skip_cfws();
            let t = c.token();
            if !t.is_empty() {
                let p = parse_params(&mut c);
                info.disposition = Some((t, p));
            }
        } else if f.is("Content-Language") && info.language.is_none() {
            let mut c = Cursor { s: v, i: 0 };
            let mut langs = Vec::new();
            c.skip_cfws();
            loop {
                let start = c.i;
                while c
                    .peek()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b))
                {
                    c.i += 1;
                }
                if c.i == start {
                    break;
                }
                langs.push(v[start..c.i].to_vec());
                c.skip_cfws();
                if c.peek() != Some(b',') {
                    break;
                }
                c.i += 1;
                c.skip_cfws();
            }
            if !langs.is_empty() {
                info.language = Some(langs);
            }
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: &str) -> Params {
        parse_params(&mut Cursor { s: v.as_bytes(), i: 0 })
    }

    #[test]
    fn rfc2231() {
        assert_eq!(
            params("; Charset=\"utf-8\"; x=y"),
            vec![(b"Charset".to_vec(), b"utf-8".to_vec()), (b"x".to_vec(), b"y".to_vec())]
        );
        // Unquoted values starting with '=' (invalid but common) run to ';' or whitespace.
        assert_eq!(
            params("; boundary==_b78_abc; x=y"),
            vec![(b"boundary".to_vec(), b"=_b78_abc".to_vec()), (b"x".to_vec(), b"y".to_vec())]
        );
        assert_eq!(
            params("; name*0=\"long\"; name*1=\"file.txt\""),
            vec![(b"name".to_vec(), b"longfile.txt".to_vec())]
        );
        assert_eq!(
            params("; filename*=utf-8''%E2%82%AC.txt"),
            vec![(b"filename*".to_vec(), b"utf-8''%E2%82%AC.txt".to_vec())]
        );
        assert_eq!(params("; a*1=x"), vec![(b"a*1".to_vec(), b"x".to_vec())]);
    }
}
