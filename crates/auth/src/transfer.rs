//! A user's whole directory record, read from one directory and written into another
//! (`bushbuck store migrate`): the password hash as stored (never re-hashed, so the password
//! keeps working), the creation time, the administrator mark, group memberships, the quota
//! limits and the limits of the quota roots below the user.

use crate::database::Value;
use crate::directory::{columns, limit_value, Directory, QuotaLimits};
use crate::error::{AuthError, Result};
use crate::names::validate_user_name;

/// Everything the directory knows about one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user name.
    pub name: String,
    /// The stored Argon2id password hash (PHC string).
    pub password_hash: String,
    /// When the user was added, seconds since the epoch.
    pub created: i64,
    /// Whether the directory marks the user as an administrator.
    pub admin: bool,
    /// The groups the user is a member of, sorted.
    pub groups: Vec<String>,
    /// The user's own quota limits, `None` when the defaults apply.
    pub quota: Option<QuotaLimits>,
    /// Quota roots below the user (`user/NAME/Folder`) and their limits, sorted.
    pub quota_roots: Vec<(String, QuotaLimits)>,
}

impl Directory {
    /// The full record of a user, `None` when the user does not exist.
    pub fn user_record(&self, name: &str) -> Result<Option<UserRecord>> {
        let rows =
            self.db.query("SELECT password, created FROM directory_users WHERE name = $1", &[name.into()])?;
        let Some(row) = rows.into_iter().next() else { return Ok(None) };
        let [password, created]: [Value; 2] = row.try_into().map_err(|_| columns(2))?;
        let prefix = user_roots_prefix(name);
        let quota_roots =
            self.root_quotas()?.into_iter().filter(|(root, _)| root.starts_with(&prefix)).collect();
        Ok(Some(UserRecord {
            name: name.to_string(),
            password_hash: password.into_text()?,
            created: created.as_int().unwrap_or(0),
            admin: self.is_admin(name)?,
            groups: self.groups_of(name)?,
            quota: self.quota(name)?,
            quota_roots,
        }))
    }

    /// Makes the directory hold exactly `record` for its user: adds the user or replaces the
    /// hash, the admin mark, the memberships, the limits and the roots below the user (what
    /// the record lacks is removed). Writing the same record again changes nothing, so an
    /// interrupted copy can simply be run again.
    pub fn put_user_record(&self, record: &UserRecord) -> Result<()> {
        let name = record.name.as_str();
        validate_user_name(name)?;
        if !record.password_hash.starts_with('$') {
            return Err(AuthError::InvalidPassword(format!(
                "the stored password of {name} is not a PHC hash string"
            )));
        }
        self.db.execute(
            "INSERT INTO directory_users (name, password, created) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET password = excluded.password, created = excluded.created",
            &[name.into(), record.password_hash.as_str().into(), record.created.into()],
        )?;
        self.set_admin(name, record.admin)?;
        match record.quota {
            Some(limits) => self.set_quota(name, limits)?,
            None => {
                self.db.execute("DELETE FROM directory_quotas WHERE name = $1", &[name.into()])?;
            }
        }
        self.db.execute("DELETE FROM directory_groups WHERE member = $1", &[name.into()])?;
        for group in &record.groups {
            self.add_group_members(group, std::slice::from_ref(&record.name))?;
        }
        let prefix = user_roots_prefix(name);
        for (root, _) in self.root_quotas()? {
            if root.starts_with(&prefix) && !record.quota_roots.iter().any(|(r, _)| *r == root) {
                self.set_root_quota(&root, None)?;
            }
        }
        for (root, limits) in &record.quota_roots {
            if !root.starts_with(&prefix) {
                return Err(AuthError::Storage(format!("quota root {root} is not below user {name}")));
            }
            self.db.execute(
                "INSERT INTO directory_quota_roots (root, storage_kb, messages) VALUES ($1, $2, $3)
                 ON CONFLICT (root) DO UPDATE SET storage_kb = excluded.storage_kb, messages = excluded.messages",
                &[root.as_str().into(), limit_value(limits.storage_kb), limit_value(limits.messages)],
            )?;
        }
        Ok(())
    }
}

/// The prefix of the quota roots below a user's top level.
fn user_roots_prefix(name: &str) -> String {
    format!("user/{name}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(storage_kb: Option<u64>, messages: Option<u64>) -> QuotaLimits {
        QuotaLimits { storage_kb, messages }
    }

    #[test]
    fn a_record_copied_into_another_directory_keeps_password_marks_groups_and_limits() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for (open_source, open_target) in crate::directory::tests::backends(a.path())
            .into_iter()
            .zip(crate::directory::tests::backends(b.path()))
        {
            let (source, target) = (open_source(), open_target());
            source.add_user("alice", b"secret").unwrap();
            source.add_user("bob", b"pw").unwrap();
            source.set_admin("alice", true).unwrap();
            source.set_quota("alice", limits(Some(1000), None)).unwrap();
            source.add_group_members("team", &["alice".into(), "bob".into()]).unwrap();
            source.set_root_quota("user/alice/Archive", Some(limits(Some(10), Some(5)))).unwrap();
            source.set_root_quota("user/alicia/Other", Some(limits(Some(1), None))).unwrap();
            let record = source.user_record("alice").unwrap().unwrap();
            assert_eq!(record.groups, vec!["team".to_string()]);
            assert_eq!(
                record.quota_roots,
                vec![("user/alice/Archive".to_string(), limits(Some(10), Some(5)))]
            );
            assert_eq!(source.user_record("nobody").unwrap(), None);

            target.put_user_record(&record).unwrap();
            target.put_user_record(&record).unwrap();
            assert_eq!(target.user_record("alice").unwrap().as_ref(), Some(&record));
            assert_eq!(target.verify("alice", b"secret").unwrap().as_deref(), Some("alice"));
            assert!(target.is_admin("alice").unwrap());

            // Writing a changed record removes what it no longer has.
            let plain =
                UserRecord { admin: false, groups: vec![], quota: None, quota_roots: vec![], ..record };
            target.put_user_record(&plain).unwrap();
            assert_eq!(target.user_record("alice").unwrap(), Some(plain));
            assert!(target.list_groups().unwrap().is_empty());
        }
    }

    #[test]
    fn a_record_without_a_hash_string_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = Directory::open(dir.path()).unwrap();
        let record = UserRecord {
            name: "alice".into(),
            password_hash: "plain".into(),
            created: 0,
            admin: false,
            groups: vec![],
            quota: None,
            quota_roots: vec![],
        };
        assert!(matches!(d.put_user_record(&record), Err(AuthError::InvalidPassword(_))));
        assert!(!d.exists("alice").unwrap());
    }
}
