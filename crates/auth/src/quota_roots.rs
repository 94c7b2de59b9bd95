//! Limits of quota roots below a whole user (`user/NAME/Archive`) or on shared mailboxes
//! (`shared/news`). A whole user's limits stay with the user ([`Directory::quota`]).

use crate::directory::{columns, limit_value, limits_from_row, Directory, QuotaLimits};
use crate::error::Result;

impl Directory {
    /// Defines a quota root with these limits, replacing earlier ones; `None` removes the root
    /// (its mailboxes then count against the root above).
    pub fn set_root_quota(&self, root: &str, limits: Option<QuotaLimits>) -> Result<()> {
        match limits {
            Some(l) => self.db.execute(
                "INSERT INTO directory_quota_roots (root, storage_kb, messages) VALUES ($1, $2, $3)
                 ON CONFLICT (root) DO UPDATE SET storage_kb = excluded.storage_kb, messages = excluded.messages",
                &[root.into(), limit_value(l.storage_kb), limit_value(l.messages)],
            )?,
            None => self.db.execute("DELETE FROM directory_quota_roots WHERE root = $1", &[root.into()])?,
        };
        Ok(())
    }

    /// Every root defined with [`Directory::set_root_quota`] and its limits, sorted by name.
    pub fn root_quotas(&self) -> Result<Vec<(String, QuotaLimits)>> {
        let rows = self
            .db
            .query("SELECT root, storage_kb, messages FROM directory_quota_roots ORDER BY root", &[])?;
        rows.into_iter()
            .map(|row| {
                let [root, storage_kb, messages]: [_; 3] = row.try_into().map_err(|_| columns(3))?;
                Ok((root.into_text()?, limits_from_row(&storage_kb, &messages)))
            })
            .collect()
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_set_replaced_listed_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        for open in crate::directory::tests::backends(dir.path()) {
            let d = open();
            d.add_user("bob", b"pw").unwrap();
            let small = QuotaLimits { storage_kb: Some(10), messages: None };
            let big = QuotaLimits { storage_kb: Some(1000), messages: Some(5) };
            d.set_root_quota("user/bob/Archive", Some(small)).unwrap();
            d.set_root_quota("shared/news", Some(small)).unwrap();
            d.set_root_quota("user/bob/Archive", Some(big)).unwrap();
            assert_eq!(
                d.root_quotas().unwrap(),
                vec![("shared/news".to_string(), small), ("user/bob/Archive".to_string(), big)]
            );
            d.set_root_quota("shared/news", None).unwrap();
            d.delete_user("bob").unwrap();
            assert!(d.root_quotas().unwrap().is_empty(), "a deleted user's roots go with them");
        }
    }
}
