//! The user directory: a small SQLite database of users and password hashes.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{AuthError, Result};
use crate::names::validate_user_name;
use crate::password;
use crate::verified::VerifiedPasswords;

/// A hash of a password nobody has, verified when the user is unknown so that the time a
/// failed login takes does not tell whether the user exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| password::hash(b"decoy password nobody has").unwrap_or_default())
}

/// Quota limits of one user (RFC 9208 resources STORAGE, in KiB, and MESSAGE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotaLimits {
    /// Most KiB of mail, or no limit.
    pub storage_kb: Option<u64>,
    /// Most messages, or no limit.
    pub messages: Option<u64>,
}

/// An optional limit as SQLite stores it (`NULL`: no limit).
pub(crate) fn limit_as_sql(v: Option<u64>) -> Option<i64> {
    v.map(|n| n.min(i64::MAX as u64) as i64)
}

/// Limits as SQLite stores them (`NULL`: no limit).
pub(crate) fn limits_from_sql(storage_kb: Option<i64>, messages: Option<i64>) -> QuotaLimits {
    QuotaLimits { storage_kb: storage_kb.map(|v| v as u64), messages: messages.map(|v| v as u64) }
}

/// Users and their Argon2id password hashes, in `directory.sqlite3` of the data directory.
pub struct Directory {
    conn: Mutex<Connection>,
    verified: VerifiedPasswords,
}

impl Directory {
    /// Opens (creating if needed) the directory in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Directory> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| AuthError::Storage(format!("cannot create {}: {e}", data_dir.display())))?;
        let conn = Connection::open(data_dir.join("directory.sqlite3"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS users (
                name TEXT PRIMARY KEY,
                password TEXT NOT NULL,
                created INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS quotas (
                user TEXT PRIMARY KEY,
                storage_kb INTEGER,
                messages INTEGER
            );
            CREATE TABLE IF NOT EXISTS groups (
                name TEXT NOT NULL,
                member TEXT NOT NULL,
                PRIMARY KEY (name, member)
            );
            CREATE TABLE IF NOT EXISTS quota_roots (
                root TEXT PRIMARY KEY,
                storage_kb INTEGER,
                messages INTEGER
            );
            CREATE TABLE IF NOT EXISTS admins (
                name TEXT PRIMARY KEY
            );",
        )?;
        Ok(Directory { conn: Mutex::new(conn), verified: VerifiedPasswords::new() })
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a user with a password. Fails if the name is invalid or taken.
    pub fn add_user(&self, name: &str, password: &[u8]) -> Result<()> {
        validate_user_name(name)?;
        let hash = password::hash(password)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO users (name, password, created) VALUES (?1, ?2, ?3)",
            params![name, hash, now],
        )?;
        if inserted == 0 {
            return Err(AuthError::UserExists(name.to_string()));
        }
        Ok(())
    }

    /// Replaces a user's password.
    pub fn set_password(&self, name: &str, password: &[u8]) -> Result<()> {
        let hash = password::hash(password)?;
        let changed =
            self.conn().execute("UPDATE users SET password = ?2 WHERE name = ?1", params![name, hash])?;
        if changed == 0 {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        Ok(())
    }

    /// Removes a user from the directory and their groups (their mail is removed by the store).
    pub fn delete_user(&self, name: &str) -> Result<()> {
        self.conn().execute("DELETE FROM quotas WHERE user = ?1", params![name])?;
        self.conn().execute("DELETE FROM groups WHERE member = ?1", params![name])?;
        self.conn().execute("DELETE FROM admins WHERE name = ?1", params![name])?;
        self.conn().execute(
            "DELETE FROM quota_roots WHERE substr(root, 1, length(?1)) = ?1",
            params![format!("user/{name}/")],
        )?;
        let changed = self.conn().execute("DELETE FROM users WHERE name = ?1", params![name])?;
        if changed == 0 {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        Ok(())
    }

    /// Sets a user's quota limits (`None`: no limit on that resource).
    pub fn set_quota(&self, name: &str, limits: QuotaLimits) -> Result<()> {
        if !self.exists(name)? {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        self.conn().execute(
            "INSERT OR REPLACE INTO quotas (user, storage_kb, messages) VALUES (?1, ?2, ?3)",
            params![name, limit_as_sql(limits.storage_kb), limit_as_sql(limits.messages)],
        )?;
        Ok(())
    }

    /// A user's explicit quota limits, or `None` when none were set (defaults apply).
    pub fn quota(&self, name: &str) -> Result<Option<QuotaLimits>> {
        let row: Option<(Option<i64>, Option<i64>)> = self
            .conn()
            .prepare_cached("SELECT storage_kb, messages FROM quotas WHERE user = ?1")?
            .query_row(params![name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map(|(s, m)| limits_from_sql(s, m)))
    }

    /// True when the user exists.
    pub fn exists(&self, name: &str) -> Result<bool> {
        self.has_row("SELECT 1 FROM users WHERE name = ?1", name)
    }

    /// Whether `query`, which selects by one name, finds a row for `name`.
    fn has_row(&self, query: &str, name: &str) -> Result<bool> {
        Ok(self.conn().prepare_cached(query)?.query_row(params![name], |_| Ok(())).optional()?.is_some())
    }

    /// Makes a user an administrator (as if listed in the configuration's `admins`), or
    /// takes that away. Fails for an unknown user.
    pub fn set_admin(&self, name: &str, admin: bool) -> Result<()> {
        if !self.exists(name)? {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        if admin {
            self.conn().execute("INSERT OR IGNORE INTO admins (name) VALUES (?1)", params![name])?;
        } else {
            self.conn().execute("DELETE FROM admins WHERE name = ?1", params![name])?;
        }
        Ok(())
    }

    /// Whether the directory marks the user as an administrator ([`Directory::set_admin`]).
    pub fn is_admin(&self, name: &str) -> Result<bool> {
        self.has_row("SELECT 1 FROM admins WHERE name = ?1", name)
    }

    /// The users the directory marks as administrators, sorted.
    pub fn list_admins(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT name FROM admins ORDER BY name")?;
        let names = stmt.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(names)
    }

    /// Every user name, sorted.
    pub fn list_users(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT name FROM users ORDER BY name")?;
        let names = stmt.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(names)
    }

    /// Adds users to a group (named in ACLs as `group:NAME`), creating it. Every member must
    /// be an existing user.
    pub fn add_group_members(&self, group: &str, members: &[String]) -> Result<()> {
        validate_user_name(group).map_err(|_| AuthError::InvalidGroupName(group.to_string()))?;
        for member in members {
            if !self.exists(member)? {
                return Err(AuthError::NoSuchUser(member.clone()));
            }
        }
        let conn = self.conn();
        for member in members {
            conn.execute(
                "INSERT OR IGNORE INTO groups (name, member) VALUES (?1, ?2)",
                params![group, member],
            )?;
        }
        Ok(())
    }

    /// Removes members from a group, or the whole group when `members` is empty. Fails when
    /// the group does not exist.
    pub fn remove_group_members(&self, group: &str, members: &[String]) -> Result<()> {
        let conn = self.conn();
        let exists =
            conn.query_row("SELECT 1 FROM groups WHERE name = ?1", params![group], |_| Ok(())).optional()?;
        if exists.is_none() {
            return Err(AuthError::NoSuchGroup(group.to_string()));
        }
        if members.is_empty() {
            conn.execute("DELETE FROM groups WHERE name = ?1", params![group])?;
        }
        for member in members {
            conn.execute("DELETE FROM groups WHERE name = ?1 AND member = ?2", params![group, member])?;
        }
        Ok(())
    }

    /// Every group with its members, sorted.
    pub fn list_groups(&self) -> Result<Vec<(String, Vec<String>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT name, member FROM groups ORDER BY name, member")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for row in rows {
            let (name, member) = row?;
            match out.last_mut() {
                Some((last, members)) if *last == name => members.push(member),
                _ => out.push((name, vec![member])),
            }
        }
        Ok(out)
    }

    /// The groups a user belongs to, sorted.
    pub fn groups_of(&self, user: &str) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT name FROM groups WHERE member = ?1 ORDER BY name")?;
        let names = stmt.query_map(params![user], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(names)
    }

    /// Checks a password. Returns the canonical user name when it matches. User names are
    /// matched case-insensitively (they are stored in lower case). Takes about as long for
    /// an unknown user as for a wrong password; a password verified within the last hour
    /// (and not changed since) is recognised without another Argon2 run.
    pub fn verify(&self, name: &str, password: &[u8]) -> Result<Option<String>> {
        let name = name.to_ascii_lowercase();
        Ok(match self.stored_hash(&name)? {
            Some(hash) if self.verified.contains(&name, &hash, password) => Some(name),
            Some(hash) if password::verify(password, &hash) => {
                self.verified.insert(&name, &hash, password);
                Some(name)
            }
            Some(_) => None,
            None => {
                password::verify(password, decoy_hash());
                None
            }
        })
    }

    /// The canonical user name when `password` was verified for the user recently (see
    /// [`Directory::verify`]) and the password has not changed since: a check that costs no
    /// Argon2 run. `None` says nothing: call [`Directory::verify`].
    pub fn verify_recent(&self, name: &str, password: &[u8]) -> Result<Option<String>> {
        let name = name.to_ascii_lowercase();
        Ok(self
            .stored_hash(&name)?
            .filter(|hash| self.verified.contains(&name, hash, password))
            .map(|_| name))
    }

    /// A user's stored password hash.
    fn stored_hash(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT password FROM users WHERE name = ?1")?
            .query_row(params![name], |row| row.get(0))
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_verifications_skip_hashing_until_the_password_changes() {
        let dir = tempfile::tempdir().unwrap();
        let d = Directory::open(dir.path()).unwrap();
        d.add_user("alice", b"pw1").unwrap();
        assert_eq!(d.verify_recent("alice", b"pw1").unwrap(), None, "not verified yet");
        assert_eq!(d.verify("alice", b"pw1").unwrap().as_deref(), Some("alice"));
        assert_eq!(d.verify_recent("ALICE", b"pw1").unwrap().as_deref(), Some("alice"));
        assert_eq!(d.verify_recent("alice", b"pw2").unwrap(), None);
        // Another process (the CLI) changing the password: the stored hash differs.
        Directory::open(dir.path()).unwrap().set_password("alice", b"pw2").unwrap();
        assert_eq!(d.verify_recent("alice", b"pw1").unwrap(), None);
        assert_eq!(d.verify("alice", b"pw1").unwrap(), None);
    }

    #[test]
    fn admin_marks_are_set_cleared_and_go_with_the_user() {
        let dir = tempfile::tempdir().unwrap();
        let d = Directory::open(dir.path()).unwrap();
        d.add_user("postmaster", b"pw").unwrap();
        assert!(!d.is_admin("postmaster").unwrap());
        d.set_admin("postmaster", true).unwrap();
        d.set_admin("postmaster", true).unwrap();
        assert!(d.is_admin("postmaster").unwrap());
        assert_eq!(d.list_admins().unwrap(), vec!["postmaster".to_string()]);
        d.set_admin("postmaster", false).unwrap();
        assert!(!d.is_admin("postmaster").unwrap());
        assert!(matches!(d.set_admin("nobody", true), Err(AuthError::NoSuchUser(_))));
        d.set_admin("postmaster", true).unwrap();
        d.delete_user("postmaster").unwrap();
        d.add_user("postmaster", b"pw").unwrap();
        assert!(!d.is_admin("postmaster").unwrap(), "a re-created user is no admin");
    }

    #[test]
    fn add_verify_passwd_delete() {
        let dir = tempfile::tempdir().unwrap();
        let d = Directory::open(dir.path()).unwrap();
        d.add_user("alice", b"pw1").unwrap();
        assert!(matches!(d.add_user("alice", b"x"), Err(AuthError::UserExists(_))));
        assert_eq!(d.verify("ALICE", b"pw1").unwrap().as_deref(), Some("alice"));
        assert_eq!(d.verify("alice", b"nope").unwrap(), None);
        assert_eq!(d.verify("nobody", b"pw1").unwrap(), None);
        d.set_password("alice", b"pw2").unwrap();
        assert_eq!(d.verify("alice", b"pw1").unwrap(), None);
        assert!(d.verify("alice", b"pw2").unwrap().is_some());
        assert_eq!(d.list_users().unwrap(), vec!["alice".to_string()]);
        assert_eq!(d.quota("alice").unwrap(), None);
        let limits = QuotaLimits { storage_kb: Some(100), messages: None };
        d.set_quota("alice", limits).unwrap();
        assert_eq!(d.quota("alice").unwrap(), Some(limits));
        assert!(d.set_quota("nobody", limits).is_err());
        d.delete_user("alice").unwrap();
        assert!(!d.exists("alice").unwrap());
        assert!(matches!(d.delete_user("alice"), Err(AuthError::NoSuchUser(_))));
    }

    #[test]
    fn groups() {
        let dir = tempfile::tempdir().unwrap();
        let d = Directory::open(dir.path()).unwrap();
        d.add_user("alice", b"pw").unwrap();
        d.add_user("bob", b"pw").unwrap();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        d.add_group_members("helpdesk", &names(&["bob", "alice"])).unwrap();
        assert!(matches!(
            d.add_group_members("helpdesk", &names(&["nobody"])),
            Err(AuthError::NoSuchUser(_))
        ));
        assert_eq!(d.list_groups().unwrap(), vec![("helpdesk".to_string(), names(&["alice", "bob"]))]);
        assert_eq!(d.groups_of("bob").unwrap(), names(&["helpdesk"]));
        d.remove_group_members("helpdesk", &names(&["bob"])).unwrap();
        assert!(d.groups_of("bob").unwrap().is_empty());
        d.remove_group_members("helpdesk", &[]).unwrap();
        assert!(d.list_groups().unwrap().is_empty());
        assert!(matches!(d.remove_group_members("helpdesk", &[]), Err(AuthError::NoSuchGroup(_))));
    }

    #[test]
    fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        Directory::open(dir.path()).unwrap().add_user("bob", b"pw").unwrap();
        let d = Directory::open(dir.path()).unwrap();
        assert!(d.verify("bob", b"pw").unwrap().is_some());
    }
}
