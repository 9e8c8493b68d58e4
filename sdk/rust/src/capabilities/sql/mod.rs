//! SQL databases, reached through the host: sessions on declared connections, typed
//! parameters, rows decoded with serde, streams and transactions.
//!
//! ```no_run
//! use serde::Deserialize;
//! use weft_sdk::prelude::*;
//!
//! #[derive(Deserialize)]
//! struct Customer {
//!     id: i64,
//!     name: String,
//!     score: Option<f64>,
//! }
//!
//! fn top_customers(ctx: &Context) -> TaskResult<Vec<String>> {
//!     let mut db = ctx.sql("warehouse")?;
//!     let min_score = 0.8;
//!     let customers: Vec<Customer> = db.query(
//!         "select id, name, score from customers where score >= $1 order by score desc",
//!         &[&min_score],
//!     )?;
//!     let count: i64 = db.query("select count(*) from customers", &[])?.pop().unwrap_or(0);
//!     info!("{} of {count} customers above {min_score}", customers.len());
//!
//!     let tx = db.begin()?;
//!     for c in &customers {
//!         tx.execute("insert into vip (customer_id, score) values ($1, $2)", &[&c.id, &c.score])?;
//!     }
//!     tx.commit()?;
//!     Ok(customers.into_iter().map(|c| c.name).collect())
//! }
//! ```
//!
//! # Connections
//! [`Context::sql`](crate::Context::sql) opens a [`Session`] on a connection the task declares
//! with `.connection(id)`, of type `postgres`, `mysql` or `mariadb`. The host connects with the
//! connection's credentials and TLS settings; the task never sees the password. The operator's
//! egress policy must allow the connection's `tcp://HOST:PORT`; the task needs no
//! `allow_egress` rule for it. Parameters are written `$1`, `$2`, ... for PostgreSQL and `?` for
//! MySQL and MariaDB.
//!
//! # Parameters
//! Parameters are a slice of references to [`SqlParam`] values: `&[&id, &name, &None::<i32>]`.
//! Rust's booleans, integers, floats, strings, bytes, `Option` and `serde_json::Value` are
//! parameters; [`SqlValue`] names every other SQL type (`SqlValue::Date("2024-05-01".into())`).
//!
//! # Rows
//! [`Session::query`] decodes each row into any `T: Deserialize`: a struct by column name, a
//! tuple by position, a scalar when the row has one column, a `serde_json::Value` object.
//! Integers, floats, booleans, text, bytes (`Vec<u8>`) and NULL (`Option`) map to their Rust
//! counterparts. Decimals, timestamps, dates, times and UUIDs decode as strings; decimals also
//! into integers and floats (`sum(...)` and `avg(...)` are decimals in PostgreSQL). JSON
//! decodes as its text into a `String` and as the document into a `serde_json::Value` or a
//! struct. A value that does not fit fails with [`SqlError::Decode`], naming the row, the
//! column and what was expected. [`Session::query_rows`] returns [`Row`]s as they come, with
//! typed getters ([`Row::get`]).
//!
//! Large results are read a batch at a time with [`Session::stream`]. [`Session::begin`]
//! returns a [`Transaction`], rolled back unless committed.
//!
//! # Limits and errors
//! The host caps each attempt's statements, rows and bytes returned ([`SqlError::Limit`]), and
//! gives each statement a timeout that ends before the attempt's deadline
//! ([`SqlError::Timeout`]). In a task, `?` turns a [`SqlError`] into a retryable or permanent
//! [`TaskError`](crate::TaskError) by [`SqlError::is_retryable`].
//!
//! # Layout
//! - `session`: [`Session`], [`Transaction`]; `stream`: [`RowIter`]
//! - `value`: [`SqlValue`] and [`SqlParam`]; `row`: [`Column`], [`Row`], [`RowSet`]
//! - `de`: the serde deserializers over rows and values; `error`: [`SqlError`]
//! - `tests`: host tests of conversions, decoding and error mapping

mod de;
mod error;
mod row;
mod session;
mod stream;
#[cfg(test)]
mod tests;
mod value;

pub use error::SqlError;
pub use row::{Column, ColumnIndex, Row, RowSet};
pub use session::{Session, Transaction};
pub use stream::{DEFAULT_BATCH_SIZE, RowIter};
pub use value::{SqlParam, SqlValue};

impl crate::Context {
    /// A session on the SQL database of connection `conn_id` (`postgres`, `mysql` or
    /// `mariadb`). The task (or the DAG's defaults) must declare it with
    /// `.connection(conn_id)`; the host connects with its credentials, which the task never
    /// sees. See [`sql`](crate::sql).
    ///
    /// `?` turns a [`SqlError`] into a task error of the right kind: retryable when the
    /// database could not be reached, permanent when the connection is not declared, say.
    pub fn sql(&self, conn_id: &str) -> Result<Session, SqlError> {
        Session::open(conn_id)
    }
}
