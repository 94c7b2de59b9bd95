//! Arbitrary bytes as a stream of ManageSieve commands: the parser must consume or refuse
//! every byte, never claim more than it was given, and never panic.
#![no_main]

use bushbuck_proto::managesieve::{parse_command, parse_string_line, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while !rest.is_empty() {
        match parse_command(rest, 1024) {
            Parsed::Done(_, used) | Parsed::Invalid(_, Some(used)) => {
                assert!(used > 0 && used <= rest.len());
                rest = &rest[used..];
            }
            Parsed::Incomplete | Parsed::Invalid(_, None) => break,
        }
    }
    let _ = parse_string_line(data, 1024);
});
