//! Arbitrary bytes as POP3 command lines, and as a message to byte-stuff (the stuffed form
//! must end with the terminator and never contain a bare line starting with a single dot).
#![no_main]

use bushbuck_proto::pop3;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|b| *b == b'\n') {
        let _ = pop3::parse_command(line);
    }
    let mut out = Vec::new();
    pop3::dot_stuff(data, &mut out);
    assert!(out.ends_with(b".\r\n"));
    // A client reads up to the first line that is a lone dot: only the terminator may be one,
    // so every earlier line that starts with a dot starts with two.
    let body = &out[..out.len() - 3];
    for line in body.split(|b| *b == b'\n') {
        assert!(!line.starts_with(b".") || line.starts_with(b".."), "unstuffed dot line {line:?}");
    }
});
