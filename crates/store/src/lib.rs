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

/// The `ESCAPE` clause that goes with every `LIKE` over text a person typed, on both backends.
pub const LIKE_ESCAPE: &str = "ESCAPE '\\'";

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` in it matched literally (use
/// with [`LIKE_ESCAPE`]): a search for `50%` or `a_b` finds exactly that, not every row.
pub fn like_contains(text: &str) -> String {
    format!("%{}%", like_literal(text))
}

/// A `LIKE` pattern matching text that starts with `text` (see [`like_contains`]).
pub fn like_prefix(text: &str) -> String {
    format!("{}%", like_literal(text))
}

fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
