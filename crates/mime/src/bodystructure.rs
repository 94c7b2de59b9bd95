//! IMAP BODY and BODYSTRUCTURE as Dovecot 2.3 writes them: type and subtype as sent,
//! lowercase defaults (`"text" "plain" ("charset" "us-ascii")`, `"7bit"`), a charset added to
//! every text part, sizes in octets of the original bytes and line counts as LF counts.

use crate::envelope;
use crate::header;
use crate::params::{ContentInfo, Params};
use crate::quote;
use crate::structure::{Kind, Part};

const EMPTY_BODY: &str = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";
const EMPTY_BODYSTRUCTURE: &str =
    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";

fn params(out: &mut String, params: &Params, default_charset: bool) {
    if params.is_empty() && !default_charset {
        out.push_str("NIL");
        return;
    }
    out.push('(');
    let mut seen_charset = false;
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        seen_charset |= name.eq_ignore_ascii_case(b"charset");
        quote::nstring(out, Some(name));
        out.push(' ');
        quote::nstring(out, Some(value));
    }
    if default_charset && !seen_charset {
        if !params.is_empty() {
            out.push(' ');
        }
        out.push_str("\"charset\" \"us-ascii\"");
    }
    out.push(')');
}

fn extension_common(out: &mut String, info: &ContentInfo) {
    out.push(' ');
    match &info.disposition {
        Some((d, p)) => {
            out.push('(');
            quote::nstring(out, Some(d));
            out.push(' ');
            params(out, p, false);
            out.push(')');
        }
        None => out.push_str("NIL"),
    }
    out.push(' ');
    match &info.language {
        Some(langs) => {
            out.push('(');
            for (i, l) in langs.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                quote::nstring(out, Some(l));
            }
            out.push(')');
        }
        None => out.push_str("NIL"),
    }
    out.push(' ');
    quote::nstring_nolf(out, info.location.as_deref());
}

/// Writes the body structure of `part` (with its enclosing parentheses).
pub(crate) fn write(out: &mut String, msg: &[u8], part: &Part, extended: bool) {
    out.push('(');
    let info = &part.info;
    match &part.kind {
        Kind::Multipart(children) => {
            if children.is_empty() {
                out.push_str(if extended { EMPTY_BODYSTRUCTURE } else { EMPTY_BODY });
            }
            for child in children {
                write(out, msg, child, extended);
            }
            out.push(' ');
            let sub = info.content_type.as_ref().map(|(_, s)| s.as_slice());
            quote::nstring(out, Some(sub.unwrap_or(b"")));
            if extended {
                out.push(' ');
                params(out, &info.type_params, false);
                extension_common(out, info);
            }
        }
        kind => {
            let rfc822 = matches!(kind, Kind::Message(_));
            let text = !rfc822 && info.is_text();
            if rfc822 {
                out.push_str("\"message\" \"rfc822\"");
            } else {
                match &info.content_type {
                    Some((t, s)) => {
                        quote::nstring(out, Some(t));
                        out.push(' ');
                        quote::nstring(out, Some(s));
                    }
                    None => out.push_str("\"text\" \"plain\""),
                }
            }
            out.push(' ');
            params(out, &info.type_params, text);
            out.push(' ');
            quote::nstring_nolf(out, info.id.as_deref());
            out.push(' ');
            quote::nstring_nolf(out, info.description.as_deref());
            out.push(' ');
            match &info.encoding {
                Some(e) => quote::nstring(out, Some(e)),
                None => out.push_str("\"7bit\""),
            }
            out.push(' ');
            out.push_str(&(part.end - part.body_start).to_string());
            if text {
                out.push(' ');
                out.push_str(&part.lines(msg).to_string());
            } else if let Kind::Message(inner) = kind {
                out.push_str(" (");
                let fields = header::parse(inner.header(msg));
                envelope::write(out, &fields);
                out.push_str(") ");
                write(out, msg, inner, extended);
                out.push(' ');
                out.push_str(&part.lines(msg).to_string());
            }
            if extended {
                out.push(' ');
                quote::nstring_nolf(out, info.md5.as_deref());
                extension_common(out, info);
            }
        }
    }
    out.push(')');
}
