//! Stable-toolchain stand-in for the cargo-fuzz target: a few hundred thousand seeded,
//! deterministic pseudo-random and mutated inputs through the framer, the command parser and
//! the modified UTF-7 decoder. Nothing may panic; accepted mUTF-7 must be canonical.

use bushbuck_proto::imap::framer::{FrameEvent, Framer, FramerConfig};
use bushbuck_proto::imap::{mutf7, parser, response, sequence};

/// xorshift64*: small, deterministic, good enough for mutation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&[u8]] = &[
    b"a LOGIN {4}\r\nuser {4+}\r\npass\r\n",
    b"a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541 (1,3 5,7)))\r\n",
    b"a UID FETCH 1:*,$ (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From \"Subject\")]<0.100> BINARY[1]<2.3> BINARY.SIZE[2]) (CHANGEDSINCE 5 VANISHED)\r\n",
    b"a FETCH 1 FULL\r\n",
    b"a UID SEARCH RETURN (MIN MAX COUNT SAVE) CHARSET UTF-8 OR (FROM x SINCE 1-Feb-1994) NOT (UID 1:5 MODSEQ \"/flags/\\\\draft\" all 7) HEADER X-A {3}\r\nabc 1:*\r\n",
    b"a STORE 1:3 (UNCHANGEDSINCE 7) +FLAGS.SILENT (\\Seen $Junk)\r\n",
    b"a APPEND INBOX (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {5}\r\nhello ~{3}\r\n\0\0\0\r\n",
    b"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\" %) RETURN (CHILDREN STATUS (MESSAGES SIZE))\r\n",
    b"a CREATE x (USE (\\Sent))\r\n",
    b"a ID (\"name\" \"x\" \"v\" NIL)\r\n",
    b"a AUTHENTICATE PLAIN AGZvbwBiYXI=\r\n",
    b"a STATUS &AOk- (UIDNEXT MESSAGES HIGHESTMODSEQ)\r\n",
    b"a ENABLE QRESYNC UTF8=ACCEPT\r\n",
    b"a UID EXPUNGE 3:5\r\nb IDLE\r\nDONE\r\n",
    b"a SEARCH ((((((((NOT OR SEEN DELETED))))))))\r\n",
];

const TOKENS: &[&[u8]] = &[
    b" ",
    b"(",
    b")",
    b"[",
    b"]",
    b"<",
    b">",
    b".",
    b"{",
    b"}",
    b"{3}\r\n",
    b"{0+}\r\n",
    b"~{2}\r\n",
    b"\r\n",
    b"\n",
    b"\"",
    b"\\",
    b"*",
    b"$",
    b":",
    b",",
    b"0",
    b"4294967296",
    b"99999999999999999999",
    b"NIL",
    b"UID ",
    b"NOT ",
    b"OR ",
    b"BODY[",
    b"HEADER.FIELDS (",
    b"RETURN (",
    b"&",
    b"&-",
    b"-",
    b"\0",
    b"\xff",
    b"INBOX",
    b"FLAGS",
    b"+FLAGS",
    b"1:*",
    b"29-Feb-2000",
    b"MODSEQ ",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(len + 1);
                input.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(16)).min(len);
                input.drain(a..b);
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(32)).min(len);
                let piece = input[a..b].to_vec();
                let i = rng.below(len + 1);
                input.splice(i..i, piece);
            }
            5 if len > 0 => input.truncate(rng.below(len)),
            _ => {
                let other = SEEDS[rng.below(SEEDS.len())];
                let i = rng.below(len + 1);
                input.splice(i.., other.iter().copied());
            }
        }
    }
    input.truncate(2048);
}

fn exercise(rng: &mut Rng, input: &[u8]) {
    let mut framer = Framer::with_config(FramerConfig { max_line: 256, max_literal: 512, max_command: 4096 });
    let mut pos = 0;
    while pos < input.len() {
        let n = (1 + rng.below(24)).min(input.len() - pos);
        framer.push(&input[pos..pos + n]);
        pos += n;
        while let Some(event) = framer.next_event() {
            if let FrameEvent::Command(cmd) = event {
                if let Err(e) = parser::parse_command(&cmd) {
                    assert!(!e.message.contains('\n') && !e.message.contains('\r'));
                }
            }
        }
        if rng.below(50) == 0 {
            let _ = framer.next_line();
        }
    }
    let _ = parser::parse_command(input);
    if let Some(set) = sequence::parse_sequence_set(input) {
        let largest = rng.next() as u32 % 1000;
        let _ = set.resolve(largest);
        let _ = set.max_value(largest);
    }
    if let Ok(name) = mutf7::decode(input) {
        assert_eq!(mutf7::encode(&name).as_bytes(), input, "non-canonical mUTF-7 accepted");
    }
    let _ = response::astring(input);
}

#[test]
fn no_panics_on_mutated_commands() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut input = Vec::new();
    for i in 0..250_000 {
        if i % 8 == 0 {
            input = SEEDS[rng.below(SEEDS.len())].to_vec();
        }
        mutate(&mut rng, &mut input);
        exercise(&mut rng, &input);
    }
}

#[test]
fn no_panics_on_random_bytes() {
    let mut rng = Rng(42);
    const ALPHABET: &[u8] = b"aA0&-+,/(){}[]<>\" \\*%$:.~\r\n\0\xc3\xa9";
    for _ in 0..100_000 {
        let len = rng.below(64);
        let input: Vec<u8> = (0..len)
            .map(|_| if rng.below(4) == 0 { rng.next() as u8 } else { ALPHABET[rng.below(ALPHABET.len())] })
            .collect();
        exercise(&mut rng, &input);
        let mut tagged = b"a ".to_vec();
        tagged.extend_from_slice(&input);
        let _ = parser::parse_command(&tagged);
    }
}

#[test]
fn mutf7_round_trips_random_text() {
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let len = rng.below(12);
        let s: String = (0..len)
            .filter_map(|_| match rng.below(4) {
                0 => char::from_u32(0x20 + rng.below(0x5f) as u32),
                1 => Some('&'),
                2 => char::from_u32(0x80 + rng.below(0x800) as u32),
                _ => char::from_u32(rng.below(0x11_0000) as u32),
            })
            .collect();
        let enc = mutf7::encode(&s);
        assert_eq!(mutf7::decode(enc.as_bytes()).unwrap(), s);
    }
}
