//! The `session` resource: one pooled connection held from open to drop, its transaction
//! state, and the statements run on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{MySql, Postgres};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cancel::{self, Canceller};
use crate::stream::{self, Msg, RowStream};
use crate::{RowSet, SqlError, SqlUsage, SqlValue, postgres, statements};

/// How long releasing a connection may take to roll back before it is closed instead.
const ROLLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled connection of either database.
pub(crate) enum Conn {
    Postgres(PoolConnection<Postgres>),
    MySql(PoolConnection<MySql>),
}

impl Conn {
    async fn control(&mut self, statement: &'static str) -> Result<(), SqlError> {
        match self {
            Conn::Postgres(c) => postgres::control(c, statement).await,
            Conn::MySql(c) => statements::simple(c, statement).await,
        }
    }

    async fn fetch_all(
        &mut self,
        statement: &str,
        params: &[SqlValue],
        usage: &SqlUsage,
    ) -> Result<RowSet, SqlError> {
        match self {
            Conn::Postgres(c) => statements::fetch_all(c, statement, params, usage).await,
            Conn::MySql(c) => statements::fetch_all(c, statement, params, usage).await,
        }
    }

    async fn execute(&mut self, statement: &str, params: &[SqlValue]) -> Result<u64, SqlError> {
        match self {
            Conn::Postgres(c) => statements::execute(c, statement, params).await,
            Conn::MySql(c) => statements::execute(c, statement, params).await,
        }
    }

    /// Feeds the rows of `statement` into `tx` (see [`statements::stream`]).
    pub(crate) async fn stream(
        &mut self,
        statement: String,
        params: Vec<SqlValue>,
        tx: mpsc::Sender<Msg>,
    ) {
        match self {
            Conn::Postgres(c) => statements::stream(c, statement, params, tx).await,
            Conn::MySql(c) => statements::stream(c, statement, params, tx).await,
        }
    }

    pub(crate) fn close_on_drop(&mut self) {
        match self {
            Conn::Postgres(c) => c.close_on_drop(),
            Conn::MySql(c) => c.close_on_drop(),
        }
    }

    /// Rolls back whatever the session left open, then lets the connection go back to its
    /// pool (which resets a PostgreSQL session); a connection that cannot roll back is
    /// closed instead. A MySQL or MariaDB connection that ran statements is always closed:
    /// its session state (variables, named locks, temporary tables) cannot be reset.
    async fn release(mut self) {
        if let Conn::MySql(c) = &mut self {
            c.close_on_drop();
            return;
        }
        match tokio::time::timeout(ROLLBACK_TIMEOUT, self.control("ROLLBACK")).await {
            Ok(Ok(())) => {}
            _ => self.close_on_drop(),
        }
    }
}

/// The connection a session holds. Dropped with statements run on it, it is rolled back
/// before it goes back to the pool (in a task of its own when dropped outside a host call,
/// as when the attempt ends).
pub(crate) struct Held {
    pub(crate) conn: Option<Conn>,
    /// Statements ran on it since it was taken from the pool.
    pub(crate) dirty: bool,
    pub(crate) runtime: tokio::runtime::Handle,
}

impl Held {
    /// The connection, marked as having run statements, to run one on.
    fn for_statement(&mut self) -> Option<&mut Conn> {
        self.dirty = true;
        self.conn.as_mut()
    }

    /// Rolls back and releases the connection now (inside a host call).
    pub(crate) async fn release(mut self) {
        if let Some(conn) = self.conn.take()
            && self.dirty
        {
            conn.release().await;
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let _entered = self.runtime.enter();
        if self.dirty {
            self.runtime.spawn(conn.release());
        } else {
            drop(conn);
        }
    }
}

/// Where a session's connection is.
pub(crate) enum Slot {
    Ready(Held),
    /// A row stream holds it.
    Streaming,
    /// It was lost (closed after a cancelled statement did not stop); says why.
    Gone(String),
}

/// A session: one connection of its own from open to close, and its transaction state.
pub struct Session {
    pub(crate) conn_id: String,
    /// `host:port` as the connection names it, for messages.
    pub(crate) endpoint: String,
    pub(crate) slot: Arc<Mutex<Slot>>,
    pub(crate) canceller: Arc<Canceller>,
    pub(crate) in_transaction: bool,
}

impl Session {
    /// Runs `statement` with `params` and returns all its rows; `by` is when it must end
    /// (its timeout, cut short by the attempt's deadline).
    pub async fn query(
        &self,
        usage: &SqlUsage,
        by: Instant,
        statement: &str,
        params: &[SqlValue],
    ) -> Result<RowSet, SqlError> {
        self.run(usage, by, async |conn| {
            conn.fetch_all(statement, params, usage).await
        })
        .await
    }

    /// Runs `statement` with `params`; the number of rows it affected.
    pub async fn execute(
        &self,
        usage: &SqlUsage,
        by: Instant,
        statement: &str,
        params: &[SqlValue],
    ) -> Result<u64, SqlError> {
        self.run(usage, by, async |conn| {
            conn.execute(statement, params).await
        })
        .await
    }

    /// Whether `statement` (`BEGIN`, `COMMIT` or `ROLLBACK`) fits the session's transaction
    /// state: a transaction begun twice or ended without one is refused before anything runs.
    pub fn check_transaction(&self, statement: &str) -> Result<(), SqlError> {
        let open = statement == "BEGIN";
        if self.in_transaction != open {
            return Ok(());
        }
        let why = if open {
            "a transaction is already open"
        } else {
            "no transaction is open"
        };
        Err(SqlError::State(format!(
            "{statement} on the session of connection {:?}: {why}",
            self.conn_id
        )))
    }

    /// Runs `BEGIN`, `COMMIT` or `ROLLBACK` (see [`Session::check_transaction`]).
    pub async fn transaction(
        &mut self,
        usage: &SqlUsage,
        by: Instant,
        statement: &'static str,
    ) -> Result<(), SqlError> {
        self.check_transaction(statement)?;
        let open = statement == "BEGIN";
        let result = self
            .run(usage, by, async |conn| conn.control(statement).await)
            .await;
        // A failed COMMIT or ROLLBACK still ends the transaction on the server.
        if result.is_ok() || !open {
            self.in_transaction = open;
        }
        result
    }

    /// Runs `statement` with `params` and returns its rows as a stream; the session runs
    /// nothing else until the stream ends or stops.
    pub async fn query_stream(
        &self,
        usage: Arc<SqlUsage>,
        by: Instant,
        statement: String,
        params: Vec<SqlValue>,
    ) -> Result<RowStream, SqlError> {
        let held = self.take()?;
        if let Err(e) = usage.count_statement() {
            self.put(held, false);
            return Err(e);
        }
        let timeouts = usage.clone();
        stream::open(self, held, usage, by, statement, params)
            .await
            .inspect_err(|e| {
                if let SqlError::Timeout(message) = e {
                    timeouts.note_timeout(message);
                }
            })
    }

    /// Ends the session now: rolls back what it left open and releases its connection.
    pub async fn close(self) {
        let taken = std::mem::replace(
            &mut *self
                .slot
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            Slot::Gone("the session is closed".into()),
        );
        if let Slot::Ready(held) = taken {
            held.release().await;
        }
    }

    /// Runs one statement call on the held connection: takes it, counts the statement,
    /// runs it bounded by the statement timeout and the attempt's deadline (see
    /// [`cancel::bounded`]), and gives the connection back.
    async fn run<T>(
        &self,
        usage: &SqlUsage,
        by: Instant,
        statement: impl AsyncFnOnce(&mut Conn) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        let mut held = self.take()?;
        if let Err(e) = usage.count_statement() {
            self.put(held, false);
            return Err(e);
        }
        let limit = usage.limits.statement_timeout;
        let bounded = match held.for_statement() {
            Some(conn) => {
                cancel::bounded(statement(conn), by, &self.canceller, &self.what(), limit).await
            }
            None => gone(),
        };
        self.put(held, bounded.broken);
        if let Err(SqlError::Timeout(message)) = &bounded.result {
            usage.note_timeout(message);
        }
        bounded.result
    }

    /// Takes the connection for one call, or says why the session cannot run one now.
    pub(crate) fn take(&self) -> Result<Held, SqlError> {
        let mut slot = self
            .slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match std::mem::replace(&mut *slot, Slot::Streaming) {
            Slot::Ready(held) => Ok(held),
            Slot::Streaming => Err(SqlError::State(format!(
                "a row stream is open on the session of connection {:?}: read it to the end or drop it first",
                self.conn_id
            ))),
            Slot::Gone(why) => {
                *slot = Slot::Gone(why.clone());
                Err(SqlError::State(why))
            }
        }
    }

    /// Gives the connection back after a call; a broken one is closed and the session ends.
    pub(crate) fn put(&self, mut held: Held, broken: bool) {
        let next = if broken {
            if let Some(conn) = held.conn.as_mut() {
                conn.close_on_drop();
            }
            held.dirty = false;
            drop(held);
            Slot::Gone(format!(
                "the session of connection {:?} lost its connection after a statement timed out; open a new one",
                self.conn_id
            ))
        } else {
            Slot::Ready(held)
        };
        *self
            .slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = next;
    }

    /// Names a statement on the session in messages.
    pub(crate) fn what(&self) -> String {
        format!(
            "a statement on connection {:?} ({})",
            self.conn_id, self.endpoint
        )
    }
}

fn gone<T>() -> cancel::Bounded<T> {
    cancel::Bounded {
        result: Err(SqlError::State("the session has no connection".into())),
        broken: false,
    }
}
