//! [`Session`] on a declared connection, its [`Transaction`] guard and [`RowIter`], the rows
//! of a query read a batch at a time.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::error::SqlError;
use super::row::{Column, Row, RowSet, columns_from_wit};
use super::value::{SqlParam, wit_params};
use crate::bindings::weft::dag::sql as wit;

/// Rows [`RowIter`] asks the host for at once, unless [`RowIter::batch_size`] says otherwise.
pub const DEFAULT_BATCH_SIZE: u32 = 1000;

/// A session on one declared connection, from [`Context::sql`](crate::Context::sql).
///
/// Statements run one at a time, in the order called. Dropping the session closes it; a
/// transaction still open then is rolled back.
pub struct Session {
    conn_id: String,
    inner: wit::Session,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("conn_id", &self.conn_id)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Open a session on the declared connection `conn_id`.
    pub(crate) fn open(conn_id: &str) -> Result<Self, SqlError> {
        let inner = wit::open(conn_id).map_err(|e| SqlError::from_wit(e, conn_id))?;
        Ok(Self {
            conn_id: conn_id.to_owned(),
            inner,
        })
    }

    /// The id of the connection the session is on.
    pub fn conn_id(&self) -> &str {
        &self.conn_id
    }

    fn error(&self, error: wit::SqlError) -> SqlError {
        SqlError::from_wit(error, &self.conn_id)
    }

    /// Run `statement` with `params` and decode every row into `T`: a struct by column name,
    /// a tuple by position, a scalar when there is one column, a `serde_json::Value`.
    pub fn query<T: DeserializeOwned>(
        &self,
        statement: &str,
        params: &[&dyn SqlParam],
    ) -> Result<Vec<T>, SqlError> {
        self.query_rows(statement, params)?.deserialize()
    }

    /// Run `statement` with `params` and return its rows as they come, with their columns.
    pub fn query_rows(
        &self,
        statement: &str,
        params: &[&dyn SqlParam],
    ) -> Result<RowSet, SqlError> {
        self.inner
            .query(statement, &wit_params(params))
            .map(RowSet::from_wit)
            .map_err(|e| self.error(e))
    }

    /// Run `statement` with `params`; the number of rows it affected.
    pub fn execute(&self, statement: &str, params: &[&dyn SqlParam]) -> Result<u64, SqlError> {
        self.inner
            .execute(statement, &wit_params(params))
            .map_err(|e| self.error(e))
    }

    /// Run `statement` with `params` and read its rows a batch at a time
    /// ([`DEFAULT_BATCH_SIZE`] unless [`RowIter::batch_size`] says otherwise), each decoded
    /// into `T` as [`Session::query`] does. For results too large to hold at once. The session
    /// runs nothing else until the iterator is dropped.
    pub fn stream<T: DeserializeOwned>(
        &mut self,
        statement: &str,
        params: &[&dyn SqlParam],
    ) -> Result<RowIter<'_, T>, SqlError> {
        self.open_stream(statement, params, |row, index| row.decode(index))
    }

    /// [`Session::stream`], yielding each [`Row`] as it comes.
    pub fn stream_rows(
        &mut self,
        statement: &str,
        params: &[&dyn SqlParam],
    ) -> Result<RowIter<'_, Row>, SqlError> {
        self.open_stream(statement, params, |row, _| Ok(row))
    }

    fn open_stream<T>(
        &mut self,
        statement: &str,
        params: &[&dyn SqlParam],
        decode: fn(Row, usize) -> Result<T, SqlError>,
    ) -> Result<RowIter<'_, T>, SqlError> {
        let stream = self
            .inner
            .query_stream(statement, &wit_params(params))
            .map_err(|e| self.error(e))?;
        Ok(RowIter {
            columns: columns_from_wit(stream.columns()),
            stream,
            conn_id: &self.conn_id,
            buffered: Vec::new().into_iter(),
            batch: DEFAULT_BATCH_SIZE,
            read: 0,
            done: false,
            decode,
            _session: PhantomData,
        })
    }

    /// Begin a transaction. Statements run through the returned guard until it is committed
    /// or rolled back; dropping it uncommitted rolls the transaction back, and so does the
    /// host when the attempt ends (a task that fails mid-transaction leaves nothing behind).
    ///
    /// ```no_run
    /// # fn run(session: &mut weft_sdk::sql::Session) -> Result<(), weft_sdk::sql::SqlError> {
    /// let tx = session.begin()?;
    /// tx.execute("update accounts set balance = balance - $1 where id = $2", &[&10, &1])?;
    /// tx.execute("update accounts set balance = balance + $1 where id = $2", &[&10, &2])?;
    /// tx.commit()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn begin(&mut self) -> Result<Transaction<'_>, SqlError> {
        self.inner.begin().map_err(|e| self.error(e))?;
        Ok(Transaction {
            session: self,
            open: true,
        })
    }
}

/// A transaction on a [`Session`], from [`Session::begin`].
///
/// Commit it with [`Transaction::commit`]. Dropped before that (a `?` returning early, say),
/// it is rolled back; the host also rolls back any transaction still open when the session is
/// dropped or the attempt ends.
pub struct Transaction<'s> {
    session: &'s mut Session,
    open: bool,
}

impl fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("conn_id", &self.session.conn_id)
            .field("open", &self.open)
            .finish()
    }
}

impl Transaction<'_> {
    /// [`Session::query`] inside the transaction.
    pub fn query<T: DeserializeOwned>(
        &self,
        statement: &str,
        params: &[&dyn SqlParam],
    ) -> Result<Vec<T>, SqlError> {
        self.session.query(statement, params)
    }

    /// [`Session::query_rows`] inside the transaction.
    pub fn query_rows(
        &self,
        statement: &str,
        params: &[&dyn SqlParam],
    ) -> Result<RowSet, SqlError> {
        self.session.query_rows(statement, params)
    }

    /// [`Session::execute`] inside the transaction.
    pub fn execute(&self, statement: &str, params: &[&dyn SqlParam]) -> Result<u64, SqlError> {
        self.session.execute(statement, params)
    }

    /// [`Session::stream`] inside the transaction.
    pub fn stream<T: DeserializeOwned>(
        &mut self,
        statement: &str,
        params: &[&dyn SqlParam],
    ) -> Result<RowIter<'_, T>, SqlError> {
        self.session.stream(statement, params)
    }

    /// [`Session::stream_rows`] inside the transaction.
    pub fn stream_rows(
        &mut self,
        statement: &str,
        params: &[&dyn SqlParam],
    ) -> Result<RowIter<'_, Row>, SqlError> {
        self.session.stream_rows(statement, params)
    }

    /// Commit the transaction.
    pub fn commit(mut self) -> Result<(), SqlError> {
        self.open = false;
        self.session
            .inner
            .commit()
            .map_err(|e| self.session.error(e))
    }

    /// Roll the transaction back.
    pub fn rollback(mut self) -> Result<(), SqlError> {
        self.open = false;
        self.session
            .inner
            .rollback()
            .map_err(|e| self.session.error(e))
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the host rolls back at the attempt's end if this fails.
            let _ = self.session.inner.rollback();
        }
    }
}

/// The rows of a query read a batch at a time, from [`Session::stream`]: an iterator of
/// `Result<T, SqlError>`. It ends after the last row, or after the first error.
///
/// ```no_run
/// # #[derive(serde::Deserialize)] struct Event { id: i64 }
/// # fn run(session: &mut weft_sdk::sql::Session) -> Result<(), weft_sdk::sql::SqlError> {
/// let mut total = 0;
/// for event in session.stream::<Event>("select id from events", &[])?.batch_size(5000) {
///     total += event?.id;
/// }
/// # let _ = total;
/// # Ok(())
/// # }
/// ```
pub struct RowIter<'s, T> {
    stream: wit::RowStream,
    conn_id: &'s str,
    columns: Arc<[Column]>,
    buffered: std::vec::IntoIter<wit::Row>,
    batch: u32,
    read: usize,
    done: bool,
    decode: fn(Row, usize) -> Result<T, SqlError>,
    /// The session runs nothing else while its rows are read.
    _session: PhantomData<&'s mut Session>,
}

impl<T> fmt::Debug for RowIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowIter")
            .field("conn_id", &self.conn_id)
            .field("columns", &self.columns)
            .field("batch", &self.batch)
            .field("read", &self.read)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T> RowIter<'_, T> {
    /// Ask the host for up to `rows` rows at once (at least 1); the default is
    /// [`DEFAULT_BATCH_SIZE`].
    pub fn batch_size(mut self, rows: u32) -> Self {
        self.batch = rows.max(1);
        self
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
}

impl<T> Iterator for RowIter<'_, T> {
    type Item = Result<T, SqlError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(values) = self.buffered.next() {
                let index = self.read;
                self.read += 1;
                let item = (self.decode)(Row::from_wit(&self.columns, values), index);
                if item.is_err() {
                    self.done = true;
                    self.buffered = Vec::new().into_iter();
                }
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.stream.next(self.batch) {
                Ok(rows) if rows.is_empty() => self.done = true,
                Ok(rows) => self.buffered = rows.into_iter(),
                Err(e) => {
                    self.done = true;
                    return Some(Err(SqlError::from_wit(e, self.conn_id)));
                }
            }
        }
    }
}

impl<T> std::iter::FusedIterator for RowIter<'_, T> {}
