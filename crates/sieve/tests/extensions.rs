//! Extensions: variables, subaddress, imap4flags, body, date/index, editheader, vacation,
//! mailbox, include, duplicate, encoded-character.

mod common;
use common::*;

fn fi(m: &str, flags: &[&str]) -> Action {
    Action::FileInto {
        mailbox: m.into(),
        flags: flags.iter().map(|s| s.to_string()).collect(),
        copy: false,
        create: false,
    }
}

#[test]
fn rfc5229_variables() {
    check_table(&[
        (
            "match variables",
            "require [\"fileinto\",\"variables\"]; if header :matches \"Subject\" \"[*] *\" { fileinto \"lists.${1}\"; }",
            vec![fileinto("lists.acme-users")],
        ),
        (
            "match var 2 and 0",
            "require [\"fileinto\",\"variables\"]; if header :matches \"Subject\" \"[*] *\" { fileinto \"${2}|${0}\"; }",
            vec![fileinto("[fwd] version 1.0 is out|[acme-users] [fwd] version 1.0 is out")],
        ),
        (
            "set modifiers",
            "require [\"fileinto\",\"variables\"]; set :upperfirst :lower \"a\" \"hELLO\"; set :length \"n\" \"${a}\"; fileinto \"${a}-${n}\";",
            vec![fileinto("Hello-5")],
        ),
        (
            "quotewildcard",
            "require [\"fileinto\",\"variables\"]; set :quotewildcard \"q\" \"a*b\"; if string :matches \"a*b\" \"${q}\" { fileinto \"yes\"; }",
            vec![fileinto("yes")],
        ),
        (
            "string test",
            "require [\"variables\"]; set \"x\" \"abc\"; if string :is \"${x}\" \"ABC\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "unknown var empty",
            "require [\"fileinto\",\"variables\"]; fileinto \"a${nope}b\";",
            vec![fileinto("ab")],
        ),
        (
            "string count skips empty",
            "require [\"variables\",\"relational\"]; if string :count \"eq\" [\"a\",\"\",\"b\"] \"2\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "case modifiers change only ASCII letters (4.1.3)",
            "require [\"fileinto\",\"variables\"]; set :upper \"a\" \"Jörg\"; set :lower \"b\" \"ÄRGER\"; set :upperfirst \"c\" \"émile\"; set :lowerfirst \"d\" \"Öl\"; fileinto \"${a}-${b}-${c}-${d}\";",
            vec![fileinto("JöRG-Ärger-émile-Öl")],
        ),
        (
            "global namespace with include",
            "require [\"fileinto\",\"variables\",\"include\"]; set \"global.x\" \"g\"; fileinto \"${global.x}\";",
            vec![fileinto("g")],
        ),
        (
            "no expansion without require",
            "require \"fileinto\"; fileinto \"${x}\";",
            vec![fileinto("${x}")],
        ),
    ]);
}

#[test]
fn rfc5233_subaddress() {
    check_table(&[
        (
            "user",
            "require \"subaddress\"; if address :user \"from\" \"alice\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "detail",
            "require \"subaddress\"; if address :detail \"from\" \"news\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "no detail",
            "require \"subaddress\"; if address :detail :matches \"to\" \"*\" { discard; }",
            vec![keep()],
        ),
        (
            "envelope detail",
            "require [\"subaddress\",\"envelope\"]; if envelope :detail \"from\" \"NEWS\" { discard; }",
            vec![Action::Discard],
        ),
    ]);
}

#[test]
fn rfc5232_imap4flags() {
    check_table(&[
        ("implicit keep flags", "require \"imap4flags\"; setflag \"\\\\Seen\";", vec![keep_flags(&["\\Seen"])]),
        (
            "add remove",
            "require \"imap4flags\"; addflag [\"a\", \"b c\"]; removeflag \"B\"; addflag \"A\";",
            vec![keep_flags(&["a", "c"])],
        ),
        (
            "fileinto explicit flags",
            "require [\"imap4flags\",\"fileinto\"]; addflag \"x\"; fileinto :flags \"\\\\Flagged\" \"A\"; fileinto \"B\";",
            vec![fi("A", &["\\Flagged"]), fi("B", &["x"])],
        ),
        (
            "hasflag",
            "require \"imap4flags\"; setflag \"junk seen\"; if hasflag :is \"JUNK\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "variable flags",
            "require [\"imap4flags\",\"variables\"]; setflag \"v\" \"one\"; addflag \"v\" \"two\"; if hasflag :contains \"v\" \"tw\" { keep :flags \"${v}\"; }",
            vec![keep_flags(&["one", "two"])],
        ),
    ]);
}

#[test]
fn rfc5173_body() {
    check_table(&[
        (
            "body text",
            "require \"body\"; if body :contains \"money back\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "body raw",
            "require \"body\"; if body :raw :contains \"Hello Bob\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "body content text",
            "require \"body\"; if body :content \"text\" :contains \"release\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "body content image",
            "require \"body\"; if body :content \"image\" :contains \"release\" { discard; }",
            vec![keep()],
        ),
    ]);
    let mime = "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=\"xx\"\r\n\r\npre\r\n--xx\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\naMOpbGxvIHdvcmxk\r\n--xx\r\nContent-Type: text/html\r\n\r\n<b>bold</b>\r\n--xx--\r\n";
    let w = World::default();
    let l = Limits::default();
    let o = run_with(
        "require \"body\"; if body :content \"text/plain\" :contains \"héllo\" { discard; }",
        mime,
        "a@b.c",
        "bob@example.com",
        &w,
        &l,
    );
    assert_eq!(o.actions, vec![Action::Discard]);
    let o = run_with(
        "require \"body\"; if body :content \"text/plain\" :contains \"bold\" { discard; }",
        mime,
        "a@b.c",
        "bob@example.com",
        &w,
        &l,
    );
    assert_eq!(o.actions, vec![keep()]);
    let o = run_with(
        "require \"body\"; if body :content \"text/html\" :contains \"bold\" { discard; }",
        mime,
        "a@b.c",
        "bob@example.com",
        &w,
        &l,
    );
    assert_eq!(o.actions, vec![Action::Discard]);
}

#[test]
fn rfc5260_date_and_index() {
    check_table(&[
        ("date local zone", "require \"date\"; if date :is \"date\" \"hour\" \"13\" { discard; }", vec![Action::Discard]),
        ("date originalzone", "require \"date\"; if date :originalzone :is \"date\" \"hour\" \"04\" { discard; }", vec![Action::Discard]),
        ("date zone", "require \"date\"; if date :zone \"+0000\" :is \"date\" \"iso8601\" \"2008-01-01T12:00:00+00:00\" { discard; }", vec![Action::Discard]),
        ("date weekday", "require \"date\"; if date :is \"date\" \"weekday\" \"2\" { discard; }", vec![Action::Discard]),
        ("received date", "require \"date\"; if date :zone \"+0000\" :is \"received\" \"time\" \"12:00:00\" { discard; }", vec![Action::Discard]),
        ("currentdate", "require \"date\"; if currentdate :is \"date\" \"2008-01-01\" { discard; }", vec![Action::Discard]),
        (
            "currentdate relational",
            "require [\"date\",\"relational\"]; if currentdate :value \"ge\" \"date\" \"2007-12-31\" { discard; }",
            vec![Action::Discard],
        ),
        ("currentdate julian", "require \"date\"; if currentdate :zone \"+0000\" :is \"julian\" \"54466\" { discard; }", vec![Action::Discard]),
        ("index first", "require \"index\"; if header :index 1 :is \"x-priority\" \"1\" { discard; }", vec![Action::Discard]),
        ("index last", "require \"index\"; if header :index 1 :last :is \"x-priority\" \"3\" { discard; }", vec![Action::Discard]),
        ("index miss", "require \"index\"; if header :index 2 :last :is \"x-priority\" \"3\" { discard; }", vec![keep()]),
        ("address index", "require \"index\"; if address :index 1 :is \"to\" \"carol@example.com\" { discard; }", vec![Action::Discard]),
        (
            "date match vars",
            "require [\"date\",\"variables\",\"fileinto\"]; if currentdate :matches \"year\" \"*\" { fileinto \"archive.${1}\"; }",
            vec![fileinto("archive.2008")],
        ),
    ]);
}

#[test]
fn rfc5293_editheader() {
    let out = run(
        "require [\"editheader\"]; addheader \"X-Filtered\" \"yes\"; addheader :last \"X-Tail\" \"t\"; deleteheader \"x-spam-score\"; deleteheader :index 1 :last \"X-Priority\"; deleteheader \"Received\"; addheader \"Received\" \"forged\";",
    );
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.actions, vec![keep()]);
    let new = String::from_utf8(apply_edits(MSG.as_bytes(), &out.edits)).unwrap();
    assert!(new.starts_with("X-Filtered: yes\r\nReceived: from mx"), "{new}");
    assert!(!new.contains("X-Spam-Score"));
    assert!(new.contains("X-Priority: 1\r\n"));
    assert!(!new.contains("X-Priority: 3"));
    assert!(new.contains("X-Tail: t\r\n\r\nHello Bob"));
    assert_eq!(new.matches("Received:").count(), 1);

    // later tests see the edited header
    check_table(&[
        (
            "test after add",
            "require \"editheader\"; addheader \"X-New\" \"v\"; if header :is \"x-new\" \"v\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "delete with pattern",
            "require \"editheader\"; deleteheader :matches \"X-Priority\" \"3*\"; if header :is \"x-priority\" \"3\" { discard; }",
            vec![keep()],
        ),
        (
            "auto-submitted protected",
            "require \"editheader\"; addheader \"Auto-Submitted\" \"auto-replied\"; deleteheader \"Auto-Submitted\"; if exists \"auto-submitted\" { discard; }",
            vec![Action::Discard],
        ),
    ]);

    // a NUL that reaches addheader through a variable is a runtime error
    let out = run("require [\"editheader\",\"encoded-character\",\"variables\"]; set \"n\" \"${hex:00}\"; addheader \"X-Frop\" \"${n}\";");
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.actions, vec![keep()]);
    assert!(out.edits.is_empty());

    let edits = vec![HeaderEdit::Add { name: "X-Ünï".into(), value: "v".into(), last: false }];
    assert_eq!(apply_edits(b"A: b\r\n\r\nx", &edits), b"A: b\r\n\r\nx".to_vec());
    let edits =
        vec![HeaderEdit::Add { name: "X-U".into(), value: "héllo\r\nInjected: 1".into(), last: true }];
    let s = String::from_utf8(apply_edits(b"A: b\n\nx", &edits)).unwrap();
    assert!(s.starts_with("A: b\nX-U: =?UTF-8?B?"), "{s}");
    assert!(!s.contains("Injected"));
}

#[test]
fn rfc5230_vacation() {
    let v = |to: &str, subject: &str, period: u64, handle: Option<&str>| Action::Vacation {
        to: to.into(),
        subject: subject.into(),
        from: None,
        body: "I am away".into(),
        mime: false,
        handle: handle.map(str::to_string).unwrap_or_default(),
        period_secs: period,
    };
    let out = run("require \"vacation\"; vacation :days 3 :handle \"h\" \"I am away\";");
    assert_eq!(
        out.actions,
        vec![
            v("alice+news@example.org", "Auto: [acme-users] [fwd] version 1.0 is out", 3 * 86400, Some("h")),
            keep()
        ]
    );

    let out = run("require [\"vacation\",\"vacation-seconds\"]; vacation :seconds 60 :subject \"Away\" :handle \"h\" \"I am away\";");
    assert_eq!(out.actions[0], v("alice+news@example.org", "Away", 60, Some("h")));

    // RFC 6131 section 2: "vacation-seconds" implies "vacation"
    let out = run(
        "require \"vacation-seconds\"; vacation :seconds 60 :subject \"Away\" :handle \"h\" \"I am away\";",
    );
    assert_eq!(out.actions[0], v("alice+news@example.org", "Away", 60, Some("h")));

    // a name-addr :from is written as given, a bare address in angle brackets
    let out = run("require \"vacation\"; vacation :from \"Bob Example <bob@example.com>\" \"I am away\";");
    let Action::Vacation { from: Some(from), .. } = &out.actions[0] else { panic!("{:?}", out.actions) };
    assert_eq!(address::from_field_value(from), "Bob Example <bob@example.com>");
    assert_eq!(address::from_field_value("bob@example.com"), "<bob@example.com>");
    assert_eq!(address::from_field_value("<bob@example.com>"), "<bob@example.com>");

    // default handle is stable and non-empty
    let a = run("require \"vacation\"; vacation \"I am away\";");
    let b = run("require \"vacation\"; vacation \"I am away\";");
    assert_eq!(a, b);
    assert!(
        matches!(&a.actions[0], Action::Vacation { handle, period_secs: 604800, .. } if !handle.is_empty())
    );

    let w = World::default();
    let l = Limits::default();
    let script = "require \"vacation\"; vacation \"I am away\";";
    // not addressed to the user
    let o =
        run_with(script, "From: a@b.c\r\nTo: other@example.com\r\n\r\nx", "a@b.c", "bob@example.com", &w, &l);
    assert_eq!(o.actions, vec![keep()]);
    // :addresses makes it addressed
    let o = run_with(
        "require \"vacation\"; vacation :addresses \"other@example.com\" \"I am away\";",
        "From: a@b.c\r\nTo: other@example.com\r\n\r\nx",
        "a@b.c",
        "bob@example.com",
        &w,
        &l,
    );
    assert_eq!(o.actions.len(), 2);
    // list and automated mail, null sender, owner- sender
    for (msg, from) in [
        ("To: bob@example.com\r\nList-Id: <l.example.com>\r\n\r\nx", "a@b.c"),
        ("To: bob@example.com\r\nAuto-Submitted: auto-replied\r\n\r\nx", "a@b.c"),
        ("To: bob@example.com\r\nPrecedence: bulk\r\n\r\nx", "a@b.c"),
        ("To: bob@example.com\r\n\r\nx", ""),
        ("To: bob@example.com\r\n\r\nx", "owner-list@b.c"),
        ("To: bob@example.com\r\n\r\nx", "MAILER-DAEMON@b.c"),
    ] {
        let o = run_with(script, msg, from, "bob@example.com", &w, &l);
        assert_eq!(o.actions, vec![keep()], "{msg} {from}");
    }
    // already responded
    let w2 = World { responded_to: vec!["a@b.c".into()], ..World::default() };
    let o = run_with(script, "To: bob@example.com\r\n\r\nx", "a@b.c", "bob@example.com", &w2, &l);
    assert_eq!(o.actions, vec![keep()]);
    // twice is an error
    let o = run("require \"vacation\"; vacation \"a\"; vacation \"b\";");
    assert_eq!(o.errors.len(), 1);
}

#[test]
fn rfc5490_mailbox() {
    let w = World { mailboxes: vec!["INBOX".into(), "Lists".into()], ..World::default() };
    let l = Limits::default();
    let o = run_with(
        "require [\"mailbox\",\"fileinto\"]; if mailboxexists [\"Lists\",\"INBOX\"] { fileinto :create \"Lists\"; } if mailboxexists \"Nope\" { discard; }",
        MSG,
        "a@b.c",
        "bob@example.com",
        &w,
        &l,
    );
    assert_eq!(
        o.actions,
        vec![Action::FileInto { mailbox: "Lists".into(), flags: vec![], copy: false, create: true }]
    );
}

#[test]
fn rfc6609_include() {
    let mut w = World::default();
    w.scripts.insert((Location::Personal, "lists".into()), "require [\"fileinto\",\"include\",\"variables\"]; global \"box\"; fileinto \"${box}\"; return; discard;".into());
    w.scripts.insert(
        (Location::Global, "spam".into()),
        "require \"include\"; if header :contains \"subject\" \"acme\" { stop; }".into(),
    );
    w.scripts.insert((Location::Personal, "loop".into()), "require \"include\"; include \"loop\";".into());
    w.scripts.insert((Location::Personal, "bad".into()), "keep".into());
    let l = Limits::default();
    let r = |s: &str| run_with(s, MSG, "a@b.c", "bob@example.com", &w, &l);

    let o =
        r("require [\"include\",\"variables\"]; global \"box\"; set \"box\" \"L\"; include \"lists\"; keep;");
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert_eq!(o.actions, vec![fileinto("L"), keep()]);

    let o = r("require [\"include\",\"variables\"]; set \"global.box\" \"G\"; include :once \"lists\"; include :once \"lists\";");
    assert_eq!(o.actions, vec![fileinto("G")]);

    // stop inside an include ends everything
    let o = r("require \"include\"; include :global \"spam\"; discard;");
    assert_eq!(o.actions, vec![keep()]);

    let o = r("require \"include\"; include :optional \"missing\"; discard;");
    assert_eq!(o.actions, vec![Action::Discard]);

    for s in [
        "require \"include\"; include \"missing\";",
        "require \"include\"; include \"loop\";",
        "require \"include\"; include \"bad\";",
    ] {
        let o = r(s);
        assert_eq!(o.errors.len(), 1, "{s}");
        assert_eq!(o.actions, vec![keep()]);
    }
}

#[test]
fn rfc6609_include_checked_at_upload() {
    let mut w = World::default();
    let mut put = |name: &str, src: &str| {
        w.scripts.insert((Location::Personal, name.to_string()), src.to_string());
    };
    put("a", "require \"include\"; include \"b\";");
    put("b", "require \"include\"; if true { include \"a\"; }");
    put("self", "require \"include\"; include :once \"self\";");
    put("leaf", "keep;");
    put("broken", "keep");
    let l = Limits::default();
    let check = |name: Option<&str>, src: &str| {
        let script = parse_script(src, &l).unwrap();
        check_includes(name, &script, &w, &l)
    };
    assert_eq!(check(Some("c"), "require \"include\"; include \"leaf\"; include \"leaf\";"), Ok(()));
    assert_eq!(check(None, "require \"include\"; include :optional \"missing\";"), Ok(()));
    assert_eq!(check(None, "require \"include\"; include :global \"missing\";"), Ok(()));
    assert_eq!(check(None, "require [\"include\",\"variables\"]; include \"${x}\";"), Ok(()));
    assert_eq!(check(None, "require \"include\"; include \"self\";"), Ok(()));
    assert_eq!(
        check(None, "require \"include\"; include \"missing\";"),
        Err("included script \"missing\" does not exist; upload it first or include it with :optional".into())
    );
    assert_eq!(
        check(Some("a"), "require \"include\"; include \"b\";"),
        Err("include cycle: a -> b -> a; break it or include with :once".into())
    );
    assert_eq!(
        check(None, "require \"include\"; include \"a\";"),
        Err("include cycle: a -> b -> a; break it or include with :once".into())
    );
    let e = check(None, "require \"include\"; include \"broken\";").unwrap_err();
    assert!(e.starts_with("included script \"broken\": line 1"), "{e}");
}

#[test]
fn rfc7352_duplicate() {
    let w = World { seen_ids: vec!["<abc123@example.org>".into(), "h:X".into()], ..World::default() };
    let l = Limits::default();
    let r = |s: &str| run_with(s, MSG, "a@b.c", "bob@example.com", &w, &l).actions;
    assert_eq!(r("require \"duplicate\"; if duplicate { discard; }"), vec![Action::Discard]);
    assert_eq!(r("require \"duplicate\"; if duplicate :header \"subject\" { discard; }"), vec![keep()]);
    assert_eq!(
        r("require \"duplicate\"; if duplicate :handle \"h\" :uniqueid \"X\" :seconds 60 :last { discard; }"),
        vec![Action::Discard]
    );
    assert_eq!(r("require \"duplicate\"; if duplicate :header \"x-none\" { discard; }"), vec![keep()]);
}

#[test]
fn encoded_character() {
    check_table(&[
        (
            "hex",
            "require [\"encoded-character\",\"fileinto\"]; fileinto \"${hex:41 42}${unicode:e9}\";",
            vec![fileinto("ABé")],
        ),
        ("not required", "require \"fileinto\"; fileinto \"${hex:41}\";", vec![fileinto("${hex:41}")]),
    ]);
}
