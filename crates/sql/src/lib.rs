//! Weft's SQL client for tasks (the `sql` capability): sessions on the PostgreSQL and
//! MySQL/MariaDB connections a task declares, opened with credentials the task never sees.
//! It knows nothing of WebAssembly: the runtime serves the `weft:dag/sql` interface of each
//! world version from these types.
//!
//! A session holds one pooled connection of its own from open to drop, so a transaction
//! stays on one connection; whatever it leaves uncommitted is rolled back before the
//! connection goes back to its pool, and no session state crosses attempts: a PostgreSQL
//! connection is reset (`ROLLBACK`, `DISCARD ALL`) on release, a MySQL/MariaDB one that ran
//! statements is closed, as is any connection a row stream was cut off on. The connection's
//! `tcp://HOST:PORT` must be allowed by the operator's egress policy and every address it
//! resolves to must pass the HTTP address checks; the pool connects to the checked address.
//! Each attempt has caps on statements, rows and bytes returned ([`SqlLimits`]), and each
//! statement a timeout, cut short by the attempt's deadline, past which it is cancelled on
//! the server from a second connection.
//!
//! # Layout
//! - [`types`]: values, rows and errors, the shapes of the WIT interface's;
//! - [`limits`]: the operator's [`SqlLimits`] and an attempt's counters ([`SqlUsage`]);
//! - [`open`]: declaration, type, egress and address checks, and the session's connection;
//! - `pools`: pools kept by the runtime, one per connection content;
//! - [`session`]: the session, its held connection and statements;
//! - [`stream`]: row streams fed by a task of their own; `cancel`: timeouts on the server;
//! - `statements`: the query, execute and row-stream loops both databases share, over a
//!   `Driver` trait; `postgres`, `mysql`: its implementations, binding parameters and
//!   reading rows, and what else differs (aborted commits, backend ids); `values`: typed values.

mod cancel;
pub mod limits;
mod mysql;
pub mod open;
mod pools;
mod postgres;
pub mod session;
mod statements;
pub mod stream;
pub mod types;
mod values;

pub use limits::{SqlLimits, SqlUsage};
pub use open::OpenRequest;
pub use pools::Pools;
pub use session::Session;
pub use stream::RowStream;
pub use types::{Column, DatabaseError, Row, RowSet, SqlError, SqlValue};

/// Whether connections of `conn_type` are opened by the host only (`connections.get`
/// returns them without their password).
pub fn host_held(conn_type: &str) -> bool {
    pools::Dialect::of(conn_type).is_some()
}

/// A statement's failure, mapped to the guest's error: a database error keeps its SQLSTATE.
pub(crate) fn database_error(e: sqlx::Error, what: &str) -> SqlError {
    match e {
        sqlx::Error::Database(db) => SqlError::Database(DatabaseError {
            code: db.code().map(|c| c.into_owned()),
            message: db.message().to_owned(),
        }),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => SqlError::Connect(format!("{what}: {e}")),
        other => SqlError::Database(DatabaseError {
            code: None,
            message: format!("{what}: {other}"),
        }),
    }
}
