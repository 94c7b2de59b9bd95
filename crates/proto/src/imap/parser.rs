//! The IMAP command parser (RFC 3501, RFC 9051 and the extensions Bushbuck announces):
//! one framed command in, a [`TaggedCommand`] or a [`ParseError`] out.
//!
//! The parser never panics, allocates at most in proportion to its input, and bounds the
//! nesting of search keys (see [`MAX_SEARCH_DEPTH`]).

use std::fmt;

use super::admin_parser::read_xadmin;
use super::command::{
    AppendMessage, Command, ListCommand, ListReturn, QresyncParams, SelectParams, SequenceSet, SortCriterion,
    SortKey, StatusItem, StoreMode, TaggedCommand,
};
use super::fetch_parser::{read_fetch_items, read_fetch_modifiers, FetchModifiers};
use super::lexer::{is_tag_char, Cursor, PResult};
pub use super::search_parser::MAX_SEARCH_DEPTH;
use super::search_parser::{read_search_program, read_search_return};
use super::sequence::read_sequence_set;
use super::thread_parser::read_thread;

/// A command that could not be parsed: answer `tag BAD message` (or `* BAD` without a tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The tag, when one could be read.
    pub tag: Option<String>,
    /// What was wrong, short and human-readable (no CR or LF).
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} BAD {}", self.tag.as_deref().unwrap_or("*"), self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses one complete command as produced by the framer (line end and literal octets
/// included; a missing final line end is accepted too).
pub fn parse_command(input: &[u8]) -> Result<TaggedCommand, ParseError> {
    let mut c = Cursor::new(input);
    let tag = c.take_while(is_tag_char);
    if tag.is_empty() || !matches!(c.peek(), Some(b' ')) {
        let message =
            if !tag.is_empty() && c.at_eol() { "Missing command" } else { "Missing or invalid tag" };
        return Err(ParseError { tag: None, message: message.into() });
    }
    let tag = String::from_utf8_lossy(tag).into_owned();
    c.eat(b' ');
    match read_command(&mut c).and_then(|command| c.end().map(|()| command)) {
        Ok(command) => Ok(TaggedCommand { tag, command }),
        Err(message) => Err(ParseError { tag: Some(tag), message }),
    }
}

fn read_command(c: &mut Cursor<'_>) -> PResult<Command> {
    let name = c.keyword("command")?;
    let command = match name.as_str() {
        "CAPABILITY" => Command::Capability,
        "NOOP" => Command::Noop,
        "LOGOUT" => Command::Logout,
        "STARTTLS" => Command::StartTls,
        "NAMESPACE" => Command::Namespace,
        "IDLE" => Command::Idle,
        "CHECK" => Command::Check,
        "CLOSE" => Command::Close,
        "UNSELECT" => Command::Unselect,
        "EXPUNGE" => Command::Expunge,
        "AUTHENTICATE" => read_authenticate(c)?,
        "LOGIN" => {
            c.sp("user name")?;
            let user = c.astring("user name")?;
            c.sp("password")?;
            let password = c.astring("password")?;
            Command::Login { user, password }
        }
        "ENABLE" => {
            let mut caps = Vec::new();
            c.sp("capability")?;
            loop {
                caps.push(c.keyword("capability")?);
                if c.at_eol() {
                    break;
                }
                c.sp("capability")?;
            }
            Command::Enable(caps)
        }
        "ID" => read_id(c)?,
        "SELECT" | "EXAMINE" => {
            let mailbox = mailbox(c)?;
            let params = read_select_params(c)?;
            if name == "SELECT" {
                Command::Select { mailbox, params }
            } else {
                Command::Examine { mailbox, params }
            }
        }
        "CREATE" => {
            let mailbox = mailbox(c)?;
            let partition = read_partition(c)?;
            let special_use = if partition.is_none() { read_create_params(c)? } else { Vec::new() };
            Command::Create { mailbox, special_use, partition }
        }
        "DELETE" => Command::Delete(mailbox(c)?),
        "SUBSCRIBE" => Command::Subscribe(mailbox(c)?),
        "UNSUBSCRIBE" => Command::Unsubscribe(mailbox(c)?),
        "RENAME" => {
            let from = mailbox(c)?;
            let to = mailbox(c)?;
            let partition = read_partition(c)?;
            Command::Rename { from, to, partition }
        }
        "LIST" => Command::List(read_list(c)?),
        "LSUB" => {
            c.sp("reference")?;
            let reference = c.astring("reference")?;
            c.sp("mailbox pattern")?;
            let pattern = c.list_mailbox("mailbox pattern")?;
            Command::Lsub { reference, pattern }
        }
        "STATUS" => {
            let mailbox = mailbox(c)?;
            c.sp("status items")?;
            let items = read_status_items(c)?;
            Command::Status { mailbox, items }
        }
        "APPEND" => read_append(c)?,
        "GETQUOTA" => {
            c.sp("quota root")?;
            Command::GetQuota(c.astring("quota root")?)
        }
        "GETQUOTAROOT" => Command::GetQuotaRoot(mailbox(c)?),
        "SETQUOTA" => {
            c.sp("quota root")?;
            let root = c.astring("quota root")?;
            c.sp("quota limits")?;
            c.expect(b'(', "Expected ( before quota limits")?;
            let mut limits = Vec::new();
            while !c.eat(b')') {
                if !limits.is_empty() {
                    c.sp("quota limit")?;
                }
                let resource = c.keyword("quota resource")?;
                c.sp("quota limit")?;
                limits.push((resource, c.number64("quota limit")?));
                if limits.len() > 16 {
                    return Err("Too many quota resources".into());
                }
            }
            Command::SetQuota { root, limits }
        }
        "SETACL" => {
            let mailbox = mailbox(c)?;
            let identifier = acl_word(c, "identifier")?;
            let rights = acl_word(c, "rights")?;
            Command::SetAcl { mailbox, identifier, rights }
        }
        "DELETEACL" => {
            let mailbox = mailbox(c)?;
            let identifier = acl_word(c, "identifier")?;
            Command::DeleteAcl { mailbox, identifier }
        }
        "CANCELUPDATE" => {
            let mut tags = Vec::new();
            loop {
                c.sp("tag")?;
                tags.push(String::from_utf8_lossy(&c.astring("tag")?).into_owned());
                if c.at_eol() {
                    break;
                }
            }
            Command::CancelUpdate(tags)
        }
        "GETACL" => Command::GetAcl(mailbox(c)?),
        "LISTRIGHTS" => {
            let mailbox = mailbox(c)?;
            let identifier = acl_word(c, "identifier")?;
            Command::ListRights { mailbox, identifier }
        }
        "MYRIGHTS" => Command::MyRights(mailbox(c)?),
        "UID" => {
            c.sp("UID command")?;
            let sub = c.keyword("UID command")?;
            match sub.as_str() {
                "EXPUNGE" => {
                    c.sp("UID set")?;
                    Command::UidExpunge(read_sequence_set(c)?)
                }
                "FETCH" | "SEARCH" | "SORT" | "THREAD" | "STORE" | "COPY" | "MOVE" => {
                    read_message_command(c, &sub, true)?
                }
                _ => return Err(format!("Unknown UID command {}", shorten(&sub))),
            }
        }
        "FETCH" | "SEARCH" | "SORT" | "THREAD" | "STORE" | "COPY" | "MOVE" => {
            read_message_command(c, &name, false)?
        }
        "XADMIN" => Command::Xadmin(read_xadmin(c)?),
        _ => return Err(format!("Unknown command {}", shorten(&name))),
    };
    Ok(command)
}

/// Truncates a client-supplied word for use in an error message.
pub(super) fn shorten(word: &str) -> &str {
    match word.char_indices().nth(40) {
        Some((i, _)) => &word[..i],
        None => word,
    }
}

/// Reads `SP astring` as UTF-8 text (ACL identifiers and rights).
fn acl_word(c: &mut Cursor<'_>, what: &str) -> PResult<String> {
    c.sp(what)?;
    String::from_utf8(c.astring(what)?).map_err(|_| format!("The {what} is not valid UTF-8"))
}

/// Reads `SP mailbox`.
fn mailbox(c: &mut Cursor<'_>) -> PResult<Vec<u8>> {
    c.sp("mailbox")?;
    c.astring("mailbox")
}

fn read_authenticate(c: &mut Cursor<'_>) -> PResult<Command> {
    c.sp("mechanism")?;
    let mechanism = c.keyword("mechanism")?;
    let mut initial = None;
    if !c.at_eol() {
        c.sp("initial response")?;
        let resp = c.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        if resp.is_empty() {
            return Err("Invalid initial response".into());
        }
        initial = Some(String::from_utf8_lossy(resp).into_owned());
    }
    Ok(Command::Authenticate { mechanism, initial })
}

fn read_id(c: &mut Cursor<'_>) -> PResult<Command> {
    c.sp("ID parameters")?;
    if c.eat_keyword("NIL") {
        return Ok(Command::Id(None));
    }
    c.expect(b'(', "Invalid ID parameters")?;
    let mut fields = Vec::new();
    if c.eat(b')') {
        return Ok(Command::Id(Some(fields)));
    }
    loop {
        let key = c.string("ID field")?;
        c.sp("ID value")?;
        let value = c.nstring("ID value")?;
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
        fields.push((text(key), value.map(text)));
        if c.eat(b')') {
            return Ok(Command::Id(Some(fields)));
        }
        c.expect(b' ', "Invalid ID parameters")?;
    }
}

fn read_select_params(c: &mut Cursor<'_>) -> PResult<SelectParams> {
    let mut params = SelectParams::default();
    if c.at_eol() {
        return Ok(params);
    }
    c.sp("select parameters")?;
    c.expect(b'(', "Invalid select parameters")?;
    loop {
        let name = c.keyword("select parameter")?;
        match name.as_str() {
            "CONDSTORE" => params.condstore = true,
            "QRESYNC" if params.qresync.is_none() => {
                c.sp("QRESYNC parameters")?;
                params.qresync = Some(read_qresync(c)?);
            }
            _ => return Err(format!("Unknown select parameter {}", shorten(&name))),
        }
        if c.eat(b')') {
            return Ok(params);
        }
        c.expect(b' ', "Invalid select parameters")?;
    }
}

fn read_qresync(c: &mut Cursor<'_>) -> PResult<QresyncParams> {
    const BAD: &str = "Invalid QRESYNC parameters";
    c.expect(b'(', BAD)?;
    let uid_validity = c.nz_number("UIDVALIDITY")?;
    c.sp("mod-sequence")?;
    let mod_seq = c.number64("mod-sequence")?;
    let mut known_uids = None;
    if c.eat(b' ') {
        if c.peek() != Some(b'(') {
            let set = read_sequence_set(c)?;
            if set.is_saved() {
                return Err(BAD.into());
            }
            known_uids = Some(set);
            if c.eat(b' ') {
                read_seq_match(c)?;
            }
        } else {
            read_seq_match(c)?;
        }
    }
    c.expect(b')', BAD)?;
    Ok(QresyncParams { uid_validity, mod_seq, known_uids })
}

/// Reads and discards QRESYNC seq-match-data `(seqs SP uids)`.
fn read_seq_match(c: &mut Cursor<'_>) -> PResult<()> {
    const BAD: &str = "Invalid QRESYNC sequence match data";
    c.expect(b'(', BAD)?;
    read_sequence_set(c)?;
    c.sp("known UIDs")?;
    read_sequence_set(c)?;
    c.expect(b')', BAD)
}

/// Cyrus's optional partition argument of CREATE and RENAME: ` NAME` (an astring; CREATE
/// parameters start with `(` instead).
fn read_partition(c: &mut Cursor<'_>) -> PResult<Option<String>> {
    if c.at_eol() || c.peek2() == Some(b'(') {
        return Ok(None);
    }
    c.sp("partition")?;
    let name = c.astring("partition")?;
    Ok(Some(String::from_utf8_lossy(&name).into_owned()))
}

fn read_create_params(c: &mut Cursor<'_>) -> PResult<Vec<String>> {
    const BAD: &str = "Invalid CREATE parameters";
    let mut uses = Vec::new();
    if c.at_eol() {
        return Ok(uses);
    }
    c.sp("CREATE parameters")?;
    c.expect(b'(', BAD)?;
    let name = c.keyword("CREATE parameter")?;
    if name != "USE" {
        return Err(format!("Unknown CREATE parameter {}", shorten(&name)));
    }
    c.sp("special-use attributes")?;
    for flag in c.flag_list()? {
        if !flag.starts_with('\\') {
            return Err("Invalid special-use attribute".into());
        }
        uses.push(canonical_special_use(flag));
    }
    c.expect(b')', BAD)?;
    Ok(uses)
}

/// Spells the RFC 6154 attributes canonically; others stay as sent.
pub(super) fn canonical_special_use(flag: String) -> String {
    const KNOWN: [&str; 7] = ["\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"];
    KNOWN.iter().find(|k| k.eq_ignore_ascii_case(&flag)).map_or(flag, |k| k.to_string())
}

fn read_list(c: &mut Cursor<'_>) -> PResult<ListCommand> {
    let mut list = ListCommand::default();
    c.sp("reference")?;
    if c.eat(b'(') {
        list.extended = true;
        if !c.eat(b')') {
            loop {
                let opt = c.keyword("selection option")?;
                if !matches!(opt.as_str(), "SUBSCRIBED" | "REMOTE" | "RECURSIVEMATCH" | "SPECIAL-USE") {
                    return Err(format!("Unknown LIST selection option {}", shorten(&opt)));
                }
                if !list.select_options.contains(&opt) {
                    list.select_options.push(opt);
                }
                if c.eat(b')') {
                    break;
                }
                c.expect(b' ', "Invalid LIST selection options")?;
            }
        }
        let has = |o: &str| list.select_options.iter().any(|s| s == o);
        if has("RECURSIVEMATCH") && !has("SUBSCRIBED") && !has("SPECIAL-USE") {
            return Err("RECURSIVEMATCH needs another selection option".into());
        }
        c.sp("reference")?;
    }
    list.reference = c.astring("reference")?;
    c.sp("mailbox pattern")?;
    if c.eat(b'(') {
        list.extended = true;
        loop {
            list.patterns.push(c.list_mailbox("mailbox pattern")?);
            if c.eat(b')') {
                break;
            }
            c.expect(b' ', "Invalid mailbox pattern list")?;
        }
    } else {
        list.patterns.push(c.list_mailbox("mailbox pattern")?);
    }
    if !c.at_eol() {
        c.sp("RETURN")?;
        if !c.eat_keyword("RETURN") {
            return Err("Expected RETURN".into());
        }
        list.extended = true;
        c.sp("RETURN options")?;
        list.return_options = read_list_return(c)?;
    }
    Ok(list)
}

fn read_list_return(c: &mut Cursor<'_>) -> PResult<ListReturn> {
    let mut ret = ListReturn::default();
    c.expect(b'(', "Invalid RETURN options")?;
    if c.eat(b')') {
        return Ok(ret);
    }
    loop {
        let opt = c.keyword("RETURN option")?;
        match opt.as_str() {
            "SUBSCRIBED" => ret.subscribed = true,
            "CHILDREN" => ret.children = true,
            "SPECIAL-USE" => ret.special_use = true,
            "STATUS" if ret.status.is_none() => {
                c.sp("status items")?;
                ret.status = Some(read_status_items(c)?);
            }
            _ => return Err(format!("Unknown LIST RETURN option {}", shorten(&opt))),
        }
        if c.eat(b')') {
            return Ok(ret);
        }
        c.expect(b' ', "Invalid RETURN options")?;
    }
}

fn read_status_items(c: &mut Cursor<'_>) -> PResult<Vec<StatusItem>> {
    c.expect(b'(', "Invalid status items")?;
    let mut items = Vec::new();
    loop {
        let name = c.keyword("status item")?;
        let item = match name.as_str() {
            "MESSAGES" => StatusItem::Messages,
            "RECENT" => StatusItem::Recent,
            "UIDNEXT" => StatusItem::UidNext,
            "UIDVALIDITY" => StatusItem::UidValidity,
            "UNSEEN" => StatusItem::Unseen,
            "HIGHESTMODSEQ" => StatusItem::HighestModSeq,
            "SIZE" => StatusItem::Size,
            "DELETED" => StatusItem::Deleted,
            _ => return Err(format!("Unknown status item {}", shorten(&name))),
        };
        if !items.contains(&item) {
            items.push(item);
        }
        if c.eat(b')') {
            return Ok(items);
        }
        c.expect(b' ', "Invalid status items")?;
    }
}

fn read_append(c: &mut Cursor<'_>) -> PResult<Command> {
    let mailbox = mailbox(c)?;
    let mut messages = Vec::new();
    loop {
        c.sp("message")?;
        let mut flags = Vec::new();
        if c.peek() == Some(b'(') {
            flags = c.flag_list()?;
            c.sp("message")?;
        }
        let mut internal_date = None;
        if c.peek() == Some(b'"') {
            internal_date = Some(c.date_time()?);
            c.sp("message")?;
        }
        if c.eat_keyword("CATENATE") {
            return Err("CATENATE is not supported".into());
        }
        if !c.at_literal(true) {
            return Err("Invalid message: expected a literal".into());
        }
        let (data, binary) = c.literal_range(true)?;
        messages.push(AppendMessage { flags, internal_date, octets: data, binary });
        if c.at_eol() {
            return Ok(Command::Append { mailbox, messages });
        }
    }
}

fn read_message_command(c: &mut Cursor<'_>, name: &str, uid: bool) -> PResult<Command> {
    if name == "SEARCH" {
        return read_search(c, uid);
    }
    if name == "SORT" {
        return read_sort(c, uid);
    }
    if name == "THREAD" {
        return read_thread(c, uid);
    }
    c.sp("sequence set")?;
    let set = read_sequence_set(c)?;
    match name {
        "FETCH" => read_fetch(c, uid, set),
        "STORE" => read_store(c, uid, set),
        _ => {
            c.sp("mailbox")?;
            let mailbox = c.astring("mailbox")?;
            Ok(if name == "COPY" {
                Command::Copy { uid, set, mailbox }
            } else {
                Command::Move { uid, set, mailbox }
            })
        }
    }
}

/// `SORT [RETURN (options)] (criteria) charset search-keys` (RFC 5256, RFC 5267).
fn read_sort(c: &mut Cursor<'_>, uid: bool) -> PResult<Command> {
    c.sp("sort criteria")?;
    let mut ret = None;
    if c.eat_keyword("RETURN") {
        c.sp("RETURN options")?;
        ret = Some(read_search_return(c)?);
        c.sp("sort criteria")?;
    }
    c.expect(b'(', "Expected ( before sort criteria")?;
    let mut criteria = Vec::new();
    loop {
        let mut word = c.keyword("sort criterion")?;
        let reverse = word == "REVERSE";
        if reverse {
            c.sp("sort criterion")?;
            word = c.keyword("sort criterion")?;
        }
        let key = match word.as_str() {
            "ARRIVAL" => SortKey::Arrival,
            "CC" => SortKey::Cc,
            "DATE" => SortKey::Date,
            "FROM" => SortKey::From,
            "SIZE" => SortKey::Size,
            "SUBJECT" => SortKey::Subject,
            "TO" => SortKey::To,
            "DISPLAYFROM" => SortKey::DisplayFrom,
            "DISPLAYTO" => SortKey::DisplayTo,
            other => return Err(format!("Unknown sort criterion {}", shorten(other))),
        };
        criteria.push(SortCriterion { reverse, key });
        if c.eat(b')') {
            break;
        }
        c.sp("sort criterion")?;
    }
    c.sp("charset")?;
    let charset = String::from_utf8_lossy(&c.astring("charset")?).to_ascii_uppercase();
    c.sp("search key")?;
    let search = read_search_program(c)?;
    Ok(Command::Sort { uid, ret, criteria, charset, search })
}

fn read_search(c: &mut Cursor<'_>, uid: bool) -> PResult<Command> {
    c.sp("search key")?;
    let mut ret = None;
    if c.eat_keyword("RETURN") {
        c.sp("RETURN options")?;
        ret = Some(read_search_return(c)?);
        c.sp("search key")?;
    }
    let mut charset = None;
    if c.eat_keyword("CHARSET") {
        c.sp("charset")?;
        let cs = c.astring("charset")?;
        charset = Some(String::from_utf8_lossy(&cs).to_ascii_uppercase());
        c.sp("search key")?;
    }
    let criteria = read_search_program(c)?;
    Ok(Command::Search { uid, charset, ret, criteria })
}

fn read_fetch(c: &mut Cursor<'_>, uid: bool, set: SequenceSet) -> PResult<Command> {
    c.sp("fetch attributes")?;
    let items = read_fetch_items(c)?;
    let mut m = FetchModifiers::default();
    if !c.at_eol() {
        c.sp("fetch modifiers")?;
        m = read_fetch_modifiers(c)?;
    }
    if m.vanished && !uid {
        return Err("VANISHED is only allowed with UID FETCH".into());
    }
    if m.vanished && m.changed_since.is_none() {
        return Err("VANISHED requires CHANGEDSINCE".into());
    }
    if m.partial.is_some() && !uid {
        return Err("PARTIAL is only allowed with UID FETCH (RFC 9394 3.3)".into());
    }
    Ok(Command::Fetch {
        uid,
        set,
        items,
        changed_since: m.changed_since,
        vanished: m.vanished,
        partial: m.partial,
    })
}

fn read_store(c: &mut Cursor<'_>, uid: bool, set: SequenceSet) -> PResult<Command> {
    c.sp("store item")?;
    let mut unchanged_since = None;
    if c.eat(b'(') {
        let name = c.keyword("store modifier")?;
        if name != "UNCHANGEDSINCE" {
            return Err(format!("Unknown store modifier {}", shorten(&name)));
        }
        c.sp("mod-sequence")?;
        unchanged_since = Some(c.number64("mod-sequence")?);
        c.expect(b')', "Invalid store modifiers")?;
        c.sp("store item")?;
    }
    let item = c.keyword("store item")?;
    let (mode, rest) = match item.as_bytes().first() {
        Some(b'+') => (StoreMode::Add, &item[1..]),
        Some(b'-') => (StoreMode::Remove, &item[1..]),
        _ => (StoreMode::Replace, item.as_str()),
    };
    let silent = match rest {
        "FLAGS" => false,
        "FLAGS.SILENT" => true,
        _ => return Err(format!("Invalid store item {}", shorten(&item))),
    };
    c.sp("flags")?;
    let flags = if c.peek() == Some(b'(') {
        c.flag_list()?
    } else {
        let mut flags = vec![c.flag()?];
        while c.eat(b' ') {
            flags.push(c.flag()?);
        }
        flags
    };
    Ok(Command::Store { uid, set, mode, silent, flags, unchanged_since })
}
