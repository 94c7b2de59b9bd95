//! The Bushbuck mailstore.
//!
//! [`Store`] is the contract; [`SqliteStore`] the embedded default: per-user SQLite index in
//! WAL mode plus content-addressed message files, written and fsynced before the index commit.

mod api;
mod blobs;
mod clock;
mod content_size;
mod error;
mod flagset;
mod hex;
mod mailbox_row;
mod names;
mod notify;
mod object_blobs;
pub mod parallel;
mod partitions;
mod postgres;
mod prepared;
mod retention;
mod search_text;
mod sqlite;
mod uid_ranges;

pub use api::*;
pub use error::{Result, StoreError};
pub use names::{canonical_mailbox_name, validate_user_name, MAX_MAILBOX_NAME, MAX_USER_NAME};
pub use object_blobs::{open_blobs, BlobSettings, BlobStore, LocalBlobs, S3Blobs, S3Location};
pub use partitions::{Partitions, DEFAULT_PARTITION};
pub use postgres::PostgresStore;
pub use sqlite::{
    link_or_copy, snapshot_database, BackupStats, ReconstructReport, SqliteStore, RECOVERED_MAILBOX,
};
