//! What earlier imports copied, so a second run copies only new messages and an interrupted
//! one continues: per (remote server, remote user, remote folder) the UIDVALIDITY seen and the
//! highest UID copied, in `DATA/import-imap/<local user>.toml`, rewritten atomically (temporary
//! file, fsync, rename) after every stored batch.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One remote folder's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FolderState {
    server: String,
    user: String,
    folder: String,
    uidvalidity: u32,
    last_uid: u32,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateData {
    #[serde(default)]
    folder: Vec<FolderState>,
}

/// Where a folder's import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Never imported.
    New,
    /// Imported up to this UID under the same UIDVALIDITY.
    Since(u32),
    /// Imported before, but UIDVALIDITY has changed: the UIDs mean nothing any more.
    UidValidityChanged,
}

/// The state file of one local user.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    data: StateData,
}

impl StateFile {
    /// Reads the state of imports into `local_user` (empty when there is none yet).
    pub fn load(data_dir: &Path, local_user: &str) -> Result<StateFile, String> {
        let path = data_dir.join("import-imap").join(format!("{local_user}.toml"));
        let data = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                format!("{} is damaged ({e}); remove it to import everything again (duplicates are skipped by Message-ID and size)", path.display())
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateData::default(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(StateFile { path, data })
    }

    /// How far `folder` of `user` on `server` has been imported.
    pub fn progress(&self, server: &str, user: &str, folder: &str, uidvalidity: u32) -> Progress {
        match self.find(server, user, folder) {
            None => Progress::New,
            Some(f) if f.uidvalidity == uidvalidity => Progress::Since(f.last_uid),
            Some(_) => Progress::UidValidityChanged,
        }
    }

    /// Records that everything up to `last_uid` is copied, and saves the file.
    pub fn record(
        &mut self,
        server: &str,
        user: &str,
        folder: &str,
        uidvalidity: u32,
        last_uid: u32,
    ) -> Result<(), String> {
        let entry = FolderState {
            server: server.into(),
            user: user.into(),
            folder: folder.into(),
            uidvalidity,
            last_uid,
        };
        match self.data.folder.iter_mut().find(|f| f.server == server && f.user == user && f.folder == folder)
        {
            Some(f) => *f = entry,
            None => self.data.folder.push(entry),
        }
        self.save()
    }

    fn find(&self, server: &str, user: &str, folder: &str) -> Option<&FolderState> {
        self.data.folder.iter().find(|f| f.server == server && f.user == user && f.folder == folder)
    }

    fn save(&self) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot save the import state {}: {e}", self.path.display());
        let dir = self.path.parent().expect("the state file is inside a directory");
        std::fs::create_dir_all(dir).map_err(fail)?;
        let text = toml::to_string(&self.data).map_err(|e| format!("cannot encode the import state: {e}"))?;
        let tmp = self.path.with_extension("toml.tmp");
        let mut file = std::fs::File::create(&tmp).map_err(fail)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).and_then(|_| file.sync_all()).map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_progress_per_folder_and_uidvalidity() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = StateFile::load(dir.path(), "alice").unwrap();
        assert_eq!(state.progress("h:993", "bob", "INBOX", 7), Progress::New);
        state.record("h:993", "bob", "INBOX", 7, 10).unwrap();
        state.record("h:993", "bob", "Sent", 8, 3).unwrap();
        state.record("h:993", "bob", "INBOX", 7, 12).unwrap();
        let state = StateFile::load(dir.path(), "alice").unwrap();
        assert_eq!(state.progress("h:993", "bob", "INBOX", 7), Progress::Since(12));
        assert_eq!(state.progress("h:993", "bob", "INBOX", 9), Progress::UidValidityChanged);
        assert_eq!(state.progress("h:993", "carol", "INBOX", 7), Progress::New);
        assert_eq!(state.progress("h:993", "bob", "Sent", 8), Progress::Since(3));
        std::fs::write(dir.path().join("import-imap/alice.toml"), "garbage [").unwrap();
        assert!(StateFile::load(dir.path(), "alice").unwrap_err().contains("remove it"));
    }
}
