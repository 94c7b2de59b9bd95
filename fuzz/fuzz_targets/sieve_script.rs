//! Arbitrary bytes as a Sieve script: parsing and validation must never panic, and a
//! script that validates must run against a small message without panicking.
#![no_main]

use bushbuck_sieve::{evaluate, parse_script_bytes, Environment, Limits, MessageContext};
use libfuzzer_sys::fuzz_target;

const MSG: &[u8] =
    b"From: a@b.c\r\nTo: d+x@e.f\r\nSubject: hi\r\nDate: Tue, 1 Jan 2008 12:00:00 +0000\r\n\r\nbody\r\n";

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_script_size: 64 * 1024, ..Limits::default() };
    if let Ok(script) = parse_script_bytes(data, &limits) {
        let users = vec!["d@e.f".to_string()];
        let env = Environment::new(&users, 1_199_188_800, 60);
        let ctx = MessageContext::new(MSG, "a@b.c", "d@e.f");
        let _ = evaluate(&script, &ctx, &env, &limits);
    }
});
