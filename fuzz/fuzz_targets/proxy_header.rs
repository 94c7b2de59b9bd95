//! Arbitrary bytes as the start of a connection behind a proxy: the PROXY header parser
//! never panics, never claims more octets than it was given, gives the same header for
//! exactly the octets it claimed, and asks for at least one more when incomplete.
#![no_main]

use bushbuck_proto::proxy::{parse, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Ok(Parsed::Complete { header, length }) => {
            assert!(length <= data.len());
            assert_eq!(parse(&data[..length]), Ok(Parsed::Complete { header, length }));
        }
        Ok(Parsed::Incomplete(more)) => assert!(more >= 1),
        Err(_) => {}
    }
});
