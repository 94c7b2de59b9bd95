//! The shell's command language: cyradm's commands, with their long and short names, read
//! from one line into an [`Action`].

use bushbuck_server::accounts;

use super::rights::{self, Rights};

/// One command of the shell.
pub struct Spec {
    /// Its names, the long one first.
    pub names: &'static [&'static str],
    /// Its arguments.
    pub usage: &'static str,
    /// What it does.
    pub summary: &'static str,
}

/// Every command, in the order `help` lists them.
pub const SPECS: [Spec; 16] = [
    Spec { names: &["createmailbox", "create", "cm"], usage: "NAME [PARTITION]", summary: "create a mailbox" },
    Spec {
        names: &["deletemailbox", "delete", "dm"],
        usage: "NAME",
        summary: "delete a mailbox and every mailbox below it",
    },
    Spec {
        names: &["listmailbox", "list", "lm"],
        usage: "[PATTERN]",
        summary: "list mailboxes matching PATTERN (% and *; default *)",
    },
    Spec { names: &["renamemailbox", "rename", "renm"], usage: "OLD NEW [PARTITION]", summary: "rename a mailbox" },
    Spec {
        names: &["setaclmailbox", "setacl", "sam"],
        usage: "NAME ID RIGHTS [ID RIGHTS...]",
        summary: "set rights: letters of lrswipkxtea or none, read, post, append, write, delete, all",
    },
    Spec { names: &["deleteaclmailbox", "deleteacl", "dam"], usage: "NAME ID...", summary: "remove IDs from the ACL" },
    Spec { names: &["listaclmailbox", "listacl", "lam"], usage: "NAME", summary: "show the ACL of a mailbox" },
    Spec {
        names: &["setquota", "sq"],
        usage: "ROOT [STORAGE KB] [MESSAGE N] | ROOT none",
        summary: "set the limits of a quota root such as user/bob (limits not given are removed)",
    },
    Spec { names: &["listquota", "lq"], usage: "ROOT", summary: "show usage and limits of a quota root" },
    Spec {
        names: &["listquotaroot", "lqr", "lqm"],
        usage: "NAME",
        summary: "show the quota roots of a mailbox and their usage",
    },
    Spec {
        names: &["createuser"],
        usage: "NAME [--password P | --password-stdin-line] [--quota KB] [--folders Sent,Drafts,Trash,Junk]",
        summary: "create a user with INBOX, folders (special use for Sent, Drafts, Trash, Junk, Archive) and a quota",
    },
    Spec { names: &["deleteuser"], usage: "NAME", summary: "delete a user and all their mail" },
    Spec { names: &["listusers"], usage: "", summary: "list the users" },
    Spec {
        names: &["setpassword"],
        usage: "NAME [--password P | --password-stdin-line]",
        summary: "change a user's password",
    },
    Spec { names: &["help", "?"], usage: "[COMMAND]", summary: "show the commands, or one command" },
    Spec { names: &["exit", "quit"], usage: "", summary: "log out and leave" },
];

/// Where a password for a user comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    /// Given on the command line.
    Given(String),
    /// The next line of standard input (a prompt without echo on a terminal).
    StdinLine,
}

/// A folder `createuser` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Its name.
    pub name: String,
    /// Its SPECIAL-USE attribute, from the name.
    pub special_use: Option<&'static str>,
}

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// CREATE, with Cyrus's partition argument.
    CreateMailbox { name: String, partition: Option<String> },
    /// DELETE of a subtree, deepest first.
    DeleteMailbox { name: String },
    /// LIST "" pattern.
    ListMailbox { pattern: String },
    /// RENAME, with Cyrus's partition argument.
    RenameMailbox { from: String, to: String, partition: Option<String> },
    /// SETACL / DELETEACL per identifier.
    SetAcl { name: String, entries: Vec<(String, Rights)> },
    /// DELETEACL for each identifier.
    DeleteAcl { name: String, ids: Vec<String> },
    /// GETACL.
    ListAcl { name: String },
    /// SETQUOTA; `None` limits are not set (so removed).
    SetQuota { root: String, storage_kb: Option<u64>, messages: Option<u64> },
    /// GETQUOTA.
    ListQuota { root: String },
    /// GETQUOTAROOT.
    ListQuotaRoot { name: String },
    /// XADMIN USER ADD, then SETQUOTA when a quota is given.
    CreateUser { name: String, password: Option<Password>, quota_kb: Option<u64>, folders: Vec<Folder> },
    /// XADMIN USER DEL.
    DeleteUser { name: String },
    /// XADMIN USER LIST.
    ListUsers,
    /// XADMIN USER PASSWD.
    SetPassword { name: String, password: Option<Password> },
    /// Shows help, for all commands or one.
    Help(Option<String>),
    /// Leaves the shell.
    Exit,
}

/// Parses one line; `Ok(None)` for a blank line or a comment.
pub fn parse(line: &str) -> Result<Option<Action>, String> {
    let words = split_words(line)?;
    let Some((name, args)) = words.split_first() else {
        return Ok(None);
    };
    let spec = find(name).ok_or_else(|| format!("unknown command \"{name}\"; type help for the list"))?;
    let usage = || format!("usage: {} {}", spec.names[0], spec.usage);
    let arity = |min: usize, max: usize| {
        if (min..=max).contains(&args.len()) {
            Ok(())
        } else {
            Err(usage())
        }
    };
    let arg = |i: usize| args.get(i).cloned();
    let action = match spec.names[0] {
        "createmailbox" => {
            arity(1, 2)?;
            Action::CreateMailbox { name: args[0].clone(), partition: arg(1) }
        }
        "deletemailbox" => {
            arity(1, 1)?;
            Action::DeleteMailbox { name: args[0].clone() }
        }
        "listmailbox" => {
            arity(0, 1)?;
            Action::ListMailbox { pattern: arg(0).unwrap_or_else(|| "*".into()) }
        }
        "renamemailbox" => {
            arity(2, 3)?;
            Action::RenameMailbox { from: args[0].clone(), to: args[1].clone(), partition: arg(2) }
        }
        "setaclmailbox" => {
            if args.len() < 3 || args.len() % 2 == 0 {
                return Err(usage());
            }
            let entries = args[1..]
                .chunks(2)
                .map(|pair| rights::parse(&pair[1]).map(|r| (pair[0].clone(), r)))
                .collect::<Result<_, _>>()?;
            Action::SetAcl { name: args[0].clone(), entries }
        }
        "deleteaclmailbox" => {
            arity(2, usize::MAX)?;
            Action::DeleteAcl { name: args[0].clone(), ids: args[1..].to_vec() }
        }
        "listaclmailbox" => {
            arity(1, 1)?;
            Action::ListAcl { name: args[0].clone() }
        }
        "setquota" => parse_setquota(args).ok_or_else(usage)?,
        "listquota" => {
            arity(1, 1)?;
            Action::ListQuota { root: args[0].clone() }
        }
        "listquotaroot" => {
            arity(1, 1)?;
            Action::ListQuotaRoot { name: args[0].clone() }
        }
        "createuser" => parse_createuser(args)?.ok_or_else(usage)?,
        "deleteuser" => {
            arity(1, 1)?;
            Action::DeleteUser { name: args[0].clone() }
        }
        "listusers" => {
            arity(0, 0)?;
            Action::ListUsers
        }
        "setpassword" => {
            let (name, options) = args.split_first().ok_or_else(usage)?;
            let mut password = None;
            let mut options = Options::new(options);
            while let Some(option) = options.next() {
                match option {
                    "--password" => password = Some(Password::Given(options.value(option)?)),
                    "--password-stdin-line" => password = Some(Password::StdinLine),
                    _ => return Err(format!("unknown option {option}; {}", usage())),
                }
            }
            Action::SetPassword { name: name.clone(), password }
        }
        "help" => {
            arity(0, 1)?;
            Action::Help(arg(0))
        }
        "exit" => Action::Exit,
        _ => return Err(usage()),
    };
    Ok(Some(action))
}

/// The command spec of a name, long or short.
pub fn find(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
}

/// The help text: every command, or the one named by `topic`.
pub fn help(topic: Option<&str>) -> Result<String, String> {
    let line = |s: &Spec| format!("{} {}\n    {}", s.names.join(", "), s.usage, s.summary);
    match topic {
        Some(name) => {
            find(name).map(line).ok_or_else(|| format!("no command \"{name}\"; type help for the list"))
        }
        None => Ok(SPECS.iter().map(line).collect::<Vec<_>>().join("\n")),
    }
}

/// `ROOT none`, `ROOT KB` (cyradm's short form) or `ROOT [STORAGE KB] [MESSAGE N]`.
fn parse_setquota(args: &[String]) -> Option<Action> {
    let (root, rest) = args.split_first()?;
    let mut action = Action::SetQuota { root: root.clone(), storage_kb: None, messages: None };
    let Action::SetQuota { storage_kb, messages, .. } = &mut action else {
        return None;
    };
    match rest {
        [] => return None,
        [none] if none.eq_ignore_ascii_case("none") => {}
        [kb] => *storage_kb = Some(kb.parse().ok()?),
        pairs if pairs.len() % 2 == 0 => {
            for pair in pairs.chunks(2) {
                let limit =
                    if pair[1].eq_ignore_ascii_case("none") { None } else { Some(pair[1].parse().ok()?) };
                match pair[0].to_ascii_uppercase().as_str() {
                    "STORAGE" => *storage_kb = limit,
                    "MESSAGE" => *messages = limit,
                    _ => return None,
                }
            }
        }
        _ => return None,
    }
    Some(action)
}

/// `NAME [--password P | --password-stdin-line] [--quota KB] [--folders A,B]`; `Ok(None)`
/// when the name is missing.
fn parse_createuser(args: &[String]) -> Result<Option<Action>, String> {
    let Some((name, options)) = args.split_first() else {
        return Ok(None);
    };
    let mut password = None;
    let mut quota_kb = None;
    let mut folders: Vec<String> = accounts::DEFAULT_FOLDERS.iter().map(|f| f.to_string()).collect();
    let mut options = Options::new(options);
    while let Some(option) = options.next() {
        match option {
            "--password" => password = Some(Password::Given(options.value(option)?)),
            "--password-stdin-line" => password = Some(Password::StdinLine),
            "--quota" => {
                let value = options.value(option)?;
                let kb =
                    value.parse().map_err(|_| format!("--quota takes a number of KiB, not \"{value}\""))?;
                quota_kb = Some(kb);
            }
            "--folders" => {
                folders = options
                    .value(option)?
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(String::from)
                    .collect();
            }
            _ => return Err(format!("unknown option {option} of createuser; type help createuser")),
        }
    }
    let folders = folders
        .into_iter()
        .map(|name| Folder { special_use: accounts::special_use_of(&name), name })
        .collect();
    Ok(Some(Action::CreateUser { name: name.clone(), password, quota_kb, folders }))
}

/// `--name value` and `--name=value` options.
struct Options<'a> {
    words: std::slice::Iter<'a, String>,
    inline: Option<&'a str>,
}

impl<'a> Options<'a> {
    fn new(words: &'a [String]) -> Options<'a> {
        Options { words: words.iter(), inline: None }
    }

    fn next(&mut self) -> Option<&'a str> {
        let word = self.words.next()?;
        match word.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                self.inline = Some(value);
                Some(name)
            }
            _ => {
                self.inline = None;
                Some(word)
            }
        }
    }

    fn value(&mut self, option: &str) -> Result<String, String> {
        match self.inline.take() {
            Some(v) => Ok(v.to_string()),
            None => self.words.next().cloned().ok_or_else(|| format!("{option} needs a value")),
        }
    }
}

/// Splits a line into words: blanks separate, '...' and "..." group (backslash escapes
/// inside double quotes and outside quotes), and `#` at the start of a word ends the line.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.peek() {
            None | Some('#') => return Ok(words),
            Some(_) => {}
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '\'' => loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                },
                '"' => loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => word.push(chars.next().ok_or("unterminated \" quote")?),
                        Some(c) => word.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                },
                '\\' => word.push(chars.next().ok_or("a backslash ends the line")?),
                c => word.push(c),
            }
        }
        words.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(line: &str) -> Action {
        parse(line).unwrap_or_else(|e| panic!("{line}: {e}")).expect(line)
    }

    fn s(text: &str) -> String {
        text.to_string()
    }

    #[test]
    fn words_quotes_and_comments() {
        assert_eq!(
            split_words("  cm  'My Box' \"a \\\"b\\\"\" c\\ d # note").unwrap(),
            ["cm", "My Box", "a \"b\"", "c d"]
        );
        assert_eq!(split_words("# only a comment").unwrap(), Vec::<String>::new());
        assert_eq!(split_words("cm a#b").unwrap(), ["cm", "a#b"]);
        assert!(split_words("cm 'open").is_err());
        assert!(split_words("cm \"open").is_err());
    }

    #[test]
    fn long_and_short_names() {
        for line in ["createmailbox Work", "create Work", "cm Work", "CM Work"] {
            assert_eq!(action(line), Action::CreateMailbox { name: s("Work"), partition: None });
        }
        assert_eq!(action("cm Work p2"), Action::CreateMailbox { name: s("Work"), partition: Some(s("p2")) });
        for line in ["deletemailbox A", "delete A", "dm A"] {
            assert_eq!(action(line), Action::DeleteMailbox { name: s("A") });
        }
        assert_eq!(action("lm"), Action::ListMailbox { pattern: s("*") });
        assert_eq!(action("list %"), Action::ListMailbox { pattern: s("%") });
        assert_eq!(action("renm A B"), Action::RenameMailbox { from: s("A"), to: s("B"), partition: None });
        assert_eq!(action("lam user/bob"), Action::ListAcl { name: s("user/bob") });
        assert_eq!(
            action("dam A bob anyone"),
            Action::DeleteAcl { name: s("A"), ids: vec![s("bob"), s("anyone")] }
        );
        assert_eq!(action("lq user/bob"), Action::ListQuota { root: s("user/bob") });
        assert_eq!(action("lqm INBOX"), Action::ListQuotaRoot { name: s("INBOX") });
        assert_eq!(action("listusers"), Action::ListUsers);
        assert_eq!(action("deleteuser carol"), Action::DeleteUser { name: s("carol") });
        assert_eq!(action("?"), Action::Help(None));
        assert_eq!(action("help sam"), Action::Help(Some(s("sam"))));
        assert_eq!(action("quit"), Action::Exit);
        assert_eq!(parse("   ").unwrap(), None);
        assert_eq!(parse("# comment").unwrap(), None);
    }

    #[test]
    fn setacl_pairs_and_macros() {
        assert_eq!(
            action("sam Shared/x bob read anyone none alice lrswi"),
            Action::SetAcl {
                name: s("Shared/x"),
                entries: vec![
                    (s("bob"), Rights::Set(s("lrs"))),
                    (s("anyone"), Rights::Remove),
                    (s("alice"), Rights::Set(s("lrswi")))
                ]
            }
        );
        assert!(parse("sam A bob").unwrap_err().starts_with("usage: setaclmailbox"));
        assert!(parse("sam A bob read alice").is_err());
        assert!(parse("sam A bob lrq").unwrap_err().contains("'q'"));
    }

    #[test]
    fn setquota_forms() {
        let sq = |storage_kb, messages| Action::SetQuota { root: s("user/bob"), storage_kb, messages };
        assert_eq!(action("sq user/bob 1000"), sq(Some(1000), None));
        assert_eq!(action("sq user/bob STORAGE 1000 message 50"), sq(Some(1000), Some(50)));
        assert_eq!(action("setquota user/bob MESSAGE 50"), sq(None, Some(50)));
        assert_eq!(action("sq user/bob none"), sq(None, None));
        assert_eq!(action("sq user/bob STORAGE none MESSAGE 5"), sq(None, Some(5)));
        for bad in ["sq", "sq user/bob", "sq user/bob lots", "sq user/bob FILES 3", "sq user/bob STORAGE"] {
            assert!(parse(bad).unwrap_err().starts_with("usage: setquota"), "{bad}");
        }
    }

    #[test]
    fn createuser_options_and_folders() {
        let folder = |name: &str, special_use| Folder { name: s(name), special_use };
        assert_eq!(
            action("createuser carol --password 'pw 1' --quota 2048"),
            Action::CreateUser {
                name: s("carol"),
                password: Some(Password::Given(s("pw 1"))),
                quota_kb: Some(2048),
                folders: vec![
                    folder("Sent", Some("\\Sent")),
                    folder("Drafts", Some("\\Drafts")),
                    folder("Trash", Some("\\Trash")),
                    folder("Junk", Some("\\Junk")),
                    folder("Archive", Some("\\Archive")),
                ],
            }
        );
        assert_eq!(
            action("createuser carol --password-stdin-line --folders=sent,Notes,Old/Archive"),
            Action::CreateUser {
                name: s("carol"),
                password: Some(Password::StdinLine),
                quota_kb: None,
                folders: vec![
                    folder("sent", Some("\\Sent")),
                    folder("Notes", None),
                    folder("Old/Archive", Some("\\Archive"))
                ],
            }
        );
        assert!(
            matches!(action("createuser carol --folders ''"), Action::CreateUser { folders, .. } if folders.is_empty())
        );
        assert!(parse("createuser").unwrap_err().starts_with("usage: createuser"));
        assert!(parse("createuser c --quota big").unwrap_err().contains("KiB"));
        assert!(parse("createuser c --password").unwrap_err().contains("needs a value"));
        assert!(parse("createuser c --bogus").unwrap_err().contains("unknown option"));
    }

    #[test]
    fn help_lists_every_command() {
        let all = help(None).unwrap();
        assert!(SPECS.iter().all(|s| all.contains(s.names[0])));
        assert!(help(Some("sam")).unwrap().starts_with("setaclmailbox, setacl, sam NAME ID RIGHTS"));
        assert!(help(Some("nope")).is_err());
    }

    #[test]
    fn setpassword_and_errors() {
        assert_eq!(action("setpassword carol"), Action::SetPassword { name: s("carol"), password: None });
        assert_eq!(
            action("setpassword carol --password=x"),
            Action::SetPassword { name: s("carol"), password: Some(Password::Given(s("x"))) }
        );
        assert!(parse("frobnicate").unwrap_err().contains("unknown command"));
        assert!(parse("cm").unwrap_err().starts_with("usage: createmailbox"));
        assert!(parse("cm a b c").is_err());
        assert!(parse("listusers extra").is_err());
    }
}
