//! The embedded home of users' Sieve scripts: `sieve/<user>/<name>.sieve` in the data
//! directory, with the active script's name in `sieve/<user>/active`.

use std::path::{Path, PathBuf};

use super::scripts::{ScriptError, ScriptStorage};

fn io(e: std::io::Error) -> ScriptError {
    ScriptError::Io(e.to_string())
}

/// Scripts as files under one directory.
pub(crate) struct ScriptFiles {
    root: PathBuf,
}

impl ScriptFiles {
    /// Scripts under `root` (`data/sieve`).
    pub(crate) fn new(root: PathBuf) -> ScriptFiles {
        ScriptFiles { root }
    }

    fn dir(&self, user: &str) -> PathBuf {
        self.root.join(user)
    }

    fn path(&self, user: &str, name: &str) -> PathBuf {
        self.dir(user).join(format!("{name}.sieve"))
    }
}

impl ScriptStorage for ScriptFiles {
    fn names(&self, user: &str) -> Result<Vec<String>, ScriptError> {
        let entries = match std::fs::read_dir(self.dir(user)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let file = entry.map_err(io)?.file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(".sieve") {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }

    fn read(&self, user: &str, name: &str) -> Result<Option<Vec<u8>>, ScriptError> {
        match std::fs::read(self.path(user, name)) {
            Ok(source) => Ok(Some(source)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    fn write(&self, user: &str, name: &str, source: &[u8]) -> Result<(), ScriptError> {
        std::fs::create_dir_all(self.dir(user)).map_err(io)?;
        write_durably(&self.path(user, name), source)
    }

    fn remove(&self, user: &str, name: &str) -> Result<(), ScriptError> {
        std::fs::remove_file(self.path(user, name)).map_err(io)
    }

    fn rename(&self, user: &str, from: &str, to: &str) -> Result<(), ScriptError> {
        std::fs::rename(self.path(user, from), self.path(user, to)).map_err(io)
    }

    fn active(&self, user: &str) -> Result<Option<String>, ScriptError> {
        match std::fs::read_to_string(self.dir(user).join("active")) {
            Ok(name) => Ok(Some(name.trim().to_string()).filter(|n| !n.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    fn set_active(&self, user: &str, name: Option<&str>) -> Result<(), ScriptError> {
        let marker = self.dir(user).join("active");
        match name {
            Some(name) => write_durably(&marker, name.as_bytes()),
            None => match std::fs::remove_file(&marker) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
                _ => Ok(()),
            },
        }
    }

    fn remove_user(&self, user: &str) -> Result<(), ScriptError> {
        match std::fs::remove_dir_all(self.dir(user)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
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
