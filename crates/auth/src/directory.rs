//! The user directory: users and password hashes, administrator marks, groups and quota
//! limits, in a [`Database`] (SQLite in the data directory, or PostgreSQL shared by nodes).

use std::path::Path;

use crate::database::{Database, Value};
use crate::error::{AuthError, Result};
use crate::names::validate_user_name;
use crate::password;
use crate::verified::{VerifiedPasswords, DEFAULT_TTL};

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

/// An optional limit as the database stores it (`NULL`: no limit).
pub(crate) fn limit_value(v: Option<u64>) -> Value {
    v.map(|n| n.min(i64::MAX as u64) as i64).into()
}

/// Limits from their two columns (`NULL`: no limit).
pub(crate) fn limits_from_row(storage_kb: &Value, messages: &Value) -> QuotaLimits {
    let limit = |v: &Value| v.as_int().map(|n| n.max(0) as u64);
    QuotaLimits { storage_kb: limit(storage_kb), messages: limit(messages) }
}

/// The directory's tables, the same in both engines (prefixed so they cannot clash with the
/// mailstore's tables in a shared PostgreSQL database).
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS directory_users (
        name TEXT PRIMARY KEY,
        password TEXT NOT NULL,
        created BIGINT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS directory_quotas (
        name TEXT PRIMARY KEY,
        storage_kb BIGINT,
        messages BIGINT
    );
    CREATE TABLE IF NOT EXISTS directory_groups (
        name TEXT NOT NULL,
        member TEXT NOT NULL,
        PRIMARY KEY (name, member)
    );
    CREATE TABLE IF NOT EXISTS directory_quota_roots (
        root TEXT PRIMARY KEY,
        storage_kb BIGINT,
        messages BIGINT
    );
    CREATE TABLE IF NOT EXISTS directory_admins (
        name TEXT PRIMARY KEY
    )";

/// The tables of embedded directories written before the prefix, and their new names.
const LEGACY_TABLES: [(&str, &str); 5] = [
    ("users", "directory_users"),
    ("quotas", "directory_quotas"),
    ("groups", "directory_groups"),
    ("quota_roots", "directory_quota_roots"),
    ("admins", "directory_admins"),
];

/// Users and their Argon2id password hashes, administrator marks, groups and quota limits.
pub struct Directory {
    pub(crate) db: Database,
    verified: VerifiedPasswords,
}

impl Directory {
    /// Opens (creating if needed) the embedded directory, `directory.sqlite3` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Directory> {
        let file = data_dir.join("directory.sqlite3");
        let db = Database::open_sqlite(&file)?;
        db.rename_legacy(&LEGACY_TABLES, &[("directory_quotas", "user", "name")])?;
        db.execute_batch(SCHEMA)?;
        Directory::over(db)
    }

    /// Connects to the directory in the PostgreSQL database at `url`, creating its tables on
    /// first use.
    pub fn connect(url: &str) -> Result<Directory> {
        Directory::over(Database::connect_postgres(url, "directory", SCHEMA)?)
    }

    fn over(db: Database) -> Result<Directory> {
        Ok(Directory { db, verified: VerifiedPasswords::new(DEFAULT_TTL) })
    }

    /// Remembers a verified password for `ttl` instead of an hour (`login_cache_seconds`);
    /// zero turns the cache off, so every login runs Argon2.
    pub fn with_login_cache(mut self, ttl: std::time::Duration) -> Directory {
        self.verified = VerifiedPasswords::new(ttl);
        self
    }

    /// Adds a user with a password. Fails if the name is invalid or taken.
    pub fn add_user(&self, name: &str, password: &[u8]) -> Result<()> {
        validate_user_name(name)?;
        let hash = password::hash(password)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let inserted = self.db.execute(
            "INSERT INTO directory_users (name, password, created) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
            &[name.into(), hash.into(), now.into()],
        )?;
        if inserted == 0 {
            return Err(AuthError::UserExists(name.to_string()));
        }
        Ok(())
    }

    /// Replaces a user's password.
    pub fn set_password(&self, name: &str, password: &[u8]) -> Result<()> {
        let hash = password::hash(password)?;
        let changed = self.db.execute(
            "UPDATE directory_users SET password = $1 WHERE name = $2",
            &[hash.into(), name.into()],
        )?;
        if changed == 0 {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        Ok(())
    }

    /// Removes a user from the directory and their groups (their mail is removed by the store).
    pub fn delete_user(&self, name: &str) -> Result<()> {
        for table in ["directory_quotas", "directory_admins"] {
            self.db.execute(&format!("DELETE FROM {table} WHERE name = $1"), &[name.into()])?;
        }
        self.db.execute("DELETE FROM directory_groups WHERE member = $1", &[name.into()])?;
        self.db.execute(
            "DELETE FROM directory_quota_roots WHERE substr(root, 1, length($1)) = $1",
            &[format!("user/{name}/").into()],
        )?;
        let changed = self.db.execute("DELETE FROM directory_users WHERE name = $1", &[name.into()])?;
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
        self.db.execute(
            "INSERT INTO directory_quotas (name, storage_kb, messages) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET storage_kb = excluded.storage_kb, messages = excluded.messages",
            &[name.into(), limit_value(limits.storage_kb), limit_value(limits.messages)],
        )?;
        Ok(())
    }

    /// A user's explicit quota limits, or `None` when none were set (defaults apply).
    pub fn quota(&self, name: &str) -> Result<Option<QuotaLimits>> {
        let rows = self
            .db
            .query("SELECT storage_kb, messages FROM directory_quotas WHERE name = $1", &[name.into()])?;
        Ok(rows.first().map(|row| limits_from_row(&row[0], &row[1])))
    }

    /// True when the user exists.
    pub fn exists(&self, name: &str) -> Result<bool> {
        self.db.has_row("SELECT 1 FROM directory_users WHERE name = $1", &[name.into()])
    }

    /// Makes a user an administrator (as if listed in the configuration's `admins`), or
    /// takes that away. Fails for an unknown user.
    pub fn set_admin(&self, name: &str, admin: bool) -> Result<()> {
        if !self.exists(name)? {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        let sql = if admin {
            "INSERT INTO directory_admins (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
        } else {
            "DELETE FROM directory_admins WHERE name = $1"
        };
        self.db.execute(sql, &[name.into()])?;
        Ok(())
    }

    /// Whether the directory marks the user as an administrator ([`Directory::set_admin`]).
    pub fn is_admin(&self, name: &str) -> Result<bool> {
        self.db.has_row("SELECT 1 FROM directory_admins WHERE name = $1", &[name.into()])
    }

    /// The users the directory marks as administrators, sorted.
    pub fn list_admins(&self) -> Result<Vec<String>> {
        self.names("SELECT name FROM directory_admins ORDER BY name", &[])
    }

    /// Every user name, sorted.
    pub fn list_users(&self) -> Result<Vec<String>> {
        self.names("SELECT name FROM directory_users ORDER BY name", &[])
    }

    /// The single text column of every row `sql` returns.
    fn names(&self, sql: &str, params: &[Value]) -> Result<Vec<String>> {
        self.db.query(sql, params)?.into_iter().map(|row| first(row).into_text()).collect()
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
        for member in members {
            self.db.execute(
                "INSERT INTO directory_groups (name, member) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[group.into(), member.as_str().into()],
            )?;
        }
        Ok(())
    }

    /// Removes members from a group, or the whole group when `members` is empty. Fails when
    /// the group does not exist.
    pub fn remove_group_members(&self, group: &str, members: &[String]) -> Result<()> {
        if !self.db.has_row("SELECT 1 FROM directory_groups WHERE name = $1", &[group.into()])? {
            return Err(AuthError::NoSuchGroup(group.to_string()));
        }
        if members.is_empty() {
            self.db.execute("DELETE FROM directory_groups WHERE name = $1", &[group.into()])?;
        }
        for member in members {
            self.db.execute(
                "DELETE FROM directory_groups WHERE name = $1 AND member = $2",
                &[group.into(), member.as_str().into()],
            )?;
        }
        Ok(())
    }

    /// Every group with its members, sorted.
    pub fn list_groups(&self) -> Result<Vec<(String, Vec<String>)>> {
        let rows = self.db.query("SELECT name, member FROM directory_groups ORDER BY name, member", &[])?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for row in rows {
            let [name, member]: [Value; 2] = row.try_into().map_err(|_| columns(2))?;
            let (name, member) = (name.into_text()?, member.into_text()?);
            match out.last_mut() {
                Some((last, members)) if *last == name => members.push(member),
                _ => out.push((name, vec![member])),
            }
        }
        Ok(out)
    }

    /// The groups a user belongs to, sorted.
    pub fn groups_of(&self, user: &str) -> Result<Vec<String>> {
        self.names("SELECT name FROM directory_groups WHERE member = $1 ORDER BY name", &[user.into()])
    }

    /// Checks a password. Returns the canonical user name when it matches. User names are
    /// matched case-insensitively (they are stored in lower case). Takes about as long for
    /// an unknown user as for a wrong password; a password verified recently (within the
    /// login cache's time to live, an hour by default) and not changed since is recognised
    /// without another Argon2 run.
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
        let rows = self.db.query("SELECT password FROM directory_users WHERE name = $1", &[name.into()])?;
        rows.into_iter().next().map(|row| first(row).into_text()).transpose()
    }
}

/// The first column of a row.
pub(crate) fn first(row: Vec<Value>) -> Value {
    row.into_iter().next().unwrap_or(Value::Null)
}

/// The error of a row with fewer columns than the query selects (a schema mismatch).
pub(crate) fn columns(n: usize) -> AuthError {
    AuthError::Storage(format!("expected {n} columns from the directory database"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One opener per backend (SQLite in `dir`, and PostgreSQL when installed: a fresh
    /// database); each call opens the same directory again, as another process would.
    pub(crate) fn backends(dir: &Path) -> Vec<Box<dyn Fn() -> Directory>> {
        let data = dir.to_path_buf();
        let mut out: Vec<Box<dyn Fn() -> Directory>> =
            vec![Box::new(move || Directory::open(&data).unwrap())];
        if let Some(url) = bushbuck_testsvc::postgres_url() {
            out.push(Box::new(move || Directory::connect(&url).unwrap()));
        }
        out
    }

    #[test]
    fn recent_verifications_skip_hashing_until_the_password_changes() {
        let dir = tempfile::tempdir().unwrap();
        for open in backends(dir.path()) {
            let d = open();
            d.add_user("alice", b"pw1").unwrap();
            assert_eq!(d.verify_recent("alice", b"pw1").unwrap(), None, "not verified yet");
            assert_eq!(d.verify("alice", b"pw1").unwrap().as_deref(), Some("alice"));
            assert_eq!(d.verify_recent("ALICE", b"pw1").unwrap().as_deref(), Some("alice"));
            assert_eq!(d.verify_recent("alice", b"pw2").unwrap(), None);
            // Another process (the CLI) changing the password: the stored hash differs.
            open().set_password("alice", b"pw2").unwrap();
            assert_eq!(d.verify_recent("alice", b"pw1").unwrap(), None);
            assert_eq!(d.verify("alice", b"pw1").unwrap(), None);
        }
    }

    #[test]
    fn admin_marks_are_set_cleared_and_go_with_the_user() {
        let dir = tempfile::tempdir().unwrap();
        for open in backends(dir.path()) {
            let d = open();
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
    }

    #[test]
    fn add_verify_passwd_delete() {
        let dir = tempfile::tempdir().unwrap();
        for open in backends(dir.path()) {
            let d = open();
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
    }

    #[test]
    fn groups() {
        let dir = tempfile::tempdir().unwrap();
        for open in backends(dir.path()) {
            let d = open();
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
    }

    #[test]
    fn an_embedded_directory_of_the_unprefixed_layout_keeps_its_users() {
        let dir = tempfile::tempdir().unwrap();
        let old = rusqlite::Connection::open(dir.path().join("directory.sqlite3")).unwrap();
        old.execute_batch(
            "CREATE TABLE users (name TEXT PRIMARY KEY, password TEXT NOT NULL, created INTEGER NOT NULL);
             CREATE TABLE quotas (user TEXT PRIMARY KEY, storage_kb INTEGER, messages INTEGER);
             CREATE TABLE admins (name TEXT PRIMARY KEY);",
        )
        .unwrap();
        let hash = password::hash(b"pw").unwrap();
        old.execute("INSERT INTO users VALUES ('alice', ?1, 0)", [hash]).unwrap();
        old.execute_batch(
            "INSERT INTO quotas VALUES ('alice', 10, NULL); INSERT INTO admins VALUES ('alice')",
        )
        .unwrap();
        drop(old);
        let d = Directory::open(dir.path()).unwrap();
        assert_eq!(d.verify("alice", b"pw").unwrap().as_deref(), Some("alice"));
        assert_eq!(d.quota("alice").unwrap(), Some(QuotaLimits { storage_kb: Some(10), messages: None }));
        assert!(d.is_admin("alice").unwrap());
        d.add_group_members("team", &["alice".to_string()]).unwrap();
        assert!(
            Directory::open(dir.path()).unwrap().exists("alice").unwrap(),
            "opens again after the rename"
        );
    }

    #[test]
    fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        for open in backends(dir.path()) {
            open().add_user("bob", b"pw").unwrap();
            let d = open();
            assert!(d.verify("bob", b"pw").unwrap().is_some());
        }
    }
}
