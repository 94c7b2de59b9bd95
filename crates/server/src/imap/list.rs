//! LIST (basic and RFC 5258 extended, with RFC 5819 STATUS and RFC 6154 SPECIAL-USE) and LSUB.

use std::collections::{BTreeMap, HashMap, HashSet};

use bushbuck_proto::imap::command::ListCommand;
use bushbuck_proto::imap::response;
use bushbuck_store::MailboxInfo;

use super::mailboxes::status_line;
use super::pattern;
use super::session::{Outcome, Session};
use crate::acl::Rights;

/// One mailbox to answer with, and its attributes.
struct Listed {
    attributes: Vec<&'static str>,
    selectable: bool,
    special_use: Option<String>,
    /// Has subscribed children the patterns do not match (RECURSIVEMATCH's CHILDINFO).
    subscribed_children: bool,
}

impl Session {
    pub(super) fn list(&mut self, cmd: &ListCommand) -> Outcome {
        let reference = match self.mailbox_arg(&cmd.reference) {
            Ok(r) => r,
            Err(o) => return o,
        };
        // A pattern that is not a valid name matches no mailbox: not an error (RFC 3501 6.3.8).
        let patterns: Vec<String> = cmd
            .patterns
            .iter()
            .filter_map(|raw| self.mailbox_arg(raw).ok())
            .map(|p| fold_pattern(&pattern::combine(&reference, &p)))
            .collect();
        if patterns.is_empty() {
            return Outcome::done("LIST");
        }
        if !cmd.extended && patterns.iter().all(|p| p.is_empty()) {
            self.untagged("LIST (\\Noselect) \"/\" \"\"");
            return Outcome::done("LIST");
        }
        let user = self.user();
        let subscribed_only = cmd.select_options.iter().any(|o| o == "SUBSCRIBED");
        let special_only = cmd.select_options.iter().any(|o| o == "SPECIAL-USE");
        let want_subscribed = subscribed_only || cmd.return_options.subscribed;
        let loaded = self.visible_mailboxes().and_then(|boxes| {
            let subs = if want_subscribed { self.blocking(|s| s.subscriptions(&user))? } else { Vec::new() };
            Ok::<_, bushbuck_store::StoreError>((boxes, subs))
        });
        let (boxes, subs) = match loaded {
            Ok(x) => x,
            Err(e) => return e.into(),
        };
        let index = MailboxIndex::new(&boxes);
        let recursive = subscribed_only && cmd.select_options.iter().any(|o| o == "RECURSIVEMATCH");
        let matches = |name: &str| patterns.iter().any(|p| pattern::matches(p, name));
        let mut found: BTreeMap<String, Listed> = BTreeMap::new();
        let names: Vec<&String> = if subscribed_only { subs.iter().collect() } else { index.names() };
        for name in names {
            if !matches(name) {
                if recursive {
                    // RFC 5258 3.5: a matching parent of a subscription the patterns do not
                    // match is returned with CHILDINFO, subscribed, existing or not.
                    for parent in ancestors(name).filter(|p| matches(p)) {
                        let listed = found.entry(parent.to_string()).or_insert_with(|| {
                            let mut listed = index.describe(parent);
                            if subs.iter().any(|s| s == parent) {
                                listed.attributes.push("\\Subscribed");
                            }
                            listed
                        });
                        listed.subscribed_children = true;
                    }
                }
                continue;
            }
            let mut listed = index.describe(name);
            if want_subscribed && subs.contains(name) {
                listed.attributes.push("\\Subscribed");
            }
            if special_only && listed.special_use.is_none() {
                continue;
            }
            if let Some(earlier) = found.insert(name.clone(), listed) {
                found.get_mut(name.as_str()).expect("inserted").subscribed_children =
                    earlier.subscribed_children;
            }
        }
        for (name, listed) in found {
            let mut attrs: Vec<String> = listed.attributes.iter().map(|a| a.to_string()).collect();
            if let Some(u) = &listed.special_use {
                attrs.push(u.clone());
            }
            let childinfo = if listed.subscribed_children { " (\"CHILDINFO\" (\"SUBSCRIBED\"))" } else { "" };
            self.untagged(&format!(
                "LIST ({}) \"/\" {}{childinfo}",
                attrs.join(" "),
                response::mailbox(&name, self.rev2)
            ));
            if let (Some(items), true) = (&cmd.return_options.status, listed.selectable) {
                let Ok(target) = self.access_name(name.clone(), Rights::READ) else { continue };
                if let Ok(status) = self.status_of(&target.at) {
                    let line = status_line(&name, &status, items, self.rev2);
                    self.untagged(&line);
                }
            }
        }
        Outcome::done("LIST")
    }

    pub(super) fn lsub(&mut self, reference: &[u8], pattern_raw: &[u8]) -> Outcome {
        let reference = match self.mailbox_arg(reference) {
            Ok(r) => r,
            Err(o) => return o,
        };
        // A pattern that is not a valid name matches no mailbox: not an error.
        let Ok(pat) = self.mailbox_arg(pattern_raw) else { return Outcome::done("LSUB") };
        let pat = fold_pattern(&pattern::combine(&reference, &pat));
        if pat.is_empty() {
            self.untagged("LSUB (\\Noselect) \"/\" \"\"");
            return Outcome::done("LSUB");
        }
        let user = self.user();
        let subs = match self.blocking(|s| s.subscriptions(&user)) {
            Ok(s) => s,
            Err(e) => return e.into(),
        };
        let mut found: BTreeMap<String, bool> = BTreeMap::new();
        for name in &subs {
            if pattern::matches(&pat, name) {
                found.insert(name.clone(), true);
                continue;
            }
            // A parent that matches `%` stands in for subscribed children, as \Noselect.
            let mut parent = name.as_str();
            while let Some(i) = parent.rfind('/') {
                parent = &parent[..i];
                if pattern::matches(&pat, parent) {
                    found.entry(parent.to_string()).or_insert(false);
                    break;
                }
            }
        }
        for (name, subscribed) in found {
            let attrs = if subscribed { "" } else { "\\Noselect" };
            self.untagged(&format!("LSUB ({attrs}) \"/\" {}", response::mailbox(&name, self.rev2)));
        }
        Outcome::done("LSUB")
    }
}

/// Makes a leading `inbox` in a pattern match INBOX in any case.
fn fold_pattern(p: &str) -> String {
    if p.len() >= 5 && p.is_char_boundary(5) && p[..5].eq_ignore_ascii_case("INBOX") {
        format!("INBOX{}", &p[5..])
    } else {
        p.to_string()
    }
}

/// The names above `name`, nearest first (`a/b/c` gives `a/b`, then `a`).
fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    let mut rest = name;
    std::iter::from_fn(move || {
        let i = rest.rfind('/')?;
        rest = &rest[..i];
        Some(rest)
    })
}

/// The visible mailboxes by name, and which names have children: built once per LIST in
/// time linear in the total length of the names, so each answer costs a lookup.
struct MailboxIndex<'a> {
    by_name: HashMap<&'a str, &'a MailboxInfo>,
    parents: HashSet<&'a str>,
    names: Vec<&'a String>,
}

impl<'a> MailboxIndex<'a> {
    fn new(boxes: &'a [MailboxInfo]) -> Self {
        let mut parents = HashSet::new();
        for b in boxes {
            parents.extend(ancestors(&b.name));
        }
        MailboxIndex {
            by_name: boxes.iter().map(|b| (b.name.as_str(), b)).collect(),
            parents,
            names: boxes.iter().map(|b| &b.name).collect(),
        }
    }

    /// Every name, in the store's order.
    fn names(&self) -> Vec<&'a String> {
        self.names.clone()
    }

    /// The attributes of `name`: \NonExistent or \Noselect when so, and whether it has
    /// children.
    fn describe(&self, name: &str) -> Listed {
        let info = self.by_name.get(name).copied();
        let mut attributes = Vec::new();
        let selectable = info.is_some_and(|i| i.selectable);
        match info {
            None => attributes.push("\\NonExistent"),
            Some(i) if !i.selectable => attributes.push("\\Noselect"),
            Some(_) => {}
        }
        attributes.push(if self.parents.contains(name) { "\\HasChildren" } else { "\\HasNoChildren" });
        Listed {
            attributes,
            selectable,
            special_use: info.and_then(|i| i.special_use.clone()),
            subscribed_children: false,
        }
    }
}
