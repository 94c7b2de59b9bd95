//! Shared helpers for the table-driven Sieve tests.
#![allow(dead_code)]

use std::collections::HashMap;

pub use bushbuck_sieve::*;

/// A message used by most cases.
pub const MSG: &str = "Received: from mx.example.net by mail.example.com; Tue, 1 Jan 2008 12:00:00 +0000\r\n\
From: Alice Example <alice+news@example.org>\r\n\
To: Bob <bob@example.com>, carol@example.com\r\n\
Cc: team@lists.example.com\r\n\
Subject: [acme-users] [fwd] version 1.0 is out\r\n\
Date: Tue, 01 Jan 2008 04:00:00 -0800\r\n\
Message-ID: <abc123@example.org>\r\n\
X-Spam-Score: 7\r\n\
X-Priority: 1\r\n\
X-Priority: 3\r\n\
\r\n\
Hello Bob,\r\n\
the new release is out. Money back guaranteed.\r\n";

/// Fixed "now": 2008-01-01 12:00:00 UTC.
pub const NOW: i64 = 1_199_188_800;

/// Trackers and loader driven by tables.
#[derive(Default)]
pub struct World {
    pub seen_ids: Vec<String>,
    pub responded_to: Vec<String>,
    pub mailboxes: Vec<String>,
    pub scripts: HashMap<(Location, String), String>,
}

impl DuplicateTracker for World {
    fn seen(&self, handle: &str, id: &str, _: u64, _: bool) -> bool {
        self.seen_ids.iter().any(|s| s == id || *s == format!("{handle}:{id}"))
    }
}
impl VacationTracker for World {
    fn responded(&self, sender: &str, _: &str, _: u64) -> bool {
        self.responded_to.iter().any(|s| s == sender)
    }
}
impl MailboxChecker for World {
    fn exists(&self, name: &str) -> bool {
        self.mailboxes.iter().any(|m| m == name)
    }
}
impl ScriptLoader for World {
    fn load(&self, name: &str, location: Location) -> Option<String> {
        self.scripts.get(&(location, name.to_string())).cloned()
    }
}

pub fn users() -> Vec<String> {
    vec!["bob@example.com".to_string()]
}

/// Parses (panicking with the error) and runs a script.
pub fn run_with(script: &str, msg: &str, from: &str, to: &str, world: &World, limits: &Limits) -> Outcome {
    let s = parse_script(script, limits).unwrap_or_else(|e| panic!("parse failed: {e}\n{script}"));
    let ctx = MessageContext::new(msg.as_bytes(), from, to);
    let addrs = users();
    let env = Environment {
        duplicate: world,
        vacation: world,
        mailboxes: world,
        loader: world,
        ..Environment::new(&addrs, NOW, 60)
    };
    evaluate(&s, &ctx, &env, limits)
}

/// Runs with the default message, envelope, world and limits.
pub fn run(script: &str) -> Outcome {
    run_with(script, MSG, "alice+news@example.org", "bob@example.com", &World::default(), &Limits::default())
}

pub fn keep() -> Action {
    Action::Keep { flags: vec![] }
}
pub fn keep_flags(f: &[&str]) -> Action {
    Action::Keep { flags: f.iter().map(|s| s.to_string()).collect() }
}
pub fn fileinto(m: &str) -> Action {
    Action::FileInto { mailbox: m.into(), flags: vec![], copy: false, create: false }
}
pub fn redirect(a: &str) -> Action {
    Action::Redirect { address: a.into(), copy: false }
}

/// Asserts every (name, script, expected actions) row.
pub fn check_table(rows: &[(&str, &str, Vec<Action>)]) {
    for (name, script, expected) in rows {
        let out = run(script);
        assert!(out.errors.is_empty(), "{name}: unexpected errors {:?}", out.errors);
        assert_eq!(&out.actions, expected, "case {name}");
    }
}
