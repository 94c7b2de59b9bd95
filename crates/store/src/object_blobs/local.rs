//! [`LocalBlobs`]: the objects as files in one directory tree on this machine, written with
//! the embedded store's durable file writes ([`crate::blobs::BlobDir`]).

use std::path::PathBuf;
use std::time::Duration;

use super::BlobStore;
use crate::blobs::BlobDir;
use crate::error::Result;

/// Objects as `<dir>/<2 hex>/<sha256 hex>` files: for a single node whose index is in a
/// database, or a cluster whose nodes share one network file system.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    files: BlobDir,
}

impl LocalBlobs {
    /// Objects under `dir` (created on the first write).
    pub fn new(dir: PathBuf) -> LocalBlobs {
        LocalBlobs { files: BlobDir::new(dir) }
    }
}

impl BlobStore for LocalBlobs {
    fn put(&self, sha: &str, data: &[u8]) -> Result<()> {
        Ok(self.files.ensure(sha, data)?)
    }

    fn get(&self, sha: &str) -> Result<Vec<u8>> {
        Ok(self.files.read(sha)?)
    }

    fn delete(&self, sha: &str) -> Result<()> {
        Ok(self.files.remove(sha)?)
    }

    fn stored_before(&self, min_age: Duration) -> Result<Vec<String>> {
        Ok(self.files.files_older_than(min_age)?)
    }

    fn describe(&self) -> String {
        format!("files in {}", self.files.dir().display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blobs::content_address;

    #[test]
    fn put_get_delete_and_sweep_listing() {
        let tmp = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::new(tmp.path().join("objects"));
        let data = b"Subject: hello\r\n\r\nbody\r\n";
        let sha = content_address(data);
        blobs.put(&sha, data).unwrap();
        blobs.put(&sha, data).unwrap();
        assert_eq!(blobs.get(&sha).unwrap(), data);
        assert_eq!(blobs.stored_before(Duration::ZERO).unwrap(), vec![sha.clone()]);
        assert!(blobs.stored_before(Duration::from_secs(3600)).unwrap().is_empty());
        blobs.delete(&sha).unwrap();
        blobs.delete(&sha).unwrap();
        assert!(blobs.get(&sha).is_err());
        assert!(blobs.put("../escape", data).is_err());
        assert!(blobs.describe().contains("objects"));
    }
}
