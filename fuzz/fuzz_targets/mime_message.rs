//! Arbitrary bytes as a message: summarising, every section kind of the first parts,
//! BINARY, and the SEARCH text extractors must never panic.
#![no_main]

use bushbuck_mime::{
    binary, body_text, folded_body_text, header_text, header_values, html_to_text, section, summarize,
    SectionPart,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let summary = summarize(data);
    assert!(summary.header_len <= data.len());
    let fields = ["Subject".to_string()];
    for part in [&[][..], &[1], &[2], &[1, 1], &[2, 1, 3]] {
        for kind in [
            SectionPart::Full,
            SectionPart::Header,
            SectionPart::HeaderFields(&fields),
            SectionPart::HeaderFieldsNot(&fields),
            SectionPart::Text,
            SectionPart::Mime,
        ] {
            let _ = section(data, part, kind);
        }
        let _ = binary(data, part);
    }
    let _ = header_text(&data[..summary.header_len]);
    let _ = header_values(&data[..summary.header_len], "Subject");
    let _ = body_text(data);
    let _ = folded_body_text(data);
    let _ = html_to_text(&String::from_utf8_lossy(data));
});
