//! The shared home of users' Sieve scripts: tables `sieve_scripts` and `sieve_active` in the
//! PostgreSQL database of `store_url`, so a script uploaded through one node runs at delivery
//! on every node.

use bushbuck_auth::database::{Database, Value};
use bushbuck_auth::AuthError;

use super::scripts::{ScriptError, ScriptStorage};

/// The scripts' tables.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS sieve_scripts (
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        source BYTEA NOT NULL,
        PRIMARY KEY (owner, name)
    );
    CREATE TABLE IF NOT EXISTS sieve_active (
        owner TEXT PRIMARY KEY,
        name TEXT NOT NULL
    )";

fn failure(e: AuthError) -> ScriptError {
    ScriptError::Io(e.to_string())
}

/// Scripts in the shared database.
pub(crate) struct ScriptTable {
    db: Database,
}

impl ScriptTable {
    /// Connects to the PostgreSQL database at `url`, creating the tables on first use.
    pub(crate) fn connect(url: &str) -> Result<ScriptTable, String> {
        let db =
            Database::connect_postgres(url, "sieve", SCHEMA).map_err(|e| format!("Sieve scripts: {e}"))?;
        Ok(ScriptTable { db })
    }

    fn texts(&self, sql: &str, params: &[Value]) -> Result<Vec<String>, ScriptError> {
        let rows = self.db.query(sql, params).map_err(failure)?;
        rows.into_iter()
            .filter_map(|row| row.into_iter().next())
            .map(|v| v.into_text().map_err(failure))
            .collect()
    }

    fn run(&self, sql: &str, params: &[Value]) -> Result<(), ScriptError> {
        self.db.execute(sql, params).map(|_| ()).map_err(failure)
    }
}

impl ScriptStorage for ScriptTable {
    fn names(&self, user: &str) -> Result<Vec<String>, ScriptError> {
        self.texts("SELECT name FROM sieve_scripts WHERE owner = $1", &[user.into()])
    }

    fn read(&self, user: &str, name: &str) -> Result<Option<Vec<u8>>, ScriptError> {
        let rows = self
            .db
            .query(
                "SELECT source FROM sieve_scripts WHERE owner = $1 AND name = $2",
                &[user.into(), name.into()],
            )
            .map_err(failure)?;
        rows.into_iter()
            .filter_map(|row| row.into_iter().next())
            .map(|v| v.into_bytes().map_err(failure))
            .next()
            .transpose()
    }

    fn write(&self, user: &str, name: &str, source: &[u8]) -> Result<(), ScriptError> {
        self.run(
            "INSERT INTO sieve_scripts (owner, name, source) VALUES ($1, $2, $3)
             ON CONFLICT (owner, name) DO UPDATE SET source = excluded.source",
            &[user.into(), name.into(), source.into()],
        )
    }

    fn remove(&self, user: &str, name: &str) -> Result<(), ScriptError> {
        self.run("DELETE FROM sieve_scripts WHERE owner = $1 AND name = $2", &[user.into(), name.into()])
    }

    fn rename(&self, user: &str, from: &str, to: &str) -> Result<(), ScriptError> {
        self.run(
            "UPDATE sieve_scripts SET name = $1 WHERE owner = $2 AND name = $3",
            &[to.into(), user.into(), from.into()],
        )
    }

    fn active(&self, user: &str) -> Result<Option<String>, ScriptError> {
        Ok(self.texts("SELECT name FROM sieve_active WHERE owner = $1", &[user.into()])?.into_iter().next())
    }

    fn set_active(&self, user: &str, name: Option<&str>) -> Result<(), ScriptError> {
        match name {
            Some(name) => self.run(
                "INSERT INTO sieve_active (owner, name) VALUES ($1, $2)
                 ON CONFLICT (owner) DO UPDATE SET name = excluded.name",
                &[user.into(), name.into()],
            ),
            None => self.run("DELETE FROM sieve_active WHERE owner = $1", &[user.into()]),
        }
    }

    fn remove_user(&self, user: &str) -> Result<(), ScriptError> {
        self.run("DELETE FROM sieve_active WHERE owner = $1", &[user.into()])?;
        self.run("DELETE FROM sieve_scripts WHERE owner = $1", &[user.into()])
    }
}
