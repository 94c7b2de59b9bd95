//! Remote folder names to local ones: `--folder-map` rules first, then the personal
//! namespace prefix (such as `INBOX.`) is dropped and the remote hierarchy delimiter becomes
//! `/`; any case of `INBOX` is INBOX. `--exclude` patterns (`*` any run of characters, `?`
//! one) are matched against the remote and the local name.

/// How to name remote folders locally.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// The personal namespace prefix to drop, e.g. `INBOX.` (empty for none).
    pub prefix: String,
    /// `--folder-map` rules: (remote name, local name).
    pub rules: Vec<(String, String)>,
    /// `--exclude` patterns.
    pub exclude: Vec<String>,
}

/// Parses a `--folder-map` argument `Remote=Local`.
pub fn parse_rule(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((remote, local)) if !remote.is_empty() && !local.is_empty() => {
            Ok((remote.to_string(), local.to_string()))
        }
        _ => Err(format!("--folder-map {arg:?}: write it as 'Remote=Local', e.g. 'INBOX.Sent=Sent'")),
    }
}

impl Mapping {
    /// The local name of remote folder `remote` whose hierarchy delimiter is `delimiter`, or
    /// None when it is excluded.
    pub fn local_name(&self, remote: &str, delimiter: Option<char>) -> Option<String> {
        let local = self.translate(remote, delimiter);
        let excluded = self.exclude.iter().any(|p| glob(p, remote) || glob(p, &local));
        (!excluded).then_some(local)
    }

    fn translate(&self, remote: &str, delimiter: Option<char>) -> String {
        for (from, to) in &self.rules {
            if remote == from {
                return to.clone();
            }
            if let Some(rest) = delimiter.and_then(|d| remote.strip_prefix(from)?.strip_prefix(d)) {
                return format!("{to}/{}", hierarchy(rest, delimiter));
            }
        }
        let unprefixed = match remote.get(..self.prefix.len()) {
            Some(head)
                if !self.prefix.is_empty()
                    && head.eq_ignore_ascii_case(&self.prefix)
                    && remote.len() > head.len() =>
            {
                &remote[head.len()..]
            }
            _ => remote,
        };
        let name = hierarchy(unprefixed, delimiter);
        if name.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_string()
        } else {
            name
        }
    }
}

/// `a.b.c` with delimiter `.` as `a/b/c`; a `/` inside a level (possible when the remote
/// delimiter is something else) becomes `_`, so it cannot create a level of its own.
fn hierarchy(name: &str, delimiter: Option<char>) -> String {
    match delimiter {
        Some('/') | None => name.to_string(),
        Some(d) => name.split(d).map(|level| level.replace('/', "_")).collect::<Vec<_>>().join("/"),
    }
}

/// Whether `text` matches `pattern` (`*` any run, `?` one character), case-sensitively.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_prefix_and_delimiter() {
        let courier = Mapping { prefix: "INBOX.".into(), ..Default::default() };
        assert_eq!(courier.local_name("INBOX", Some('.')).unwrap(), "INBOX");
        assert_eq!(courier.local_name("INBOX.Sent", Some('.')).unwrap(), "Sent");
        assert_eq!(courier.local_name("INBOX.Archive.2024", Some('.')).unwrap(), "Archive/2024");
        assert_eq!(courier.local_name("inbox.a/b.c", Some('.')).unwrap(), "a_b/c");
        let plain = Mapping::default();
        assert_eq!(plain.local_name("Inbox", Some('/')).unwrap(), "INBOX");
        assert_eq!(plain.local_name("Work/Projects", Some('/')).unwrap(), "Work/Projects");
        assert_eq!(plain.local_name("Work.Projects", Some('.')).unwrap(), "Work/Projects");
        assert_eq!(plain.local_name("Flat", None).unwrap(), "Flat");
    }

    #[test]
    fn rules_apply_to_the_folder_and_its_children() {
        let m = Mapping {
            prefix: "INBOX.".into(),
            rules: vec![parse_rule("INBOX.Sent Items=Sent").unwrap(), parse_rule("Old=Archive/Old").unwrap()],
            exclude: Vec::new(),
        };
        assert_eq!(m.local_name("INBOX.Sent Items", Some('.')).unwrap(), "Sent");
        assert_eq!(m.local_name("INBOX.Sent Items.2023", Some('.')).unwrap(), "Sent/2023");
        assert_eq!(m.local_name("Old.x", Some('.')).unwrap(), "Archive/Old/x");
        assert_eq!(m.local_name("INBOX.Sent Itemsx", Some('.')).unwrap(), "Sent Itemsx");
        assert!(parse_rule("NoEquals").is_err());
        assert!(parse_rule("=Local").is_err());
    }

    #[test]
    fn exclusions_match_remote_or_local_names() {
        let m = Mapping {
            prefix: "INBOX.".into(),
            rules: Vec::new(),
            exclude: vec!["INBOX.Trash".into(), "Spam*".into(), "*/Tmp?".into()],
        };
        assert_eq!(m.local_name("INBOX.Trash", Some('.')), None);
        assert_eq!(m.local_name("INBOX.Spam.Old", Some('.')), None);
        assert_eq!(m.local_name("INBOX.a.Tmp1", Some('.')), None);
        assert_eq!(m.local_name("INBOX.a.Tmp", Some('.')).unwrap(), "a/Tmp");
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYbc"));
        assert!(!glob("a*b", "ac"));
    }
}
