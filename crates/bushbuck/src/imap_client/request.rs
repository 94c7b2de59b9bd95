//! A command to send, built word by word with its strings already encoded.

use bushbuck_proto::imap::{mutf7, response};

/// A command: its words, with strings already encoded as quoted strings or literals.
pub struct Request {
    name: String,
    parts: Vec<Part>,
}

/// A piece of a command on the wire.
pub(super) enum Part {
    /// Sent as it is.
    Text(String),
    /// Sent as a literal (synchronising, or LITERAL+ when the server offers it).
    Literal(Vec<u8>),
}

impl Request {
    /// Starts a command with its name, e.g. `CREATE` or `UID FETCH`.
    pub fn new(name: &str) -> Request {
        Request { name: name.to_string(), parts: vec![Part::Text(name.to_string())] }
    }

    /// The command's name, as given to [`Request::new`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Appends ` text` as it is (atoms, numbers, sequence sets, parenthesised lists).
    pub fn raw(mut self, text: &str) -> Request {
        self.parts.push(Part::Text(format!(" {text}")));
        self
    }

    /// Appends a string: quoted when it can be, else a literal.
    pub fn string(mut self, bytes: &[u8]) -> Request {
        match response::quoted(bytes) {
            Some(q) => self.parts.push(Part::Text(format!(" {q}"))),
            None => {
                self.parts.push(Part::Text(" ".into()));
                self.parts.push(Part::Literal(bytes.to_vec()));
            }
        }
        self
    }

    /// Appends a mailbox name, encoded as modified UTF-7.
    pub fn mailbox(self, name: &str) -> Request {
        self.string(mutf7::encode(name).as_bytes())
    }

    /// The pieces to send, in order.
    pub(super) fn into_parts(self) -> Vec<Part> {
        self.parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_become_quoted_or_literals() {
        let r = Request::new("LOGIN").string(b"bob").string(b"p\"w\r\n").raw("X");
        assert_eq!(r.name(), "LOGIN");
        let parts = r.into_parts();
        assert!(matches!(&parts[1], Part::Text(t) if t == " \"bob\""));
        assert!(matches!(&parts[3], Part::Literal(b) if b == b"p\"w\r\n"));
        assert!(matches!(&parts[4], Part::Text(t) if t == " X"));
        let m = Request::new("CREATE").mailbox("Entwürfe").into_parts();
        assert!(matches!(&m[1], Part::Text(t) if t == " \"Entw&APw-rfe\""));
    }
}
