//! Message contents for a store whose index is shared by many nodes: one flat namespace of
//! immutable objects, each named by the SHA-256 of its octets (lower-case hex), so equal
//! content is stored once for every user and mailbox that holds it.
//!
//! The embedded store keeps its own per-user files ([`crate::blobs`]); this is what the
//! distributed store writes to. Crash safety rests on one rule its callers keep: `put` has
//! returned (the object is durable) before the index row naming it commits, and an object
//! is deleted only by a sweeper that finds no row naming it after a grace period.

mod local;
mod s3;

pub use local::LocalBlobs;
pub use s3::{S3Blobs, S3Location};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Result, StoreError};

/// A store of immutable, content-addressed message objects. Safe to call from many threads.
pub trait BlobStore: Send + Sync {
    /// Stores `data` under `sha` (its SHA-256, lower-case hex). On `Ok` the object survives a
    /// crash of this node and of the engine. Storing a name that exists is `Ok`.
    fn put(&self, sha: &str, data: &[u8]) -> Result<()>;
    /// The octets stored under `sha`.
    fn get(&self, sha: &str) -> Result<Vec<u8>>;
    /// Removes the object; one already gone is fine.
    fn delete(&self, sha: &str) -> Result<()>;
    /// Names of the objects stored at least `min_age` ago: what a sweeper may consider.
    fn stored_before(&self, min_age: Duration) -> Result<Vec<String>>;
    /// Where the objects live, for logs and error messages (never a secret).
    fn describe(&self) -> String;
}

/// Where message objects go, as configured (`blob_url`, `blob_access_key`, `blob_secret_key`).
#[derive(Debug, Clone, Default)]
pub struct BlobSettings {
    /// `s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=R`; `None` keeps local files.
    pub url: Option<String>,
    /// S3 access key id; `None` reads `AWS_ACCESS_KEY_ID`.
    pub access_key: Option<String>,
    /// S3 secret access key; `None` reads `AWS_SECRET_ACCESS_KEY`.
    pub secret_key: Option<String>,
}

/// Opens the blob store the settings name: files under `local_dir` when there is no URL,
/// else the S3 bucket. A bad URL or missing credentials is an error saying what to write.
pub fn open_blobs(settings: &BlobSettings, local_dir: &Path) -> Result<Arc<dyn BlobStore>> {
    let Some(url) = &settings.url else {
        return Ok(Arc::new(LocalBlobs::new(local_dir.to_path_buf())));
    };
    let location = S3Location::parse(url).map_err(StoreError::Io)?;
    let access_key = credential(&settings.access_key, "AWS_ACCESS_KEY_ID", "blob_access_key")?;
    let secret_key = credential(&settings.secret_key, "AWS_SECRET_ACCESS_KEY", "blob_secret_key")?;
    Ok(Arc::new(S3Blobs::open(location, &access_key, &secret_key)?))
}

/// The configured value, else the environment variable, else an error naming both.
fn credential(configured: &Option<String>, env: &str, setting: &str) -> Result<String> {
    if let Some(value) = configured.as_ref().filter(|v| !v.is_empty()) {
        return Ok(value.clone());
    }
    match std::env::var(env) {
        Ok(value) if !value.is_empty() => Ok(value),
        _ => Err(StoreError::Io(format!(
            "blob_url names an S3 bucket but no credentials are given: set {setting} in the \
             configuration or {env} in the environment"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "s3://mail/site?endpoint=http://127.0.0.1:3900&region=garage";

    fn settings(url: Option<&str>, key: Option<&str>, secret: Option<&str>) -> BlobSettings {
        BlobSettings {
            url: url.map(str::to_string),
            access_key: key.map(str::to_string),
            secret_key: secret.map(str::to_string),
        }
    }

    fn error_of(result: Result<Arc<dyn BlobStore>>) -> String {
        match result {
            Ok(blobs) => panic!("expected an error, opened {}", blobs.describe()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn no_url_keeps_local_files_and_an_s3_url_opens_the_bucket() {
        let tmp = tempfile::tempdir().unwrap();
        let local = open_blobs(&BlobSettings::default(), &tmp.path().join("objects")).unwrap();
        assert!(local.describe().contains("objects"), "{}", local.describe());
        let s3 = open_blobs(&settings(Some(URL), Some("GK1"), Some("secret")), tmp.path()).unwrap();
        assert_eq!(s3.describe(), "bucket mail/site at http://127.0.0.1:3900");
        assert!(!s3.describe().contains("secret"));
    }

    #[test]
    fn a_bad_url_says_what_to_write() {
        let err = error_of(open_blobs(
            &settings(Some("s3:/mail"), Some("k"), Some("s")),
            Path::new("/nonexistent"),
        ));
        assert!(err.contains("s3://BUCKET[/PREFIX]?endpoint="), "{err}");
    }

    #[test]
    fn credentials_come_from_the_settings_else_the_environment() {
        // The only test in this binary that reads or writes these variables.
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        std::env::remove_var("AWS_SECRET_ACCESS_KEY");
        let dir = Path::new("/nonexistent");
        let err = error_of(open_blobs(&settings(Some(URL), None, Some("s")), dir));
        assert!(err.contains("blob_access_key") && err.contains("AWS_ACCESS_KEY_ID"), "{err}");
        let err = error_of(open_blobs(&settings(Some(URL), Some("k"), Some("")), dir));
        assert!(err.contains("blob_secret_key") && err.contains("AWS_SECRET_ACCESS_KEY"), "{err}");
        std::env::set_var("AWS_ACCESS_KEY_ID", "GKenv");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "envsecret");
        assert!(open_blobs(&settings(Some(URL), None, None), dir).is_ok());
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        std::env::remove_var("AWS_SECRET_ACCESS_KEY");
    }
}
