//! SEARCH programs: RETURN options, CHARSET and the search keys, with nesting bounded.

use super::command::{SearchKey, SearchReturn};
use super::lexer::{Cursor, PResult};
use super::partial::read_partial_range;
use super::sequence::{at_sequence_set, read_sequence_set};

/// Deepest nesting of parentheses, NOT and OR accepted in a search program.
pub const MAX_SEARCH_DEPTH: usize = 64;

/// Reads `RETURN (...)` options (after the `RETURN` keyword and its space); `()` means ALL.
pub(crate) fn read_search_return(c: &mut Cursor<'_>) -> PResult<Vec<SearchReturn>> {
    c.expect(b'(', "Invalid RETURN options")?;
    let mut opts = Vec::new();
    if c.eat(b')') {
        return Ok(vec![SearchReturn::All]);
    }
    loop {
        let name = c.keyword("RETURN option")?;
        let opt = match name.as_str() {
            "MIN" => SearchReturn::Min,
            "MAX" => SearchReturn::Max,
            "ALL" => SearchReturn::All,
            "COUNT" => SearchReturn::Count,
            "SAVE" => SearchReturn::Save,
            "CONTEXT" => SearchReturn::Context,
            "UPDATE" => SearchReturn::Update,
            "PARTIAL" => {
                c.sp("PARTIAL range")?;
                if opts.iter().any(|o| matches!(o, SearchReturn::Partial(_))) {
                    return Err("PARTIAL may be given only once (RFC 9394 3.1)".into());
                }
                SearchReturn::Partial(read_partial_range(c)?)
            }
            _ => return Err(format!("Unknown RETURN option {name}")),
        };
        if !opts.contains(&opt) {
            opts.push(opt);
        }
        if c.eat(b')') {
            if opts.contains(&SearchReturn::All) && opts.iter().any(|o| matches!(o, SearchReturn::Partial(_)))
            {
                return Err("PARTIAL and ALL cannot be combined (RFC 9394 3.1)".into());
            }
            return Ok(opts);
        }
        c.expect(b' ', "Invalid RETURN options")?;
    }
}

/// Reads `key *(SP key)` up to the end of the command; one key comes back as itself,
/// several as [`SearchKey::And`].
pub(crate) fn read_search_program(c: &mut Cursor<'_>) -> PResult<SearchKey> {
    let mut keys = vec![read_key(c, 0)?];
    while !c.at_eol() {
        c.expect(b' ', "Invalid search key")?;
        keys.push(read_key(c, 0)?);
    }
    Ok(and(keys))
}

fn and(mut keys: Vec<SearchKey>) -> SearchKey {
    if keys.len() == 1 {
        keys.pop().unwrap_or(SearchKey::All)
    } else {
        SearchKey::And(keys)
    }
}

fn read_key(c: &mut Cursor<'_>, depth: usize) -> PResult<SearchKey> {
    use SearchKey::*;
    if depth >= MAX_SEARCH_DEPTH {
        return Err("Search program nested too deeply".into());
    }
    if c.at_eol() {
        return Err("Missing argument: search key".into());
    }
    if c.eat(b'(') {
        let mut keys = vec![read_key(c, depth + 1)?];
        while !c.eat(b')') {
            c.expect(b' ', "Invalid search key list")?;
            keys.push(read_key(c, depth + 1)?);
        }
        return Ok(and(keys));
    }
    if at_sequence_set(c) {
        return Ok(Sequence(read_sequence_set(c)?));
    }
    let name = c.keyword("search key")?;
    let key = match name.as_str() {
        "ALL" => All,
        "ANSWERED" => Answered,
        "DELETED" => Deleted,
        "DRAFT" => Draft,
        "FLAGGED" => Flagged,
        "NEW" => New,
        "OLD" => Old,
        "RECENT" => Recent,
        "SEEN" => Seen,
        "UNANSWERED" => Unanswered,
        "UNDELETED" => Undeleted,
        "UNDRAFT" => Undraft,
        "UNFLAGGED" => Unflagged,
        "UNSEEN" => Unseen,
        "BCC" | "BODY" | "CC" | "FROM" | "SUBJECT" | "TEXT" | "TO" => {
            c.sp("search string")?;
            let s = c.astring("search string")?;
            match name.as_str() {
                "BCC" => Bcc(s),
                "BODY" => Body(s),
                "CC" => Cc(s),
                "FROM" => From(s),
                "SUBJECT" => Subject(s),
                "TEXT" => Text(s),
                _ => To(s),
            }
        }
        "BEFORE" | "ON" | "SINCE" | "SENTBEFORE" | "SENTON" | "SENTSINCE" => {
            c.sp("date")?;
            let d = c.date()?;
            match name.as_str() {
                "BEFORE" => Before(d),
                "ON" => On(d),
                "SINCE" => Since(d),
                "SENTBEFORE" => SentBefore(d),
                "SENTON" => SentOn(d),
                _ => SentSince(d),
            }
        }
        "HEADER" => {
            c.sp("header field name")?;
            let field = c.astring("header field name")?;
            c.sp("search string")?;
            let value = c.astring("search string")?;
            Header(String::from_utf8_lossy(&field).into_owned(), value)
        }
        "KEYWORD" | "UNKEYWORD" => {
            c.sp("keyword")?;
            let kw = String::from_utf8_lossy(c.atom("keyword")?).into_owned();
            if name == "KEYWORD" {
                Keyword(kw)
            } else {
                Unkeyword(kw)
            }
        }
        "LARGER" | "SMALLER" => {
            c.sp("size")?;
            let n = c.number64("size")?;
            if name == "LARGER" {
                Larger(n)
            } else {
                Smaller(n)
            }
        }
        "OLDER" | "YOUNGER" => {
            c.sp("interval")?;
            let n = c.number64("interval")?;
            if n == 0 {
                return Err("Invalid interval: must not be zero".into());
            }
            if name == "OLDER" {
                Older(n)
            } else {
                Younger(n)
            }
        }
        "NOT" => {
            c.sp("search key")?;
            Not(Box::new(read_key(c, depth + 1)?))
        }
        "OR" => {
            c.sp("search key")?;
            let a = read_key(c, depth + 1)?;
            c.sp("search key")?;
            let b = read_key(c, depth + 1)?;
            Or(Box::new(a), Box::new(b))
        }
        "UID" => {
            c.sp("UID set")?;
            Uid(read_sequence_set(c)?)
        }
        "MODSEQ" => {
            c.sp("mod-sequence")?;
            if c.peek() == Some(b'"') {
                let entry = c.quoted()?;
                if !entry.starts_with(b"/flags/") {
                    return Err("Invalid MODSEQ entry name".into());
                }
                c.sp("entry type")?;
                let kind = c.keyword("entry type")?;
                if !matches!(kind.as_str(), "PRIV" | "SHARED" | "ALL") {
                    return Err("Invalid MODSEQ entry type".into());
                }
                c.sp("mod-sequence")?;
            }
            ModSeq(c.number64("mod-sequence")?)
        }
        _ => return Err(format!("Unknown search key {name}")),
    };
    Ok(key)
}
