//! RFC 5228 core: control, tests, actions, implicit keep, comparators, match types.

mod common;
use common::*;

#[test]
fn section_2_10_implicit_keep() {
    check_table(&[
        ("empty script keeps", "", vec![keep()]),
        ("comment only", "# nothing\n/* at all */", vec![keep()]),
        ("explicit keep", "keep;", vec![keep()]),
        ("discard cancels", "discard;", vec![Action::Discard]),
        ("fileinto cancels", "require \"fileinto\"; fileinto \"A\";", vec![fileinto("A")]),
        ("redirect cancels", "redirect \"x@example.net\";", vec![redirect("x@example.net")]),
        (
            "fileinto :copy keeps",
            "require [\"fileinto\",\"copy\"]; fileinto :copy \"A\";",
            vec![Action::FileInto { mailbox: "A".into(), flags: vec![], copy: true, create: false }, keep()],
        ),
        (
            "redirect :copy keeps",
            "require \"copy\"; redirect :copy \"x@example.net\";",
            vec![Action::Redirect { address: "x@example.net".into(), copy: true }, keep()],
        ),
        ("stop keeps", "stop; discard;", vec![keep()]),
        (
            "duplicate fileinto merged",
            "require \"fileinto\"; fileinto \"A\"; fileinto \"A\"; fileinto \"B\";",
            vec![fileinto("A"), fileinto("B")],
        ),
        (
            "duplicate redirect merged",
            "redirect \"x@example.net\"; redirect \"x@EXAMPLE.net\";",
            vec![redirect("x@example.net")],
        ),
        ("keep twice", "keep; keep;", vec![keep()]),
        (
            "redirect to a name-addr (2.4.2.3)",
            "redirect \"Stephan Bosch <stephan@example.com>\";",
            vec![redirect("stephan@example.com")],
        ),
        (
            "redirect to a quoted name-addr",
            "redirect \"\\\"Bosch, Stephan\\\" <stephan@example.com>\";",
            vec![redirect("stephan@example.com")],
        ),
        (
            "redirect to a name-addr from a variable",
            "require \"variables\"; set \"a\" \"Stephan <stephan@example.com>\"; redirect \"${a}\";",
            vec![redirect("stephan@example.com")],
        ),
    ]);
}

#[test]
fn section_3_control() {
    check_table(&[
        ("if true", "if true { discard; }", vec![Action::Discard]),
        ("if false else", "if false { discard; } else { redirect \"a@b.c\"; }", vec![redirect("a@b.c")]),
        (
            "elsif chain",
            "if false { discard; } elsif true { redirect \"a@b.c\"; } elsif true { redirect \"d@e.f\"; } else { discard; }",
            vec![redirect("a@b.c")],
        ),
        ("nested", "if true { if not false { discard; stop; } } keep;", vec![Action::Discard]),
        ("require ok", "require [\"fileinto\"]; require \"envelope\"; keep;", vec![keep()]),
    ]);
}

#[test]
fn section_5_tests() {
    check_table(&[
        ("header is", "if header :is \"X-Spam-Score\" \"7\" { discard; }", vec![Action::Discard]),
        (
            "header default is casemap",
            "if header \"subject\" \"[ACME-USERS] [FWD] VERSION 1.0 IS OUT\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "header contains",
            "if header :contains [\"To\",\"Cc\"] \"lists.example\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "header matches",
            "if header :matches \"Subject\" \"*version ?.0*\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "header octet",
            "if header :comparator \"i;octet\" :contains \"Subject\" \"ACME\" { discard; }",
            vec![keep()],
        ),
        ("header absent", "if header :contains \"X-None\" \"\" { discard; }", vec![keep()]),
        ("header any of multiple", "if header :is \"X-Priority\" \"3\" { discard; }", vec![Action::Discard]),
        (
            "address all",
            "if address :is \"from\" \"alice+news@example.org\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "address localpart",
            "if address :localpart :is \"from\" \"alice+news\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "address domain",
            "if address :domain :is [\"to\"] \"EXAMPLE.COM\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "address second in list",
            "if address :is \"to\" \"carol@example.com\" { discard; }",
            vec![Action::Discard],
        ),
        ("address no match", "if address :is \"to\" \"dave@example.com\" { discard; }", vec![keep()]),
        (
            "envelope from",
            "require \"envelope\"; if envelope :domain \"from\" \"example.org\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "envelope to",
            "require \"envelope\"; if envelope :localpart :is \"to\" \"bob\" { discard; }",
            vec![Action::Discard],
        ),
        ("exists all", "if exists [\"From\",\"Date\"] { discard; }", vec![Action::Discard]),
        ("exists missing", "if exists [\"From\",\"X-Nope\"] { discard; }", vec![keep()]),
        ("size over", "if size :over 100 { discard; }", vec![Action::Discard]),
        ("size over K", "if size :over 1K { discard; }", vec![keep()]),
        ("size under", "if size :under 1M { discard; }", vec![Action::Discard]),
        (
            "allof",
            "if allof (true, header :contains \"subject\" \"acme\") { discard; }",
            vec![Action::Discard],
        ),
        ("allof false", "if allof (true, false) { discard; }", vec![keep()]),
        ("anyof", "if anyof (false, exists \"from\") { discard; }", vec![Action::Discard]),
        ("not", "if not exists \"x-nope\" { discard; }", vec![Action::Discard]),
        ("escaped star literal", "if header :matches \"subject\" \"*\\\\**\" { discard; }", vec![keep()]),
        (
            "multiline text string",
            "if header :contains \"subject\" text:\nacme\n.\n { discard; }",
            vec![keep()],
        ),
    ]);
}

#[test]
fn numeric_comparator() {
    check_table(&[
        (
            "ascii-numeric is",
            "require \"comparator-i;ascii-numeric\"; if header :comparator \"i;ascii-numeric\" :is \"x-spam-score\" \"007\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "relational value",
            "require [\"relational\",\"comparator-i;ascii-numeric\"]; if header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"5\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "relational value lt",
            "require [\"relational\",\"comparator-i;ascii-numeric\"]; if header :value \"lt\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"10\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "count",
            "require [\"relational\",\"comparator-i;ascii-numeric\"]; if address :count \"eq\" :comparator \"i;ascii-numeric\" \"to\" \"2\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "count headers",
            "require [\"relational\",\"comparator-i;ascii-numeric\"]; if header :count \"gt\" :comparator \"i;ascii-numeric\" \"x-priority\" \"1\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "count zero",
            "require [\"relational\",\"comparator-i;ascii-numeric\"]; if header :count \"eq\" :comparator \"i;ascii-numeric\" \"x-none\" \"0\" { discard; }",
            vec![Action::Discard],
        ),
        (
            "value ne casemap",
            "require \"relational\"; if header :value \"ne\" \"subject\" \"x\" { discard; }",
            vec![Action::Discard],
        ),
    ]);
}

#[test]
fn reject_and_ereject() {
    check_table(&[
        (
            "reject",
            "require \"reject\"; reject \"go away\";",
            vec![Action::Reject { reason: "go away".into(), ereject: false }],
        ),
        (
            "ereject",
            "require \"ereject\"; ereject \"no\";",
            vec![Action::Reject { reason: "no".into(), ereject: true }],
        ),
    ]);
    let out = run("require [\"reject\",\"fileinto\"]; fileinto \"A\"; reject \"x\";");
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.actions, vec![keep()]);
}

#[test]
fn redirect_invalid_address_is_runtime_error() {
    let out = run("require \"variables\"; set \"a\" \"not an address\"; redirect \"${a}\";");
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.actions, vec![keep()]);
}

#[test]
fn lf_only_message() {
    let msg = "From: a@b.c\nSubject: hi there\n\nbody\n";
    let out = run_with(
        "if header :is \"subject\" \"hi there\" { discard; }",
        msg,
        "a@b.c",
        "bob@example.com",
        &World::default(),
        &Limits::default(),
    );
    assert_eq!(out.actions, vec![Action::Discard]);
}
