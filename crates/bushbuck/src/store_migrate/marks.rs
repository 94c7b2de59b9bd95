//! Done marks in the target: after each mailbox and each owner is copied, a row names it with
//! a stamp of the source's state then, so a rerun after an interruption (even `kill -9`)
//! skips what is already there unless the source changed since. The copy itself is
//! idempotent too (UIDs the target holds are skipped), so a mark lost with a crash only
//! costs time. Embedded targets keep the marks in `migration.sqlite3` in the target's data
//! directory, PostgreSQL targets in the table `migrate_done`.

use bushbuck_auth::database::{Database, Value};
use bushbuck_server::Config;

use crate::settings::CliError;
use crate::user::auth_error;

/// The marks table, the same in both engines.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS migrate_done (
        item TEXT PRIMARY KEY,
        stamp TEXT NOT NULL
    )";

/// The done marks of one target.
pub struct Marks {
    db: Database,
}

impl Marks {
    /// Opens (creating) the marks of the target `config` names.
    pub fn open(config: &Config) -> Result<Marks, CliError> {
        let db = match &config.store_url {
            Some(url) => Database::connect_postgres(url, "migrate", SCHEMA).map_err(auth_error)?,
            None => {
                let db = Database::open_sqlite(&config.data.join("migration.sqlite3")).map_err(auth_error)?;
                db.execute_batch(SCHEMA).map_err(auth_error)?;
                db
            }
        };
        Ok(Marks { db })
    }

    /// Whether `item` was copied when the source's state was `stamp`.
    pub fn done(&self, item: &str, stamp: &str) -> Result<bool, CliError> {
        self.db
            .has_row(
                "SELECT 1 FROM migrate_done WHERE item = $1 AND stamp = $2",
                &[item.into(), stamp.into()],
            )
            .map_err(auth_error)
    }

    /// Records that `item` is copied as of the source's state `stamp`.
    pub fn set(&self, item: &str, stamp: &str) -> Result<(), CliError> {
        let params: [Value; 2] = [item.into(), stamp.into()];
        self.db
            .execute(
                "INSERT INTO migrate_done (item, stamp) VALUES ($1, $2)
                 ON CONFLICT (item) DO UPDATE SET stamp = excluded.stamp",
                &params,
            )
            .map_err(auth_error)?;
        Ok(())
    }
}
