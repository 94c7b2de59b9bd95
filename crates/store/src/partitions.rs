//! Partitions: named storage roots (Cyrus's "partitions"), e.g. a fast disk for most users and
//! a large slow one for archives. A user's whole store (index and message files) lives on one
//! partition, chosen when the user is created and changed by moving the user.
//!
//! The data directory itself is always the partition named [`DEFAULT_PARTITION`] unless the
//! configuration gives that name another root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

/// Name of the partition that is the data directory unless configured otherwise.
pub const DEFAULT_PARTITION: &str = "default";

/// The configured partitions and which one new users go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partitions {
    roots: BTreeMap<String, PathBuf>,
    default: String,
}

impl Partitions {
    /// Only the data directory, as partition [`DEFAULT_PARTITION`].
    pub fn single(data: &Path) -> Partitions {
        Partitions {
            roots: BTreeMap::from([(DEFAULT_PARTITION.to_string(), data.to_path_buf())]),
            default: DEFAULT_PARTITION.to_string(),
        }
    }

    /// The data directory as [`DEFAULT_PARTITION`] (unless `roots` names it), plus `roots`;
    /// new users go to `default`, which must be one of them.
    pub fn new(data: &Path, roots: &BTreeMap<String, PathBuf>, default: &str) -> Result<Partitions> {
        let mut all = Partitions::single(data);
        for (name, root) in roots {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(StoreError::InvalidName(format!(
                    "partition name {name:?}: use letters, digits, '-' and '_'"
                )));
            }
            all.roots.insert(name.clone(), root.clone());
        }
        all.root(default)?;
        all.default = default.to_string();
        Ok(all)
    }

    /// Names of all partitions, sorted.
    pub fn names(&self) -> Vec<String> {
        self.roots.keys().cloned().collect()
    }

    /// The partition new users are placed on.
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// The root directory of a partition; an unknown name is an error listing the known ones.
    pub fn root(&self, name: &str) -> Result<&Path> {
        self.roots.get(name).map(PathBuf::as_path).ok_or_else(|| {
            StoreError::NotPossible(format!(
                "no partition named {name:?}; configured partitions: {}",
                self.names().join(", ")
            ))
        })
    }

    /// The partition whose root holds `dir` (a user's real directory), if any.
    pub fn containing(&self, dir: &Path) -> Option<&str> {
        let dir = dir.canonicalize().ok()?;
        self.roots
            .iter()
            .find(|(_, root)| root.canonicalize().is_ok_and(|r| dir.starts_with(r.join("users"))))
            .map(|(name, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_directory_is_the_default_partition() {
        let tmp = tempfile::tempdir().unwrap();
        let p = Partitions::single(tmp.path());
        assert_eq!(p.names(), vec!["default"]);
        assert_eq!(p.root("default").unwrap(), tmp.path());
        assert!(p.root("fast").unwrap_err().to_string().contains("configured partitions: default"));
    }

    #[test]
    fn configured_partitions_and_their_default() {
        let tmp = tempfile::tempdir().unwrap();
        let slow = tmp.path().join("slow");
        std::fs::create_dir_all(slow.join("users/bob")).unwrap();
        let roots = BTreeMap::from([("slow".to_string(), slow.clone())]);
        let p = Partitions::new(&tmp.path().join("data"), &roots, "slow").unwrap();
        assert_eq!(p.names(), vec!["default", "slow"]);
        assert_eq!(p.default_name(), "slow");
        assert_eq!(p.containing(&slow.join("users/bob")), Some("slow"));
        assert!(Partitions::new(tmp.path(), &roots, "nope").is_err());
        let bad = BTreeMap::from([("a/b".to_string(), slow)]);
        assert!(Partitions::new(tmp.path(), &bad, "default").is_err());
    }
}
