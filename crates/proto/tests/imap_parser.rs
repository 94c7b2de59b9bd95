//! Tables of good and bad IMAP commands through `parse_command`.

use bushbuck_proto::imap::command::*;
use bushbuck_proto::imap::parser::{parse_command, ParseError};

fn ok(input: &str) -> Command {
    match parse_command(input.as_bytes()) {
        Ok(tc) => tc.command,
        Err(e) => panic!("{input:?}: {e}"),
    }
}

fn err(input: &[u8]) -> ParseError {
    match parse_command(input) {
        Ok(tc) => panic!("{:?} parsed as {tc:?}", String::from_utf8_lossy(input)),
        Err(e) => e,
    }
}

fn r(a: u32, b: u32) -> SeqRange {
    SeqRange { start: SeqNumber::Value(a), end: SeqNumber::Value(b) }
}

fn set(ranges: &[SeqRange]) -> SequenceSet {
    SequenceSet::Ranges(ranges.to_vec())
}

#[test]
fn simple_commands() {
    let table = [
        ("a CAPABILITY\r\n", Command::Capability),
        ("a noop\r\n", Command::Noop),
        ("a Logout\n", Command::Logout),
        ("a STARTTLS", Command::StartTls),
        ("a NAMESPACE\r\n", Command::Namespace),
        ("a IDLE\r\n", Command::Idle),
        ("a CHECK\r\n", Command::Check),
        ("a CLOSE\r\n", Command::Close),
        ("a UNSELECT\r\n", Command::Unselect),
        ("a EXPUNGE\r\n", Command::Expunge),
    ];
    for (input, expected) in table {
        assert_eq!(ok(input), expected, "{input}");
    }
    let tc = parse_command(b"A0001.x] NOOP\r\n").unwrap();
    assert_eq!(tc.tag, "A0001.x]");
}

#[test]
fn authentication() {
    assert_eq!(
        ok("a AUTHENTICATE plain\r\n"),
        Command::Authenticate { mechanism: "PLAIN".into(), initial: None }
    );
    assert_eq!(
        ok("a AUTHENTICATE PLAIN AGZvbwBiYXI=\r\n"),
        Command::Authenticate { mechanism: "PLAIN".into(), initial: Some("AGZvbwBiYXI=".into()) }
    );
    assert_eq!(
        ok("a AUTHENTICATE PLAIN =\r\n"),
        Command::Authenticate { mechanism: "PLAIN".into(), initial: Some("=".into()) }
    );
    assert_eq!(
        ok("a LOGIN fred \"pa ss\\\"w\"\r\n"),
        Command::Login { user: b"fred".to_vec(), password: b"pa ss\"w".to_vec() }
    );
    assert_eq!(
        ok("a LOGIN {4}\r\nfr\0d {2+}\r\npw\r\n".replace('\0', "e").as_str()),
        Command::Login { user: b"fred".to_vec(), password: b"pw".to_vec() }
    );
    assert_eq!(
        ok("a ENABLE condstore UTF8=ACCEPT\r\n"),
        Command::Enable(vec!["CONDSTORE".into(), "UTF8=ACCEPT".into()])
    );
    assert_eq!(ok("a ID NIL\r\n"), Command::Id(None));
    assert_eq!(
        ok("a ID (\"name\" \"sodr\" \"version\" NIL)\r\n"),
        Command::Id(Some(vec![("name".into(), Some("sodr".into())), ("version".into(), None)]))
    );
    assert_eq!(ok("a ID ()\r\n"), Command::Id(Some(vec![])));
}

#[test]
fn mailbox_commands() {
    assert_eq!(
        ok("a SELECT inbox\r\n"),
        Command::Select { mailbox: b"inbox".to_vec(), params: SelectParams::default() }
    );
    assert_eq!(
        ok("a EXAMINE \"Sent Items\" (CONDSTORE)\r\n"),
        Command::Examine {
            mailbox: b"Sent Items".to_vec(),
            params: SelectParams { condstore: true, qresync: None }
        }
    );
    assert_eq!(
        ok("a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n"),
        Command::Select {
            mailbox: b"INBOX".to_vec(),
            params: SelectParams {
                condstore: false,
                qresync: Some(QresyncParams {
                    uid_validity: 67890007,
                    mod_seq: 20050715194045000,
                    known_uids: Some(set(&[r(41, 41), r(43, 211), r(214, 541)]))
                })
            }
        }
    );
    assert_eq!(
        ok("a SELECT INBOX (QRESYNC (1 2 1:9 (1,3 5,7)) CONDSTORE)\r\n"),
        Command::Select {
            mailbox: b"INBOX".to_vec(),
            params: SelectParams {
                condstore: true,
                qresync: Some(QresyncParams {
                    uid_validity: 1,
                    mod_seq: 2,
                    known_uids: Some(set(&[r(1, 9)]))
                })
            }
        }
    );
    assert_eq!(
        ok("a SELECT INBOX (QRESYNC (1 2))\r\n"),
        Command::Select {
            mailbox: b"INBOX".to_vec(),
            params: SelectParams {
                condstore: false,
                qresync: Some(QresyncParams { uid_validity: 1, mod_seq: 2, known_uids: None })
            }
        }
    );
    assert_eq!(
        ok("a CREATE foo/bar\r\n"),
        Command::Create { mailbox: b"foo/bar".to_vec(), special_use: vec![], partition: None }
    );
    assert_eq!(
        ok("a CREATE \"Other Users/bob\" archive\r\n"),
        Command::Create {
            mailbox: b"Other Users/bob".to_vec(),
            special_use: vec![],
            partition: Some("archive".into())
        }
    );
    err(b"a CREATE x (partition)\r\n");
    assert_eq!(
        ok("a RENAME x x fast\r\n"),
        Command::Rename { from: b"x".to_vec(), to: b"x".to_vec(), partition: Some("fast".into()) }
    );
    assert_eq!(
        ok("a CREATE MySent (USE (\\sent \\X-Thing))\r\n"),
        Command::Create {
            mailbox: b"MySent".to_vec(),
            special_use: vec!["\\Sent".into(), "\\X-Thing".into()],
            partition: None
        }
    );
    assert_eq!(ok("a DELETE &AOk-t&AOk-\r\n"), Command::Delete(b"&AOk-t&AOk-".to_vec()));
    assert_eq!(
        ok("a RENAME a {1}\r\nb\r\n"),
        Command::Rename { from: b"a".to_vec(), to: b"b".to_vec(), partition: None }
    );
    assert_eq!(ok("a SUBSCRIBE \"\"\r\n"), Command::Subscribe(vec![]));
    assert_eq!(ok("a UNSUBSCRIBE x]y\r\n"), Command::Unsubscribe(b"x]y".to_vec()));
    assert_eq!(
        ok("a STATUS blurdybloop (UIDNEXT MESSAGES unseen HIGHESTMODSEQ SIZE DELETED RECENT UIDVALIDITY)\r\n"),
        Command::Status {
            mailbox: b"blurdybloop".to_vec(),
            items: vec![
                StatusItem::UidNext,
                StatusItem::Messages,
                StatusItem::Unseen,
                StatusItem::HighestModSeq,
                StatusItem::Size,
                StatusItem::Deleted,
                StatusItem::Recent,
                StatusItem::UidValidity
            ]
        }
    );
    assert_eq!(
        ok("a LSUB \"#news.\" comp.%\r\n"),
        Command::Lsub { reference: b"#news.".to_vec(), pattern: b"comp.%".to_vec() }
    );
}

#[test]
fn list_commands() {
    assert_eq!(
        ok("a LIST \"\" *\r\n"),
        Command::List(ListCommand { reference: vec![], patterns: vec![b"*".to_vec()], ..Default::default() })
    );
    assert_eq!(
        ok("a LIST ~/Mail/ %\r\n"),
        Command::List(ListCommand {
            reference: b"~/Mail/".to_vec(),
            patterns: vec![b"%".to_vec()],
            ..Default::default()
        })
    );
    assert_eq!(
        ok("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\" %/x) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN) SUBSCRIBED)\r\n"),
        Command::List(ListCommand {
            reference: vec![],
            patterns: vec![b"INBOX".to_vec(), b"Sent*".to_vec(), b"%/x".to_vec()],
            select_options: vec!["SUBSCRIBED".into(), "RECURSIVEMATCH".into()],
            return_options: ListReturn {
                subscribed: true,
                children: true,
                special_use: true,
                status: Some(vec![StatusItem::Messages, StatusItem::Unseen])
            },
            extended: true
        })
    );
    assert_eq!(
        ok("a LIST () \"\" %\r\n"),
        Command::List(ListCommand { patterns: vec![b"%".to_vec()], extended: true, ..Default::default() })
    );
    assert_eq!(
        ok("a list \"\" % return ()\r\n"),
        Command::List(ListCommand { patterns: vec![b"%".to_vec()], extended: true, ..Default::default() })
    );
}

/// An APPEND's mailbox and its messages as (flags, date, octets, binary).
type AppendParts = (Vec<u8>, Vec<(Vec<String>, Option<(i64, i32)>, Vec<u8>, bool)>);

fn append_parts(input: &str) -> AppendParts {
    match ok(input) {
        Command::Append { mailbox, messages } => (
            mailbox,
            messages
                .iter()
                .map(|m: &AppendMessage| {
                    (m.flags.clone(), m.internal_date, m.data(input.as_bytes()).to_vec(), m.binary)
                })
                .collect(),
        ),
        other => panic!("not an APPEND: {other:?}"),
    }
}

#[test]
fn append() {
    assert_eq!(
        append_parts("a APPEND saved-messages (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {5}\r\nhello\r\n"),
        (
            b"saved-messages".to_vec(),
            vec![(vec!["\\Seen".into()], Some((837_596_665, -420)), b"hello".to_vec(), false)]
        )
    );
    assert_eq!(
        append_parts(
            "a APPEND INBOX {2+}\r\nhi ~{3}\r\n\0\r\n () \" 7-Jul-1996 02:44:25 +0000\" {1}\r\nx\r\n"
        ),
        (
            b"INBOX".to_vec(),
            vec![
                (vec![], None, b"hi".to_vec(), false),
                (vec![], None, b"\0\r\n".to_vec(), true),
                (vec![], Some((836_707_465, 0)), b"x".to_vec(), false),
            ]
        )
    );
}

#[test]
fn fetch() {
    use FetchAttribute::*;
    let fetch = |input: &str| match ok(input) {
        Command::Fetch { uid, set, items, changed_since, vanished, .. } => {
            (uid, set, items, changed_since, vanished)
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(fetch("a FETCH 1 ALL\r\n").2, vec![Flags, InternalDate, Rfc822Size, Envelope]);
    assert_eq!(fetch("a FETCH 1 fast\r\n").2, vec![Flags, InternalDate, Rfc822Size]);
    assert_eq!(fetch("a FETCH 1 FULL\r\n").2, vec![Flags, InternalDate, Rfc822Size, Envelope, Body]);
    assert_eq!(fetch("a FETCH 2:4 body\r\n").2, vec![Body]);
    let (uid, s, items, cs, v) = fetch(
        "a UID FETCH 1:*,$ (FLAGS BODY.PEEK[HEADER.FIELDS (From \"Subject\")] BODY[]<0.2048> BODY[1.2.MIME] \
         BODY[3.TEXT] BODY[2] BODY[HEADER.FIELDS.NOT (X-A)] BINARY[1.2]<5.10> BINARY.PEEK[] BINARY.SIZE[4] \
         MODSEQ SAVEDATE EMAILID THREADID UID RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT ENVELOPE \
         INTERNALDATE BODYSTRUCTURE) (CHANGEDSINCE 12345 VANISHED)\r\n"
            .replace(",$", "")
            .as_str(),
    );
    assert!(uid && v);
    assert_eq!(cs, Some(12345));
    assert_eq!(
        s,
        SequenceSet::Ranges(vec![SeqRange { start: SeqNumber::Value(1), end: SeqNumber::Largest }])
    );
    let sec = |part: Vec<u32>, text: Option<SectionText>| Section { part, text };
    assert_eq!(
        items,
        vec![
            Flags,
            BodySection {
                peek: true,
                section: sec(vec![], Some(SectionText::HeaderFields(vec!["From".into(), "Subject".into()]))),
                partial: None
            },
            BodySection { peek: false, section: sec(vec![], None), partial: Some((0, 2048)) },
            BodySection { peek: false, section: sec(vec![1, 2], Some(SectionText::Mime)), partial: None },
            BodySection { peek: false, section: sec(vec![3], Some(SectionText::Text)), partial: None },
            BodySection { peek: false, section: sec(vec![2], None), partial: None },
            BodySection {
                peek: false,
                section: sec(vec![], Some(SectionText::HeaderFieldsNot(vec!["X-A".into()]))),
                partial: None
            },
            Binary { peek: false, part: vec![1, 2], partial: Some((5, 10)) },
            Binary { peek: true, part: vec![], partial: None },
            BinarySize { part: vec![4] },
            ModSeq,
            SaveDate,
            EmailId,
            ThreadId,
            Uid,
            Rfc822,
            Rfc822Header,
            Rfc822Size,
            Rfc822Text,
            Envelope,
            InternalDate,
            BodyStructure,
        ]
    );
    assert_eq!(fetch("a FETCH $ (UID) (CHANGEDSINCE 1)\r\n").1, SequenceSet::Saved);
    assert_eq!(
        fetch("a FETCH 1 BODY[HEADER]\r\n").2,
        vec![BodySection { peek: false, section: sec(vec![], Some(SectionText::Header)), partial: None }]
    );
}

#[test]
fn store_copy_move_expunge() {
    assert_eq!(
        ok("a STORE 2:4 +FLAGS (\\Deleted)\r\n"),
        Command::Store {
            uid: false,
            set: set(&[r(2, 4)]),
            mode: StoreMode::Add,
            silent: false,
            flags: vec!["\\Deleted".into()],
            unchanged_since: None
        }
    );
    assert_eq!(
        ok("a UID STORE 1,3 (UNCHANGEDSINCE 320162338) -flags.silent \\Seen $Junk\r\n"),
        Command::Store {
            uid: true,
            set: set(&[r(1, 1), r(3, 3)]),
            mode: StoreMode::Remove,
            silent: true,
            flags: vec!["\\Seen".into(), "$Junk".into()],
            unchanged_since: Some(320162338)
        }
    );
    assert_eq!(
        ok("a STORE 1 FLAGS ()\r\n"),
        Command::Store {
            uid: false,
            set: set(&[r(1, 1)]),
            mode: StoreMode::Replace,
            silent: false,
            flags: vec![],
            unchanged_since: None
        }
    );
    assert_eq!(
        ok("a COPY 2:4 MEETING\r\n"),
        Command::Copy { uid: false, set: set(&[r(2, 4)]), mailbox: b"MEETING".to_vec() }
    );
    assert_eq!(
        ok("a UID MOVE 42 \"x y\"\r\n"),
        Command::Move { uid: true, set: set(&[r(42, 42)]), mailbox: b"x y".to_vec() }
    );
    assert_eq!(ok("a uid expunge 3000:3002\r\n"), Command::UidExpunge(set(&[r(3000, 3002)])));
}

#[test]
fn search() {
    use SearchKey::*;
    let search = |input: &str| match ok(input) {
        Command::Search { uid, charset, ret, criteria } => (uid, charset, ret, criteria),
        other => panic!("{other:?}"),
    };
    assert_eq!(search("a SEARCH ALL\r\n"), (false, None, None, All));
    assert_eq!(
        search(
            "a UID SEARCH RETURN (MIN count) CHARSET utf-8 FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"
        ),
        (
            true,
            Some("UTF-8".into()),
            Some(vec![SearchReturn::Min, SearchReturn::Count]),
            And(vec![Flagged, Since((1994, 2, 1)), Not(Box::new(From(b"Smith".to_vec())))])
        )
    );
    assert_eq!(search("a SEARCH RETURN () UNSEEN\r\n").2, Some(vec![SearchReturn::All]));
    assert_eq!(
        search("a SEARCH RETURN (SAVE MAX ALL) UNSEEN\r\n").2,
        Some(vec![SearchReturn::Save, SearchReturn::Max, SearchReturn::All])
    );
    let all_keys = "a SEARCH ANSWERED BCC b BEFORE \"1-Jan-2000\" BODY {3}\r\nx y CC c DELETED DRAFT \
        HEADER X-Spam yes KEYWORD $Junk LARGER 100 NEW OLD ON 31-Dec-1999 OR SEEN (RECENT 1:5) \
        SENTBEFORE 2-Mar-2001 SENTON 3-Apr-2002 SENTSINCE 4-May-2003 SMALLER 5 SUBJECT s TEXT t TO u \
        UID 5:*,$ UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD foo UNSEEN 2,4:7 $ \
        MODSEQ 620162338 MODSEQ \"/flags/\\\\draft\" all 7 OLDER 3600 YOUNGER 60\r\n"
        .replace(",$ ", " ");
    assert_eq!(
        search(&all_keys).3,
        And(vec![
            Answered,
            Bcc(b"b".to_vec()),
            Before((2000, 1, 1)),
            Body(b"x y".to_vec()),
            Cc(b"c".to_vec()),
            Deleted,
            Draft,
            Header("X-Spam".into(), b"yes".to_vec()),
            Keyword("$Junk".into()),
            Larger(100),
            New,
            Old,
            On((1999, 12, 31)),
            Or(Box::new(Seen), Box::new(And(vec![Recent, Sequence(set(&[r(1, 5)]))]))),
            SentBefore((2001, 3, 2)),
            SentOn((2002, 4, 3)),
            SentSince((2003, 5, 4)),
            Smaller(5),
            Subject(b"s".to_vec()),
            Text(b"t".to_vec()),
            To(b"u".to_vec()),
            Uid(SequenceSet::Ranges(vec![SeqRange { start: SeqNumber::Value(5), end: SeqNumber::Largest }])),
            Unanswered,
            Undeleted,
            Undraft,
            Unflagged,
            Unkeyword("foo".into()),
            Unseen,
            Sequence(set(&[r(2, 2), r(4, 7)])),
            Sequence(SequenceSet::Saved),
            ModSeq(620162338),
            ModSeq(7),
            Older(3600),
            Younger(60),
        ])
    );
    let nested = format!("a SEARCH {}ALL{}\r\n", "(".repeat(60), ")".repeat(60));
    assert_eq!(search(&nested).3, All);
    let deep = format!("a SEARCH {}ALL{}\r\n", "(".repeat(65), ")".repeat(65));
    assert!(err(deep.as_bytes()).message.contains("deep"));
    let deep_not = format!("a SEARCH {}ALL\r\n", "NOT ".repeat(100));
    assert!(parse_command(deep_not.as_bytes()).is_err());
    let huge = format!("a SEARCH {}ALL{}\r\n", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse_command(huge.as_bytes()).is_err());
}

#[test]
fn errors() {
    let table: &[(&[u8], Option<&str>, &str)] = &[
        (b"\r\n", None, "tag"),
        (b"NOOP\r\n", None, "command"),
        (b"a+b NOOP\r\n", None, "tag"),
        (b"* NOOP\r\n", None, "tag"),
        (b"a FOO\r\n", Some("a"), "Unknown command FOO"),
        (b"a UID NOOP\r\n", Some("a"), "Unknown UID command NOOP"),
        (b"a NOOP extra\r\n", Some("a"), "end of command"),
        (b"a SELECT\r\n", Some("a"), "Missing argument: mailbox"),
        (b"a SELECT \r\n", Some("a"), "Missing argument: mailbox"),
        (b"a SELECT INBOX (FOO)\r\n", Some("a"), "Unknown select parameter FOO"),
        (b"a FETCH 0 FLAGS\r\n", Some("a"), "Invalid sequence set"),
        (b"a FETCH 1:0 FLAGS\r\n", Some("a"), "Invalid sequence set"),
        (b"a FETCH x FLAGS\r\n", Some("a"), "Invalid sequence set"),
        (b"a FETCH 1\r\n", Some("a"), "Missing argument: fetch attributes"),
        (b"a FETCH 1 (FLAGS\r\n", Some("a"), "Invalid fetch attribute list"),
        (b"a FETCH 1 FOO\r\n", Some("a"), "Unknown fetch attribute FOO"),
        (b"a FETCH 1 BODY[FOO]\r\n", Some("a"), "Invalid body section"),
        (b"a FETCH 1 BODY[MIME]\r\n", Some("a"), "Invalid body section"),
        (b"a FETCH 1 BODY[0]\r\n", Some("a"), "section part"),
        (b"a FETCH 1 BODY[]<1.0>\r\n", Some("a"), "partial length"),
        (b"a FETCH 1 (ALL)\r\n", Some("a"), "fetch attribute"),
        (b"a FETCH 1 FLAGS (VANISHED)\r\n", Some("a"), "VANISHED"),
        (b"a UID FETCH 1 FLAGS (VANISHED)\r\n", Some("a"), "VANISHED requires CHANGEDSINCE"),
        (b"a STORE 1 FLAGS.LOUD (\\Seen)\r\n", Some("a"), "Invalid store item"),
        (b"a STORE 1 +FLAGS\r\n", Some("a"), "Missing argument: flags"),
        (b"a STORE 1 +FLAGS (\\*)\r\n", Some("a"), "Invalid flag"),
        (b"a SEARCH\r\n", Some("a"), "Missing argument: search key"),
        (b"a SEARCH FOO\r\n", Some("a"), "Unknown search key FOO"),
        (b"a SEARCH SINCE 30-Feb-2000\r\n", Some("a"), "Invalid date"),
        (b"a SEARCH OR SEEN\r\n", Some("a"), "Missing argument: search key"),
        (b"a SEARCH (SEEN\r\n", Some("a"), "Invalid search key list"),
        (b"a SEARCH RETURN (FOO) ALL\r\n", Some("a"), "Unknown RETURN option FOO"),
        (b"a SEARCH LARGER 99999999999999999999\r\n", Some("a"), "Invalid size"),
        (b"a LOGIN user\r\n", Some("a"), "Missing argument: password"),
        (b"a LOGIN \"user pass\r\n", Some("a"), "Unterminated quoted string"),
        (b"a LOGIN {10}\r\nuser\r\n", Some("a"), "Literal data truncated"),
        (b"a LOGIN {4}\r\nu\0er p\r\n", Some("a"), "NUL"),
        (b"a APPEND INBOX \"1-Jan-2000\" {1}\r\nx\r\n", Some("a"), "Invalid date-time"),
        (b"a APPEND INBOX (\\Seen)\r\n", Some("a"), "Missing argument: message"),
        (b"a APPEND INBOX hello\r\n", Some("a"), "expected a literal"),
        (b"a APPEND INBOX CATENATE (TEXT {1}\r\nx)\r\n", Some("a"), "CATENATE"),
        (b"a LIST (RECURSIVEMATCH) \"\" %\r\n", Some("a"), "RECURSIVEMATCH"),
        (b"a LIST (FOO) \"\" %\r\n", Some("a"), "Unknown LIST selection option FOO"),
        (b"a LIST \"\" % RETURN (FOO)\r\n", Some("a"), "Unknown LIST RETURN option FOO"),
        (b"a LIST \"\" % FOO\r\n", Some("a"), "Expected RETURN"),
        (b"a STATUS INBOX ()\r\n", Some("a"), "status item"),
        (b"a STATUS INBOX (FOO)\r\n", Some("a"), "Unknown status item FOO"),
        (b"a CREATE x (USE (Sent))\r\n", Some("a"), "special-use"),
        (b"a ENABLE\r\n", Some("a"), "Missing argument: capability"),
        (b"a ID (\"a\")\r\n", Some("a"), "ID value"),
        (b"a  NOOP\r\n", Some("a"), "command"),
        (b"a COPY 1\r\n", Some("a"), "Missing argument: mailbox"),
        (b"a UID EXPUNGE\r\n", Some("a"), "Missing argument: UID set"),
        (b"a SELECT INBOX (QRESYNC (0 1))\r\n", Some("a"), "UIDVALIDITY"),
    ];
    for (input, tag, needle) in table {
        let e = err(input);
        assert_eq!(e.tag.as_deref(), *tag, "{:?}", String::from_utf8_lossy(input));
        assert!(
            e.message.contains(needle),
            "{:?}: message {:?} lacks {needle:?}",
            String::from_utf8_lossy(input),
            e.message
        );
        assert!(!e.message.contains('\r') && !e.message.contains('\n'));
    }
}

#[test]
fn inbox_stays_as_sent() {
    assert_eq!(
        ok("a SELECT iNbOx\r\n"),
        Command::Select { mailbox: b"iNbOx".to_vec(), params: SelectParams::default() }
    );
}

#[test]
fn quota_commands() {
    assert_eq!(ok("a GETQUOTA \"user/alice\"\r\n"), Command::GetQuota(b"user/alice".to_vec()));
    assert_eq!(ok("a GETQUOTAROOT INBOX\r\n"), Command::GetQuotaRoot(b"INBOX".to_vec()));
    assert_eq!(
        ok("a SETQUOTA \"user/alice\" (storage 512 MESSAGE 100)\r\n"),
        Command::SetQuota {
            root: b"user/alice".to_vec(),
            limits: vec![("STORAGE".into(), 512), ("MESSAGE".into(), 100)]
        }
    );
    assert_eq!(ok("a SETQUOTA \"\" ()\r\n"), Command::SetQuota { root: Vec::new(), limits: Vec::new() });
    for bad in [&b"a SETQUOTA x (STORAGE)\r\n"[..], b"a SETQUOTA x STORAGE 1\r\n", b"a GETQUOTA\r\n"] {
        assert_eq!(err(bad).tag.as_deref(), Some("a"));
    }
}

#[test]
fn sort_commands() {
    assert_eq!(
        ok("a UID SORT (REVERSE DATE subject) UTF-8 ALL\r\n"),
        Command::Sort {
            uid: true,
            ret: None,
            criteria: vec![
                SortCriterion { reverse: true, key: SortKey::Date },
                SortCriterion { reverse: false, key: SortKey::Subject }
            ],
            charset: "UTF-8".into(),
            search: SearchKey::All
        }
    );
    for bad in [
        &b"a SORT () UTF-8 ALL\r\n"[..],
        b"a SORT (BOGUS) UTF-8 ALL\r\n",
        b"a SORT (DATE) ALL\r\n",
        b"a SORT DATE UTF-8 ALL\r\n",
        b"a SORT RETURN (BOGUS) (DATE) UTF-8 ALL\r\n",
        b"a SORT RETURN (MIN) UTF-8 ALL\r\n",
        b"a CANCELUPDATE\r\n",
    ] {
        assert_eq!(err(bad).tag.as_deref(), Some("a"));
    }
}

#[test]
fn esort_and_contexts() {
    assert_eq!(
        ok("a SORT RETURN (MIN COUNT UPDATE) (SIZE) UTF-8 UNSEEN\r\n"),
        Command::Sort {
            uid: false,
            ret: Some(vec![SearchReturn::Min, SearchReturn::Count, SearchReturn::Update]),
            criteria: vec![SortCriterion { reverse: false, key: SortKey::Size }],
            charset: "UTF-8".into(),
            search: SearchKey::Unseen
        }
    );
    let Command::Search { ret, .. } = ok("a UID SEARCH RETURN (CONTEXT ALL) ALL\r\n") else {
        panic!("not a SEARCH")
    };
    assert_eq!(ret, Some(vec![SearchReturn::Context, SearchReturn::All]));
    assert_eq!(ok("a CANCELUPDATE \"B01\" b02\r\n"), Command::CancelUpdate(vec!["B01".into(), "b02".into()]));
}

#[test]
fn partial_ranges() {
    let ret = |input: &str| match ok(input) {
        Command::Search { ret, .. } | Command::Sort { ret, .. } => ret.unwrap(),
        other => panic!("{other:?}"),
    };
    let partial = |low, high, from_end| SearchReturn::Partial(PartialRange { low, high, from_end });
    assert_eq!(ret("a UID SEARCH RETURN (PARTIAL 1:100) ALL\r\n"), vec![partial(1, 100, false)]);
    assert_eq!(
        ret("a SEARCH RETURN (COUNT PARTIAL -100:-1) ALL\r\n"),
        vec![SearchReturn::Count, partial(1, 100, true)]
    );
    assert_eq!(ret("a SORT RETURN (PARTIAL 500:400) (DATE) UTF-8 ALL\r\n"), vec![partial(400, 500, false)]);
    for bad in [
        &b"a SEARCH RETURN (PARTIAL 1:100 ALL) ALL\r\n"[..],
        b"a SEARCH RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL\r\n",
        b"a SEARCH RETURN (PARTIAL -1:100) ALL\r\n",
        b"a SEARCH RETURN (PARTIAL 0:10) ALL\r\n",
        b"a SEARCH RETURN (PARTIAL 1:*) ALL\r\n",
        b"a SEARCH RETURN (PARTIAL) ALL\r\n",
    ] {
        assert_eq!(err(bad).tag.as_deref(), Some("a"));
    }
}

#[test]
fn fetch_partial_modifier() {
    let Command::Fetch { partial, changed_since, .. } =
        ok("a UID FETCH 1:* (UID FLAGS) (PARTIAL -1:-3 CHANGEDSINCE 5)\r\n")
    else {
        panic!("not a FETCH")
    };
    assert_eq!(partial, Some(PartialRange { low: 1, high: 3, from_end: true }));
    assert_eq!(changed_since, Some(5));
    for bad in [
        &b"a FETCH 1:* FLAGS (PARTIAL 1:2)\r\n"[..],
        b"a UID FETCH 1:* FLAGS (PARTIAL 1:2 PARTIAL 3:4)\r\n",
        b"a UID FETCH 1:* FLAGS (PARTIAL 1:-2)\r\n",
    ] {
        assert_eq!(err(bad).tag.as_deref(), Some("a"));
    }
    let range = |low, high, from_end| PartialRange { low, high, from_end };
    let items = [1, 2, 3, 4, 5];
    assert_eq!(range(2, 3, false).window(&items), &[2, 3]);
    assert_eq!(range(1, 2, true).window(&items), &[4, 5]);
    assert_eq!(range(4, 9, false).window(&items), &[4, 5]);
    assert_eq!(range(3, 9, true).window(&items), &[1, 2, 3]);
    assert!(range(6, 9, false).window(&items).is_empty());
    assert!(range(6, 9, true).window(&items).is_empty());
}

#[test]
fn thread_commands() {
    assert_eq!(
        ok("a UID THREAD references UTF-8 SINCE 1-Feb-1994\r\n"),
        Command::Thread {
            uid: true,
            algorithm: ThreadAlgorithm::References,
            charset: "UTF-8".into(),
            search: SearchKey::Since((1994, 2, 1))
        }
    );
    for (name, algorithm) in
        [("ORDEREDSUBJECT", ThreadAlgorithm::OrderedSubject), ("REFS", ThreadAlgorithm::Refs)]
    {
        let command = ok(&format!("a THREAD {name} us-ascii ALL\r\n"));
        assert_eq!(
            command,
            Command::Thread { uid: false, algorithm, charset: "US-ASCII".into(), search: SearchKey::All }
        );
    }
    for bad in [
        &b"a THREAD BOGUS UTF-8 ALL\r\n"[..],
        b"a THREAD REFERENCES ALL\r\n",
        b"a THREAD REFERENCES UTF-8\r\n",
        b"a THREAD (REFERENCES) UTF-8 ALL\r\n",
    ] {
        assert_eq!(err(bad).tag.as_deref(), Some("a"));
    }
}

#[test]
fn acl_commands() {
    assert_eq!(
        ok("a SETACL INBOX/Drafts \"group:helpdesk\" +lrs"),
        Command::SetAcl {
            mailbox: b"INBOX/Drafts".to_vec(),
            identifier: "group:helpdesk".into(),
            rights: "+lrs".into()
        }
    );
    assert_eq!(
        ok("a DELETEACL Shared/news -carol"),
        Command::DeleteAcl { mailbox: b"Shared/news".to_vec(), identifier: "-carol".into() }
    );
    assert_eq!(ok("a GETACL INBOX"), Command::GetAcl(b"INBOX".to_vec()));
    assert_eq!(ok("a MYRIGHTS \"Other Users/bob\""), Command::MyRights(b"Other Users/bob".to_vec()));
    assert_eq!(
        ok("a LISTRIGHTS x anyone"),
        Command::ListRights { mailbox: b"x".to_vec(), identifier: "anyone".into() }
    );
    assert!(parse_command(b"a SETACL INBOX bob").is_err());
}
