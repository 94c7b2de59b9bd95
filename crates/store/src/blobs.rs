//! Content-addressed message files: `blobs/<2 hex>/<sha256 hex>`.
//!
//! A file is written unnamed (`O_TMPFILE`; where that is not possible, as `blobs/tmp/<random>`),
//! fsynced, given its content address as name and the directory fsynced, all before the index
//! row that refers to it is committed. Equal content has one name, so a second copy reuses the
//! file, and a file can be hard-linked into another user's blob directory (multi-recipient
//! delivery) without being rewritten. Files are never modified in place, only created and
//! unlinked.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::hex;

/// One user's directory of message files.
#[derive(Debug, Clone)]
pub(crate) struct BlobDir {
    dir: PathBuf,
}

/// SHA-256 of `data` in lower-case hex: the name of its file.
pub(crate) fn content_address(data: &[u8]) -> String {
    hex::encode(&Sha256::digest(data))
}

impl BlobDir {
    /// The blob directory at `dir` (created on first write).
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The directory the files are in.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the file with content address `sha`.
    pub(crate) fn path(&self, sha: &str) -> io::Result<PathBuf> {
        if !hex::is_sha256(sha) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad content address {sha:?}")));
        }
        Ok(self.dir.join(&sha[..2]).join(sha))
    }

    /// Makes sure the file for `data` (whose address is `sha`) exists durably: reuses an
    /// existing file, otherwise writes and fsyncs it, gives it its name and fsyncs the
    /// directory.
    pub(crate) fn ensure(&self, sha: &str, data: &[u8]) -> io::Result<()> {
        let path = self.path(sha)?;
        let shard = path.parent().expect("blob path has a parent");
        if path.exists() {
            // The file may be another delivery's, linked but its directory not yet synced:
            // sync it here too before the caller acknowledges a row that names the file.
            return sync_dir(shard);
        }
        let linked = match write_unnamed(shard, &path, data) {
            Err(e) if e.kind() == io::ErrorKind::NotFound && !shard.is_dir() => {
                fs::create_dir_all(shard)?;
                sync_dir(&self.dir)?;
                write_unnamed(shard, &path, data)
            }
            other => other,
        };
        if linked.is_err() {
            // No unnamed files here (another file system, no /proc): the portable way.
            self.write_via_temporary(&path, data)?;
        }
        sync_dir(shard)
    }

    /// Writes `data` to a named file in `tmp/`, fsyncs it and renames it to `path`.
    fn write_via_temporary(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        let tmp_dir = self.dir.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        let tmp = tmp_dir.join(hex::encode(&rand::random::<[u8; 16]>()));
        let written = (|| {
            let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            file.write_all(data)?;
            file.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// Reads a whole file.
    pub(crate) fn read(&self, sha: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(sha)?)
    }

    /// Unlinks a file; a file already gone is fine.
    pub(crate) fn remove(&self, sha: &str) -> io::Result<()> {
        match fs::remove_file(self.path(sha)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Hard-links `sha` from another blob directory into this one (durably). Returns false
    /// when the source has no such file; true when the file is (now) present here.
    pub(crate) fn link_from(&self, other: &BlobDir, sha: &str) -> io::Result<bool> {
        let target = self.path(sha)?;
        let shard = target.parent().expect("blob path has a parent");
        if target.exists() {
            // As in `ensure`: the entry may not be synced yet by whoever made it.
            sync_dir(shard)?;
            return Ok(true);
        }
        let source = other.path(sha)?;
        if !source.exists() {
            return Ok(false);
        }
        if !shard.is_dir() {
            fs::create_dir_all(shard)?;
            sync_dir(&self.dir)?;
        }
        match fs::hard_link(&source, &target) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        }
        sync_dir(shard)?;
        Ok(true)
    }
}

impl BlobDir {
    /// Content addresses of the message files last modified more than `min_age` ago.
    pub(crate) fn files_older_than(&self, min_age: Duration) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for shard in read_dir_or_empty(&self.dir)? {
            let shard = shard?;
            if shard.file_name() == "tmp" || !shard.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(shard.path())? {
                let file = file?;
                let Ok(name) = file.file_name().into_string() else {
                    continue;
                };
                if hex::is_sha256(&name) && older_than(&file.metadata()?, min_age) {
                    out.push(name);
                }
            }
        }
        Ok(out)
    }

    /// Removes temporary files (of writes that crashed) older than `min_age`; returns how many.
    pub(crate) fn remove_stale_temporaries(&self, min_age: Duration) -> io::Result<u64> {
        let mut removed = 0;
        for file in read_dir_or_empty(&self.dir.join("tmp"))? {
            let file = file?;
            if older_than(&file.metadata()?, min_age) {
                fs::remove_file(file.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// The entries of a directory; none if it does not exist.
fn read_dir_or_empty(dir: &Path) -> io::Result<Vec<io::Result<fs::DirEntry>>> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(entries.collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Whether a file was last modified more than `age` ago.
fn older_than(meta: &fs::Metadata, age: Duration) -> bool {
    meta.modified().ok().and_then(|m| SystemTime::now().duration_since(m).ok()).is_some_and(|d| d >= age)
}

/// Writes `data` to an unnamed file in `dir` (Linux's `O_TMPFILE`), fsyncs it and links it
/// as `path`. Cheaper than a named temporary file: no directory entry to create, rename and
/// sync, no lock on two directories, nothing left behind by a crash. An existing `path`
/// (the same content, written meanwhile) is fine.
fn write_unnamed(dir: &Path, path: &Path, data: &[u8]) -> io::Result<()> {
    use rustix::fs::{AtFlags, Mode, OFlags, CWD};
    let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
    let mut file = File::from(rustix::fs::openat(CWD, dir, flags, Mode::from_bits_truncate(0o666))?);
    file.write_all(data)?;
    file.sync_all()?;
    let unnamed = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
    match rustix::fs::linkat(CWD, unnamed.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW) {
        Err(rustix::io::Errno::EXIST) => Ok(()),
        linked => Ok(linked?),
    }
}

/// Fsyncs a directory so that entries created or renamed in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_reuse_link_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let a = BlobDir::new(tmp.path().join("a"));
        let b = BlobDir::new(tmp.path().join("b"));
        let data = b"Subject: x\r\n\r\nbody";
        let sha = content_address(data);
        a.ensure(&sha, data).unwrap();
        a.ensure(&sha, data).unwrap();
        assert_eq!(a.read(&sha).unwrap(), data);
        assert!(b.link_from(&a, &sha).unwrap());
        assert_eq!(b.read(&sha).unwrap(), data);
        a.remove(&sha).unwrap();
        a.remove(&sha).unwrap();
        assert_eq!(b.read(&sha).unwrap(), data);
        assert!(!a.link_from(&b, &"00".repeat(32)).unwrap());
        assert!(a.path("../../x").is_err());
        // Written without a named temporary file: nothing in tmp/.
        assert!(!tmp.path().join("a/tmp").exists());
        assert_eq!(b.files_older_than(Duration::ZERO).unwrap(), vec![sha.clone()]);
        assert!(b.files_older_than(Duration::from_secs(3600)).unwrap().is_empty());
        fs::create_dir_all(tmp.path().join("b/tmp")).unwrap();
        fs::write(tmp.path().join("b/tmp/junk"), b"partial").unwrap();
        assert_eq!(b.remove_stale_temporaries(Duration::from_secs(3600)).unwrap(), 0);
        assert_eq!(b.remove_stale_temporaries(Duration::ZERO).unwrap(), 1);
    }

    #[test]
    fn portable_write_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let a = BlobDir::new(tmp.path().join("a"));
        let data = b"Subject: y\r\n\r\nbody";
        let path = a.path(&content_address(data)).unwrap();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        a.write_via_temporary(&path, data).unwrap();
        assert_eq!(fs::read(&path).unwrap(), data);
        assert_eq!(fs::read_dir(tmp.path().join("a/tmp")).unwrap().count(), 0);
    }
}
