//! The target's configuration: the source's, with the store moved to `--to` (a data
//! directory for the embedded store, or a PostgreSQL URL) and the message contents to
//! `--blobs`.

use std::path::{Path, PathBuf};

use bushbuck_server::Config;
use bushbuck_store::DEFAULT_PARTITION;

use crate::settings::CliError;

/// Whether `to` names a PostgreSQL database rather than a directory.
fn is_database_url(to: &str) -> bool {
    to.starts_with("postgres://") || to.starts_with("postgresql://")
}

/// The configuration that opens the target named by `to` and `blobs`. Refuses a target
/// that is the source itself.
pub fn config(source: &Config, to: &str, blobs: Option<&str>) -> Result<Config, CliError> {
    let mut target = source.clone();
    if is_database_url(to) {
        if source.store_url.as_deref() == Some(to) {
            return Err(CliError::Config(format!("--to {to} is the configured store itself; name another")));
        }
        target.store_url = Some(to.to_string());
        target.blob_url = blobs.map(str::to_string);
        return Ok(target);
    }
    if to.contains("://") {
        return Err(CliError::Config(format!(
            "--to {to}: give a data directory or postgres://USER@HOST:PORT/DB"
        )));
    }
    if let Some(url) = blobs {
        return Err(CliError::Config(format!(
            "--blobs {url} needs a postgres:// target; the embedded store keeps message files in its \
             data directory"
        )));
    }
    let dir = absolute(Path::new(to))?;
    if source.store_url.is_none() && same_directory(&dir, &source.data) {
        return Err(CliError::Config(format!(
            "--to {} is the configured data directory itself; name a new directory",
            dir.display()
        )));
    }
    target.data = dir;
    target.store_url = None;
    target.blob_url = None;
    target.partitions.clear();
    target.default_partition = DEFAULT_PARTITION.to_string();
    Ok(target)
}

/// `path` made absolute against the working directory.
fn absolute(path: &Path) -> Result<PathBuf, CliError> {
    std::path::absolute(path).map_err(|e| CliError::Config(format!("--to {}: {e}", path.display())))
}

/// Whether two paths name one directory (both resolved when they exist).
fn same_directory(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(dir: &Path) -> Config {
        let mut config = Config { data: dir.to_path_buf(), ..Config::default() };
        config.partitions.insert("archive".into(), dir.join("archive"));
        config
    }

    #[test]
    fn a_directory_target_is_embedded_without_partitions() {
        let dir = tempfile::tempdir().unwrap();
        let target =
            config(&source(dir.path()), &dir.path().join("new").display().to_string(), None).unwrap();
        assert_eq!(target.data, dir.path().join("new"));
        assert!(target.store_url.is_none() && target.partitions.is_empty());
    }

    #[test]
    fn a_database_target_keeps_the_data_directory_and_takes_the_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let url = "postgres://bushbuck@127.0.0.1:5432/mail";
        let target =
            config(&source(dir.path()), url, Some("s3://mail?endpoint=http://127.0.0.1:3900")).unwrap();
        assert_eq!(target.store_url.as_deref(), Some(url));
        assert_eq!(target.blob_url.as_deref(), Some("s3://mail?endpoint=http://127.0.0.1:3900"));
    }

    #[test]
    fn the_source_itself_and_blobs_without_a_database_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let same = config(&source(dir.path()), &dir.path().display().to_string(), None);
        assert!(matches!(same, Err(CliError::Config(m)) if m.contains("itself")));
        let blobs = config(&source(dir.path()), "/tmp/x", Some("s3://b"));
        assert!(matches!(blobs, Err(CliError::Config(m)) if m.contains("needs a postgres://")));
        let other = config(&source(dir.path()), "mysql://x", None);
        assert!(matches!(other, Err(CliError::Config(m)) if m.contains("postgres://USER")));
    }
}
