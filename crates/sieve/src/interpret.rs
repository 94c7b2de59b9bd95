//! Runs a validated script against a message: tests, actions, implicit keep (RFC 5228
//! section 2.10.2), variables, includes and header edits. No loops exist in Sieve, and
//! includes are bounded by depth, count and cycle detection, so a run always terminates.

use std::collections::{HashMap, HashSet};

use crate::actions::{push_merged, Action, HeaderEdit, Outcome};
use crate::address;
use crate::env::{Environment, Limits, Location, MessageContext};
use crate::error::RuntimeError;
use crate::extensions::{body, date, editheader, flags, vacation, variables};
use crate::headers::{self, Field};
use crate::matching::match_values;
use crate::program::*;

enum Flow {
    Next,
    Stop,
    Return,
}

/// Per-script variable state.
#[derive(Default)]
struct Frame {
    vars: HashMap<String, String>,
    match_vars: Vec<String>,
    globals: HashSet<String>,
    variables: bool,
}

struct Run<'a> {
    ctx: &'a MessageContext<'a>,
    env: &'a Environment<'a>,
    limits: &'a Limits,
    fields: Vec<Field>,
    eol: &'static str,
    globals: HashMap<String, String>,
    internal_flags: String,
    actions: Vec<Action>,
    edits: Vec<HeaderEdit>,
    cancel_keep: bool,
    redirects: usize,
    vacation_done: bool,
    rejected: bool,
    delivered: bool,
    include_stack: Vec<(Location, String)>,
    included: HashSet<(Location, String)>,
    includes: usize,
    line: usize,
}

type R<T> = Result<T, RuntimeError>;

impl<'a> Run<'a> {
    fn err(&self, msg: impl Into<String>) -> RuntimeError {
        RuntimeError { line: self.line, message: msg.into() }
    }

    fn lookup(&self, f: &Frame, name: &str) -> Option<String> {
        if name.bytes().all(|b| b.is_ascii_digit()) {
            let i: usize = name.parse().ok()?;
            return f.match_vars.get(i).cloned();
        }
        if let Some(g) = name.strip_prefix("global.") {
            return self.globals.get(g).cloned();
        }
        if f.globals.contains(name) {
            return self.globals.get(name).cloned();
        }
        f.vars.get(name).cloned()
    }

    fn s(&self, f: &Frame, s: &str) -> String {
        if !f.variables {
            return s.to_string();
        }
        variables::expand(s, &|n| self.lookup(f, n))
    }

    fn list(&self, f: &Frame, l: &[String]) -> Vec<String> {
        l.iter().map(|s| self.s(f, s)).collect()
    }

    fn set_var(&mut self, f: &mut Frame, name: &str, value: String) -> R<()> {
        let name = name.to_ascii_lowercase();
        let value = variables::truncate(value, self.limits.max_variable_size);
        if let Some(g) = name.strip_prefix("global.") {
            self.globals.insert(g.to_string(), value);
        } else if f.globals.contains(&name) {
            self.globals.insert(name, value);
        } else {
            if !f.vars.contains_key(&name) && f.vars.len() >= self.limits.max_variables {
                return Err(self.err("too many variables"));
            }
            f.vars.insert(name, value);
        }
        Ok(())
    }

    fn get_var(&self, f: &Frame, name: &str) -> String {
        self.lookup(f, &name.to_ascii_lowercase()).unwrap_or_default()
    }

    fn add_action(&mut self, a: Action) -> R<()> {
        let is_redirect = matches!(a, Action::Redirect { .. });
        if push_merged(&mut self.actions, a) {
            if is_redirect {
                self.redirects += 1;
                if self.redirects > self.limits.max_redirects {
                    return Err(self.err(format!("too many redirects (limit {})", self.limits.max_redirects)));
                }
            }
            if self.actions.len() > self.limits.max_actions {
                return Err(self.err(format!("too many actions (limit {})", self.limits.max_actions)));
            }
        }
        Ok(())
    }

    fn deliver_check(&mut self, what: &str) -> R<()> {
        if self.rejected {
            return Err(self.err(format!("{what} cannot be combined with reject")));
        }
        self.delivered = true;
        Ok(())
    }

    fn selected<'f>(&'f self, name: &str, index: Option<IndexSel>) -> Vec<&'f Field> {
        let all: Vec<&Field> = self.fields.iter().filter(|f| f.is(name)).collect();
        match index {
            None => all,
            Some(IndexSel { n, last }) => {
                let n = n as usize;
                if n == 0 || n > all.len() {
                    return Vec::new();
                }
                let i = if last { all.len() - n } else { n - 1 };
                vec![all[i]]
            }
        }
    }

    fn matched(&self, f: &mut Frame, spec: &MatchSpec, values: &[String], keys: &[String]) -> bool {
        let keys = self.list(f, keys);
        let mut caps = None;
        let ok = match_values(spec, values, &keys, &mut caps);
        if let (Some(c), true) = (caps, f.variables) {
            f.match_vars =
                c.into_iter().map(|v| variables::truncate(v, self.limits.max_variable_size)).collect();
        }
        ok
    }

    fn test(&mut self, f: &mut Frame, t: &Test) -> R<bool> {
        Ok(match t {
            Test::True => true,
            Test::False => false,
            Test::Not(t) => !self.test(f, t)?,
            Test::AllOf(ts) => {
                for t in ts {
                    if !self.test(f, t)? {
                        return Ok(false);
                    }
                }
                true
            }
            Test::AnyOf(ts) => {
                for t in ts {
                    if self.test(f, t)? {
                        return Ok(true);
                    }
                }
                false
            }
            Test::Exists(names) => self.list(f, names).iter().all(|n| self.fields.iter().any(|x| x.is(n))),
            Test::Size { over, limit } => {
                if *over {
                    self.ctx.size > *limit
                } else {
                    self.ctx.size < *limit
                }
            }
            Test::Header { spec, names, keys, index } => {
                let mut values = Vec::new();
                for n in self.list(f, names) {
                    values.extend(self.selected(&n, *index).iter().map(|x| x.text_value()));
                }
                self.matched(f, spec, &values, keys)
            }
            Test::Address { spec, part, names, keys, index } => {
                let mut values = Vec::new();
                for n in self.list(f, names) {
                    for field in self.selected(&n, *index) {
                        for a in address::from_header(&field.raw_value()) {
                            values.extend(address::part(&a, *part));
                        }
                    }
                }
                self.matched(f, spec, &values, keys)
            }
            Test::Envelope { spec, part, names, keys } => {
                let mut values = Vec::new();
                for n in self.list(f, names) {
                    let raw = match n.to_ascii_lowercase().as_str() {
                        "from" => self.ctx.envelope_from,
                        "to" => self.ctx.envelope_to,
                        _ => return Err(self.err(format!("unsupported envelope part \"{n}\""))),
                    };
                    values.extend(address::part(&address::from_envelope(raw), *part));
                }
                self.matched(f, spec, &values, keys)
            }
            Test::Body { spec, transform, keys } => {
                let transform = match transform {
                    BodyTransform::Content(types) => BodyTransform::Content(self.list(f, types)),
                    t => t.clone(),
                };
                let values = body::extract(self.ctx.message, &transform);
                self.matched(f, spec, &values, keys)
            }
            Test::Str { spec, sources, keys } => {
                let mut values = self.list(f, sources);
                if matches!(spec.match_type, MatchType::Count(_)) {
                    values.retain(|v| !v.is_empty());
                }
                self.matched(f, spec, &values, keys)
            }
            Test::HasFlag { spec, vars, keys } => {
                let sources: Vec<String> = if vars.is_empty() {
                    vec![self.internal_flags.clone()]
                } else {
                    vars.iter().map(|v| self.get_var(f, v)).collect()
                };
                let values = flags::normalize(&sources);
                self.matched(f, spec, &values, keys)
            }
            Test::Date { spec, zone, index, header, part, keys } => {
                let header = self.s(f, header);
                let part = self.s(f, part);
                let zone = self.zone(f, zone)?;
                let mut values = Vec::new();
                for field in self.selected(&header, *index) {
                    let text = field.text_value();
                    let text = if header.eq_ignore_ascii_case("received") {
                        text.rsplit(';').next().unwrap_or("").trim().to_string()
                    } else {
                        text
                    };
                    if let Some((secs, off)) = bushbuck_mime::parse_date(&text) {
                        values.extend(date::part(secs, zone.unwrap_or(off), &part));
                    }
                }
                self.matched(f, spec, &values, keys)
            }
            Test::CurrentDate { spec, zone, part, keys } => {
                let part = self.s(f, part);
                let zone = self.zone(f, zone)?.unwrap_or(self.env.zone_offset_min);
                let values: Vec<String> = date::part(self.env.now, zone, &part).into_iter().collect();
                self.matched(f, spec, &values, keys)
            }
            Test::MailboxExists(names) => self.list(f, names).iter().all(|n| self.env.mailboxes.exists(n)),
            Test::Duplicate { handle, id, seconds, last } => {
                let handle = handle.as_deref().map(|h| self.s(f, h)).unwrap_or_default();
                let id = match id {
                    DupId::UniqueId(u) => self.s(f, u),
                    DupId::Header(h) => {
                        let h = self.s(f, h);
                        match self.fields.iter().find(|x| x.is(&h)) {
                            Some(x) => x.text_value(),
                            None => return Ok(false),
                        }
                    }
                };
                if id.is_empty() {
                    return Ok(false);
                }
                let period =
                    seconds.unwrap_or(self.limits.duplicate_default_secs).min(self.limits.max_period_secs);
                self.env.duplicate.seen(&handle, &id, period, *last)
            }
        })
    }

    /// Zone offset for a date test: Some(fixed) or None for the header's own zone.
    fn zone(&self, f: &Frame, z: &Zone) -> R<Option<i32>> {
        Ok(match z {
            Zone::Local => Some(self.env.zone_offset_min),
            Zone::Original => None,
            Zone::Fixed(s) => {
                let s = self.s(f, s);
                Some(date::parse_zone(&s).ok_or_else(|| self.err(format!("invalid zone \"{s}\"")))?)
            }
        })
    }

    fn flags_for(&self, f: &Frame, explicit: &Option<Vec<String>>) -> Vec<String> {
        match explicit {
            Some(l) => flags::normalize(&self.list(f, l)),
            None => flags::normalize(std::slice::from_ref(&self.internal_flags)),
        }
    }

    fn block(&mut self, script: &Script, f: &mut Frame, cmds: &[Cmd]) -> R<Flow> {
        for c in cmds {
            self.line = c.line;
            match self.command(script, f, c)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    fn command(&mut self, script: &Script, f: &mut Frame, c: &Cmd) -> R<Flow> {
        match &c.kind {
            CmdKind::If { branches, otherwise } => {
                for (t, b) in branches {
                    if self.test(f, t)? {
                        return self.block(script, f, b);
                    }
                }
                if let Some(b) = otherwise {
                    return self.block(script, f, b);
                }
            }
            CmdKind::Stop => return Ok(Flow::Stop),
            CmdKind::Return => return Ok(Flow::Return),
            CmdKind::Keep { flags } => {
                self.deliver_check("keep")?;
                let flags = self.flags_for(f, flags);
                self.cancel_keep = true;
                self.add_action(Action::Keep { flags })?;
            }
            CmdKind::Discard => {
                self.cancel_keep = true;
                self.add_action(Action::Discard)?;
            }
            CmdKind::FileInto { mailbox, flags, copy, create } => {
                self.deliver_check("fileinto")?;
                let mailbox = self.s(f, mailbox);
                if mailbox.is_empty() {
                    return Err(self.err("fileinto: empty mailbox name"));
                }
                let flags = self.flags_for(f, flags);
                if !copy {
                    self.cancel_keep = true;
                }
                self.add_action(Action::FileInto { mailbox, flags, copy: *copy, create: *create })?;
            }
            CmdKind::Redirect { address, copy } => {
                let address = self.s(f, address);
                let Some(address) = address::mailbox_address(&address).map(str::to_string) else {
                    return Err(self.err(format!("redirect: invalid address \"{address}\"")));
                };
                if !copy {
                    self.cancel_keep = true;
                }
                self.add_action(Action::Redirect { address, copy: *copy })?;
            }
            CmdKind::Reject { reason, ereject } => {
                if self.rejected || self.delivered || self.vacation_done {
                    return Err(
                        self.err("reject cannot be combined with keep, fileinto, vacation or another reject")
                    );
                }
                self.rejected = true;
                self.cancel_keep = true;
                let reason = self.s(f, reason);
                self.add_action(Action::Reject { reason, ereject: *ereject })?;
            }
            CmdKind::Set { name, value, modifiers } => {
                let v = self.s(f, value);
                let v = variables::apply_modifiers(&v, modifiers);
                self.set_var(f, name, v)?;
            }
            CmdKind::Global(names) => {
                for n in names {
                    f.globals.insert(n.to_ascii_lowercase());
                }
            }
            CmdKind::Flags { op, var, flags: list } => {
                let list = self.list(f, list);
                let cur = match var {
                    Some(v) => self.get_var(f, v),
                    None => self.internal_flags.clone(),
                };
                let new = match op {
                    FlagOp::Set => flags::normalize(&list).join(" "),
                    FlagOp::Add => flags::add(&cur, &list),
                    FlagOp::Remove => flags::remove(&cur, &list),
                };
                match var {
                    Some(v) => self.set_var(f, v, new)?,
                    None => self.internal_flags = new,
                }
            }
            CmdKind::Vacation(v) => self.vacation(f, v)?,
            CmdKind::AddHeader { last, name, value } => {
                let name = self.s(f, name);
                if !editheader::valid_field_name(&name) {
                    return Err(self.err(format!("addheader: invalid field name \"{name}\"")));
                }
                if editheader::add_protected(&name) {
                    return Ok(Flow::Next);
                }
                let value = self.s(f, value);
                if value.contains('\0') {
                    return Err(self.err("addheader: the value contains a NUL character"));
                }
                self.edit(HeaderEdit::Add { name, value, last: *last })?;
            }
            CmdKind::DeleteHeader { index, spec, name, patterns } => {
                let name = self.s(f, name);
                if !editheader::valid_field_name(&name) {
                    return Err(self.err(format!("deleteheader: invalid field name \"{name}\"")));
                }
                if editheader::delete_protected(&name) {
                    return Ok(Flow::Next);
                }
                let present: Vec<String> =
                    self.fields.iter().filter(|x| x.is(&name)).map(|x| x.text_value()).collect();
                let mut occ: Vec<usize> = match index {
                    None => (1..=present.len()).collect(),
                    Some(IndexSel { n, last }) => {
                        let n = *n as usize;
                        if n == 0 || n > present.len() {
                            Vec::new()
                        } else if *last {
                            vec![present.len() + 1 - n]
                        } else {
                            vec![n]
                        }
                    }
                };
                if let Some(p) = patterns {
                    let p = self.list(f, p);
                    occ.retain(|&i| {
                        let mut caps = None;
                        match_values(spec, std::slice::from_ref(&present[i - 1]), &p, &mut caps)
                    });
                }
                for i in occ.into_iter().rev() {
                    self.edit(HeaderEdit::Delete { name: name.clone(), occurrence: i })?;
                }
            }
            CmdKind::Include { name, global, once, optional } => {
                let name = self.s(f, name);
                return self.include(&name, *global, *once, *optional);
            }
        }
        Ok(Flow::Next)
    }

    fn edit(&mut self, e: HeaderEdit) -> R<()> {
        if self.edits.len() >= self.limits.max_header_edits {
            return Err(self.err(format!("too many header edits (limit {})", self.limits.max_header_edits)));
        }
        editheader::apply_edit(&mut self.fields, &e, self.eol);
        self.edits.push(e);
        Ok(())
    }

    fn vacation(&mut self, f: &mut Frame, v: &VacationArgs) -> R<()> {
        if self.vacation_done {
            return Err(self.err("vacation may be used only once"));
        }
        if self.rejected {
            return Err(self.err("vacation cannot be combined with reject"));
        }
        self.vacation_done = true;
        let sender = self.ctx.envelope_from.trim();
        if vacation::sender_is_automated(sender) || vacation::message_is_automated(&self.fields) {
            return Ok(());
        }
        let mut mine: Vec<String> = self.env.user_addresses.to_vec();
        mine.extend(self.list(f, &v.addresses));
        if !self.ctx.envelope_to.is_empty() {
            mine.push(self.ctx.envelope_to.to_string());
        }
        let norm_sender = address::normalize(sender).to_ascii_lowercase();
        if mine.iter().any(|m| address::normalize(m).to_ascii_lowercase() == norm_sender) {
            return Ok(());
        }
        if !vacation::addressed_to_user(&self.fields, &mine) {
            return Ok(());
        }
        let reason = self.s(f, &v.reason);
        let subject = match &v.subject {
            Some(s) => self.s(f, s),
            None => {
                let orig = self.fields.iter().find(|x| x.is("Subject")).map(|x| x.text_value());
                vacation::default_subject(orig.as_deref())
            }
        };
        let from = v.from.as_ref().map(|s| self.s(f, s));
        let handle = match &v.handle {
            Some(h) => self.s(f, h),
            None => vacation::default_handle(&[
                &reason,
                v.subject.as_deref().unwrap_or(""),
                from.as_deref().unwrap_or(""),
                if v.mime { "mime" } else { "" },
            ]),
        };
        let period = v.period_secs.min(self.limits.max_period_secs);
        if self.env.vacation.responded(sender, &handle, period) {
            return Ok(());
        }
        self.add_action(Action::Vacation {
            to: sender.to_string(),
            subject,
            from,
            body: reason,
            mime: v.mime,
            handle,
            period_secs: period,
        })
    }

    fn include(&mut self, name: &str, global: bool, once: bool, optional: bool) -> R<Flow> {
        let loc = if global { Location::Global } else { Location::Personal };
        let key = (loc, name.to_string());
        if once && self.included.contains(&key) {
            return Ok(Flow::Next);
        }
        if self.include_stack.contains(&key) {
            return Err(self.err(format!("include cycle through \"{name}\"")));
        }
        if self.include_stack.len() >= self.limits.max_include_depth {
            return Err(self.err(format!("includes nested deeper than {}", self.limits.max_include_depth)));
        }
        self.includes += 1;
        if self.includes > self.limits.max_includes {
            return Err(self.err(format!("more than {} includes", self.limits.max_includes)));
        }
        let Some(src) = self.env.loader.load(name, loc) else {
            if optional {
                return Ok(Flow::Next);
            }
            return Err(self.err(format!("included script \"{name}\" not found")));
        };
        let script = crate::parse_script(&src, self.limits)
            .map_err(|e| self.err(format!("included script \"{name}\": {e}")))?;
        self.included.insert(key.clone());
        self.include_stack.push(key);
        let line = self.line;
        let flow = self.run_script(&script);
        self.include_stack.pop();
        self.line = line;
        Ok(match flow? {
            Flow::Stop => Flow::Stop,
            _ => Flow::Next,
        })
    }

    fn run_script(&mut self, script: &Script) -> R<Flow> {
        let mut frame = Frame { variables: script.uses("variables"), ..Frame::default() };
        self.block(script, &mut frame, &script.commands)
    }
}

/// Runs `script` against a message and returns the actions to take.
///
/// Never panics and never loops. On a runtime error the outcome holds the error and a
/// plain implicit keep, and no header edits (RFC 5228 section 2.10.6).
pub fn evaluate(
    script: &Script,
    message: &MessageContext<'_>,
    env: &Environment<'_>,
    limits: &Limits,
) -> Outcome {
    let mut run = Run {
        ctx: message,
        env,
        limits,
        fields: headers::parse(message.header),
        eol: if headers::uses_crlf(message.message) { "\r\n" } else { "\n" },
        globals: HashMap::new(),
        internal_flags: String::new(),
        actions: Vec::new(),
        edits: Vec::new(),
        cancel_keep: false,
        redirects: 0,
        vacation_done: false,
        rejected: false,
        delivered: false,
        include_stack: Vec::new(),
        included: HashSet::new(),
        includes: 0,
        line: 0,
    };
    match run.run_script(script) {
        Ok(_) => {
            if !run.cancel_keep {
                let flags = flags::normalize(std::slice::from_ref(&run.internal_flags));
                push_merged(&mut run.actions, Action::Keep { flags });
            }
            Outcome { actions: run.actions, edits: run.edits, errors: Vec::new() }
        }
        Err(e) => {
            Outcome { actions: vec![Action::Keep { flags: Vec::new() }], edits: Vec::new(), errors: vec![e] }
        }
    }
}
