//! The record of running servers and the data directory each serves: one file per server
//! in the state directory, named by its pid, holding the data directory's path and locked
//! (flock) for as long as the server runs, so that a file left by a killed server is told
//! from a live one and removed.
//!
//! The state directory is `$XDG_RUNTIME_DIR/bushbuck`, else `$XDG_STATE_HOME/bushbuck`,
//! else `/run/bushbuck` for root, else `~/.local/state/bushbuck`.

use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::datadir::env_dir;

/// A running server, as its record says.
#[derive(Debug)]
pub struct LiveServer {
    /// The server's process id.
    pub pid: u32,
    /// The absolute data directory it serves.
    pub data: PathBuf,
}

/// This process's record; removed when dropped (or left unlocked when the process dies).
pub struct Registration {
    _locked: File,
    path: PathBuf,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Records that this process serves `data` until the returned value is dropped.
pub fn register(data: &Path) -> Result<Registration, String> {
    let dir = servers_dir().ok_or("neither XDG_RUNTIME_DIR, XDG_STATE_HOME nor HOME is set")?;
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let pid = std::process::id();
    // Written and locked under a hidden name, then renamed: a reader never sees it unlocked.
    let partial = dir.join(format!(".{pid}.partial"));
    let path = dir.join(pid.to_string());
    let write = || -> std::io::Result<File> {
        let mut file = File::create(&partial)?;
        file.lock()?;
        file.write_all(data.as_os_str().as_bytes())?;
        fs::rename(&partial, &path)?;
        Ok(file)
    };
    let file = write().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Registration { _locked: file, path })
}

/// The servers running now; records of dead ones are removed on the way.
pub fn list() -> Vec<LiveServer> {
    let Some(dir) = servers_dir() else { return Vec::new() };
    let Ok(entries) = fs::read_dir(&dir) else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse().ok()?;
            let file = File::open(entry.path()).ok()?;
            match file.try_lock_shared() {
                Err(TryLockError::WouldBlock) => {}
                Ok(()) => {
                    let _ = fs::remove_file(entry.path());
                    return None;
                }
                Err(TryLockError::Error(_)) => return None,
            }
            let data = fs::read(entry.path()).ok()?;
            Some(LiveServer { pid, data: PathBuf::from(std::ffi::OsStr::from_bytes(&data)) })
        })
        .collect()
}

/// `STATE/servers`, where the records are.
fn servers_dir() -> Option<PathBuf> {
    let state = env_dir("XDG_RUNTIME_DIR")
        .or_else(|| env_dir("XDG_STATE_HOME"))
        .or_else(|| rustix::process::getuid().is_root().then(|| PathBuf::from("/run")))
        .or_else(|| env_dir("HOME").map(|home| home.join(".local/state")))?;
    Some(state.join("bushbuck").join("servers"))
}
