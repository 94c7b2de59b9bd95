//! Mailbox names as the admin writes them and as the server wants them: cyradm's
//! `user/NAME[/...]` becomes the server's other-users prefix (learned from NAMESPACE).

use crate::imap_client::Value;

/// The other users' namespace of the server, if it has one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace {
    /// Prefix and hierarchy delimiter of other users' mailboxes, e.g. `("Other Users/", '/')`.
    other_users: Option<(String, char)>,
}

impl Namespace {
    /// Reads the values of a `NAMESPACE` response (personal, other users, shared).
    pub fn from_response(values: &[Value]) -> Namespace {
        let other_users = values.get(1).and_then(|v| v.items().first()).and_then(|first| {
            let prefix = first.items().first()?.text()?;
            let delimiter =
                first.items().get(1).and_then(Value::text).and_then(|d| d.chars().next()).unwrap_or('/');
            Some((prefix, delimiter))
        });
        Namespace { other_users }
    }

    /// The server's name for `name`: `user/bob/Sent` becomes e.g. `Other Users/bob/Sent`;
    /// any other name, or every name when the server has no other-users namespace, is kept.
    pub fn server_name(&self, name: &str) -> String {
        match (&self.other_users, name.strip_prefix("user/")) {
            (Some((prefix, delimiter)), Some(rest)) if !rest.is_empty() => {
                format!("{prefix}{}", rest.replace('/', &delimiter.to_string()))
            }
            _ => name.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap_client::parse;

    fn namespace(line: &str) -> Namespace {
        let values = parse(line.as_bytes()).unwrap();
        Namespace::from_response(&values[1..])
    }

    #[test]
    fn maps_user_names_to_the_other_users_prefix() {
        let ns = namespace("NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Shared/\" \"/\"))");
        assert_eq!(ns.server_name("user/bob"), "Other Users/bob");
        assert_eq!(ns.server_name("user/bob/Sent"), "Other Users/bob/Sent");
        assert_eq!(ns.server_name("Archive/user/x"), "Archive/user/x");
        assert_eq!(ns.server_name("user/"), "user/");
        let dotted = namespace("NAMESPACE ((\"\" \".\")) ((\"user.\" \".\")) NIL");
        assert_eq!(dotted.server_name("user/bob/Sent"), "user.bob.Sent");
    }

    #[test]
    fn keeps_names_without_an_other_users_namespace() {
        let ns = namespace("NAMESPACE ((\"\" \"/\")) NIL NIL");
        assert_eq!(ns, Namespace::default());
        assert_eq!(ns.server_name("user/bob"), "user/bob");
    }
}
