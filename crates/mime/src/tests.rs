//! End-to-end tests on small hand-written messages.

use super::*;

const PLAIN: &[u8] = b"Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n\
From: John Doe <jdoe@machine.example>\r\n\
To: Mary Smith <mary@example.net>\r\n\
Subject: Saying Hello\r\n\
Message-ID: <1234@local.machine.example>\r\n\
\r\n\
This is a message just to say hello.\r\n\
So, \"Hello\".\r\n";

#[test]
fn plain_text() {
    let s = summarize(PLAIN);
    assert_eq!(
        s.envelope,
        "(\"Fri, 21 Nov 1997 09:55:06 -0600\" \"Saying Hello\" ((\"John Doe\" NIL \"jdoe\" \"machine.example\")) \
         ((\"John Doe\" NIL \"jdoe\" \"machine.example\")) ((\"John Doe\" NIL \"jdoe\" \"machine.example\")) \
         ((\"Mary Smith\" NIL \"mary\" \"example.net\")) NIL NIL NIL \"<1234@local.machine.example>\")"
    );
    assert_eq!(s.body, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 52 2)");
    assert_eq!(
        s.body_structure,
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 52 2 NIL NIL NIL NIL)"
    );
    assert_eq!(s.header_len, PLAIN.len() - 52);
    assert_eq!(s.sent_date, Some(880_127_706));
    assert_eq!(section(PLAIN, &[], SectionPart::Text).unwrap().len(), 52);
    assert_eq!(section(PLAIN, &[1], SectionPart::Full), section(PLAIN, &[], SectionPart::Text));
    assert_eq!(section(PLAIN, &[2], SectionPart::Full), None);
    let names = vec!["subject".to_string(), "FROM".to_string()];
    assert_eq!(
        section(PLAIN, &[], SectionPart::HeaderFields(&names)).unwrap(),
        b"From: John Doe <jdoe@machine.example>\r\nSubject: Saying Hello\r\n\r\n"
    );
    let none = vec!["X-Nope".to_string()];
    assert_eq!(section(PLAIN, &[], SectionPart::HeaderFields(&none)).unwrap(), b"\r\n");
    let not = section(PLAIN, &[], SectionPart::HeaderFieldsNot(&names)).unwrap();
    assert!(not.starts_with(b"Date:") && !not.windows(8).any(|w| w == b"Subject:"));
    assert_eq!(binary(PLAIN, &[1]).unwrap().len(), 52);
    assert_eq!(first_address_mailbox(PLAIN, "to").as_deref(), Some("mary"));
}

const ALT: &[u8] = b"From: a@b.c\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"XX\"\r\n\
\r\n\
preamble\r\n\
--XX\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
caf=C3=A9\r\n\
--XX\r\n\
Content-Type: text/html; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
PGI+6TwvYj4=\r\n\
--XX--\r\n\
epilogue\r\n";

#[test]
fn multipart_alternative() {
    let s = summarize(ALT);
    assert_eq!(
        s.body_structure,
        "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 9 0 NIL NIL NIL NIL)\
         (\"text\" \"html\" (\"charset\" \"iso-8859-1\") NIL NIL \"base64\" 12 0 NIL NIL NIL NIL) \
         \"alternative\" (\"boundary\" \"XX\") NIL NIL NIL)"
    );
    assert_eq!(
        s.body,
        "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 9 0)\
         (\"text\" \"html\" (\"charset\" \"iso-8859-1\") NIL NIL \"base64\" 12 0) \"alternative\")"
    );
    assert_eq!(section(ALT, &[1], SectionPart::Full).unwrap(), b"caf=C3=A9");
    assert_eq!(
        section(ALT, &[2], SectionPart::Mime).unwrap(),
        b"Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    );
    assert_eq!(binary(ALT, &[1]).unwrap(), "café".as_bytes());
    assert_eq!(binary(ALT, &[2]).unwrap(), b"<b>\xe9</b>");
    assert_eq!(binary(ALT, &[3]), Err(BinaryError::NoSuchPart));
    let text = body_text(ALT);
    assert!(text.contains("café") && text.contains("<b>é</b>"), "{text}");
    assert!(contains_folded(&text, "CAFÉ"));
    let folded = folded_body_text(ALT);
    // The HTML part is indexed as its visible text: `<b>é</b>` becomes `é`.
    assert_eq!(folded, fold(&text.replace("<b>é</b>", "é")));
    assert!(folded.contains(&fold("CAFÉ")) && !folded.contains("CAFÉ") && !folded.contains("<b>"));
}

const NESTED: &[u8] = b"From: x@y\n\
Subject: nested\n\
Content-Type: multipart/mixed; boundary=outer\n\
\n\
--outer\n\
Content-Type: text/plain\n\
\n\
hello\n\
--outer\n\
Content-Type: message/rfc822\n\
Content-Disposition: attachment; filename=\"m.eml\"\n\
\n\
From: \"Inner, Person\" <in@ner.example>\n\
Subject: inner\n\
Content-Type: multipart/mixed; boundary=inner\n\
\n\
--inner\n\
\n\
one\n\
--inner\n\
Content-Type: application/octet-stream; name*0=\"a\"; name*1=\"b.bin\"\n\
Content-Transfer-Encoding: x-unknown\n\
\n\
AAAA\n\
--inner--\n\
--outer--\n";

#[test]
fn nested_with_message_rfc822_lf_only() {
    let s = summarize(NESTED);
    // The inner message ends before the LF preceding "--outer--", but that LF also ends the
    // "--inner--" line and so stays in the epilogue (as in Dovecot).
    let inner_start = NESTED.windows(20).position(|w| w == b"From: \"Inner, Person").unwrap();
    let inner_msg_len = NESTED.len() - "--outer--\n".len() - inner_start;
    assert_eq!(
        s.body,
        format!(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)\
             (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" {inner_msg_len} \
             (NIL \"inner\" ((\"Inner, Person\" NIL \"in\" \"ner.example\")) ((\"Inner, Person\" NIL \"in\" \"ner.example\")) \
             ((\"Inner, Person\" NIL \"in\" \"ner.example\")) NIL NIL NIL NIL NIL) \
             ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0)\
             (\"application\" \"octet-stream\" (\"name\" \"ab.bin\") NIL NIL \"x-unknown\" 4) \"mixed\") 13) \"mixed\")"
        )
    );
    assert!(s.body_structure.contains("(\"attachment\" (\"filename\" \"m.eml\"))"));
    assert_eq!(section(NESTED, &[2, 1], SectionPart::Full).unwrap(), b"one");
    assert_eq!(section(NESTED, &[2, 2], SectionPart::Full).unwrap(), b"AAAA");
    assert!(section(NESTED, &[2], SectionPart::Header).unwrap().starts_with(b"From: \"Inner"));
    assert!(section(NESTED, &[2], SectionPart::Text).unwrap().starts_with(b"--inner\n"));
    let names = vec!["Subject".to_string()];
    assert_eq!(section(NESTED, &[2], SectionPart::HeaderFields(&names)).unwrap(), b"Subject: inner\r\n\r\n");
    assert_eq!(binary(NESTED, &[2, 2]), Err(BinaryError::UnknownEncoding));
    assert_eq!(section(NESTED, &[3], SectionPart::Full), None);
    assert_eq!(s.header_len, NESTED.windows(9).position(|w| w == b"--outer\nC").unwrap());
}

#[test]
fn encoded_words_and_8bit_headers() {
    let m = "Subject: =?utf-8?B?w6l0w6k=?= \"x\"\r\nFrom: Jörg <j@x.de>\r\n\r\nbody".as_bytes();
    let s = summarize(m);
    // ENVELOPE keeps the raw value; the quote forces a literal as in Dovecot.
    assert!(
        s.envelope.starts_with("(NIL {24}\r\n=?utf-8?B?w6l0w6k=?= \"x\" (({5}\r\nJörg NIL \"j\" \"x.de\"))"),
        "{}",
        s.envelope
    );
    assert_eq!(header_values(m, "subject"), vec!["été \"x\"".to_string()]);
    assert_eq!(
        first_header_values(
            b"Subject: a\r\nTo: b\r\nSUBJECT: c\r\nX: =?utf-8?q?d=C3=A9?=\r\n\r\n",
            &["subject", "x", "cc"]
        ),
        vec![Some("a".to_string()), Some("dé".to_string()), None]
    );
    assert!(header_text(m).contains("Subject: été"));
    let bad = b"Subject: caf\xe9\r\n\r\n";
    let s = summarize(bad);
    assert!(s.envelope.starts_with("(NIL {6}\r\ncaf\u{fffd}"), "{}", s.envelope);
}

#[test]
fn missing_headers() {
    let s = summarize(b"\r\nbody only");
    assert_eq!(s.envelope, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
    assert_eq!(s.header_len, 2);
    assert_eq!(s.body, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 0)");
    let s = summarize(b"");
    assert_eq!(s.header_len, 0);
    assert_eq!(s.sent_date, None);
    let s = summarize(b"Subject: no body");
    assert_eq!(s.header_len, 16);
    assert!(s.envelope.contains("\"no body\""));
    // Content-Transfer-Encoding alone without MIME-Version is ignored, like Dovecot.
    let s = summarize(b"Content-Transfer-Encoding: base64\n\nx\n");
    assert!(s.body.contains("\"7bit\" 2 1"), "{}", s.body);
    // group syntax and address without domain
    let s = summarize(b"To: undisclosed-recipients:;\nCc: root\n\n");
    assert!(s.envelope.contains("((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) ((NIL NIL \"root\" \"MISSING_DOMAIN\"))"), "{}", s.envelope);
}

#[test]
fn unclosed_boundary() {
    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\npart one\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>never closed";
    let s = summarize(m);
    assert_eq!(
        s.body,
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0)\
         (\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 0) \"mixed\")"
    );
    // no boundary line at all: an empty multipart
    let s = summarize(b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nnothing here\r\n");
    assert!(
        s.body
            .starts_with("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")"),
        "{}",
        s.body
    );
    // multipart without boundary parameter: also an empty multipart (never a "multipart"
    // leaf), its part 1 exists but is empty, as in Dovecot
    let m = b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n";
    let s = summarize(m);
    assert_eq!(
        s.body_structure,
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)"
    );
    assert_eq!(s.body, "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")");
    assert_eq!(section(m, &[1], SectionPart::Full), None);
    assert_eq!(section(m, &[1], SectionPart::Mime), None);
    assert_eq!(binary(m, &[1]), Ok(Vec::new()));
    assert_eq!(binary(m, &[2]), Err(BinaryError::NoSuchPart));
    // an unquoted boundary starting with '=' (invalid but common) still splits the parts
    let m = b"Content-Type: multipart/mixed; boundary==_b78_x\r\n\r\n--=_b78_x\r\n\r\none\r\n--=_b78_x\r\n\r\ntwo\r\n--=_b78_x--\r\n";
    let s = summarize(m);
    assert!(
        s.body_structure.ends_with(" \"mixed\" (\"boundary\" \"=_b78_x\") NIL NIL NIL)"),
        "{}",
        s.body_structure
    );
    assert_eq!(section(m, &[2], SectionPart::Full).unwrap(), b"two");
}

#[test]
fn deep_nesting_does_not_overflow() {
    let mut m = Vec::new();
    for i in 0..1000 {
        m.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes(),
        );
    }
    m.extend_from_slice(b"\r\ndeep\r\n");
    for i in (0..1000).rev() {
        m.extend_from_slice(format!("--b{i}--\r\n").as_bytes());
    }
    let s = summarize(&m);
    assert!(s.body_structure.len() > 100);
    assert!(body_text(&m).len() < m.len());
    let path = vec![1u32; 1000];
    let _ = section(&m, &path, SectionPart::Full);
    let _ = binary(&m, &path);

    let mut r = Vec::new();
    for _ in 0..1000 {
        r.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    }
    r.extend_from_slice(b"Subject: core\r\n\r\nx");
    let s = summarize(&r);
    assert!(s.body_structure.starts_with("(\"message\" \"rfc822\""));
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 8] = [
        b"\n\n\n",
        b"Content-Type: multipart/mixed; boundary=\"\r\n\r\n--\r\n",
        b"Content-Type: message/rfc822\r\n\r\n",
        b"From: <<<@@@>>>, \"unterminated\r\nTo: (comment\r\n\r\n",
        b"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: in digest\n\nbody\n--d--\n",
        b"Content-Type: text/plain; charset=*; name*0*=x; name*2=y\r\n\r\n=\r\n=4",
        b"--a\r\n--a--\r\n",
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\nx\r\n--a--\r\n--a--\r\n",
    ];
    for m in inputs {
        let s = summarize(m);
        assert!(s.header_len <= m.len());
        let _ = body_text(m);
        let _ = folded_body_text(m);
        for p in [&[][..], &[1], &[1, 1], &[2]] {
            for k in [SectionPart::Full, SectionPart::Header, SectionPart::Text, SectionPart::Mime] {
                let _ = section(m, p, k);
            }
            let _ = binary(m, p);
        }
    }
    let digest = summarize(inputs[4]);
    assert!(
        digest.body.starts_with("((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 24 (NIL \"in digest\""),
        "{}",
        digest.body
    );
}

/// An HTML-only message with comments, a script, quoted attributes and references, for
/// the mutation test.
const HTML: &[u8] = b"Content-Type: text/html; charset=utf-8\r\n\r\n\
<html><head><title>t</title><style>p{}</style></head><!-- c --><body>\
<p class=\"a>b\" id='x'>caf&eacute; &#233;&#xE9; &amp;</p><script>if (a<b) x();</script>\
<br/>Gr\xc3\xbc\xc3\x9fe<b>n</b></body></html>\r\n";

#[test]
fn html_parts_are_searched_as_text() {
    assert_eq!(folded_body_text(HTML), "café éé &\r\ngrüßen");
    assert!(body_text(HTML).contains("<title>t</title>"), "body_text keeps the markup");
}

#[test]
fn mutated_inputs_never_panic() {
    let seeds: [&[u8]; 4] = [PLAIN, ALT, NESTED, HTML];
    let alphabet = b"-\r\n:;=\"<>()@,\\ ?_Bb*0\xc3\xa9XO&#x!/'";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for round in 0..600 {
        let mut m = seeds[round % seeds.len()].to_vec();
        for _ in 0..(1 + next() % 8) {
            let pos = next() % (m.len() + 1);
            match next() % 3 {
                0 if pos < m.len() => m[pos] = alphabet[next() % alphabet.len()],
                1 if pos < m.len() => {
                    m.remove(pos);
                }
                _ => m.insert(pos, alphabet[next() % alphabet.len()]),
            }
        }
        let s = summarize(&m);
        assert!(s.header_len <= m.len());
        let _ = body_text(&m);
        let _ = folded_body_text(&m);
        let _ = header_text(&m);
        for p in [&[][..], &[1], &[2], &[2, 1], &[2, 2]] {
            let _ = section(&m, p, SectionPart::Full);
            let _ = section(&m, p, SectionPart::Text);
            let _ = binary(&m, p);
        }
        let _ = parse_date(&String::from_utf8_lossy(&m[..m.len().min(40)]));
        let _ = base_subject(&String::from_utf8_lossy(&m[..m.len().min(60)]));
    }
}

const TOP_RFC822: &[u8] = b"From: outer@x\r\n\
MIME-Version: 1.0\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: inner@y\r\n\
Content-Type: multipart/mixed; boundary=\"in\"\r\n\
\r\n\
--in\r\n\
Content-Type: text/plain\r\n\
\r\n\
one\r\n\
--in\r\n\
Content-Type: text/plain; name=a.txt\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment\r\n\
\r\n\
dHdvDQo=\r\n\
--in--\r\n";

#[test]
fn toplevel_message_rfc822_numbering() {
    let header_len = TOP_RFC822.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let (outer_header, inner) = TOP_RFC822.split_at(header_len);
    // 1 = the whole encapsulated message, 1.MIME = the outer header, 2 does not exist
    assert_eq!(section(TOP_RFC822, &[1], SectionPart::Full).unwrap(), inner);
    assert_eq!(section(TOP_RFC822, &[1], SectionPart::Mime).unwrap(), outer_header);
    assert_eq!(section(TOP_RFC822, &[2], SectionPart::Full), None);
    assert_eq!(section(TOP_RFC822, &[1, 1], SectionPart::Full).unwrap(), b"one");
    assert_eq!(section(TOP_RFC822, &[1, 2], SectionPart::Full).unwrap(), b"dHdvDQo=");
    assert_eq!(
        section(TOP_RFC822, &[1], SectionPart::Header).unwrap(),
        b"From: inner@y\r\nContent-Type: multipart/mixed; boundary=\"in\"\r\n\r\n"
    );
    assert_eq!(binary(TOP_RFC822, &[2]), Err(BinaryError::NoSuchPart));
    assert_eq!(binary(TOP_RFC822, &[1, 2]).unwrap(), b"two\r\n");
    // BINARY of the message/rfc822 part decodes the base64 part inside it and moves its
    // Content-Transfer-Encoding to the end of its header as "binary", like Dovecot
    let bin = binary(TOP_RFC822, &[1]).unwrap();
    let expected = String::from_utf8_lossy(inner).replace(
        "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\ndHdvDQo=",
        "Content-Disposition: attachment\r\nContent-Transfer-Encoding: binary\r\n\r\ntwo\r\n",
    );
    assert_eq!(String::from_utf8(bin).unwrap(), expected);
    // an unknown encoding inside makes the whole conversion fail
    let bad = String::from_utf8_lossy(TOP_RFC822).replace("base64", "x-uue");
    assert_eq!(binary(bad.as_bytes(), &[1]), Err(BinaryError::UnknownEncoding));
    // nested message/rfc822 parts keep their numbering
    assert_eq!(section(NESTED, &[2, 1], SectionPart::Full).unwrap(), b"one");
}

#[test]
fn duplicated_address_fields_are_merged() {
    let m = b"Date: first\r\nDate: second\r\nFrom: A <a@x>\r\nFrom: B <b@x>\r\nSubject: one\r\n\
Subject: two\r\nTo: c@x\r\nTo: d@x, e@x\r\nCc: f@x\r\nCc:\r\n\r\n";
    let s = summarize(m);
    assert_eq!(
        s.envelope,
        "(\"second\" \"two\" ((\"A\" NIL \"a\" \"x\")(\"B\" NIL \"b\" \"x\")) \
         ((\"A\" NIL \"a\" \"x\")(\"B\" NIL \"b\" \"x\")) ((\"A\" NIL \"a\" \"x\")(\"B\" NIL \"b\" \"x\")) \
         ((NIL NIL \"c\" \"x\")(NIL NIL \"d\" \"x\")(NIL NIL \"e\" \"x\")) ((NIL NIL \"f\" \"x\")) NIL NIL NIL)"
    );
    let s = summarize(b"To: a@b, , c@d\r\n\r\n");
    assert!(
        s.envelope.contains(
            "((NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"c\" \"d\"))"
        ),
        "{}",
        s.envelope
    );
}

#[test]
fn parameter_names_keep_their_case() {
    let m = b"MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
Content-Disposition: ATTACHMENT; FILENAME=\"UPPER.TXT\"\r\n\r\nx\r\n";
    assert_eq!(
        summarize(m).body_structure,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7bit\" 3 1 NIL \
         (\"ATTACHMENT\" (\"FILENAME\" \"UPPER.TXT\")) NIL NIL)"
    );
    // the default charset added when absent stays lowercase
    let m = b"Content-Type: text/plain; Format=flowed\r\n\r\nx";
    assert!(summarize(m)
        .body
        .starts_with("(\"text\" \"plain\" (\"Format\" \"flowed\" \"charset\" \"us-ascii\")"));
    // lookups stay case-insensitive
    let m = b"Content-Type: text/plain; CHARSET=iso-8859-1\r\n\r\ncaf\xe9";
    assert_eq!(body_text(m), "café");
}

#[test]
fn header_fields_not_of_a_header_only_message() {
    let m = b"Subject: s\r\nReceived: r\r\nTo: t@x\r\n";
    let names = vec!["Received".to_string()];
    assert_eq!(section(m, &[], SectionPart::HeaderFieldsNot(&names)).unwrap(), b"Subject: s\r\nTo: t@x\r\n");
    // HEADER.FIELDS still adds the blank line, and a header with one keeps it
    assert_eq!(section(m, &[], SectionPart::HeaderFields(&names)).unwrap(), b"Received: r\r\n\r\n");
    let m = b"Subject: s\r\nReceived: r\r\n\r\n";
    assert_eq!(section(m, &[], SectionPart::HeaderFieldsNot(&names)).unwrap(), b"Subject: s\r\n\r\n");
}

#[test]
fn unknown_transfer_encoding_is_not_searched() {
    let m = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nalpha\r\n";
    assert_eq!(body_text(m), "");
    let m = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nalpha\r\n";
    assert_eq!(body_text(m), "alpha\r\n");
}

#[test]
fn header_prefilter_never_hides_a_match() {
    let headers: [&[u8]; 6] = [
        b"Subject: Quarterly report\r\nFrom: a@b\r\n\r\n",
        b"Subject: quar\r\n terly\r\n\r\n",
        b"Subject: =?utf-8?q?Quarterly?=\r\n\r\n",
        b"Subject: =?utf-8?b?UXVhcnRlcmx5?=\r\n\r\n",
        b"Subject: quar\rterly\r\n\r\n",
        "Subject: QUARTERLY \u{212a}elvin\r\n\r\n".as_bytes(),
    ];
    let needles = ["quarterly", "QUARTERLY", "kelvin", "quar terly", "report", "nothing", "terly"];
    for header in headers {
        for needle in needles {
            let found = header_values(header, "Subject").iter().any(|v| contains_folded(v, needle));
            if found {
                assert!(
                    header_may_contain(header, needle),
                    "{needle:?} in {:?}",
                    String::from_utf8_lossy(header)
                );
            }
        }
    }
    // Plain blocks without the word in any case are ruled out without parsing.
    assert!(!header_may_contain(b"Subject: Quarterly report\r\nFrom: a@b\r\n\r\n", "nothing"));
    assert!(header_may_contain(b"Subject: Quarterly report\r\n\r\n", "QUARTERLY"));
    assert!(!header_may_contain(b"Subject: quar\r\n terly\r\n\r\n", "quarterly"));
}

#[test]
fn a_part_holding_nul_is_base64_in_body_and_raw_in_binary() {
    let msg =
        b"From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n\
--X\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
--X\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\nhel\0lo\r\n\
--X--\r\n";
    assert_eq!(section(msg, &[1], SectionPart::Full).unwrap(), b"hello");
    assert_eq!(section(msg, &[2], SectionPart::Full).unwrap(), b"aGVsAGxv\r\n");
    assert_eq!(binary(msg, &[2]).unwrap(), b"hel\0lo");
    let single = b"Subject: x\r\nContent-Transfer-Encoding: binary\r\n\r\n\0\0\0";
    assert_eq!(section(single, &[], SectionPart::Text).unwrap(), b"AAAA\r\n");
    assert_eq!(section(single, &[1], SectionPart::Full).unwrap(), b"AAAA\r\n");
}

const BOUNCE: &[u8] = b"From: MAILER-DAEMON@example.org\r\nSubject: Undelivered\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n\
--R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
--R\r\nContent-Type: message/rfc822\r\n\r\n\
From: Someone <someone@python.org>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nOriginal words\r\n\
--R--\r\n";

#[test]
fn search_text_includes_the_header_lines_of_embedded_messages() {
    // As Dovecot: the header of a message/rfc822 part is text of the enclosing body.
    let folded = folded_body_text(BOUNCE);
    assert!(folded.contains("could not be delivered"), "{folded}");
    assert!(folded.contains("from: someone <someone@python.org>"), "{folded}");
    assert!(folded.contains("subject: grüße"), "{folded}");
    assert!(folded.contains("original words"), "{folded}");
    // SEARCH BODY leaves the embedded header lines out, as Dovecot does.
    let body = crate::without_embedded_headers(&folded);
    assert!(!body.contains("python.org") && body.contains("original words"), "{body}");
    // Sieve's body :text takes text parts only.
    assert!(!body_text(BOUNCE).contains("python.org"));
}
