//! Limits of quota roots below a whole user (`user/NAME/Archive`) or on shared mailboxes
//! (`shared/news`). A whole user's limits stay with the user ([`Directory::quota`]).

use rusqlite::params;

use crate::directory::{limit_as_sql, limits_from_sql, Directory, QuotaLimits};
use crate::error::Result;

impl Directory {
    /// Defines a quota root with these limits, replacing earlier ones; `None` removes the root
    /// (its mailboxes then count against the root above).
    pub fn set_root_quota(&self, root: &str, limits: Option<QuotaLimits>) -> Result<()> {
        let conn = self.conn();
        match limits {
            Some(l) => conn.execute(
                "INSERT OR REPLACE INTO quota_roots (root, storage_kb, messages) VALUES (?1, ?2, ?3)",
                params![root, limit_as_sql(l.storage_kb), limit_as_sql(l.messages)],
            )?,
            None => conn.execute("DELETE FROM quota_roots WHERE root = ?1", params![root])?,
        };
        Ok(())
    }

    /// Every root defined with [`Directory::set_root_quota`] and its limits, sorted by name.
    pub fn root_quotas(&self) -> Result<Vec<(String, QuotaLimits)>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT root, storage_kb, messages FROM quota_roots ORDER BY root")?;
        let rows = stmt.query_map([], |r| {
            let (s, m): (Option<i64>, Option<i64>) = (r.get(1)?, r.get(2)?);
            Ok((r.get(0)?, limits_from_sql(s, m)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_set_replaced_listed_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = Directory::open(dir.path()).unwrap();
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
