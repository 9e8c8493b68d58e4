//! The `row-stream` resource: a task of its own runs the query on the session's connection
//! and feeds rows into a bounded channel; the guest reads them a batch at a time. The
//! connection goes back to the session when the rows end or the stream is dropped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use wasmtime_wasi::runtime::AbortOnDropJoinHandle;

use super::cancel;
use super::session::{Conn, Held, Session, Slot};
use super::{SqlUsage, mysql, postgres, values};
use crate::bindings::v0_2::weft::dag::sql::{Column, Row, SqlError, SqlValue};

/// Rows read ahead of the guest, at most.
const READ_AHEAD: usize = 1024;
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

/// A row stream resource.
pub struct RowStream {
    pub(crate) columns: Vec<Column>,
    rx: mpsc::Receiver<Msg>,
    task: Option<AbortOnDropJoinHandle<Held>>,
    /// The session's slot, where the connection goes back.
    slot: Arc<Mutex<Slot>>,
    usage: Arc<SqlUsage>,
    failed: bool,
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
    let task = wasmtime_wasi::runtime::spawn(async move {
        let mut guard = CloseUnlessReturned(Some(conn));
        match guard.0.as_mut() {
            Some(Conn::Postgres(c)) => postgres::stream(c, statement, params, tx).await,
            Some(Conn::MySql(c)) => mysql::stream(c, statement, params, tx).await,
            None => {}
        }
        Held {
            conn: guard.0.take(),
            dirty: true,
            runtime,
        }
    });
    let mut stream = RowStream {
        columns: Vec::new(),
        rx: mpsc::channel(1).1,
        task: Some(task),
        slot: session.slot.clone(),
        usage,
        failed: false,
    };
    let what = format!(
        "a statement on connection {:?} ({})",
        session.conn_id, session.endpoint
    );
    let limit = stream.usage.limits.statement_timeout;
    let first = async { Ok::<_, SqlError>(rx.recv().await) };
    let bounded = cancel::bounded(first, by, &session.canceller, &what, limit).await;
    stream.rx = rx;
    let first = match bounded.result {
        Ok(first) => first,
        Err(e) => {
            stream.finish(bounded.broken).await;
            return Err(e);
        }
    };
    match first {
        Some(Msg::Columns(columns)) => {
            stream.columns = columns;
            Ok(stream)
        }
        Some(Msg::Error(e)) => {
            stream.finish(false).await;
            Err(e)
        }
        Some(Msg::Row(_)) | None => {
            stream.finish(false).await;
            Err(SqlError::State(
                "the row stream ended before its columns".into(),
            ))
        }
    }
}

impl RowStream {
    /// The next `max` rows, fewer only at the end.
    pub(crate) async fn next(&mut self, max: u32) -> Result<Vec<Row>, SqlError> {
        if self.failed {
            return Err(SqlError::State("the row stream failed earlier".into()));
        }
        let mut rows = Vec::new();
        while rows.len() < max as usize {
            // A full batch unless the rows end first: fewer calls for the guest.
            let msg = self.rx.recv().await;
            match msg {
                Some(Msg::Row(values)) => {
                    if let Err(e) = self.usage.count_row(values.iter().map(values::size).sum()) {
                        self.failed = true;
                        self.finish(false).await;
                        return Err(e);
                    }
                    rows.push(values);
                }
                Some(Msg::Error(e)) => {
                    self.failed = true;
                    self.finish(false).await;
                    return Err(e);
                }
                Some(Msg::Columns(_)) => {}
                None => {
                    self.finish(false).await;
                    break;
                }
            }
        }
        Ok(rows)
    }

    /// Stops reading and hands the connection back to the session (closed if `broken` or
    /// if the task does not return it in time).
    pub(crate) async fn finish(&mut self, broken: bool) {
        self.rx.close();
        while self.rx.try_recv().is_ok() {}
        let Some(task) = self.task.take() else {
            return;
        };
        let next = match tokio::time::timeout(RETURN_TIMEOUT, task).await {
            Ok(mut held) if !broken => {
                held.dirty = true;
                Slot::Ready(held)
            }
            Ok(mut held) => {
                if let Some(Conn::Postgres(c)) = held.conn.as_mut() {
                    c.close_on_drop();
                } else if let Some(Conn::MySql(c)) = held.conn.as_mut() {
                    c.close_on_drop();
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
