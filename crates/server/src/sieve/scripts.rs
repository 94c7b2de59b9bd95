//! Users' Sieve scripts and which one is active: checked before they are stored, counted
//! against the limits, kept by a [`ScriptStorage`] (files in the data directory, or tables of
//! the shared PostgreSQL database with `store_url`).

use std::path::Path;

use super::script_files::ScriptFiles;
use super::script_table::ScriptTable;
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

/// Where scripts are kept; [`ScriptStore`] does the checking and counting on top.
pub(crate) trait ScriptStorage: Send + Sync {
    /// The names of the user's scripts, in any order.
    fn names(&self, user: &str) -> Result<Vec<String>, ScriptError>;
    /// A script's source, `None` when there is no such script.
    fn read(&self, user: &str, name: &str) -> Result<Option<Vec<u8>>, ScriptError>;
    /// Stores a script (replacing one of the same name); durable when it returns.
    fn write(&self, user: &str, name: &str, source: &[u8]) -> Result<(), ScriptError>;
    /// Removes an existing script.
    fn remove(&self, user: &str, name: &str) -> Result<(), ScriptError>;
    /// Renames an existing script to a free name.
    fn rename(&self, user: &str, from: &str, to: &str) -> Result<(), ScriptError>;
    /// The active script's name, if any.
    fn active(&self, user: &str) -> Result<Option<String>, ScriptError>;
    /// Marks `name` active, or none.
    fn set_active(&self, user: &str, name: Option<&str>) -> Result<(), ScriptError>;
    /// Removes all of a user's scripts and the active mark.
    fn remove_user(&self, user: &str) -> Result<(), ScriptError>;
}

/// The scripts of every user.
pub struct ScriptStore {
    storage: Box<dyn ScriptStorage>,
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
    /// Scripts as files under `data/sieve`.
    pub fn new(data: &Path, max_scripts: usize, max_size: usize) -> ScriptStore {
        let storage = Box::new(ScriptFiles::new(data.join("sieve")));
        ScriptStore { storage, max_scripts, max_size }
    }

    /// Scripts in the PostgreSQL database at `url`, shared by every node using it.
    pub fn connect(url: &str, max_scripts: usize, max_size: usize) -> Result<ScriptStore, String> {
        Ok(ScriptStore { storage: Box::new(ScriptTable::connect(url)?), max_scripts, max_size })
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
        let mut out: Vec<ScriptInfo> = (self.storage.names(user)?.into_iter())
            .map(|name| ScriptInfo { active: active.as_deref() == Some(name.as_str()), name })
            .collect();
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
        self.storage.write(user, name, source)
    }

    /// Stores (replacing) a script copied from another store (`bushbuck store migrate`):
    /// name, size, count and syntax are checked, but not its includes, which may name scripts
    /// copied after it.
    pub fn import(&self, user: &str, name: &str, source: &[u8]) -> Result<(), ScriptError> {
        self.check(source)?;
        self.has_space(user, name, source.len())?;
        self.storage.write(user, name, source)
    }

    /// A script's source.
    pub fn get(&self, user: &str, name: &str) -> Result<Vec<u8>, ScriptError> {
        validate_name(name)?;
        self.storage.read(user, name)?.ok_or(ScriptError::NoSuchScript)
    }

    /// Deletes a script that is not active.
    pub fn delete(&self, user: &str, name: &str) -> Result<(), ScriptError> {
        self.get(user, name)?;
        if self.active_name(user)?.as_deref() == Some(name) {
            return Err(ScriptError::Active);
        }
        self.storage.remove(user, name)
    }

    /// Renames a script (the active mark follows it).
    pub fn rename(&self, user: &str, from: &str, to: &str) -> Result<(), ScriptError> {
        self.get(user, from)?;
        validate_name(to)?;
        if self.storage.read(user, to)?.is_some() {
            return Err(ScriptError::AlreadyExists);
        }
        self.storage.rename(user, from, to)?;
        if self.active_name(user)?.as_deref() == Some(from) {
            self.set_active(user, to)?;
        }
        Ok(())
    }

    /// Makes `name` the active script; an empty name deactivates all.
    pub fn set_active(&self, user: &str, name: &str) -> Result<(), ScriptError> {
        if name.is_empty() {
            return self.storage.set_active(user, None);
        }
        self.get(user, name)?;
        self.storage.set_active(user, Some(name))
    }

    /// The active script's name, if any.
    pub fn active_name(&self, user: &str) -> Result<Option<String>, ScriptError> {
        self.storage.active(user)
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
        self.storage.remove_user(user)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_list_activate_rename_delete() {
        let dir = tempfile::tempdir().unwrap();
        let mut stores = vec![ScriptStore::new(dir.path(), 2, 1000)];
        stores
            .extend(bushbuck_testsvc::postgres_url().map(|url| ScriptStore::connect(&url, 2, 1000).unwrap()));
        for s in stores {
            s.put("alice", "one", b"keep;").unwrap();
            assert!(
                matches!(s.put("alice", "bad", b"keep"), Err(ScriptError::Invalid(m)) if m.contains("line"))
            );
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
            s.put("alice", "five", b"keep;").unwrap();
            s.put("bob", "five", b"discard;").unwrap();
            s.set_active("alice", "five").unwrap();
            s.delete_user("alice").unwrap();
            assert!(s.list("alice").unwrap().is_empty() && s.active_name("alice").unwrap().is_none());
            assert_eq!(s.get("bob", "five").unwrap(), b"discard;", "another user's scripts stay");
        }
    }
    #[test]
    fn imported_scripts_may_include_scripts_copied_later_but_must_compile() {
        let dir = tempfile::tempdir().unwrap();
        let s = ScriptStore::new(dir.path(), 2, 1000);
        let main = b"require \"include\"; include :personal \"lib\";";
        assert!(matches!(s.put("alice", "main", main), Err(ScriptError::Invalid(_))), "put checks includes");
        s.import("alice", "main", main).unwrap();
        s.import("alice", "lib", b"keep;").unwrap();
        assert_eq!(s.get("alice", "main").unwrap(), main);
        assert!(matches!(s.import("alice", "bad", b"keep"), Err(ScriptError::Invalid(_))));
        assert_eq!(s.import("alice", "third", b"keep;"), Err(ScriptError::TooManyScripts(2)));
    }
}
