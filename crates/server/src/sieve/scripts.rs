//! Users' Sieve scripts on disk: `sieve/<user>/<name>.sieve` in the data directory, with the
//! active script's name in `sieve/<user>/active`. Scripts are checked before they are stored.

use std::path::{Path, PathBuf};

use bushbuck_sieve::{check_includes, parse_script, Limits, Location, Script, ScriptLoader};

/// Why a script operation failed; the text is meant for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptError {
    /// No script of that name.
    NoSuchScript,
    /// A script of that name exists already.
    AlreadyExists,
    /// The script is active and cannot be deleted.
    Active,
    /// Over the number of scripts a user may keep.
    TooManyScripts(usize),
    /// Over the size a script may have.
    TooLarge(usize),
    /// The name is not acceptable.
    BadName(String),
    /// The script does not compile: the parser's message with line and column.
    Invalid(String),
    /// The disk failed.
    Io(String),
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptError::NoSuchScript => write!(f, "no such script"),
            ScriptError::AlreadyExists => write!(f, "a script with that name exists"),
            ScriptError::Active => write!(f, "the script is active; deactivate it first"),
            ScriptError::TooManyScripts(n) => write!(f, "at most {n} scripts are allowed"),
            ScriptError::TooLarge(n) => write!(f, "scripts may be at most {n} octets"),
            ScriptError::BadName(why) => write!(f, "invalid script name: {why}"),
            ScriptError::Invalid(why) => write!(f, "{why}"),
            ScriptError::Io(why) => write!(f, "storage failure: {why}"),
        }
    }
}

fn io(e: std::io::Error) -> ScriptError {
    ScriptError::Io(e.to_string())
}

/// The scripts of every user.
pub struct ScriptStore {
    root: PathBuf,
    /// Most scripts per user.
    pub max_scripts: usize,
    /// Largest script, in octets.
    pub max_size: usize,
}

/// A script as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptInfo {
    /// Its name.
    pub name: String,
    /// Whether it runs at delivery.
    pub active: bool,
}

/// Checks a script name: 1 to 128 characters, no `/`, no control characters, not `.`-led.
pub fn validate_name(name: &str) -> Result<(), ScriptError> {
    if name.is_empty() || name.len() > 128 {
        return Err(ScriptError::BadName("must be 1 to 128 octets".into()));
    }
    if name.starts_with('.') || name.contains('/') || name.chars().any(char::is_control) {
        return Err(ScriptError::BadName("no '/', control characters or leading '.'".into()));
    }
    Ok(())
}

impl ScriptStore {
    /// Scripts under `data/sieve`.
    pub fn new(data: &Path, max_scripts: usize, max_size: usize) -> ScriptStore {
        ScriptStore { root: data.join("sieve"), max_scripts, max_size }
    }

    fn dir(&self, user: &str) -> PathBuf {
        self.root.join(user)
    }

    fn path(&self, user: &str, name: &str) -> PathBuf {
        self.dir(user).join(format!("{name}.sieve"))
    }

    /// Parses and validates a script as PUTSCRIPT and CHECKSCRIPT do.
    pub fn check(&self, source: &[u8]) -> Result<Script, ScriptError> {
        if source.len() > self.max_size {
            return Err(ScriptError::TooLarge(self.max_size));
        }
        let limits = Limits { max_script_size: self.max_size, ..Limits::default() };
        let text =
            std::str::from_utf8(source).map_err(|_| ScriptError::Invalid("script is not UTF-8".into()))?;
        parse_script(text, &limits).map_err(|e| ScriptError::Invalid(e.to_string()))
    }

    /// Like [`ScriptStore::check`] for a script `user` uploads as `name` (None for
    /// CHECKSCRIPT): its `include`s of the user's scripts must exist (unless `:optional`),
    /// compile and not loop, as they will be found at delivery.
    pub fn check_upload(&self, user: &str, name: Option<&str>, source: &[u8]) -> Result<Script, ScriptError> {
        let script = self.check(source)?;
        let limits = Limits { max_script_size: self.max_size, ..Limits::default() };
        check_includes(name, &script, &UserScripts { store: self, user }, &limits)
            .map_err(ScriptError::Invalid)?;
        Ok(script)
    }

    /// The user's scripts, sorted by name.
    pub fn list(&self, user: &str) -> Result<Vec<ScriptInfo>, ScriptError> {
        let active = self.active_name(user)?;
        let mut out = Vec::new();
        match std::fs::read_dir(self.dir(user)) {
            Ok(entries) => {
                for entry in entries {
                    let file = entry.map_err(io)?.file_name().to_string_lossy().into_owned();
                    if let Some(name) = file.strip_suffix(".sieve") {
                        out.push(ScriptInfo {
                            name: name.to_string(),
                            active: active.as_deref() == Some(name),
                        });
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Whether a script of `size` octets named `name` could be stored (HAVESPACE).
    pub fn has_space(&self, user: &str, name: &str, size: usize) -> Result<(), ScriptError> {
        validate_name(name)?;
        if size > self.max_size {
            return Err(ScriptError::TooLarge(self.max_size));
        }
        let scripts = self.list(user)?;
        if !scripts.iter().any(|s| s.name == name) && scripts.len() >= self.max_scripts {
            return Err(ScriptError::TooManyScripts(self.max_scripts));
        }
        Ok(())
    }

    /// Stores (replacing) a script after checking it; durable when it returns.
    pub fn put(&self, user: &str, name: &str, source: &[u8]) -> Result<(), ScriptError> {
        self.has_space(user, name, source.len())?;
        self.check_upload(user, Some(name), source)?;
        std::fs::create_dir_all(self.dir(user)).map_err(io)?;
        write_durably(&self.path(user, name), source)
    }

    /// A script's source.
    pub fn get(&self, user: &str, name: &str) -> Result<Vec<u8>, ScriptError> {
        validate_name(name)?;
        std::fs::read(self.path(user, name)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ScriptError::NoSuchScript,
            _ => io(e),
        })
    }

    /// Deletes a script that is not active.
    pub fn delete(&self, user: &str, name: &str) -> Result<(), ScriptError> {
        self.get(user, name)?;
        if self.active_name(user)?.as_deref() == Some(name) {
            return Err(ScriptError::Active);
        }
        std::fs::remove_file(self.path(user, name)).map_err(io)
    }

    /// Renames a script (the active mark follows it).
    pub fn rename(&self, user: &str, from: &str, to: &str) -> Result<(), ScriptError> {
        self.get(user, from)?;
        validate_name(to)?;
        if self.path(user, to).exists() {
            return Err(ScriptError::AlreadyExists);
        }
        std::fs::rename(self.path(user, from), self.path(user, to)).map_err(io)?;
        if self.active_name(user)?.as_deref() == Some(from) {
            self.set_active(user, to)?;
        }
        Ok(())
    }

    /// Makes `name` the active script; an empty name deactivates all.
    pub fn set_active(&self, user: &str, name: &str) -> Result<(), ScriptError> {
        let marker = self.dir(user).join("active");
        if name.is_empty() {
            return match std::fs::remove_file(&marker) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
                _ => Ok(()),
            };
        }
        self.get(user, name)?;
        write_durably(&marker, name.as_bytes())
    }

    /// The active script's name, if any.
    pub fn active_name(&self, user: &str) -> Result<Option<String>, ScriptError> {
        match std::fs::read_to_string(self.dir(user).join("active")) {
            Ok(name) => Ok(Some(name.trim().to_string()).filter(|n| !n.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    /// The active script, compiled, if the user has one.
    pub fn active(&self, user: &str) -> Result<Option<Script>, ScriptError> {
        match self.active_name(user)? {
            Some(name) => self.check(&self.get(user, &name)?).map(Some),
            None => Ok(None),
        }
    }

    /// Source of another script of the user, for `include :personal`.
    pub fn source(&self, user: &str, name: &str) -> Option<String> {
        self.get(user, name).ok().and_then(|b| String::from_utf8(b).ok())
    }

    /// Removes every script of a user.
    pub fn delete_user(&self, user: &str) -> Result<(), ScriptError> {
        match std::fs::remove_dir_all(self.dir(user)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
        }
    }
}

/// One user's stored scripts, as `include :personal` finds them.
struct UserScripts<'a> {
    store: &'a ScriptStore,
    user: &'a str,
}

impl ScriptLoader for UserScripts<'_> {
    fn load(&self, name: &str, location: Location) -> Option<String> {
        match location {
            Location::Personal => self.store.source(self.user, name),
            Location::Global => None,
        }
    }
}

/// Writes a file via a temporary name, fsyncs it and renames it into place.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), ScriptError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_list_activate_rename_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = ScriptStore::new(dir.path(), 2, 1000);
        s.put("alice", "one", b"keep;").unwrap();
        assert!(matches!(s.put("alice", "bad", b"keep"), Err(ScriptError::Invalid(m)) if m.contains("line")));
        s.set_active("alice", "one").unwrap();
        assert_eq!(s.list("alice").unwrap(), vec![ScriptInfo { name: "one".into(), active: true }]);
        assert_eq!(s.delete("alice", "one"), Err(ScriptError::Active));
        s.rename("alice", "one", "two").unwrap();
        assert_eq!(s.active_name("alice").unwrap().as_deref(), Some("two"));
        s.put("alice", "three", b"discard;").unwrap();
        assert_eq!(s.put("alice", "four", b"keep;"), Err(ScriptError::TooManyScripts(2)));
        assert_eq!(s.has_space("alice", "x", 5000), Err(ScriptError::TooLarge(1000)));
        s.set_active("alice", "").unwrap();
        s.delete("alice", "two").unwrap();
        assert_eq!(s.get("alice", "two"), Err(ScriptError::NoSuchScript));
        assert!(s.active("alice").unwrap().is_none());
        assert!(validate_name("../x").is_err());
    }
}
