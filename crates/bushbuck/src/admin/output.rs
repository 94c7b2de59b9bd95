//! What the shell prints: the server's LIST, ACL, QUOTA and QUOTAROOT data as plain lines,
//! one fact per line, so scripts can read them.

use bushbuck_proto::imap::mutf7;

use crate::imap_client::Value;

/// A mailbox from a LIST response: its decoded name and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The name (UTF-8).
    pub name: String,
    /// Attributes such as `\HasNoChildren`, `\Sent`.
    pub attributes: Vec<String>,
    /// The hierarchy delimiter, if any.
    pub delimiter: Option<char>,
}

impl Listed {
    /// Reads the values of one LIST response (attributes, delimiter, name).
    pub fn from_response(values: &[Value]) -> Result<Listed, String> {
        let [attributes, delimiter, name, ..] = values else {
            return Err("the server sent a malformed LIST response".into());
        };
        let raw = name.text().ok_or("the server sent a LIST response without a name")?;
        Ok(Listed {
            name: mutf7::decode(raw.as_bytes()).unwrap_or(raw),
            attributes: attributes.items().iter().filter_map(Value::text).collect(),
            delimiter: delimiter.text().and_then(|d| d.chars().next()),
        })
    }

    /// `name (attributes)`, as cyradm shows it.
    pub fn line(&self) -> String {
        format!("{} ({})", self.name, self.attributes.join(" "))
    }
}

/// `ID RIGHTS` lines from the values of an ACL response (mailbox, then pairs).
pub fn acl_lines(values: &[Value]) -> Vec<String> {
    values
        .get(1..)
        .unwrap_or_default()
        .chunks(2)
        .filter_map(|pair| Some(format!("{} {}", pair[0].text()?, pair.get(1)?.text()?)))
        .collect()
}

/// `ROOT RESOURCE USAGE/LIMIT [KiB] (P%)` lines from the values of a QUOTA response.
pub fn quota_lines(values: &[Value]) -> Vec<String> {
    let root = values.first().and_then(Value::text).unwrap_or_default();
    let resources = values.get(1).map(Value::items).unwrap_or_default();
    let mut lines: Vec<String> = resources
        .chunks(3)
        .filter_map(|triple| {
            let [name, usage, limit] = triple else { return None };
            let (name, usage, limit) = (name.text()?, usage.text()?, limit.text()?);
            let unit = if name.eq_ignore_ascii_case("STORAGE") { " KiB" } else { "" };
            let percent = match (usage.parse::<u64>(), limit.parse::<u64>()) {
                (Ok(u), Ok(l)) if l > 0 => format!(" ({}%)", u.saturating_mul(100) / l),
                _ => String::new(),
            };
            Some(format!("{root} {name} {usage}/{limit}{unit}{percent}"))
        })
        .collect();
    if lines.is_empty() {
        lines.push(format!("{root} no limits"));
    }
    lines
}

/// `MAILBOX -> ROOT...` from the values of a QUOTAROOT response.
pub fn quotaroot_line(values: &[Value]) -> String {
    let texts: Vec<String> = values.iter().filter_map(Value::text).collect();
    match texts.split_first() {
        Some((mailbox, [])) => {
            format!("{} has no quota root", mutf7::decode(mailbox.as_bytes()).unwrap_or(mailbox.clone()))
        }
        Some((mailbox, roots)) => {
            format!("{} -> {}", mutf7::decode(mailbox.as_bytes()).unwrap_or(mailbox.clone()), roots.join(" "))
        }
        None => "(empty QUOTAROOT response)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap_client::parse;

    fn values(line: &str) -> Vec<Value> {
        parse(line.as_bytes()).unwrap()[1..].to_vec()
    }

    #[test]
    fn list_lines_decode_names() {
        let listed =
            Listed::from_response(&values("LIST (\\HasNoChildren \\Drafts) \"/\" \"Entw&APw-rfe\"")).unwrap();
        assert_eq!(listed.line(), "Entwürfe (\\HasNoChildren \\Drafts)");
        assert_eq!(listed.delimiter, Some('/'));
        assert_eq!(Listed::from_response(&values("LIST () NIL INBOX")).unwrap().delimiter, None);
        assert!(Listed::from_response(&values("LIST ()")).is_err());
    }

    #[test]
    fn acl_pairs() {
        assert_eq!(acl_lines(&values("ACL INBOX alice lrswipkxtea bob lr")), ["alice lrswipkxtea", "bob lr"]);
        assert!(acl_lines(&values("ACL INBOX")).is_empty());
    }

    #[test]
    fn quota_usage_and_percent() {
        assert_eq!(
            quota_lines(&values("QUOTA \"user/bob\" (STORAGE 12 1024 MESSAGE 3 0)")),
            ["user/bob STORAGE 12/1024 KiB (1%)", "user/bob MESSAGE 3/0"]
        );
        assert_eq!(quota_lines(&values("QUOTA \"user/bob\" ()")), ["user/bob no limits"]);
    }

    #[test]
    fn quotaroot() {
        assert_eq!(quotaroot_line(&values("QUOTAROOT INBOX \"user/bob\"")), "INBOX -> user/bob");
        assert_eq!(quotaroot_line(&values("QUOTAROOT Sent")), "Sent has no quota root");
    }
}
