//! Content-addressed message files: `blobs/<2 hex>/<sha256 hex>`.
//!
//! A file is written to `blobs/tmp/<random>`, fsynced, renamed to its content address and the
//! directory fsynced, all before the index row that refers to it is committed. Equal content
//! has one name, so a second copy reuses the file, and a file can be hard-linked into another
//! user's blob directory (multi-recipient delivery) without being rewritten. Files are never
//! modified in place, only created and unlinked.

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

    /// Path of the file with content address `sha`.
    pub(crate) fn path(&self, sha: &str) -> io::Result<PathBuf> {
        if !hex::is_sha256(sha) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad content address {sha:?}")));
        }
        Ok(self.dir.join(&sha[..2]).join(sha))
    }

    /// Makes sure the file for `data` (whose address is `sha`) exists durably: reuses an
    /// existing file, otherwise writes, fsyncs, renames into place and fsyncs the directory.
    pub(crate) fn ensure(&self, sha: &str, data: &[u8]) -> io::Result<()> {
        let path = self.path(sha)?;
        if path.exists() {
            return Ok(());
        }
        let shard = path.parent().expect("blob path has a parent");
        if !shard.is_dir() {
            fs::create_dir_all(shard)?;
            sync_dir(&self.dir)?;
        }
        let tmp_dir = self.dir.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        let tmp = tmp_dir.join(hex::encode(&rand::random::<[u8; 16]>()));
        let written = (|| {
            let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            file.write_all(data)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir(shard)
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
        if target.exists() {
            return Ok(true);
        }
        let source = other.path(sha)?;
        if !source.exists() {
            return Ok(false);
        }
        let shard = target.parent().expect("blob path has a parent");
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
        assert_eq!(fs::read_dir(tmp.path().join("a/tmp")).unwrap().count(), 0);
        assert_eq!(b.files_older_than(Duration::ZERO).unwrap(), vec![sha.clone()]);
        assert!(b.files_older_than(Duration::from_secs(3600)).unwrap().is_empty());
        fs::create_dir_all(tmp.path().join("b/tmp")).unwrap();
        fs::write(tmp.path().join("b/tmp/junk"), b"partial").unwrap();
        assert_eq!(b.remove_stale_temporaries(Duration::from_secs(3600)).unwrap(), 0);
        assert_eq!(b.remove_stale_temporaries(Duration::ZERO).unwrap(), 1);
    }
}
