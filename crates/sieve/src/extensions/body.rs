//! `body` (RFC 5173): the `:raw`, `:text` and `:content` transforms. `:content` walks the
//! MIME tree itself (best effort: nested multiparts and message/rfc822 are descended).

use base64::Engine;

use crate::headers;
use crate::program::BodyTransform;

const MAX_DEPTH: usize = 20;

/// The strings the keys of a `body` test are matched against.
pub fn extract(message: &[u8], t: &BodyTransform) -> Vec<String> {
    match t {
        BodyTransform::Raw => vec![String::from_utf8_lossy(headers::split(message).2).into_owned()],
        BodyTransform::Text => vec![bushbuck_mime::body_text(message)],
        BodyTransform::Content(types) => {
            let mut out = Vec::new();
            walk(message, types, 0, &mut out);
            out
        }
    }
}

struct ContentType {
    main: String,
    sub: String,
    params: Vec<(String, String)>,
}

fn content_type(fields: &[headers::Field]) -> ContentType {
    let v = fields
        .iter()
        .find(|f| f.is("Content-Type"))
        .map(|f| String::from_utf8_lossy(&f.raw_value()).into_owned());
    let v = v.unwrap_or_else(|| "text/plain".to_string());
    let mut parts = v.split(';');
    let ty = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let (main, sub) = ty
        .split_once('/')
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .unwrap_or(("text".into(), "plain".into()));
    let params = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        .collect();
    ContentType { main, sub, params }
}

fn type_matches(ct: &ContentType, types: &[String]) -> bool {
    types.iter().any(|t| {
        let t = t.to_ascii_lowercase();
        t.is_empty() || t == ct.main || t == format!("{}/{}", ct.main, ct.sub)
    })
}

fn decode_qp(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'=' {
            let rest = &s[i + 1..];
            if rest.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if rest.starts_with(b"\n") {
                i += 2;
                continue;
            }
            if rest.len() >= 2 {
                if let Ok(v) = u8::from_str_radix(&String::from_utf8_lossy(&rest[..2]), 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

fn decode_leaf(fields: &[headers::Field], ct: &ContentType, body: &[u8]) -> String {
    let enc = fields
        .iter()
        .find(|f| f.is("Content-Transfer-Encoding"))
        .map(|f| String::from_utf8_lossy(&f.raw_value()).trim().to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = match enc.as_str() {
        "base64" => {
            let clean: Vec<u8> = body.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(&clean).unwrap_or_else(|_| body.to_vec())
        }
        "quoted-printable" => decode_qp(body),
        _ => body.to_vec(),
    };
    if ct.main == "text" {
        let cs =
            ct.params.iter().find(|(k, _)| k == "charset").map(|(_, v)| v.as_str()).unwrap_or("us-ascii");
        if let Some(e) = encoding_rs::Encoding::for_label(cs.as_bytes()) {
            return e.decode_without_bom_handling(&bytes).0.into_owned();
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn walk(entity: &[u8], types: &[String], depth: usize, out: &mut Vec<String>) {
    let (head, _, body) = headers::split(entity);
    let fields = headers::parse(head);
    let ct = content_type(&fields);
    if ct.main == "multipart" && depth < MAX_DEPTH {
        let Some(boundary) = ct.params.iter().find(|(k, _)| k == "boundary").map(|(_, v)| v.clone()) else {
            return;
        };
        let delim = format!("--{boundary}");
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut start: Option<usize> = None;
        let mut i = 0;
        while i <= body.len() {
            let end = body[i..].iter().position(|&b| b == b'\n').map(|p| i + p + 1).unwrap_or(body.len());
            let line = &body[i..end];
            let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
            let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
            if trimmed.starts_with(delim.as_bytes()) {
                if let Some(s) = start {
                    let mut e = i;
                    if e > s && body[e - 1] == b'\n' {
                        e -= 1;
                        if e > s && body[e - 1] == b'\r' {
                            e -= 1;
                        }
                    }
                    parts.push(&body[s..e]);
                }
                if trimmed[delim.len()..].starts_with(b"--") {
                    break;
                }
                start = Some(end);
            }
            if end == body.len() {
                break;
            }
            i = end;
        }
        for p in parts {
            walk(p, types, depth + 1, out);
        }
    } else if ct.main == "message" && ct.sub == "rfc822" && depth < MAX_DEPTH {
        if type_matches(&ct, types) {
            out.push(String::from_utf8_lossy(body).into_owned());
        }
        walk(body, types, depth + 1, out);
    } else if type_matches(&ct, types) {
        out.push(decode_leaf(&fields, &ct, body));
    }
}
