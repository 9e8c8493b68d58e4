//! The `row-stream` resource: a task of its own runs the query on the session's connection
//! and feeds rows into a bounded channel; the guest reads them a batch at a time (at most
//! the read-ahead per batch, each wait bounded by the statement timeout). The connection
//! goes back to the session when the rows end; a stream dropped or cut off while its
//! statement still runs cancels it on the server and closes the connection (the session
//! then has none), so no connection is reused mid-result or mid-transaction.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cancel::{self, Canceller};
use crate::session::{Conn, Held, Session, Slot};
use crate::{Column, Row, SqlError, SqlValue};
use crate::{SqlUsage, values};

/// Rows read ahead of the guest, at most.
const READ_AHEAD: usize = 1024;
/// How long a stream cut short may take to end by itself (its remaining rows read and
/// discarded, at most one more read-ahead of them) before its statement is cancelled.
const DRAIN_TIME: Duration = Duration::from_millis(100);
/// How long dropping a stream waits for its task to hand the connection back.
const RETURN_TIMEOUT: Duration = Duration::from_secs(10);

/// What the stream's task sends: the columns first, then rows, or an error.
pub(crate) enum Msg {
    Columns(Vec<Column>),
    Row(Vec<SqlValue>),
    Error(SqlError),
}

/// The connection of a stream's task: if the task is aborted before it hands the
/// connection back (the stream dropped unfinished, or not stopping in time), the connection
/// is closed rather than returned to its pool mid-statement or mid-transaction.
struct CloseUnlessReturned(Option<Conn>);

impl Drop for CloseUnlessReturned {
    fn drop(&mut self) {
        if let Some(conn) = self.0.as_mut() {
            conn.close_on_drop();
        }
    }
}

/// The task feeding a stream: aborted when dropped, so that a stream dropped unfinished
/// stops its statement's task (which then closes the connection).
struct Feeder(JoinHandle<Held>);

impl Drop for Feeder {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Future for Feeder {
    type Output = Held;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Held> {
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(|joined| joined.expect("a row stream's task panicked"))
    }
}

/// Rows of a query, read a batch at a time.
pub struct RowStream {
    columns: Vec<Column>,
    rx: mpsc::Receiver<Msg>,
    task: Option<Feeder>,
    /// The session's slot, where the connection goes back.
    slot: Arc<Mutex<Slot>>,
    usage: Arc<SqlUsage>,
    canceller: Arc<Canceller>,
    /// Names the statement in messages.
    what: String,
    failed: bool,
}

/// How a stream stops.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Its task stops by itself (the rows ended, or it sent an error): the connection goes
    /// back to the session.
    Ended,
    /// Its statement did not stop after a cancel: the connection is closed.
    Broken,
    /// Cut short (dropped before its end, a cap reached, a read timed out): unless its
    /// rows end right away (see [`DRAIN_TIME`]), the statement is cancelled on the server
    /// and its connection closed, since it is mid-result and perhaps mid-transaction.
    Cut,
}

/// Starts streaming `statement` on `held`, and waits (until `by`) for its columns or its
/// error.
pub(crate) async fn open(
    session: &Session,
    mut held: Held,
    usage: Arc<SqlUsage>,
    by: tokio::time::Instant,
    statement: String,
    params: Vec<SqlValue>,
) -> Result<RowStream, SqlError> {
    held.dirty = true;
    let (tx, mut rx) = mpsc::channel(READ_AHEAD);
    let Some(conn) = held.conn.take() else {
        return Err(SqlError::State("the session has no connection".into()));
    };
    let runtime = held.runtime.clone();
    drop(held);
    let task = Feeder(tokio::spawn(async move {
        let mut guard = CloseUnlessReturned(Some(conn));
        if let Some(conn) = guard.0.as_mut() {
            conn.stream(statement, params, tx).await;
        }
        Held {
            conn: guard.0.take(),
            dirty: true,
            runtime,
        }
    }));
    let mut stream = RowStream {
        columns: Vec::new(),
        rx: mpsc::channel(1).1,
        task: Some(task),
        slot: session.slot.clone(),
        usage,
        canceller: session.canceller.clone(),
        what: session.what(),
        failed: false,
    };
    let what = stream.what.clone();
    let limit = stream.usage.limits.statement_timeout;
    let first = async { Ok::<_, SqlError>(rx.recv().await) };
    let bounded = cancel::bounded(first, by, &session.canceller, &what, limit).await;
    stream.rx = rx;
    let first = match bounded.result {
        Ok(first) => first,
        Err(e) => {
            // Cancelled: unless its rows (its error) end right away, the connection is
            // mid-result and is closed.
            let end = if bounded.broken {
                End::Broken
            } else {
                End::Cut
            };
            stream.finish(end).await;
            return Err(e);
        }
    };
    match first {
        Some(Msg::Columns(columns)) => {
            stream.columns = columns;
            Ok(stream)
        }
        Some(Msg::Error(e)) => {
            stream.finish(End::Ended).await;
            Err(e)
        }
        Some(Msg::Row(_)) | None => {
            stream.finish(End::Ended).await;
            Err(SqlError::State(
                "the row stream ended before its columns".into(),
            ))
        }
    }
}

impl RowStream {
    /// The columns of the rows.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Stops the stream before its end, as when the task drops it: see [`End::Cut`].
    pub async fn stop(&mut self) {
        self.finish(End::Cut).await;
    }

    /// The next `max` rows (at most the read-ahead), fewer only at the end. Waiting for
    /// them is bounded by the statement timeout and the attempt's deadline; past it the
    /// statement is cancelled on the server and the session's connection closed.
    pub async fn next(&mut self, max: u32) -> Result<Vec<Row>, SqlError> {
        if self.failed {
            return Err(SqlError::State("the row stream failed earlier".into()));
        }
        let max = usize::try_from(max).unwrap_or(usize::MAX).min(READ_AHEAD);
        let limit = self.usage.limits.statement_timeout;
        let by = (tokio::time::Instant::now() + limit).min(self.canceller.deadline);
        let mut rows = Vec::new();
        while rows.len() < max {
            // A full batch unless the rows end first: fewer calls for the guest.
            let Ok(msg) = tokio::time::timeout_at(by, self.rx.recv()).await else {
                self.failed = true;
                self.finish(End::Cut).await;
                let message = format!(
                    "{} gave no rows within its {limit:?} timeout and was cancelled on the server; the session's connection was closed",
                    self.what
                );
                self.usage.note_timeout(&message);
                return Err(SqlError::Timeout(message));
            };
            match msg {
                Some(Msg::Row(values)) => {
                    if let Err(e) = self.usage.count_row(values::row_size(&values)) {
                        self.failed = true;
                        self.finish(End::Cut).await;
                        return Err(e);
                    }
                    rows.push(values);
                }
                Some(Msg::Error(e)) => {
                    self.failed = true;
                    self.finish(End::Ended).await;
                    return Err(e);
                }
                Some(Msg::Columns(_)) => {}
                None => {
                    self.finish(End::Ended).await;
                    break;
                }
            }
        }
        Ok(rows)
    }

    /// Whether the statement's rows end within [`DRAIN_TIME`] and one more read-ahead;
    /// they are discarded.
    async fn ends_soon(&mut self) -> bool {
        let by = (tokio::time::Instant::now() + DRAIN_TIME).min(self.canceller.deadline);
        for _ in 0..=2 * READ_AHEAD {
            match tokio::time::timeout_at(by, self.rx.recv()).await {
                Ok(None) => return true,
                Ok(Some(_)) => {}
                Err(_) => return false,
            }
        }
        false
    }

    /// Stops reading and hands the connection back to the session; closed if the statement
    /// is `Broken`, still running when `Cut` (after a cancel on the server), or if the task
    /// does not return it in time.
    pub(crate) async fn finish(&mut self, end: End) {
        let cut = end == End::Cut && self.task.is_some() && !self.ends_soon().await;
        self.rx.close();
        while self.rx.try_recv().is_ok() {}
        let Some(task) = self.task.take() else {
            return;
        };
        if cut {
            cancel::cancel_now(&self.canceller).await;
            // Aborted, the task closes the connection (see `CloseUnlessReturned`).
            drop(task);
            *self
                .slot
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Slot::Gone(format!(
                "the session lost its connection: a row stream was stopped before its end, so {} was cancelled on the server and the connection closed; open a new session",
                self.what
            ));
            return;
        }
        let broken = end == End::Broken;
        let next = match tokio::time::timeout(RETURN_TIMEOUT, task).await {
            Ok(mut held) if !broken => {
                held.dirty = true;
                Slot::Ready(held)
            }
            Ok(mut held) => {
                if let Some(conn) = held.conn.as_mut() {
                    conn.close_on_drop();
                }
                held.dirty = false;
                Slot::Gone("the session lost its connection after a statement timed out".into())
            }
            Err(_) => Slot::Gone(
                "the session lost its connection: a row stream did not stop in time".into(),
            ),
        };
        *self
            .slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = next;
    }
}
