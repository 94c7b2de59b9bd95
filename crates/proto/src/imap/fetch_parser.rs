//! FETCH attributes: macros, `BODY[section]<o.n>`, `BINARY[part]`, and the modifiers
//! (CHANGEDSINCE, VANISHED).

use super::command::{FetchAttribute, PartialRange, Section, SectionText};
use super::lexer::{Cursor, PResult};
use super::partial::read_partial_range;

/// Reads the FETCH item argument: a macro, one attribute, or a parenthesised list.
pub(crate) fn read_fetch_items(c: &mut Cursor<'_>) -> PResult<Vec<FetchAttribute>> {
    use FetchAttribute::*;
    if c.at_eol() {
        return Err("Missing argument: fetch attributes".into());
    }
    if c.eat(b'(') {
        let mut items = Vec::new();
        loop {
            items.push(read_attribute(c)?);
            if c.eat(b')') {
                return Ok(items);
            }
            c.expect(b' ', "Invalid fetch attribute list")?;
        }
    }
    for (name, expanded) in [
        ("ALL", &[Flags, InternalDate, Rfc822Size, Envelope][..]),
        ("FAST", &[Flags, InternalDate, Rfc822Size][..]),
        ("FULL", &[Flags, InternalDate, Rfc822Size, Envelope, Body][..]),
    ] {
        if c.eat_keyword(name) {
            return Ok(expanded.to_vec());
        }
    }
    Ok(vec![read_attribute(c)?])
}

/// Reads the name part of an attribute: letters, digits, `.` and `-`.
fn attribute_name(c: &mut Cursor<'_>) -> String {
    String::from_utf8_lossy(c.take_while(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
        .to_ascii_uppercase()
}

fn read_attribute(c: &mut Cursor<'_>) -> PResult<FetchAttribute> {
    use FetchAttribute::*;
    let name = attribute_name(c);
    let simple = match name.as_str() {
        "ENVELOPE" => Some(Envelope),
        "FLAGS" => Some(Flags),
        "INTERNALDATE" => Some(InternalDate),
        "RFC822" => Some(Rfc822),
        "RFC822.HEADER" => Some(Rfc822Header),
        "RFC822.SIZE" => Some(Rfc822Size),
        "RFC822.TEXT" => Some(Rfc822Text),
        "BODYSTRUCTURE" => Some(BodyStructure),
        "UID" => Some(Uid),
        "MODSEQ" => Some(ModSeq),
        "SAVEDATE" => Some(SaveDate),
        "EMAILID" => Some(EmailId),
        "THREADID" => Some(ThreadId),
        "BODY" if c.peek() != Some(b'[') => Some(Body),
        _ => None,
    };
    if let Some(att) = simple {
        return Ok(att);
    }
    match name.as_str() {
        "BODY" | "BODY.PEEK" => {
            let section = read_section(c)?;
            let partial = read_partial(c)?;
            Ok(BodySection { peek: name == "BODY.PEEK", section, partial })
        }
        "BINARY" | "BINARY.PEEK" => {
            let part = read_binary_section(c)?;
            let partial = read_partial(c)?;
            Ok(Binary { peek: name == "BINARY.PEEK", part, partial })
        }
        "BINARY.SIZE" => Ok(BinarySize { part: read_binary_section(c)? }),
        "" => Err("Invalid fetch attribute".into()),
        other => Err(format!("Unknown fetch attribute {other}")),
    }
}

/// Reads `.1.2` style part numbers after the first (already read) one.
fn read_part_numbers(c: &mut Cursor<'_>) -> PResult<Vec<u32>> {
    let mut part = Vec::new();
    while c.peek().is_some_and(|b| b.is_ascii_digit()) {
        part.push(c.nz_number("section part")?);
        if !(c.peek() == Some(b'.') && c.peek2().is_some_and(|b| b.is_ascii_digit())) {
            break;
        }
        c.eat(b'.');
    }
    Ok(part)
}

fn read_binary_section(c: &mut Cursor<'_>) -> PResult<Vec<u32>> {
    c.expect(b'[', "Expected [ after BINARY")?;
    let part = read_part_numbers(c)?;
    c.expect(b']', "Invalid binary section")?;
    Ok(part)
}

fn read_section(c: &mut Cursor<'_>) -> PResult<Section> {
    const BAD: &str = "Invalid body section";
    c.expect(b'[', BAD)?;
    let part = read_part_numbers(c)?;
    if c.eat(b']') {
        return Ok(Section { part, text: None });
    }
    if !part.is_empty() {
        c.expect(b'.', BAD)?;
    }
    let keyword = attribute_name(c);
    let text = match keyword.as_str() {
        "HEADER" => SectionText::Header,
        "TEXT" => SectionText::Text,
        "MIME" if !part.is_empty() => SectionText::Mime,
        "HEADER.FIELDS" | "HEADER.FIELDS.NOT" => {
            c.expect(b' ', "Missing argument: header list")?;
            let names = read_header_list(c)?;
            if keyword == "HEADER.FIELDS" {
                SectionText::HeaderFields(names)
            } else {
                SectionText::HeaderFieldsNot(names)
            }
        }
        _ => return Err(BAD.into()),
    };
    c.expect(b']', BAD)?;
    Ok(Section { part, text: Some(text) })
}

fn read_header_list(c: &mut Cursor<'_>) -> PResult<Vec<String>> {
    c.expect(b'(', "Invalid header list")?;
    let mut names = Vec::new();
    loop {
        let name = c.astring("header field name")?;
        if name.is_empty() || !name.iter().all(|&b| b > 0x20 && b < 0x7f && b != b':') {
            return Err("Invalid header field name".into());
        }
        names.push(String::from_utf8_lossy(&name).into_owned());
        if c.eat(b')') {
            return Ok(names);
        }
        c.expect(b' ', "Invalid header list")?;
    }
}

fn read_partial(c: &mut Cursor<'_>) -> PResult<Option<(u32, u32)>> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let offset = c.number("partial offset")?;
    c.expect(b'.', "Invalid partial")?;
    let length = c.nz_number("partial length")?;
    c.expect(b'>', "Invalid partial")?;
    Ok(Some((offset, length)))
}

/// FETCH modifiers (RFC 4466 / RFC 7162 / RFC 9394).
#[derive(Default)]
pub(crate) struct FetchModifiers {
    pub(crate) changed_since: Option<u64>,
    pub(crate) vanished: bool,
    pub(crate) partial: Option<PartialRange>,
}

/// Reads `(CHANGEDSINCE n [VANISHED] [PARTIAL range])` in any order (the opening `(` next).
pub(crate) fn read_fetch_modifiers(c: &mut Cursor<'_>) -> PResult<FetchModifiers> {
    let mut m = FetchModifiers::default();
    c.expect(b'(', "Invalid fetch modifiers")?;
    loop {
        let name = c.keyword("fetch modifier")?;
        match name.as_str() {
            "CHANGEDSINCE" if m.changed_since.is_none() => {
                c.sp("mod-sequence")?;
                m.changed_since = Some(c.number64("mod-sequence")?);
            }
            "VANISHED" if !m.vanished => m.vanished = true,
            "PARTIAL" if m.partial.is_none() => {
                c.sp("PARTIAL range")?;
                m.partial = Some(read_partial_range(c)?);
            }
            _ => return Err(format!("Unknown fetch modifier {name}")),
        }
        if c.eat(b')') {
            return Ok(m);
        }
        c.expect(b' ', "Invalid fetch modifiers")?;
    }
}
