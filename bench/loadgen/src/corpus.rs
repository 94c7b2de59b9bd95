//! A reproducible message corpus: message `i` of seed `s` is always the same bytes.
//!
//! Shapes (by share): text/plain 40 %, multipart/alternative (text + HTML) 35 %,
//! multipart/mixed with a text part and a base64 attachment 25 %. Sizes are log-uniform
//! between 2 and 50 KiB (mean about 15 KiB), lines are CRLF and at most 76 octets.
//!
//! Search words: [`SUBJECT_WORD`] is in the Subject of about 1 message in 50,
//! [`BODY_WORD`] in the text of about 1 message in 100.

/// Word put in the Subject of every 50th message (by hash), for `UID SEARCH HEADER Subject`.
pub const SUBJECT_WORD: &str = "quarterly";
/// Word put in the body text of about 1 % of messages, for `SEARCH BODY`.
pub const BODY_WORD: &str = "zanzibar";

/// SplitMix64: small, seedable, good enough for a corpus.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
    "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you",
    "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will",
    "would", "who", "so", "no", "meeting", "project", "report", "budget", "review", "schedule", "server",
    "mailbox", "release", "customer", "invoice", "contract", "deadline", "update", "draft", "proposal",
    "agenda", "minutes", "travel", "office", "network", "storage", "backup", "security", "policy",
    "question", "answer", "thanks", "please", "attached", "document", "version", "change", "request", "team",
    "status", "issue", "ticket", "support", "order", "payment", "delivery", "weekly", "monthly", "summary",
    "notes", "lunch", "coffee", "friday", "monday", "morning",
];

const NAMES: &[&str] = &[
    "Alice Martin",
    "Bob Keller",
    "Carol Nguyen",
    "Dan Okafor",
    "Eve Laurent",
    "Frank Ito",
    "Grace Silva",
    "Heidi Novak",
    "Ivan Petrov",
    "Judy Brennan",
    "Mallory Quinn",
    "Oscar Diaz",
    "Peggy Olsen",
    "Rupert Hale",
    "Sybil Moreau",
    "Trent Walsh",
    "Victor Haas",
    "Wendy Park",
];

const DAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn address(name: &str) -> String {
    let local: String = name.to_lowercase().replace(' ', ".");
    format!("{name} <{local}@example.org>")
}

/// Text lines of roughly `bytes` octets, wrapped at 72 columns.
fn paragraph_text(rng: &mut Rng, bytes: usize, with_body_word: bool, out: &mut String) {
    let start = out.len();
    let mut col = 0;
    let mut word_at = if with_body_word { rng.below(bytes as u64 / 2 + 1) as usize } else { usize::MAX };
    while out.len() - start < bytes {
        let w = if out.len() - start >= word_at {
            word_at = usize::MAX;
            BODY_WORD
        } else {
            rng.pick(WORDS)
        };
        if col + w.len() + 1 > 72 {
            out.push_str("\r\n");
            col = 0;
            if rng.below(8) == 0 {
                out.push_str("\r\n");
            }
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += w.len();
    }
    out.push_str("\r\n");
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 of `bytes` pseudo-random octets, 76 columns.
fn base64_blob(rng: &mut Rng, bytes: usize, out: &mut String) {
    let chars = bytes.div_ceil(3) * 4;
    let mut line = 0;
    for _ in 0..chars {
        out.push(B64[rng.below(64) as usize] as char);
        line += 1;
        if line == 76 {
            out.push_str("\r\n");
            line = 0;
        }
    }
    if line > 0 {
        out.push_str("\r\n");
    }
}

/// Message `index` of corpus `seed`.
pub fn message(seed: u64, index: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(index));
    // log-uniform size in [2 KiB, 50 KiB]
    let size = (2048.0 * (25.0f64).powf(rng.unit())) as usize;
    let from = rng.pick(NAMES);
    let to = rng.pick(NAMES);
    let cc = if rng.below(3) == 0 { Some(rng.pick(NAMES)) } else { None };
    let mut subject = String::new();
    let subject_words = 3 + rng.below(6);
    let subject_hit = rng.below(50) == 0;
    let hit_pos = rng.below(subject_words);
    for i in 0..subject_words {
        if i > 0 {
            subject.push(' ');
        }
        subject.push_str(if subject_hit && i == hit_pos { SUBJECT_WORD } else { rng.pick(WORDS) });
    }
    if rng.below(4) == 0 {
        subject.insert_str(0, "Re: ");
    }
    let body_hit = rng.below(100) == 0;
    let day = 1 + rng.below(28);
    let date = format!(
        "{}, {} {} {} {:02}:{:02}:{:02} +0000",
        rng.pick(DAYS),
        day,
        rng.pick(MONTHS),
        2015 + rng.below(10),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    );
    let mut m = String::with_capacity(size + 2048);
    m.push_str(&format!("Date: {date}\r\n"));
    m.push_str(&format!("From: {}\r\n", address(from)));
    m.push_str(&format!("To: {}\r\n", address(to)));
    if let Some(cc) = cc {
        m.push_str(&format!("Cc: {}\r\n", address(cc)));
    }
    m.push_str(&format!("Subject: {subject}\r\n"));
    m.push_str(&format!("Message-ID: <{index}.{seed}.bench@example.org>\r\n"));
    if rng.below(2) == 0 && index > 0 {
        m.push_str(&format!("In-Reply-To: <{}.{seed}.bench@example.org>\r\n", rng.below(index)));
    }
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str("X-Mailer: bushbuck-loadgen\r\n");
    let shape = rng.below(100);
    let boundary = format!("=_b{index}_{}", rng.below(1 << 30));
    if shape < 40 {
        m.push_str("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
        let target = size.saturating_sub(m.len());
        paragraph_text(&mut rng, target, body_hit, &mut m);
    } else if shape < 75 {
        m.push_str(&format!("Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"));
        m.push_str("This is a multi-part message in MIME format.\r\n\r\n");
        let half = size.saturating_sub(m.len()) / 2;
        m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"));
        let mut text = String::new();
        paragraph_text(&mut rng, half.saturating_sub(200), body_hit, &mut text);
        m.push_str(&text);
        m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"));
        m.push_str("<html><body>\r\n");
        for para in text.split("\r\n\r\n") {
            m.push_str("<p>");
            m.push_str(para);
            m.push_str("</p>\r\n");
        }
        m.push_str("</body></html>\r\n");
        m.push_str(&format!("--{boundary}--\r\n"));
    } else {
        m.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"));
        m.push_str("This is a multi-part message in MIME format.\r\n\r\n");
        m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"));
        let text_len = 300 + rng.below(1500) as usize;
        paragraph_text(&mut rng, text_len, body_hit, &mut m);
        let (ctype, ext) = match rng.below(3) {
            0 => ("application/pdf", "pdf"),
            1 => ("image/png", "png"),
            _ => ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        };
        let name = format!("{}-{}.{ext}", rng.pick(WORDS), rng.below(1000));
        m.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        let raw = size.saturating_sub(m.len() + 60) * 3 / 4;
        base64_blob(&mut rng, raw.max(64), &mut m);
        m.push_str(&format!("--{boundary}--\r\n"));
    }
    m.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_and_sized() {
        assert_eq!(message(1, 7), message(1, 7));
        assert_ne!(message(1, 7), message(1, 8));
        let mut total = 0;
        for i in 0..500 {
            let m = message(42, i);
            assert!(m.len() >= 1900 && m.len() <= 52 * 1024, "{} {}", i, m.len());
            assert!(m.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r'));
            total += m.len();
        }
        assert!(total / 500 > 8 * 1024 && total / 500 < 22 * 1024, "{}", total / 500);
    }
}
