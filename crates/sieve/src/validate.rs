//! Checks a syntax tree against RFC 5228 and the supported extensions and turns it into the
//! typed [`Script`]: `require` covers every extension used, argument shapes are right,
//! `elsif`/`else` follow an `if`.

use std::collections::BTreeSet;

use crate::ast::{ArgValue, Argument, CommandNode, TestNode};
use crate::error::ParseError;
use crate::extensions::{date, editheader, encoded, variables};
use crate::program::*;

/// Extensions this implementation understands, as named in `require`.
pub const SUPPORTED_EXTENSIONS: &[&str] = &[
    "fileinto",
    "reject",
    "ereject",
    "envelope",
    "encoded-character",
    "copy",
    "body",
    "variables",
    "vacation",
    "vacation-seconds",
    "relational",
    "subaddress",
    "imap4flags",
    "date",
    "index",
    "editheader",
    "mailbox",
    "include",
    "duplicate",
    "comparator-i;octet",
    "comparator-i;ascii-casemap",
    "comparator-i;ascii-numeric",
];

type R<T> = Result<T, ParseError>;

struct V {
    exts: BTreeSet<String>,
}

/// Cursor over the arguments of one command or test.
struct Args<'a> {
    items: &'a [Argument],
    i: usize,
    name: &'a str,
    line: usize,
    column: usize,
}

impl<'a> Args<'a> {
    fn new(name: &'a str, items: &'a [Argument], line: usize, column: usize) -> Self {
        Args { items, i: 0, name, line, column }
    }
    fn err_here(&self, msg: impl Into<String>) -> ParseError {
        match self.items.get(self.i) {
            Some(a) => ParseError::new(a.line, a.column, msg),
            None => ParseError::new(self.line, self.column, msg),
        }
    }
    /// The next tag, consumed.
    fn tag(&mut self) -> Option<(String, &'a Argument)> {
        match self.items.get(self.i) {
            Some(a @ Argument { value: ArgValue::Tag(t), .. }) => {
                self.i += 1;
                Some((t.clone(), a))
            }
            _ => None,
        }
    }
    fn string(&mut self, what: &str) -> R<String> {
        match self.items.get(self.i).map(|a| &a.value) {
            Some(ArgValue::Str(s)) => {
                self.i += 1;
                Ok(s.clone())
            }
            _ => Err(self.err_here(format!("{}: expected {what} (a string)", self.name))),
        }
    }
    fn list(&mut self, what: &str) -> R<Vec<String>> {
        match self.items.get(self.i).map(|a| &a.value) {
            Some(ArgValue::Str(s)) => {
                self.i += 1;
                Ok(vec![s.clone()])
            }
            Some(ArgValue::List(l)) => {
                self.i += 1;
                Ok(l.clone())
            }
            _ => Err(self.err_here(format!("{}: expected {what} (a string list)", self.name))),
        }
    }
    fn number(&mut self, what: &str) -> R<u64> {
        match self.items.get(self.i).map(|a| &a.value) {
            Some(ArgValue::Number(n)) => {
                self.i += 1;
                Ok(*n)
            }
            _ => Err(self.err_here(format!("{}: expected {what} (a number)", self.name))),
        }
    }
    fn is_tag_next(&self) -> bool {
        matches!(self.items.get(self.i).map(|a| &a.value), Some(ArgValue::Tag(_)))
    }
    fn has_more(&self) -> bool {
        self.i < self.items.len()
    }
    fn finish(&self) -> R<()> {
        if self.has_more() {
            return Err(self.err_here(format!("{}: unexpected extra argument", self.name)));
        }
        Ok(())
    }
}

fn at(a: &Argument, msg: impl Into<String>) -> ParseError {
    ParseError::new(a.line, a.column, msg)
}

/// Collects comparator, match type and (optionally) address part tags.
#[derive(Default)]
struct MatchTags {
    comparator: Option<Comparator>,
    match_type: Option<MatchType>,
    part: Option<AddressPart>,
}

impl V {
    fn need(&self, ext: &str, a_line: usize, a_col: usize, what: &str) -> R<()> {
        if self.exts.contains(ext) {
            Ok(())
        } else {
            Err(ParseError::new(a_line, a_col, format!("{what} requires \"{ext}\" in require")))
        }
    }

    /// Tries to consume a comparator / match-type / address-part tag; false if not one.
    fn match_tag(
        &self,
        mt: &mut MatchTags,
        tag: &str,
        arg: &Argument,
        args: &mut Args<'_>,
        allow_part: bool,
    ) -> R<bool> {
        let set_mt = |mt: &mut MatchTags, m: MatchType| {
            if mt.match_type.is_some() {
                return Err(at(arg, "only one match type may be given"));
            }
            mt.match_type = Some(m);
            Ok(())
        };
        match tag {
            "is" => set_mt(mt, MatchType::Is)?,
            "contains" => set_mt(mt, MatchType::Contains)?,
            "matches" => set_mt(mt, MatchType::Matches)?,
            "regex" => return Err(at(arg, ":regex is not supported by this implementation")),
            "value" | "count" => {
                self.need("relational", arg.line, arg.column, &format!(":{tag}"))?;
                let rel = args.string("relational operator")?;
                let r = match rel.to_ascii_lowercase().as_str() {
                    "gt" => Relation::Gt,
                    "ge" => Relation::Ge,
                    "lt" => Relation::Lt,
                    "le" => Relation::Le,
                    "eq" => Relation::Eq,
                    "ne" => Relation::Ne,
                    _ => return Err(at(arg, format!("invalid relational operator \"{rel}\""))),
                };
                set_mt(mt, if tag == "value" { MatchType::Value(r) } else { MatchType::Count(r) })?;
            }
            "comparator" => {
                if mt.comparator.is_some() {
                    return Err(at(arg, "only one comparator may be given"));
                }
                let name = args.string("comparator name")?;
                let c = match name.to_ascii_lowercase().as_str() {
                    "i;octet" => Comparator::Octet,
                    "i;ascii-casemap" => Comparator::AsciiCasemap,
                    "i;ascii-numeric" => {
                        self.need(
                            "comparator-i;ascii-numeric",
                            arg.line,
                            arg.column,
                            "comparator \"i;ascii-numeric\"",
                        )?;
                        Comparator::AsciiNumeric
                    }
                    _ => return Err(at(arg, format!("unsupported comparator \"{name}\""))),
                };
                mt.comparator = Some(c);
            }
            "all" | "localpart" | "domain" | "user" | "detail" if allow_part => {
                if mt.part.is_some() {
                    return Err(at(arg, "only one address part may be given"));
                }
                if tag == "user" || tag == "detail" {
                    self.need("subaddress", arg.line, arg.column, &format!(":{tag}"))?;
                }
                mt.part = Some(match tag {
                    "all" => AddressPart::All,
                    "localpart" => AddressPart::Localpart,
                    "domain" => AddressPart::Domain,
                    "user" => AddressPart::User,
                    _ => AddressPart::Detail,
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn check_var_name(&self, name: &str, line: usize, column: usize) -> R<()> {
        if !variables::valid_name(name) {
            return Err(ParseError::new(line, column, format!("invalid variable name \"{name}\"")));
        }
        match namespace_error(name, &self.exts) {
            Some(e) => Err(ParseError::new(line, column, e)),
            None => Ok(()),
        }
    }

    fn spec(&self, mt: &MatchTags, line: usize, column: usize) -> R<MatchSpec> {
        let spec = MatchSpec {
            comparator: mt.comparator.unwrap_or(Comparator::AsciiCasemap),
            match_type: mt.match_type.unwrap_or(MatchType::Is),
        };
        if spec.comparator == Comparator::AsciiNumeric
            && matches!(spec.match_type, MatchType::Contains | MatchType::Matches)
        {
            return Err(ParseError::new(
                line,
                column,
                "comparator \"i;ascii-numeric\" does not support substring matching",
            ));
        }
        Ok(spec)
    }

    fn index_tag(
        &self,
        tag: &str,
        arg: &Argument,
        args: &mut Args<'_>,
        idx: &mut Option<IndexSel>,
        last: &mut bool,
    ) -> R<bool> {
        match tag {
            "index" => {
                self.need("index", arg.line, arg.column, ":index")?;
                let n = args.number("index")?;
                if n == 0 {
                    return Err(at(arg, ":index must be at least 1"));
                }
                *idx = Some(IndexSel { n, last: false });
            }
            "last" => {
                self.need("index", arg.line, arg.column, ":last")?;
                *last = true;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn test(&self, t: &TestNode) -> R<Test> {
        let mut args = Args::new(&t.name, &t.args, t.line, t.column);
        let no_subtests = |t: &TestNode| {
            if t.tests.is_empty() {
                Ok(())
            } else {
                Err(ParseError::new(t.line, t.column, format!("test '{}' takes no nested tests", t.name)))
            }
        };
        let out = match t.name.as_str() {
            "true" | "false" => {
                no_subtests(t)?;
                args.finish()?;
                if t.name == "true" {
                    Test::True
                } else {
                    Test::False
                }
            }
            "not" => {
                args.finish()?;
                if t.tests.len() != 1 {
                    return Err(ParseError::new(t.line, t.column, "'not' takes exactly one test"));
                }
                Test::Not(Box::new(self.test(&t.tests[0])?))
            }
            "allof" | "anyof" => {
                args.finish()?;
                if t.tests.is_empty() {
                    return Err(ParseError::new(t.line, t.column, format!("'{}' needs a test list", t.name)));
                }
                let list = t.tests.iter().map(|x| self.test(x)).collect::<R<Vec<_>>>()?;
                if t.name == "allof" {
                    Test::AllOf(list)
                } else {
                    Test::AnyOf(list)
                }
            }
            "exists" => {
                no_subtests(t)?;
                let names = args.list("header names")?;
                args.finish()?;
                Test::Exists(names)
            }
            "size" => {
                no_subtests(t)?;
                let mut over = None;
                while let Some((tag, a)) = args.tag() {
                    match tag.as_str() {
                        "over" | "under" if over.is_none() => over = Some(tag == "over"),
                        _ => return Err(at(a, format!("size: unexpected tag :{tag}"))),
                    }
                }
                let Some(over) = over else {
                    return Err(ParseError::new(t.line, t.column, "size: expected :over or :under"));
                };
                let limit = args.number("limit")?;
                args.finish()?;
                Test::Size { over, limit }
            }
            "header" | "address" | "envelope" | "body" | "string" | "hasflag" | "date" | "currentdate" => {
                no_subtests(t)?;
                self.match_test(t, &mut args)?
            }
            "mailboxexists" => {
                no_subtests(t)?;
                self.need("mailbox", t.line, t.column, "mailboxexists")?;
                let names = args.list("mailbox names")?;
                args.finish()?;
                Test::MailboxExists(names)
            }
            "duplicate" => {
                no_subtests(t)?;
                self.need("duplicate", t.line, t.column, "duplicate")?;
                let (mut handle, mut id, mut seconds, mut last) = (None, None, None, false);
                while let Some((tag, a)) = args.tag() {
                    match tag.as_str() {
                        "handle" => handle = Some(args.string("handle")?),
                        "header" if id.is_none() => id = Some(DupId::Header(args.string("header name")?)),
                        "uniqueid" if id.is_none() => id = Some(DupId::UniqueId(args.string("unique id")?)),
                        "seconds" => seconds = Some(args.number("seconds")?),
                        "last" => last = true,
                        "header" | "uniqueid" => {
                            return Err(at(a, "duplicate: :header and :uniqueid are exclusive"))
                        }
                        _ => return Err(at(a, format!("duplicate: unexpected tag :{tag}"))),
                    }
                }
                args.finish()?;
                Test::Duplicate {
                    handle,
                    id: id.unwrap_or(DupId::Header("Message-ID".into())),
                    seconds,
                    last,
                }
            }
            "ihave"
            | "valid_notify_method"
            | "notify_method_capability"
            | "environment"
            | "spamtest"
            | "virustest"
            | "metadata"
            | "metadataexists"
            | "servermetadata"
            | "servermetadataexists"
            | "specialuse_exists"
            | "valid_ext_list" => {
                return Err(ParseError::new(t.line, t.column, format!("unsupported test '{}'", t.name)))
            }
            _ => return Err(ParseError::new(t.line, t.column, format!("unknown test '{}'", t.name))),
        };
        Ok(out)
    }

    fn match_test(&self, t: &TestNode, args: &mut Args<'_>) -> R<Test> {
        let name = t.name.as_str();
        let ext = match name {
            "envelope" => Some("envelope"),
            "body" => Some("body"),
            "string" => Some("variables"),
            "hasflag" => Some("imap4flags"),
            "date" | "currentdate" => Some("date"),
            _ => None,
        };
        if let Some(e) = ext {
            self.need(e, t.line, t.column, &format!("test '{name}'"))?;
        }
        let allow_part = matches!(name, "address" | "envelope");
        let mut mt = MatchTags::default();
        let mut index = None;
        let mut last = false;
        let mut transform = None;
        let mut zone = None;
        while let Some((tag, a)) = args.tag() {
            if self.match_tag(&mut mt, &tag, a, args, allow_part)? {
                continue;
            }
            if matches!(name, "header" | "address" | "date")
                && self.index_tag(&tag, a, args, &mut index, &mut last)?
            {
                continue;
            }
            match (name, tag.as_str()) {
                ("body", "raw" | "text" | "content") if transform.is_none() => {
                    transform = Some(match tag.as_str() {
                        "raw" => BodyTransform::Raw,
                        "text" => BodyTransform::Text,
                        _ => BodyTransform::Content(args.list("content types")?),
                    });
                }
                ("date" | "currentdate", "zone") if zone.is_none() => {
                    let z = args.string("zone")?;
                    if !z.contains("${") && date::parse_zone(&z).is_none() {
                        return Err(at(a, format!("invalid zone \"{z}\"")));
                    }
                    zone = Some(Zone::Fixed(z));
                }
                ("date", "originalzone") if zone.is_none() => zone = Some(Zone::Original),
                _ => return Err(at(a, format!("{name}: unexpected tag :{tag}"))),
            }
        }
        if last {
            match &mut index {
                Some(i) => i.last = true,
                None => return Err(ParseError::new(t.line, t.column, ":last requires :index")),
            }
        }
        let spec = self.spec(&mt, t.line, t.column)?;
        let part = mt.part.unwrap_or(AddressPart::All);
        let out = match name {
            "header" => {
                let names = args.list("header names")?;
                check_header_names(&names, t)?;
                let keys = args.list("key list")?;
                Test::Header { spec, names, keys, index }
            }
            "address" => {
                let names = args.list("header names")?;
                check_header_names(&names, t)?;
                let keys = args.list("key list")?;
                Test::Address { spec, part, names, keys, index }
            }
            "envelope" => {
                let names = args.list("envelope parts")?;
                for n in &names {
                    if !matches!(n.to_ascii_lowercase().as_str(), "from" | "to") && !n.contains("${") {
                        return Err(ParseError::new(
                            t.line,
                            t.column,
                            format!("unsupported envelope part \"{n}\""),
                        ));
                    }
                }
                let keys = args.list("key list")?;
                Test::Envelope { spec, part, names, keys }
            }
            "body" => {
                let keys = args.list("key list")?;
                Test::Body { spec, transform: transform.unwrap_or(BodyTransform::Text), keys }
            }
            "string" => {
                let sources = args.list("source")?;
                let keys = args.list("key list")?;
                Test::Str { spec, sources, keys }
            }
            "hasflag" => {
                let first = args.list("flags")?;
                let (vars, keys) = if args.has_more() {
                    self.need("variables", t.line, t.column, "hasflag with variable names")?;
                    (first, args.list("key list")?)
                } else {
                    (Vec::new(), first)
                };
                for v in &vars {
                    self.check_var_name(v, t.line, t.column)?;
                }
                Test::HasFlag { spec, vars, keys }
            }
            "date" => {
                let header = args.string("header name")?;
                let part = args.string("date part")?;
                check_date_part(&part, t)?;
                let keys = args.list("key list")?;
                Test::Date { spec, zone: zone.unwrap_or(Zone::Local), index, header, part, keys }
            }
            _ => {
                let part = args.string("date part")?;
                check_date_part(&part, t)?;
                let keys = args.list("key list")?;
                Test::CurrentDate { spec, zone: zone.unwrap_or(Zone::Local), part, keys }
            }
        };
        args.finish()?;
        Ok(out)
    }

    fn block(&self, cmds: &[CommandNode], top: bool) -> R<Vec<Cmd>> {
        let mut out: Vec<Cmd> = Vec::new();
        let mut require_allowed = top;
        let mut prev_if = false;
        for c in cmds {
            if c.name == "require" {
                if !require_allowed {
                    return Err(ParseError::new(c.line, c.column, "require must come before other commands"));
                }
                continue;
            }
            require_allowed = false;
            if c.name == "elsif" || c.name == "else" {
                if !prev_if {
                    return Err(ParseError::new(
                        c.line,
                        c.column,
                        format!("'{}' without a preceding 'if'", c.name),
                    ));
                }
                let block = self.body(c)?;
                let Some(Cmd { kind: CmdKind::If { branches, otherwise }, .. }) = out.last_mut() else {
                    unreachable!()
                };
                if c.name == "elsif" {
                    let test = self.single_test(c)?;
                    Args::new(&c.name, &c.args, c.line, c.column).finish()?;
                    branches.push((test, block));
                } else {
                    if !c.tests.is_empty() || !c.args.is_empty() {
                        return Err(ParseError::new(c.line, c.column, "'else' takes no arguments"));
                    }
                    *otherwise = Some(block);
                    prev_if = false;
                }
                continue;
            }
            if c.name == "if" {
                let test = self.single_test(c)?;
                Args::new(&c.name, &c.args, c.line, c.column).finish()?;
                let block = self.body(c)?;
                out.push(Cmd {
                    kind: CmdKind::If { branches: vec![(test, block)], otherwise: None },
                    line: c.line,
                });
                prev_if = true;
                continue;
            }
            prev_if = false;
            if c.block.is_some() {
                return Err(ParseError::new(c.line, c.column, format!("'{}' does not take a block", c.name)));
            }
            if let Some(t) = c.tests.first() {
                return Err(ParseError::new(t.line, t.column, "expected ';' after command"));
            }
            out.push(Cmd { kind: self.command(c)?, line: c.line });
        }
        Ok(out)
    }

    fn single_test(&self, c: &CommandNode) -> R<Test> {
        if c.tests.len() != 1 {
            return Err(ParseError::new(c.line, c.column, format!("'{}' needs exactly one test", c.name)));
        }
        self.test(&c.tests[0])
    }

    fn body(&self, c: &CommandNode) -> R<Vec<Cmd>> {
        match &c.block {
            Some(b) => self.block(b, false),
            None => Err(ParseError::new(c.line, c.column, format!("'{}' needs a block", c.name))),
        }
    }

    fn command(&self, c: &CommandNode) -> R<CmdKind> {
        let mut args = Args::new(&c.name, &c.args, c.line, c.column);
        let need = |ext: &str| self.need(ext, c.line, c.column, &format!("command '{}'", c.name));
        let kind = match c.name.as_str() {
            "stop" => CmdKind::Stop,
            "discard" => CmdKind::Discard,
            "keep" => {
                let mut flags = None;
                while let Some((tag, a)) = args.tag() {
                    match tag.as_str() {
                        "flags" => {
                            self.need("imap4flags", a.line, a.column, ":flags")?;
                            flags = Some(args.list("flags")?);
                        }
                        _ => return Err(at(a, format!("keep: unexpected tag :{tag}"))),
                    }
                }
                CmdKind::Keep { flags }
            }
            "fileinto" => {
                need("fileinto")?;
                let (mut flags, mut copy, mut create) = (None, false, false);
                while let Some((tag, a)) = args.tag() {
                    match tag.as_str() {
                        "flags" => {
                            self.need("imap4flags", a.line, a.column, ":flags")?;
                            flags = Some(args.list("flags")?);
                        }
                        "copy" => {
                            self.need("copy", a.line, a.column, ":copy")?;
                            copy = true;
                        }
                        "create" => {
                            self.need("mailbox", a.line, a.column, ":create")?;
                            create = true;
                        }
                        _ => return Err(at(a, format!("fileinto: unexpected tag :{tag}"))),
                    }
                }
                let mailbox = args.string("mailbox")?;
                CmdKind::FileInto { mailbox, flags, copy, create }
            }
            "redirect" => {
                let mut copy = false;
                while let Some((tag, a)) = args.tag() {
                    match tag.as_str() {
                        "copy" => {
                            self.need("copy", a.line, a.column, ":copy")?;
                            copy = true;
                        }
                        _ => return Err(at(a, format!("redirect: unexpected tag :{tag}"))),
                    }
                }
                let address = args.string("address")?;
                if !address.contains("${") && crate::address::mailbox_address(&address).is_none() {
                    return Err(ParseError::new(
                        c.line,
                        c.column,
                        format!("redirect: invalid address \"{address}\""),
                    ));
                }
                CmdKind::Redirect { address, copy }
            }
            "reject" | "ereject" => {
                need(&c.name)?;
                let reason = args.string("reason")?;
                CmdKind::Reject { reason, ereject: c.name == "ereject" }
            }
            "set" => {
                need("variables")?;
                let mut mods: Vec<Modifier> = Vec::new();
                while let Some((tag, a)) = args.tag() {
                    let m = match tag.as_str() {
                        "lower" => Modifier::Lower,
                        "upper" => Modifier::Upper,
                        "lowerfirst" => Modifier::LowerFirst,
                        "upperfirst" => Modifier::UpperFirst,
                        "quotewildcard" => Modifier::QuoteWildcard,
                        "length" => Modifier::Length,
                        _ => return Err(at(a, format!("set: unknown modifier :{tag}"))),
                    };
                    if mods.iter().any(|x| x.precedence() == m.precedence()) {
                        return Err(at(
                            a,
                            format!("set: modifier :{tag} conflicts with another of the same precedence"),
                        ));
                    }
                    mods.push(m);
                }
                mods.sort_by_key(|m| std::cmp::Reverse(m.precedence()));
                let name = args.string("variable name")?;
                self.check_var_name(&name, c.line, c.column)?;
                let value = args.string("value")?;
                CmdKind::Set { name, value, modifiers: mods }
            }
            "vacation" => {
                need("vacation")?;
                let mut v = VacationArgs {
                    period_secs: 7 * 86400,
                    subject: None,
                    from: None,
                    addresses: Vec::new(),
                    mime: false,
                    handle: None,
                    reason: String::new(),
                };
                let mut period_set = false;
                while let Some((tag, a)) = args.tag() {
                    match tag.as_str() {
                        "days" if !period_set => {
                            let d = args.number("days")?;
                            v.period_secs = d.max(1).saturating_mul(86400);
                            period_set = true;
                        }
                        "seconds" if !period_set => {
                            self.need("vacation-seconds", a.line, a.column, ":seconds")?;
                            v.period_secs = args.number("seconds")?;
                            period_set = true;
                        }
                        "subject" => v.subject = Some(args.string("subject")?),
                        "from" => v.from = Some(args.string("from address")?),
                        "addresses" => v.addresses = args.list("addresses")?,
                        "mime" => v.mime = true,
                        "handle" => v.handle = Some(args.string("handle")?),
                        _ => return Err(at(a, format!("vacation: unexpected tag :{tag}"))),
                    }
                }
                v.reason = args.string("reason")?;
                CmdKind::Vacation(Box::new(v))
            }
            "setflag" | "addflag" | "removeflag" => {
                need("imap4flags")?;
                let first = args.list("flags")?;
                let (var, flags) = if args.has_more() {
                    self.need("variables", c.line, c.column, "a flag variable name")?;
                    if first.len() != 1 {
                        return Err(ParseError::new(
                            c.line,
                            c.column,
                            format!("{}: variable name must be a single string", c.name),
                        ));
                    }
                    self.check_var_name(&first[0], c.line, c.column)?;
                    (Some(first[0].clone()), args.list("flags")?)
                } else {
                    (None, first)
                };
                let op = match c.name.as_str() {
                    "setflag" => FlagOp::Set,
                    "addflag" => FlagOp::Add,
                    _ => FlagOp::Remove,
                };
                CmdKind::Flags { op, var, flags }
            }
            "addheader" => {
                need("editheader")?;
                let mut last = false;
                while let Some((tag, a)) = args.tag() {
                    match tag.as_str() {
                        "last" => last = true,
                        _ => return Err(at(a, format!("addheader: unexpected tag :{tag}"))),
                    }
                }
                let name = args.string("field name")?;
                if !name.contains("${") && !editheader::valid_field_name(&name) {
                    return Err(ParseError::new(
                        c.line,
                        c.column,
                        format!("addheader: invalid field name \"{name}\""),
                    ));
                }
                let value = args.string("value")?;
                if value.contains('\0') {
                    return Err(ParseError::new(
                        c.line,
                        c.column,
                        "addheader: the value contains a NUL character",
                    ));
                }
                CmdKind::AddHeader { last, name, value }
            }
            "deleteheader" => {
                need("editheader")?;
                let mut mt = MatchTags::default();
                let (mut index, mut last) = (None, false);
                while let Some((tag, a)) = args.tag() {
                    if self.match_tag(&mut mt, &tag, a, &mut args, false)? {
                        continue;
                    }
                    match tag.as_str() {
                        "index" => {
                            let n = args.number("index")?;
                            if n == 0 {
                                return Err(at(a, ":index must be at least 1"));
                            }
                            index = Some(IndexSel { n, last: false });
                        }
                        "last" => last = true,
                        _ => return Err(at(a, format!("deleteheader: unexpected tag :{tag}"))),
                    }
                }
                if last {
                    match &mut index {
                        Some(i) => i.last = true,
                        None => return Err(ParseError::new(c.line, c.column, ":last requires :index")),
                    }
                }
                let spec = self.spec(&mt, c.line, c.column)?;
                let name = args.string("field name")?;
                if !name.contains("${") && !editheader::valid_field_name(&name) {
                    return Err(ParseError::new(
                        c.line,
                        c.column,
                        format!("deleteheader: invalid field name \"{name}\""),
                    ));
                }
                let patterns = if args.has_more() { Some(args.list("value patterns")?) } else { None };
                CmdKind::DeleteHeader { index, spec, name, patterns }
            }
            "include" => {
                need("include")?;
                let (mut global, mut loc_set, mut once, mut optional) = (false, false, false, false);
                while let Some((tag, a)) = args.tag() {
                    match tag.as_str() {
                        "personal" | "global" if !loc_set => {
                            global = tag == "global";
                            loc_set = true;
                        }
                        "once" => once = true,
                        "optional" => optional = true,
                        _ => return Err(at(a, format!("include: unexpected tag :{tag}"))),
                    }
                }
                let name = args.string("script name")?;
                if name.is_empty() || name.contains('/') {
                    return Err(ParseError::new(
                        c.line,
                        c.column,
                        format!("include: invalid script name \"{name}\""),
                    ));
                }
                CmdKind::Include { name, global, once, optional }
            }
            "return" => {
                need("include")?;
                CmdKind::Return
            }
            "global" => {
                need("include")?;
                need("variables")?;
                let names = args.list("variable names")?;
                for n in &names {
                    self.check_var_name(n, c.line, c.column)?;
                }
                CmdKind::Global(names)
            }
            "notify" | "denotify" | "error" | "convert" | "foreverypart" | "break" | "replace"
            | "enclose" | "extracttext" | "addflag_" => {
                return Err(ParseError::new(c.line, c.column, format!("unsupported command '{}'", c.name)))
            }
            _ => return Err(ParseError::new(c.line, c.column, format!("unknown command '{}'", c.name))),
        };
        if args.is_tag_next() || args.has_more() {
            return Err(args.err_here(format!("{}: unexpected extra argument", c.name)));
        }
        Ok(kind)
    }
}

/// Refuses literal header names that are not RFC 5322 field-names (a colon, say).
fn check_header_names(names: &[String], t: &TestNode) -> R<()> {
    match names.iter().find(|n| !n.contains("${") && !editheader::valid_field_name(n)) {
        Some(n) => Err(ParseError::new(t.line, t.column, format!("{}: invalid header name \"{n}\"", t.name))),
        None => Ok(()),
    }
}

fn check_date_part(part: &str, t: &TestNode) -> R<()> {
    if part.contains("${") || date::PARTS.contains(&part.to_ascii_lowercase().as_str()) {
        Ok(())
    } else {
        Err(ParseError::new(t.line, t.column, format!("unknown date part \"{part}\"")))
    }
}

/// Applies `f` to every string argument of the commands and tests (not `require`'s).
fn each_string(cmds: &mut [CommandNode], f: &mut dyn FnMut(&mut String) -> Result<(), String>) -> R<()> {
    fn args(a: &mut [Argument], f: &mut dyn FnMut(&mut String) -> Result<(), String>) -> R<()> {
        for a in a {
            let (line, column) = (a.line, a.column);
            let strings: Vec<&mut String> = match &mut a.value {
                ArgValue::Str(s) => vec![s],
                ArgValue::List(l) => l.iter_mut().collect(),
                _ => Vec::new(),
            };
            for s in strings {
                f(s).map_err(|e| ParseError::new(line, column, e))?;
            }
        }
        Ok(())
    }
    fn tests(t: &mut [TestNode], f: &mut dyn FnMut(&mut String) -> Result<(), String>) -> R<()> {
        for t in t {
            args(&mut t.args, f)?;
            tests(&mut t.tests, f)?;
        }
        Ok(())
    }
    for c in cmds {
        if c.name == "require" {
            continue;
        }
        args(&mut c.args, f)?;
        tests(&mut c.tests, f)?;
        if let Some(b) = &mut c.block {
            each_string(b, f)?;
        }
    }
    Ok(())
}

/// Why the variable `name` is refused for its namespace: only `global.` (RFC 6609 section
/// 3.5, with "include") is supported; other namespaces are errors (RFC 5229 section 3).
fn namespace_error(name: &str, exts: &BTreeSet<String>) -> Option<String> {
    let (ns, rest) = name.split_once('.')?;
    if ns.eq_ignore_ascii_case("global") && !rest.contains('.') && exts.contains("include") {
        return None;
    }
    Some(format!("variable \"{name}\": namespace \"{ns}\" is not supported"))
}

/// Validates a syntax tree into a [`Script`].
pub fn validate(mut tree: Vec<CommandNode>) -> Result<Script, ParseError> {
    let mut exts = BTreeSet::new();
    for c in tree.iter().take_while(|c| c.name == "require") {
        if c.block.is_some() || !c.tests.is_empty() {
            return Err(ParseError::new(c.line, c.column, "expected ';' after command"));
        }
        let mut args = Args::new("require", &c.args, c.line, c.column);
        let names = args.list("capability list")?;
        args.finish()?;
        for n in names {
            let lower = n.to_ascii_lowercase();
            if lower == "regex" {
                return Err(ParseError::new(
                    c.line,
                    c.column,
                    "extension \"regex\" is not supported by this implementation",
                ));
            }
            if !SUPPORTED_EXTENSIONS.contains(&lower.as_str()) {
                return Err(ParseError::new(c.line, c.column, format!("unsupported extension \"{n}\"")));
            }
            if lower == "vacation-seconds" {
                // RFC 6131 section 2: "vacation-seconds" implies "vacation"
                exts.insert("vacation".to_string());
            }
            exts.insert(lower);
        }
    }
    if exts.contains("encoded-character") {
        each_string(&mut tree, &mut |s| {
            *s = encoded::decode(s)?;
            Ok(())
        })?;
    }
    if exts.contains("variables") {
        // RFC 5229 section 3: references into unsupported namespaces are errors
        each_string(&mut tree, &mut |s| match variables::namespaced_references(s)
            .find_map(|n| namespace_error(n, &exts))
        {
            Some(e) => Err(e),
            None => Ok(()),
        })?;
    }
    let v = V { exts };
    let commands = v.block(&tree, true)?;
    Ok(Script { commands, extensions: v.exts })
}
