//! Lexer, parser and validator errors with their line and column.

use bushbuck_sieve::{parse_script, parse_script_bytes, Limits, ParseError};

fn err(src: &str) -> ParseError {
    match parse_script(src, &Limits::default()) {
        Ok(_) => panic!("expected an error for {src:?}"),
        Err(e) => e,
    }
}

#[test]
fn positions_and_messages() {
    let rows: &[(&str, usize, usize, &str)] = &[
        ("keep", 1, 5, "expected ';' after command"),
        ("require \"fileinto\";\n\nif true { keep }", 3, 16, "expected ';' after command"),
        ("if true {\n  keep;\n", 3, 1, "expected '}' before end of script"),
        ("keep;\n  \"x\";", 2, 3, "expected command"),
        ("/* open\ncomment", 1, 1, "unterminated comment"),
        ("redirect \"a@b.c;", 1, 10, "unterminated string"),
        ("if header :is [\"a\" \"b\"] \"c\" { }", 1, 20, "expected ',' or ']' in string list"),
        ("if anyof (true; false) { }", 1, 15, "expected ',' or ')' in test list"),
        ("if anyof (true false) { }", 1, 11, "test 'true' takes no nested tests"),
        ("keep;\nfoo;", 2, 1, "unknown command 'foo'"),
        ("if bar { }", 1, 4, "unknown test 'bar'"),
        ("fileinto \"a\";", 1, 1, "command 'fileinto' requires \"fileinto\" in require"),
        ("require \"fileinto\";\nfileinto :copy \"a\";", 2, 10, ":copy requires \"copy\" in require"),
        ("require \"regex\";", 1, 1, "extension \"regex\" is not supported by this implementation"),
        ("require \"foo\";", 1, 1, "unsupported extension \"foo\""),
        ("keep;\nrequire \"fileinto\";", 2, 1, "require must come before other commands"),
        ("if header :regex \"a\" \"b\" { }", 1, 11, ":regex is not supported by this implementation"),
        ("if header :is :contains \"a\" \"b\" { }", 1, 15, "only one match type may be given"),
        ("if header :comparator \"i;foo\" \"a\" \"b\" { }", 1, 11, "unsupported comparator \"i;foo\""),
        (
            "require \"comparator-i;ascii-numeric\";\nif header :contains :comparator \"i;ascii-numeric\" \"a\" \"b\" { }",
            2,
            4,
            "comparator \"i;ascii-numeric\" does not support substring matching",
        ),
        ("if header :value \"gt\" \"a\" \"b\" { }", 1, 11, ":value requires \"relational\" in require"),
        ("else { }", 1, 1, "'else' without a preceding 'if'"),
        ("if true { } keep; elsif true { }", 1, 19, "'elsif' without a preceding 'if'"),
        ("if true keep;", 1, 4, "test 'true' takes no nested tests"),
        ("discard\nkeep;", 2, 1, "expected ';' after command"),
        ("keep 12;", 1, 6, "keep: unexpected extra argument"),
        ("redirect;", 1, 1, "redirect: expected address (a string)"),
        ("if size 10 { }", 1, 4, "size: expected :over or :under"),
        ("if address :user \"to\" \"a\" { }", 1, 12, ":user requires \"subaddress\" in require"),
        ("require \"variables\"; set \"1bad\" \"x\";", 1, 22, "invalid variable name \"1bad\""),
        ("require \"variables\"; set :lower :upper \"a\" \"x\";", 1, 33, "set: modifier :upper conflicts with another of the same precedence"),
        ("require \"date\"; if date \"date\" \"fortnight\" \"x\" { }", 1, 20, "unknown date part \"fortnight\""),
        ("require \"date\"; if currentdate :zone \"CET\" \"year\" \"x\" { }", 1, 32, "invalid zone \"CET\""),
        ("require \"editheader\"; addheader \"Bad Name\" \"x\";", 1, 23, "addheader: invalid field name \"Bad Name\""),
        ("keep :flags \"x\";", 1, 6, ":flags requires \"imap4flags\" in require"),
        ("if header \"a\" text: x\nfoo\n.\n { }", 1, 15, "expected newline after 'text:'"),
        ("redirect text:\nno end", 1, 10, "unterminated multi-line string"),
        ("if size :over 99999999999999999999 { }", 1, 15, "number too large"),
        ("if size :over 10X { }", 1, 15, "invalid number"),
        ("keep; @", 1, 7, "unexpected character '@'"),
        (
            "require [\"encoded-character\",\"fileinto\"];\nfileinto \"x${unicode:200000}\";",
            2,
            10,
            "${unicode:200000} is not a Unicode scalar value (0-D7FF or E000-10FFFF)",
        ),
        (
            "require [\"encoded-character\",\"fileinto\"];\nfileinto \"${Unicode:DF01}\";",
            2,
            10,
            "${unicode:DF01} is not a Unicode scalar value (0-D7FF or E000-10FFFF)",
        ),
        (
            "require \"variables\"; set \"namespace.frop\" \"x\";",
            1,
            22,
            "variable \"namespace.frop\": namespace \"namespace\" is not supported",
        ),
        (
            "require [\"variables\",\"fileinto\"]; fileinto \"${complex.struct.frop}\";",
            1,
            44,
            "variable \"complex.struct.frop\": namespace \"complex\" is not supported",
        ),
        (
            "require \"variables\"; set \"global.x\" \"y\";",
            1,
            22,
            "variable \"global.x\": namespace \"global\" is not supported",
        ),
        (
            "require [\"editheader\",\"encoded-character\"]; addheader \"X-Frop\" \"a${hex:00}b\";",
            1,
            45,
            "addheader: the value contains a NUL character",
        ),
        ("if address \"from:\" \"a@b.c\" { }", 1, 4, "address: invalid header name \"from:\""),
        ("if header :is [\"To\", \"Sub ject\"] \"x\" { }", 1, 4, "header: invalid header name \"Sub ject\""),
    ];
    for (src, line, column, message) in rows {
        let e = err(src);
        assert_eq!((e.line, e.column, e.message.as_str()), (*line, *column, *message), "script {src:?}");
    }
}

#[test]
fn display_format() {
    let e = err("require \"fileinto\";\n\nif true { keep }");
    assert_eq!(e.to_string(), "line 3, column 16: expected ';' after command");
}

#[test]
fn multiline_strings_and_comments_parse() {
    let src = "# comment\r\nrequire [\"vacation\"]; /* block\n comment */\nvacation text: # trailing\r\nline one\r\n..dotted\r\n.\r\n;\n";
    let s = parse_script(src, &Limits::default()).unwrap();
    let bushbuck_sieve::program::CmdKind::Vacation(v) = &s.commands[0].kind else { panic!() };
    assert_eq!(v.reason, "line one\r\n.dotted\r\n");
}

#[test]
fn invalid_utf8_position() {
    let e = parse_script_bytes(b"keep;\n  \"\xff\";", &Limits::default()).unwrap_err();
    assert_eq!((e.line, e.column), (2, 4));
}

#[test]
fn deep_nesting_refused() {
    let src = "if ".to_string() + &"not ".repeat(500) + "true { }";
    assert_eq!(err(&src).message, "nesting too deep");
    let src = "if true {".repeat(200) + &"}".repeat(200);
    assert_eq!(err(&src).message, "nesting too deep");
}
