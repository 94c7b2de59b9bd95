//! Arbitrary bytes as LMTP command lines and DATA lines.
#![no_main]

use bushbuck_proto::lmtp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = lmtp::DataReader::new(4096);
    for line in data.split_inclusive(|b| *b == b'\n') {
        let _ = lmtp::parse_command(line);
        if reader.line(line) {
            break;
        }
    }
    let _ = reader.finish();
});
