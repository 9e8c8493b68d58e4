//! [`Session`] on a declared connection and its [`Transaction`] guard.

use std::fmt;

use serde::de::DeserializeOwned;

use super::error::SqlError;
use super::row::{Row, RowSet, columns_from_wit};
use super::stream::RowIter;
use super::value::{SqlParam, wit_params};
use crate::bindings::weft::dag::sql as wit;

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
    /// ([`DEFAULT_BATCH_SIZE`](super::DEFAULT_BATCH_SIZE) unless [`RowIter::batch_size`] says otherwise), each decoded
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
        let columns = columns_from_wit(stream.columns());
        Ok(RowIter::new(
            Box::new(stream),
            &self.conn_id,
            columns,
            decode,
        ))
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
