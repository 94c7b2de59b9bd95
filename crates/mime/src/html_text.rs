//! The visible text of an HTML part, for the search text index.
//!
//! Not an HTML parser: a single forward scan that drops markup the way a browser would not
//! show it. Tags and comments are removed; the contents of `<script>`, `<style>`, `<head>`
//! and `<title>` are dropped (the title repeats the Subject, which SEARCH TEXT sees in the
//! header); character references are decoded; block-level tags and `<br>` separate words
//! with a line break, other unknown tags with a space, and inline tags (`<b>`, `<span>`, …)
//! with nothing, so `caf<b>é</b>` stays one word. Runs of whitespace collapse to one space,
//! or to one line break when a newline is among them. Never panics, linear in the input.
//!
//! Line breaks are CRLF, as in the text/plain parts beside: the HTML alternative of a
//! multipart/alternative message then reads like its plain part, line for line, and the
//! compressed search text stores the second copy as a few back references (on the
//! loadgen corpus, LF or spaces made the compressed index 13 % larger).

/// Tags whose contents are not shown: everything up to their end tag is dropped.
/// Not `<noscript>`: mail readers run no scripts, so they show its contents.
const HIDDEN: &[&str] = &["script", "style", "head", "title", "template"];

/// Tags that break a line.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];

/// Tags rendered within a word: they separate nothing.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "del", "dfn", "em", "font", "i", "ins", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var",
    "wbr",
];

/// Named character references decoded (the common ones; others are left as written).
const ENTITIES: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", "\u{a0}"),
    ("shy", ""),
    ("zwnj", ""),
    ("zwj", ""),
    ("copy", "©"),
    ("reg", "®"),
    ("trade", "™"),
    ("hellip", "…"),
    ("mdash", "—"),
    ("ndash", "–"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("sbquo", "‚"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("bdquo", "„"),
    ("laquo", "«"),
    ("raquo", "»"),
    ("bull", "•"),
    ("middot", "·"),
    ("euro", "€"),
    ("pound", "£"),
    ("yen", "¥"),
    ("cent", "¢"),
    ("sect", "§"),
    ("para", "¶"),
    ("deg", "°"),
    ("plusmn", "±"),
    ("times", "×"),
    ("divide", "÷"),
    ("iexcl", "¡"),
    ("iquest", "¿"),
    ("szlig", "ß"),
    ("aacute", "á"),
    ("Aacute", "Á"),
    ("agrave", "à"),
    ("Agrave", "À"),
    ("acirc", "â"),
    ("Acirc", "Â"),
    ("auml", "ä"),
    ("Auml", "Ä"),
    ("atilde", "ã"),
    ("Atilde", "Ã"),
    ("aring", "å"),
    ("Aring", "Å"),
    ("aelig", "æ"),
    ("AElig", "Æ"),
    ("ccedil", "ç"),
    ("Ccedil", "Ç"),
    ("eacute", "é"),
    ("Eacute", "É"),
    ("egrave", "è"),
    ("Egrave", "È"),
    ("ecirc", "ê"),
    ("Ecirc", "Ê"),
    ("euml", "ë"),
    ("Euml", "Ë"),
    ("iacute", "í"),
    ("Iacute", "Í"),
    ("igrave", "ì"),
    ("Igrave", "Ì"),
    ("icirc", "î"),
    ("Icirc", "Î"),
    ("iuml", "ï"),
    ("Iuml", "Ï"),
    ("ntilde", "ñ"),
    ("Ntilde", "Ñ"),
    ("oacute", "ó"),
    ("Oacute", "Ó"),
    ("ograve", "ò"),
    ("Ograve", "Ò"),
    ("ocirc", "ô"),
    ("Ocirc", "Ô"),
    ("ouml", "ö"),
    ("Ouml", "Ö"),
    ("otilde", "õ"),
    ("Otilde", "Õ"),
    ("oslash", "ø"),
    ("Oslash", "Ø"),
    ("uacute", "ú"),
    ("Uacute", "Ú"),
    ("ugrave", "ù"),
    ("Ugrave", "Ù"),
    ("ucirc", "û"),
    ("Ucirc", "Û"),
    ("uuml", "ü"),
    ("Uuml", "Ü"),
    ("yacute", "ý"),
    ("Yacute", "Ý"),
    ("yuml", "ÿ"),
];

/// What a line break is written as.
const LINE: &str = "\r\n";

/// Pending separator between the last word written and the next one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    None,
    Space,
    Line,
}

/// Text output with whitespace collapsing.
struct Out {
    text: String,
    gap: Gap,
}

impl Out {
    fn gap(&mut self, gap: Gap) {
        self.gap = self.gap.max(gap);
    }

    fn push(&mut self, c: char) {
        if c == '\n' {
            self.gap(Gap::Line);
        } else if c.is_whitespace() {
            self.gap(Gap::Space);
        } else {
            self.push_word(c.encode_utf8(&mut [0; 4]));
        }
    }

    /// Appends text without whitespace, after the gap before it.
    fn push_word(&mut self, word: &str) {
        if !self.text.is_empty() {
            match self.gap {
                Gap::None => {}
                Gap::Space => self.text.push(' '),
                Gap::Line => self.text.push_str(LINE),
            }
        }
        self.gap = Gap::None;
        self.text.push_str(word);
    }

    /// Appends text: runs without whitespace at once, whitespace a character at a time.
    fn push_str(&mut self, s: &str) {
        let mut rest = s;
        while !rest.is_empty() {
            let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if word_end > 0 {
                self.push_word(&rest[..word_end]);
            }
            let mut after = rest[word_end..].chars();
            match after.next() {
                Some(space) => {
                    self.push(space);
                    rest = after.as_str();
                }
                None => break,
            }
        }
    }
}

/// The visible text of `html` (see the module documentation).
pub fn html_to_text(html: &str) -> String {
    let b = html.as_bytes();
    let mut out = Out { text: String::with_capacity(html.len() / 2), gap: Gap::None };
    let mut i = 0;
    // Start of the text not yet copied; every index used to slice is at an ASCII byte
    // (`<`, `&`, `>`, `;`) or the end, so always a char boundary.
    let mut text_start = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                out.push_str(&html[text_start..i]);
                i = markup(html, i, &mut out);
                text_start = i;
            }
            b'&' => {
                out.push_str(&html[text_start..i]);
                i = reference(html, i, &mut out);
                text_start = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&html[text_start..]);
    out.text
}

/// Handles the markup starting at `html[at] == '<'`; returns where text resumes.
fn markup(html: &str, at: usize, out: &mut Out) -> usize {
    let b = html.as_bytes();
    let rest = &b[at..];
    if rest.starts_with(b"<!--") {
        // A comment ends at the first `-->`; `<!-->` is an (empty) comment too.
        return match find(b, at + 2, b"-->") {
            Some(end) if end >= at + 2 => end + 3,
            _ => b.len(),
        };
    }
    if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
        // Doctype, CDATA, processing instruction: up to the next `>`.
        return find(b, at, b">").map_or(b.len(), |e| e + 1);
    }
    let (closing, name_start) = if rest.starts_with(b"</") { (true, at + 2) } else { (false, at + 1) };
    if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        // Not a tag: a literal `<`.
        out.push('<');
        return at + 1;
    }
    let mut name_end = name_start;
    while name_end < b.len() && !matches!(b[name_end], b'\t' | b'\n' | 0x0c | b'\r' | b' ' | b'/' | b'>') {
        name_end += 1;
    }
    let name = html[name_start..name_end].to_ascii_lowercase();
    let end = tag_end(b, name_end);
    let name = name.as_str();
    if INLINE.contains(&name) {
        // Nothing between words.
    } else if BLOCK.contains(&name) {
        out.gap(Gap::Line);
    } else {
        out.gap(Gap::Space);
    }
    if !closing && HIDDEN.contains(&name) {
        out.gap(Gap::Line);
        return hidden_end(b, end, name);
    }
    end
}

/// The end (just past `>`) of a tag whose name ends at `from`: attribute values in quotes
/// may hold `>`. An unterminated tag runs to the end of the input.
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut after_equals = false;
    while i < b.len() {
        match b[i] {
            b'>' => return i + 1,
            q @ (b'"' | b'\'') if after_equals => {
                i = match b[i + 1..].iter().position(|&c| c == q) {
                    Some(p) => i + 1 + p + 1,
                    None => return b.len(),
                };
                after_equals = false;
                continue;
            }
            b'=' => after_equals = true,
            c if c.is_ascii_whitespace() => {}
            _ => after_equals = false,
        }
        i += 1;
    }
    b.len()
}

/// Where text resumes after the contents of the hidden element `name` whose start tag ends
/// at `from`: past its end tag, or for `<head>` also at a `<body` start tag (the end tag is
/// optional). Without an end tag the rest of the input is hidden, as in a browser.
fn hidden_end(b: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(lt) = find(b, i, b"<") {
        let after = lt + 1;
        let closing = b.get(after) == Some(&b'/');
        let name_at = if closing { after + 1 } else { after };
        let matches_name = |n: &str| {
            b.len() >= name_at + n.len()
                && b[name_at..name_at + n.len()].eq_ignore_ascii_case(n.as_bytes())
                && !b.get(name_at + n.len()).is_some_and(u8::is_ascii_alphanumeric)
        };
        if closing && matches_name(name) {
            return tag_end(b, name_at + name.len());
        }
        if !closing && name == "head" && matches_name("body") {
            return lt;
        }
        i = after;
    }
    b.len()
}

/// Decodes the character reference at `html[at] == '&'` into `out`; returns where text
/// resumes. Anything not a known reference is the literal `&`.
fn reference(html: &str, at: usize, out: &mut Out) -> usize {
    let b = html.as_bytes();
    let mut i = at + 1;
    if b.get(i) == Some(&b'#') {
        i += 1;
        let hex = matches!(b.get(i), Some(b'x' | b'X'));
        if hex {
            i += 1;
        }
        let start = i;
        let mut value: u32 = 0;
        while let Some(&c) = b.get(i) {
            let digit = match (hex, c) {
                (_, b'0'..=b'9') => u32::from(c - b'0'),
                (true, b'a'..=b'f') => u32::from(c - b'a' + 10),
                (true, b'A'..=b'F') => u32::from(c - b'A' + 10),
                _ => break,
            };
            // Saturate: anything this large is out of range anyway.
            value = value.saturating_mul(if hex { 16 } else { 10 }).saturating_add(digit);
            i += 1;
        }
        if i == start {
            out.push('&');
            return at + 1;
        }
        if b.get(i) == Some(&b';') {
            i += 1;
        }
        let c = match value {
            0 => '\u{fffd}',
            v => char::from_u32(v).unwrap_or('\u{fffd}'),
        };
        out.push(c);
        return i;
    }
    let start = i;
    while i < b.len() && i - start < 32 && b[i].is_ascii_alphanumeric() {
        i += 1;
    }
    if b.get(i) == Some(&b';') {
        if let Some((_, value)) = ENTITIES.iter().find(|(n, _)| n.as_bytes() == &b[start..i]) {
            out.push_str(value);
            return i + 1;
        }
    }
    out.push('&');
    at + 1
}

/// The first occurrence of `needle` in `b` at or after `from`.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::html_to_text as t;

    #[test]
    fn tags_are_dropped_and_nested_tags_join_words() {
        assert_eq!(t("<p>Hello <b>wor<i>ld</i></b>!</p>"), "Hello world!");
        assert_eq!(t("<div><div><span>a</span></div></div><div>b</div>"), "a\r\nb");
        assert_eq!(t("one<br>two<br/>three<BR />four"), "one\r\ntwo\r\nthree\r\nfour");
        assert_eq!(t("<table><tr><td>x</td><td>y</td></tr></table>"), "x y");
        assert_eq!(t("caf<b>é</b>"), "café");
    }

    #[test]
    fn hidden_elements() {
        let html = "<html><head><title>T1</title><style>p { color: red }</style>\
                    <link rel=stylesheet href=x.css></head><body><p>Visible</p>\
                    <script type=\"text/javascript\">var s = '</p>';</script><p>After</p></body></html>";
        assert_eq!(t(html), "Visible\r\nAfter");
        // No `</head>`: the head ends where the body starts.
        assert_eq!(t("<head><meta charset=utf-8><body>text"), "text");
        // `</scripts>` does not end a script.
        assert_eq!(t("<script>a</scripts>b</script >c"), "c");
        assert_eq!(t("a<SCRIPT>x</ScRiPt>b"), "a\r\nb");
        assert_eq!(t("a<style>unterminated"), "a");
        assert_eq!(t("<noscript>shown</noscript>"), "shown");
    }

    #[test]
    fn comments_and_declarations() {
        assert_eq!(t("<!DOCTYPE html>a<!-- <p>hidden</p> -->b"), "ab");
        assert_eq!(t("a<!-->b"), "ab");
        assert_eq!(t("a<!-- never closed"), "a");
        assert_eq!(t("<?xml version=\"1.0\"?>a<![CDATA[x]]>"), "a");
    }

    #[test]
    fn quoted_attributes_may_hold_gt() {
        assert_eq!(t("<a title=\"a > b\" href='x>y'>link</a> text"), "link text");
        assert_eq!(t("<p class=don't>it's</p>"), "it's");
        assert_eq!(t("<img alt=\"unterminated>after"), "");
    }

    #[test]
    fn references() {
        assert_eq!(
            t("Fish &amp; Chips &lt;3 &gt; &quot;x&quot; &apos;y&apos;"),
            "Fish & Chips <3 > \"x\" 'y'"
        );
        assert_eq!(t("caf&eacute; &Eacute;t&eacute;"), "café Été");
        assert_eq!(t("&#65;&#x42;&#X63;&#100"), "ABcd");
        assert_eq!(t("a&nbsp;&nbsp;b"), "a b");
        assert_eq!(t("&#0; &#xD800; &#99999999999999999999;"), "\u{fffd} \u{fffd} \u{fffd}");
        assert_eq!(t("AT&T &unknown; & &#; &#x; &"), "AT&T &unknown; & &#; &#x; &");
        assert_eq!(t("soft&shy;hyphen"), "softhyphen");
    }

    #[test]
    fn literal_lt_and_whitespace() {
        assert_eq!(t("1 < 2 <3 a<"), "1 < 2 <3 a<");
        assert_eq!(t("  a \r\n\t b  "), "a\r\nb");
        assert_eq!(t("  a \t b  "), "a b");
        assert_eq!(t("<p>\n  a\n</p>\n\n<p>\n  b\n</p>"), "a\r\nb");
        assert_eq!(t("<p>one\r\ntwo</p><p>three</p>"), "one\r\ntwo\r\nthree");
    }

    #[test]
    fn unterminated_and_non_ascii() {
        assert_eq!(t("text <b"), "text");
        assert_eq!(t("text </"), "text </");
        assert_eq!(t("&"), "&");
        assert_eq!(t("&#x"), "&#x");
        assert_eq!(t("<p>Grüße aus Köln — 日本語 <b>テキスト</b></p>"), "Grüße aus Köln — 日本語 テキスト");
        assert_eq!(t("<ü>x</ü>y"), "<ü>x</ü>y", "not a tag name");
        assert_eq!(t("<a title=\"ü>\">ö</a>&#x1F600;"), "ö😀");
    }

    #[test]
    fn never_panics() {
        let pieces = [
            "<", ">", "&", "#", "x", ";", "/", "!", "-", "\"", "'", "=", "ü", "script", "head", "body", " ",
            "a",
        ];
        // Every string of up to four pieces.
        let mut stack = vec![(String::new(), 0)];
        while let Some((s, n)) = stack.pop() {
            let _ = t(&s);
            if n < 4 {
                for p in pieces {
                    stack.push((format!("{s}{p}"), n + 1));
                }
            }
        }
    }
}
