//! Statement timeouts: a statement still running at its deadline is cancelled on the
//! server from a second connection (PostgreSQL `pg_cancel_backend`, MySQL and MariaDB
//! `KILL QUERY`), and the call fails with `timeout`.

use std::time::Duration;

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Executor as _};
use tokio::time::{Instant, sleep_until, timeout_at};

use crate::SqlError;
use crate::pools::DbPool;

/// How long a cancelled statement gets to return before its connection is given up.
const GRACE: Duration = Duration::from_secs(5);

/// Cancels the statements of one server session.
pub(crate) struct Canceller {
    pub(crate) pool: DbPool,
    /// The server's id of the session: PostgreSQL's backend pid, MySQL's connection id.
    pub(crate) backend_id: i64,
    /// Longest wait for the cancelling connection.
    pub(crate) connect_timeout: Duration,
    /// The attempt's deadline: neither cancelling nor waiting for the cancelled statement
    /// runs past it.
    pub(crate) deadline: Instant,
}

impl Canceller {
    async fn cancel(&self) -> Result<(), sqlx::Error> {
        match &self.pool {
            DbPool::Postgres(pool) => {
                let mut conn: PgConnection = pool.connect_options().connect().await?;
                sqlx::query("SELECT pg_cancel_backend($1)")
                    .bind(self.backend_id as i32)
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            }
            DbPool::MySql(pool) => {
                let mut conn: MySqlConnection = pool.connect_options().connect().await?;
                conn.execute(AssertSqlSafe(format!("KILL QUERY {}", self.backend_id)))
                    .await?;
                conn.close().await
            }
        }
    }
}

/// Cancels the session's running statement on the server, by the attempt's deadline;
/// whether the cancel was sent.
pub(crate) async fn cancel_now(canceller: &Canceller) -> bool {
    let cancel_by = (Instant::now() + canceller.connect_timeout).min(canceller.deadline);
    match timeout_at(cancel_by, canceller.cancel()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cancelling a statement");
            false
        }
        Err(_) => false,
    }
}

/// How a statement bounded by [`bounded`] ended.
pub(crate) struct Bounded<T> {
    pub(crate) result: Result<T, SqlError>,
    /// The statement did not return even after its cancellation: its connection is in an
    /// unknown state and must be closed.
    pub(crate) broken: bool,
}

/// Runs `statement` until `by`; past it, cancels it on the server and fails with
/// `timeout` naming `what` and `limit`.
pub(crate) async fn bounded<T>(
    statement: impl Future<Output = Result<T, SqlError>>,
    by: Instant,
    canceller: &Canceller,
    what: &str,
    limit: Duration,
) -> Bounded<T> {
    let mut statement = std::pin::pin!(statement);
    tokio::select! {
        result = &mut statement => return Bounded { result, broken: false },
        () = sleep_until(by) => {}
    }
    let message = format!("{what} ran past its {limit:?} timeout and was cancelled on the server");
    // Cancelling, and waiting for the statement to stop, both end by the attempt's deadline.
    let cancel_by = (Instant::now() + canceller.connect_timeout).min(canceller.deadline);
    match timeout_at(cancel_by, canceller.cancel()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "cancelling a statement"),
        Err(_) => {
            return Bounded {
                result: Err(SqlError::Timeout(format!(
                    "{what} ran past its {limit:?} timeout; cancelling it on the server did not finish in time, so its connection was closed"
                ))),
                broken: true,
            };
        }
    }
    let grace_by = (Instant::now() + GRACE).min(canceller.deadline);
    match timeout_at(grace_by, &mut statement).await {
        Ok(Ok(_)) | Ok(Err(_)) => Bounded {
            result: Err(SqlError::Timeout(message)),
            broken: false,
        },
        Err(_) => Bounded {
            result: Err(SqlError::Timeout(format!(
                "{message}; it did not stop in time (within {GRACE:?} or by the attempt's deadline), so its connection was closed"
            ))),
            broken: true,
        },
    }
}
