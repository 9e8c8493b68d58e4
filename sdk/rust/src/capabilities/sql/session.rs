//! [`Session`] on a declared connection and its [`Transaction`] guard.

use std::fmt;

use serde::de::DeserializeOwned;

use super::error::SqlError;
use super::row::{Row, RowSet, columns_from_wit};
use super::stream::{BatchSource, RowIter};
use super::value::{SqlParam, wit_params};
use crate::bindings::weft::dag::sql as wit;

/// The calls a session makes to the host: `sql.session`'s methods, or a test's fake.
pub(crate) trait SessionCalls {
    fn query(
        &self,
        statement: &str,
        params: &[wit::SqlValue],
    ) -> Result<wit::RowSet, wit::SqlError>;
    /// The stream's columns and its batches.
    fn query_stream(
        &self,
        statement: &str,
        params: &[wit::SqlValue],
    ) -> Result<(Vec<wit::Column>, Box<dyn BatchSource>), wit::SqlError>;
    fn execute(&self, statement: &str, params: &[wit::SqlValue]) -> Result<u64, wit::SqlError>;
    fn begin(&self) -> Result<(), wit::SqlError>;
    fn commit(&self) -> Result<(), wit::SqlError>;
    fn rollback(&self) -> Result<(), wit::SqlError>;
}

impl SessionCalls for wit::Session {
    fn query(
        &self,
        statement: &str,
        params: &[wit::SqlValue],
    ) -> Result<wit::RowSet, wit::SqlError> {
        wit::Session::query(self, statement, params)
    }

    fn query_stream(
        &self,
        statement: &str,
        params: &[wit::SqlValue],
    ) -> Result<(Vec<wit::Column>, Box<dyn BatchSource>), wit::SqlError> {
        let stream = wit::Session::query_stream(self, statement, params)?;
        Ok((stream.columns(), Box::new(stream)))
    }

    fn execute(&self, statement: &str, params: &[wit::SqlValue]) -> Result<u64, wit::SqlError> {
        wit::Session::execute(self, statement, params)
    }

    fn begin(&self) -> Result<(), wit::SqlError> {
        wit::Session::begin(self)
    }

    fn commit(&self) -> Result<(), wit::SqlError> {
        wit::Session::commit(self)
    }

    fn rollback(&self) -> Result<(), wit::SqlError> {
        wit::Session::rollback(self)
    }
}

/// A session on one declared connection, from [`Context::sql`](crate::Context::sql).
///
/// Statements run one at a time, in the order called. Dropping the session closes it; a
/// transaction still open then is rolled back.
pub struct Session {
    conn_id: String,
    inner: Box<dyn SessionCalls>,
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
        Ok(Self::with_calls(conn_id, Box::new(inner)))
    }

    /// A session on `conn_id` whose calls go to `inner`.
    pub(crate) fn with_calls(conn_id: &str, inner: Box<dyn SessionCalls>) -> Self {
        Self {
            conn_id: conn_id.to_owned(),
            inner,
        }
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
        let (columns, source) = self
            .inner
            .query_stream(statement, &wit_params(params))
            .map_err(|e| self.error(e))?;
        Ok(RowIter::new(
            source,
            &self.conn_id,
            columns_from_wit(columns),
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    /// Records each call as a line and answers with rows of ids, or with `error` when set.
    #[derive(Default)]
    struct Fake {
        calls: Rc<RefCell<Vec<String>>>,
        error: Option<wit::SqlError>,
    }

    impl Fake {
        fn record(&self, call: String) -> Result<(), wit::SqlError> {
            self.calls.borrow_mut().push(call);
            self.error.clone().map_or(Ok(()), Err)
        }
    }

    fn id_column() -> Vec<wit::Column> {
        vec![wit::Column {
            name: "id".into(),
            type_name: "INT8".into(),
        }]
    }

    struct OneBatch(Option<Vec<wit::Row>>);

    impl BatchSource for OneBatch {
        fn next_batch(&mut self, _max: u32) -> Result<Vec<wit::Row>, wit::SqlError> {
            Ok(self.0.take().unwrap_or_default())
        }
    }

    impl SessionCalls for Fake {
        fn query(
            &self,
            statement: &str,
            params: &[wit::SqlValue],
        ) -> Result<wit::RowSet, wit::SqlError> {
            self.record(format!("query {statement} {params:?}"))?;
            Ok(wit::RowSet {
                columns: id_column(),
                rows: vec![vec![wit::SqlValue::Int(1)], vec![wit::SqlValue::Int(2)]],
            })
        }

        fn query_stream(
            &self,
            statement: &str,
            params: &[wit::SqlValue],
        ) -> Result<(Vec<wit::Column>, Box<dyn BatchSource>), wit::SqlError> {
            self.record(format!("stream {statement} {params:?}"))?;
            let rows = vec![vec![wit::SqlValue::Int(7)], vec![wit::SqlValue::Int(8)]];
            Ok((id_column(), Box::new(OneBatch(Some(rows)))))
        }

        fn execute(&self, statement: &str, params: &[wit::SqlValue]) -> Result<u64, wit::SqlError> {
            self.record(format!("execute {statement} {params:?}"))?;
            Ok(3)
        }

        fn begin(&self) -> Result<(), wit::SqlError> {
            self.record("begin".into())
        }

        fn commit(&self) -> Result<(), wit::SqlError> {
            self.record("commit".into())
        }

        fn rollback(&self) -> Result<(), wit::SqlError> {
            self.record("rollback".into())
        }
    }

    fn session(error: Option<wit::SqlError>) -> (Session, Rc<RefCell<Vec<String>>>) {
        let fake = Fake {
            error,
            ..Fake::default()
        };
        let calls = Rc::clone(&fake.calls);
        (Session::with_calls("warehouse", Box::new(fake)), calls)
    }

    #[test]
    fn statements_send_their_parameters_and_decode_the_rows() {
        let (mut db, calls) = session(None);
        let ids: Vec<i64> = db
            .query("select id from t where n = $1", &[&5_u8])
            .expect("rows");
        assert_eq!(ids, [1, 2]);
        let set = db.query_rows("select id from t", &[]).expect("rows");
        assert_eq!(set.rows()[1].get::<i64>("id").expect("id"), 2);
        assert_eq!(
            db.execute("delete from t where name = $1", &[&None::<&str>])
                .expect("count"),
            3
        );
        let streamed: Vec<i64> = db
            .stream("select id from t", &[])
            .expect("a stream")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(streamed, [7, 8]);
        assert_eq!(
            *calls.borrow(),
            [
                "query select id from t where n = $1 [SqlValue::Int(5)]",
                "query select id from t []",
                "execute delete from t where name = $1 [SqlValue::Null]",
                "stream select id from t []",
            ]
        );
        assert_eq!(format!("{db:?}"), r#"Session { conn_id: "warehouse", .. }"#);
    }

    #[test]
    fn host_errors_name_the_connection() {
        let (db, _) = session(Some(wit::SqlError::Timeout(String::new())));
        let err = db
            .execute("select pg_sleep(60)", &[])
            .expect_err("timed out");
        assert_eq!(
            err,
            SqlError::Timeout(
                "connection `warehouse`: the statement timed out and was cancelled".into()
            )
        );
        assert!(err.is_retryable());
    }

    #[test]
    fn a_transaction_dropped_uncommitted_rolls_back() {
        let (mut db, calls) = session(None);
        {
            let tx = db.begin().expect("begun");
            tx.execute("insert into t values (1)", &[])
                .expect("inserted");
        }
        assert_eq!(
            *calls.borrow(),
            ["begin", "execute insert into t values (1) []", "rollback"]
        );
    }

    #[test]
    fn a_committed_or_rolled_back_transaction_is_not_rolled_back_again() {
        let (mut db, calls) = session(None);
        let mut tx = db.begin().expect("begun");
        let ids: Vec<i64> = tx
            .stream("select id from t", &[])
            .expect("a stream")
            .map(|r| r.expect("a row"))
            .collect();
        assert_eq!(ids, [7, 8]);
        tx.commit().expect("committed");
        db.begin().expect("begun").rollback().expect("rolled back");
        assert_eq!(
            *calls.borrow(),
            [
                "begin",
                "stream select id from t []",
                "commit",
                "begin",
                "rollback"
            ]
        );
    }

    #[test]
    fn a_transaction_that_failed_to_begin_has_nothing_to_roll_back() {
        let (mut db, calls) = session(Some(wit::SqlError::State("already begun".into())));
        let err = db.begin().expect_err("refused");
        assert_eq!(
            err.message(),
            "connection `warehouse`: not allowed in the session's state: already begun"
        );
        assert_eq!(*calls.borrow(), ["begin"]);
    }
}
