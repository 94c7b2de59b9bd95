//! The untagged data of a command that ended in OK, picked out by keyword.

use super::value::{self, Value};
use super::Error;

/// The untagged responses of a command that ended in OK, literals embedded.
pub struct Reply {
    untagged: Vec<Vec<u8>>,
}

impl Reply {
    /// Wraps untagged responses as read from the wire (`* ...` lines, literals embedded).
    pub fn new(untagged: Vec<Vec<u8>>) -> Reply {
        Reply { untagged }
    }

    /// The values of every untagged response whose first word is `keyword` (e.g. `LIST`),
    /// without that word.
    pub fn data(&self, keyword: &str) -> Result<Vec<Vec<Value>>, Error> {
        Ok(self.matching(keyword, 0)?.into_iter().map(|values| values[1..].to_vec()).collect())
    }

    /// The number and the values after the keyword of every untagged `* n KEYWORD ...`
    /// response (e.g. `EXISTS`, `FETCH`).
    pub fn numbered(&self, keyword: &str) -> Result<Vec<(u64, Vec<Value>)>, Error> {
        let mut found = Vec::new();
        for values in self.matching(keyword, 1)? {
            if let Some(n) = values[0].number() {
                found.push((n, values[2..].to_vec()));
            }
        }
        Ok(found)
    }

    /// The parsed untagged responses whose word at `position` is `keyword`.
    fn matching(&self, keyword: &str, position: usize) -> Result<Vec<Vec<Value>>, Error> {
        let mut found = Vec::new();
        for line in self.untagged.iter().filter_map(|l| l.strip_prefix(b"* ")) {
            let mut words = line.split(|&b| matches!(b, b' ' | b'\r' | b'\n'));
            if words.nth(position).is_some_and(|w| w.eq_ignore_ascii_case(keyword.as_bytes())) {
                let values = value::parse(line).map_err(|e| {
                    Error::Connection(format!("the server sent a malformed {keyword} response: {e}"))
                })?;
                found.push(values);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(lines: &[&str]) -> Reply {
        Reply::new(lines.iter().map(|l| l.as_bytes().to_vec()).collect())
    }

    #[test]
    fn data_picks_untagged_responses_by_keyword() {
        let reply = reply(&["* LIST () \"/\" INBOX\r\n", "* OK [ALERT] hi\r\n", "* SEARCH\r\n"]);
        let lists = reply.data("list").unwrap();
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0][2], Value::Atom(b"INBOX".to_vec()));
        assert!(reply.data("ACL").unwrap().is_empty());
        assert_eq!(reply.data("SEARCH").unwrap(), [Vec::<Value>::new()]);
    }

    #[test]
    fn numbered_picks_message_data() {
        let reply = reply(&["* 4 EXISTS\r\n", "* 2 FETCH (UID 9)\r\n", "* OK [UIDVALIDITY 3] x\r\n"]);
        let exists = reply.numbered("EXISTS").unwrap();
        assert_eq!(exists, [(4, vec![])]);
        let fetches = reply.numbered("FETCH").unwrap();
        assert_eq!(fetches[0].0, 2);
        assert_eq!(fetches[0].1[0].items()[1].number(), Some(9));
        assert!(reply.data("FETCH").unwrap().is_empty());
    }

    #[test]
    fn malformed_data_is_a_connection_error() {
        let reply = reply(&["* LIST (\\Noselect \"/\" x\r\n"]);
        assert!(matches!(reply.data("LIST"), Err(Error::Connection(m)) if m.contains("malformed LIST")));
    }
}
