//! The SQL database the state beside the mailstore lives in: an SQLite file in the data
//! directory (embedded), or a PostgreSQL database many nodes share (`store_url`). The user
//! directory, the duplicate log and the shared Sieve scripts write their SQL once, in the
//! dialect both engines understand (`$1` parameters, `ON CONFLICT`, `BIGINT`/`TEXT`/`BYTEA`),
//! and run it through [`Database`]; only opening, schema creation and value conversion differ
//! per engine.
//!
//! Parameters are bound by position: write each query so that `$1`, `$2`, ... first appear in
//! ascending order (SQLite numbers named parameters by first appearance).

use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use postgres::types::{IsNull, ToSql, Type};
use r2d2_postgres::PostgresConnectionManager;

use crate::error::{AuthError, Result};

/// A value bound to a parameter or read from a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A `BIGINT`.
    Int(i64),
    /// A `TEXT`.
    Text(String),
    /// A `BYTEA` (PostgreSQL) or `BLOB` (SQLite).
    Bytes(Vec<u8>),
}

impl Value {
    /// The text of a `TEXT` column; fails on anything else (a schema mismatch).
    pub fn into_text(self) -> Result<String> {
        match self {
            Value::Text(s) => Ok(s),
            other => Err(AuthError::Storage(format!("expected text in the database, found {other:?}"))),
        }
    }

    /// The bytes of a `BYTEA` or `BLOB` column (text is taken as its UTF-8 bytes).
    pub fn into_bytes(self) -> Result<Vec<u8>> {
        match self {
            Value::Bytes(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => Err(AuthError::Storage(format!("expected bytes in the database, found {other:?}"))),
        }
    }

    /// The number of a `BIGINT` column, `None` for `NULL`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<Option<i64>> for Value {
    fn from(n: Option<i64>) -> Value {
        n.map_or(Value::Null, Value::Int)
    }
}

impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Value {
        Value::Bytes(b.to_vec())
    }
}

/// The engine behind a [`Database`].
enum Engine {
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(Postgres),
}

/// The PostgreSQL pool, and the settings it connects with (for the connections a
/// [`HeldLock`] keeps).
struct Postgres {
    /// Present until dropped (see the `Drop` impl).
    pool: Option<r2d2::Pool<PostgresConnectionManager<postgres::NoTls>>>,
    config: postgres::Config,
}

impl Drop for Postgres {
    /// Each pooled client owns a runtime, which must not be dropped on an async task's thread
    /// (where a server shutting down drops its state): the pool is dropped on a thread of its own.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

/// One SQL database of the state beside the mailstore.
pub struct Database {
    engine: Engine,
}

/// Most connections one [`Database`] keeps open to PostgreSQL.
const POOL_SIZE: u32 = 8;

/// How long a statement waits for a PostgreSQL connection before the database counts as
/// unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Database {
    /// Opens (creating if needed) the SQLite database `file`; the caller then creates its
    /// tables with [`Database::execute_batch`].
    pub fn open_sqlite(file: &Path) -> Result<Database> {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| AuthError::Storage(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = rusqlite::Connection::open(file)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(Database { engine: Engine::Sqlite(Mutex::new(conn)) })
    }

    /// Runs statements separated by `;` without parameters (schema changes such as
    /// `CREATE TABLE IF NOT EXISTS`).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(conn) => {
                Ok(conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).execute_batch(sql)?)
            }
            Engine::Postgres(..) => {
                self.postgres_client()?.batch_execute(sql).map_err(|e| postgres_error(&e))
            }
        }
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://USER@HOST:PORT/DB`) and runs
    /// `schema` there under an advisory lock named after `name`, so several nodes starting at
    /// once do not race creating the same tables.
    pub fn connect_postgres(url: &str, name: &str, schema: &str) -> Result<Database> {
        let mut config = postgres::Config::from_str(url).map_err(|e| {
            AuthError::Storage(format!(
                "store_url {url:?} is not a PostgreSQL URL ({e}); write postgres://USER@HOST:PORT/DB"
            ))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        // Schema creation on every start: its "already exists, skipping" notices are no news.
        config.options("-c client_min_messages=warning");
        let manager = PostgresConnectionManager::new(config.clone(), postgres::NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(0))
            .connection_timeout(CONNECT_TIMEOUT)
            .build_unchecked(manager);
        let db = Database { engine: Engine::Postgres(Postgres { pool: Some(pool), config }) };
        let lock = format!("SELECT pg_advisory_xact_lock(hashtext('bushbuck schema {name}'))");
        db.execute_batch(&format!("BEGIN; {lock}; {schema}; COMMIT;"))?;
        Ok(db)
    }

    fn postgres_client(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<postgres::NoTls>>> {
        match &self.engine {
            Engine::Postgres(Postgres { pool: Some(pool), .. }) => {
                pool.get().map_err(|e| AuthError::Unavailable(format!("cannot reach PostgreSQL: {e}")))
            }
            _ => unreachable!("postgres_client is only called for PostgreSQL, before drop"),
        }
    }

    /// Takes the lock `name` for every node sharing this database, without waiting: `Ok(None)`
    /// when a session anywhere holds it. On PostgreSQL it is an advisory lock on a connection
    /// of its own, so it ends with the value, or with the connection when this node dies. An
    /// embedded database belongs to one node: there the lock is always granted (the caller
    /// keeps its own in-process lock).
    pub fn try_lock(&self, name: &str) -> Result<Option<HeldLock>> {
        let Engine::Postgres(Postgres { config, .. }) = &self.engine else { return Ok(Some(HeldLock(None))) };
        let unavailable =
            |e: postgres::Error| AuthError::Unavailable(format!("cannot reach PostgreSQL: {e}"));
        let mut client = config.connect(postgres::NoTls).map_err(unavailable)?;
        let row = client
            .query_one("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &[&name])
            .map_err(|e| postgres_error(&e))?;
        let held = HeldLock(Some(client));
        Ok(row.get::<_, bool>(0).then_some(held))
    }

    /// Runs a statement; returns how many rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        match &self.engine {
            Engine::Sqlite(conn) => {
                let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let changed = conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?;
                Ok(changed as u64)
            }
            Engine::Postgres(..) => {
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
                self.postgres_client()?.execute(sql, &refs).map_err(|e| postgres_error(&e))
            }
        }
    }

    /// Runs a query; returns its rows, each a list of column values.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        match &self.engine {
            Engine::Sqlite(conn) => {
                let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let mut stmt = conn.prepare_cached(sql)?;
                let width = stmt.column_count();
                let rows = stmt.query_map(rusqlite::params_from_iter(params), |row| {
                    (0..width).map(|i| row.get::<_, rusqlite::types::Value>(i).map(from_sqlite)).collect()
                })?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            }
            Engine::Postgres(..) => {
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
                let rows = self.postgres_client()?.query(sql, &refs).map_err(|e| postgres_error(&e))?;
                rows.iter().map(from_postgres_row).collect()
            }
        }
    }

    /// Renames the tables and columns an SQLite database was created with before the names
    /// got their prefix (`tables`: old, new; `columns`: table, old, new, in the renamed
    /// table), so existing data directories keep their data. PostgreSQL has no such past.
    pub fn rename_legacy(&self, tables: &[(&str, &str)], columns: &[(&str, &str, &str)]) -> Result<()> {
        let Engine::Sqlite(_) = self.engine else { return Ok(()) };
        for (old, new) in tables {
            if self
                .has_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", &[(*old).into()])?
            {
                self.execute_batch(&format!("ALTER TABLE {old} RENAME TO {new}"))?;
            }
        }
        for (table, old, new) in columns {
            let has = "SELECT 1 FROM pragma_table_info($1) WHERE name = $2";
            if self.has_row(has, &[(*table).into(), (*old).into()])? {
                self.execute_batch(&format!("ALTER TABLE {table} RENAME COLUMN {old} TO {new}"))?;
            }
        }
        Ok(())
    }

    /// Whether `sql` returns at least one row.
    pub fn has_row(&self, sql: &str, params: &[Value]) -> Result<bool> {
        Ok(!self.query(sql, params)?.is_empty())
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(n) => ValueRef::Integer(*n),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
        }))
    }
}

fn from_sqlite(value: rusqlite::types::Value) -> Value {
    use rusqlite::types::Value as V;
    match value {
        V::Null => Value::Null,
        V::Integer(n) => Value::Int(n),
        V::Real(f) => Value::Int(f as i64),
        V::Text(s) => Value::Text(s),
        V::Blob(b) => Value::Bytes(b),
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) if *ty == Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
            Value::Int(n) => n.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Bytes(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn from_postgres_row(row: &postgres::Row) -> Result<Vec<Value>> {
    let wrong = |e: postgres::Error| AuthError::Storage(format!("unexpected column in the database: {e}"));
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_();
            Ok(if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i).map_err(wrong)?.into()
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i).map_err(wrong)?.map(i64::from).into()
            } else if *ty == Type::BYTEA {
                row.try_get::<_, Option<Vec<u8>>>(i).map_err(wrong)?.map_or(Value::Null, Value::Bytes)
            } else {
                row.try_get::<_, Option<String>>(i).map_err(wrong)?.map_or(Value::Null, Value::Text)
            })
        })
        .collect()
}

/// A lock taken by [`Database::try_lock`], released when dropped.
pub struct HeldLock(Option<postgres::Client>);

impl Drop for HeldLock {
    /// Closing the connection releases the advisory lock. The client owns a runtime of its
    /// own, which must not be dropped on an async task's thread: a short thread closes it.
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            std::thread::spawn(move || drop(client));
        }
    }
}

/// A PostgreSQL failure as the caller should see it: [`AuthError::Unavailable`] when the
/// server is down, restarting or unreachable (retrying later helps), else
/// [`AuthError::Storage`].
fn postgres_error(e: &postgres::Error) -> AuthError {
    let text = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    let temporary = match e.as_db_error() {
        // Connection exceptions, shutdown and restart, too many connections.
        Some(db) => {
            let code = db.code().code();
            code.starts_with("08") || code.starts_with("57P") || code == "53300"
        }
        None => true,
    };
    if temporary {
        AuthError::Unavailable(format!("PostgreSQL: {text}"))
    } else {
        AuthError::Storage(format!("PostgreSQL: {text} (check store_url and the database's permissions)"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The engines the shared tests run on: SQLite in `dir`, and PostgreSQL when installed
    /// (a fresh database; with `CI` set a missing PostgreSQL fails the test).
    pub(crate) fn engines(dir: &Path, name: &str, schema: &str) -> Vec<Database> {
        let sqlite = Database::open_sqlite(&dir.join(format!("{name}.sqlite3"))).unwrap();
        sqlite.execute_batch(schema).unwrap();
        let mut out = vec![sqlite];
        if let Some(url) = bushbuck_testsvc::postgres_url() {
            out.push(Database::connect_postgres(&url, name, schema).unwrap());
        }
        out
    }

    #[test]
    fn values_round_trip_on_every_engine() {
        let dir = tempfile::tempdir().unwrap();
        let schema = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, n BIGINT, b BYTEA)";
        for db in engines(dir.path(), "values", schema) {
            let row = |k: &str, n: Option<i64>, b: &[u8]| vec![Value::from(k), n.into(), b.into()];
            for r in [row("a", Some(i64::MAX), b"\0\xff"), row("b", None, b"")] {
                assert_eq!(db.execute("INSERT INTO t (k, n, b) VALUES ($1, $2, $3)", &r).unwrap(), 1);
            }
            let rows = db.query("SELECT k, n, b FROM t WHERE k >= $1 ORDER BY k", &["a".into()]).unwrap();
            assert_eq!(rows, vec![row("a", Some(i64::MAX), b"\0\xff"), row("b", None, b"")]);
            let upsert = "INSERT INTO t (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = excluded.n";
            db.execute(upsert, &["b".into(), 7.into()]).unwrap();
            assert!(db.has_row("SELECT 1 FROM t WHERE k = $1 AND n = $2", &["b".into(), 7.into()]).unwrap());
        }
    }

    #[test]
    fn an_outage_is_unavailable_and_passes_by_itself() {
        let Some(server) = bushbuck_testsvc::postgres_service() else { return };
        let url = server.fresh_database();
        let schema = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)";
        let db = Database::connect_postgres(&url, "outage", schema).unwrap();
        db.execute("INSERT INTO t (k) VALUES ($1)", &["before".into()]).unwrap();
        server.stop();
        let err = db.execute("INSERT INTO t (k) VALUES ($1)", &["during".into()]).unwrap_err();
        assert!(matches!(err, AuthError::Unavailable(_)), "{err:?}");
        server.start();
        db.execute("INSERT INTO t (k) VALUES ($1)", &["after".into()]).unwrap();
        assert_eq!(db.query("SELECT k FROM t ORDER BY k", &[]).unwrap().len(), 2);
    }

    #[test]
    fn calls_work_on_blocking_threads_and_inside_block_in_place() {
        let Some(url) = bushbuck_testsvc::postgres_url() else { return };
        let db = std::sync::Arc::new(
            Database::connect_postgres(&url, "threads", "CREATE TABLE t (k TEXT)").unwrap(),
        );
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        runtime.block_on(async {
            tokio::task::block_in_place(|| db.execute("INSERT INTO t (k) VALUES ($1)", &["a".into()]))
                .unwrap();
            let on_pool = db.clone();
            tokio::task::spawn_blocking(move || {
                on_pool.execute("INSERT INTO t (k) VALUES ($1)", &["b".into()])
            })
            .await
            .unwrap()
            .unwrap();
        });
        assert_eq!(db.query("SELECT k FROM t", &[]).unwrap().len(), 2);
    }

    #[test]
    fn a_lock_is_held_once_across_connections_and_ends_with_its_holder() {
        let Some(url) = bushbuck_testsvc::postgres_url() else { return };
        let node_a = Database::connect_postgres(&url, "locks", "").unwrap();
        let node_b = Database::connect_postgres(&url, "locks", "").unwrap();
        let held = node_a.try_lock("pop3 alice").unwrap().expect("the first taker gets the lock");
        assert!(node_b.try_lock("pop3 alice").unwrap().is_none(), "held elsewhere");
        let other = node_b.try_lock("pop3 bob").unwrap();
        assert!(other.is_some(), "another name is another lock");
        drop(held);
        // The holder's connection closes on a thread of its own: the lock ends a moment later.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let again = loop {
            if let Some(lock) = node_b.try_lock("pop3 alice").unwrap() {
                break lock;
            }
            assert!(std::time::Instant::now() < deadline, "the lock outlived its holder");
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(again);
        let embedded = tempfile::tempdir().unwrap();
        let sqlite = Database::open_sqlite(&embedded.path().join("l.sqlite3")).unwrap();
        assert!(sqlite.try_lock("pop3 alice").unwrap().is_some(), "one node: always granted");
    }

    #[test]
    fn a_bad_url_says_what_to_write() {
        let err = Database::connect_postgres("mysql://x", "t", "").err().unwrap().to_string();
        assert!(err.contains("postgres://USER@HOST:PORT/DB"), "{err}");
    }
}
