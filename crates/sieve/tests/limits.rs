//! Resource limits: redirects, actions, script size, variable size, includes.

mod common;
use common::*;

#[test]
fn too_many_redirects_is_error_and_implicit_keep() {
    let script = "redirect \"a@x.org\"; redirect \"b@x.org\"; redirect \"c@x.org\"; redirect \"d@x.org\"; redirect \"e@x.org\";";
    let out = run(script);
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.contains("too many redirects"), "{:?}", out.errors);
    assert_eq!(out.actions, vec![keep()]);
    // four are fine, and duplicates do not count
    let out = run("redirect \"a@x.org\"; redirect \"b@x.org\"; redirect \"c@x.org\"; redirect \"d@x.org\"; redirect \"a@x.org\";");
    assert!(out.errors.is_empty());
    assert_eq!(out.actions.len(), 4);
    let limits = Limits { max_redirects: 1, ..Limits::default() };
    let out = run_with(
        "redirect \"a@x.org\"; redirect \"b@x.org\";",
        MSG,
        "",
        "bob@example.com",
        &World::default(),
        &limits,
    );
    assert_eq!(out.actions, vec![keep()]);
}

#[test]
fn too_many_actions() {
    let limits = Limits { max_actions: 3, ..Limits::default() };
    let s = "require \"fileinto\"; fileinto \"a\"; fileinto \"b\"; fileinto \"c\"; fileinto \"d\";";
    let out = run_with(s, MSG, "", "bob@example.com", &World::default(), &limits);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.actions, vec![keep()]);
}

#[test]
fn script_size_refused_at_parse() {
    let limits = Limits { max_script_size: 10, ..Limits::default() };
    let e = parse_script("keep; keep; keep;", &limits).unwrap_err();
    assert_eq!((e.line, e.column), (1, 1));
    assert!(e.message.contains("over the limit"));
    assert!(parse_script("keep;", &limits).is_ok());
}

#[test]
fn variable_size_truncated() {
    let limits = Limits { max_variable_size: 5, ..Limits::default() };
    let out = run_with(
        "require [\"variables\",\"fileinto\"]; set \"a\" \"0123456789\"; fileinto \"${a}\";",
        MSG,
        "",
        "bob@example.com",
        &World::default(),
        &limits,
    );
    assert_eq!(out.actions, vec![fileinto("01234")]);
}

#[test]
fn include_depth_and_count() {
    let mut w = World::default();
    for i in 0..10 {
        w.scripts.insert(
            (Location::Personal, format!("s{i}")),
            format!("require \"include\"; include \"s{}\";", i + 1),
        );
    }
    w.scripts.insert((Location::Personal, "s10".into()), "discard;".into());
    let out =
        run_with("require \"include\"; include \"s0\";", MSG, "", "bob@example.com", &w, &Limits::default());
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.contains("nested deeper"));
    let limits = Limits { max_include_depth: 20, ..Limits::default() };
    let out = run_with("require \"include\"; include \"s0\";", MSG, "", "bob@example.com", &w, &limits);
    assert_eq!(out.actions, vec![Action::Discard]);
    let limits = Limits { max_includes: 3, max_include_depth: 20, ..Limits::default() };
    let out = run_with("require \"include\"; include \"s0\";", MSG, "", "bob@example.com", &w, &limits);
    assert_eq!(out.actions, vec![keep()]);
}

#[test]
fn hostile_matches_pattern_terminates() {
    let msg = format!("Subject: {}\r\n\r\n", "a".repeat(2000));
    let out = run_with(
        "if header :matches \"subject\" \"*a*a*a*a*a*a*a*a*b\" { discard; }",
        &msg,
        "",
        "bob@example.com",
        &World::default(),
        &Limits::default(),
    );
    assert_eq!(out.actions, vec![keep()]);
}
