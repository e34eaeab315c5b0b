//! The database of minzheng: one [`Db`] over SQLite (the default) or PostgreSQL, the migrations
//! of both, the attachment store, the audit chain and online backup.
//!
//! Areas never see a driver: they write SQL once with `$1…$N` placeholders and run it on a [`Tx`].

pub mod attachments;
pub mod audit;
pub mod backup;
mod bulk;
mod db;
mod error;
pub mod migrations;
pub mod testing;
mod value;

pub use db::{Backend, DatabaseUrl, Db, Tx};
pub use error::StoreError;
pub use value::{FromValue, Row, ToValue, Value, format_instant};
