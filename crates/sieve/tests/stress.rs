//! Stable stand-in for the fuzz target: mutated scripts never panic in parse or evaluate.

mod common;
use common::*;

const SEEDS: &[&str] = &[
    "require [\"fileinto\",\"variables\",\"imap4flags\",\"editheader\",\"date\",\"index\",\"relational\"];\nif header :matches \"subject\" \"[*] *\" { fileinto \"a.${1}\"; addflag \"\\\\Seen\"; }\nelsif date :index 1 :last :value \"ge\" \"date\" \"year\" \"2000\" { deleteheader :index 1 \"x\"; }\nelse { set :upper \"v\" \"${0}\"; keep :flags \"${v}\"; }",
    "require \"vacation\"; vacation :days 3 :subject \"x\" text:\nhi\n..\n.\n;",
    "if anyof (not exists \"a\", size :over 1K, address :domain :is \"from\" \"b.c\") { discard; stop; } /* c */ # c",
    "require [\"body\",\"encoded-character\"]; if body :content [\"text\", \"\"] :contains \"${hex:41}\" { redirect \"a@b.c\"; }",
];

#[test]
fn mutated_scripts_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b" \n\"\\{}[]();,:*?$#/.0123456789KMGabcdefghijklmnopqrstuvwxyz";
    let limits = Limits::default();
    let users = users();
    let env = Environment::new(&users, NOW, 0);
    let ctx = MessageContext::new(MSG.as_bytes(), "alice@example.org", "bob@example.com");
    for i in 0..3000 {
        let mut bytes = SEEDS[i % SEEDS.len()].as_bytes().to_vec();
        for _ in 0..(rnd() % 6 + 1) {
            let pos = (rnd() as usize) % (bytes.len() + 1);
            match rnd() % 3 {
                0 if pos < bytes.len() => {
                    bytes.remove(pos);
                }
                1 => bytes.insert(pos, alphabet[(rnd() as usize) % alphabet.len()]),
                _ if pos < bytes.len() => bytes[pos] = (rnd() % 256) as u8,
                _ => {}
            }
        }
        if let Ok(script) = parse_script_bytes(&bytes, &limits) {
            let out = evaluate(&script, &ctx, &env, &limits);
            let _ = apply_edits(MSG.as_bytes(), &out.edits);
        }
    }
}
