//! Arbitrary bytes through the IMAP framer and command parser, plus the modified UTF-7
//! decoder (whose accepted inputs must be canonical: they re-encode to themselves).
#![no_main]

use bushbuck_proto::imap::framer::{FrameEvent, Framer, FramerConfig};
use bushbuck_proto::imap::{mutf7, parser, sequence};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the chunk size, so literals and line ends split across pushes.
    let (chunk, input) = match data.split_first() {
        Some((&c, rest)) => (usize::from(c % 16) + 1, rest),
        None => return,
    };
    let mut framer = Framer::with_config(FramerConfig { max_line: 256, max_literal: 512, max_command: 4096 });
    for piece in input.chunks(chunk) {
        framer.push(piece);
        while let Some(event) = framer.next_event() {
            if let FrameEvent::Command(cmd) = event {
                if let Err(e) = parser::parse_command(&cmd) {
                    assert!(!e.message.contains('\n'));
                }
            }
        }
        let _ = framer.next_line();
    }
    let _ = parser::parse_command(input);
    let _ = sequence::parse_sequence_set(input);
    if let Ok(name) = mutf7::decode(input) {
        assert_eq!(mutf7::encode(&name).as_bytes(), input);
    }
});
