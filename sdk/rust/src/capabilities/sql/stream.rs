//! [`RowIter`]: the rows of a query read a batch at a time from the host's `row-stream`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::error::SqlError;
use super::row::{Column, Row};
use super::session::Session;
use crate::bindings::weft::dag::sql as wit;

/// Rows [`RowIter`] asks the host for at once, unless [`RowIter::batch_size`] says otherwise.
pub const DEFAULT_BATCH_SIZE: u32 = 1000;

/// Where a stream's batches come from: the host's `row-stream`, or a test's rows.
pub(crate) trait BatchSource {
    /// Up to `max` next rows; an empty list once every row is read.
    fn next_batch(&mut self, max: u32) -> Result<Vec<wit::Row>, wit::SqlError>;
}

impl BatchSource for wit::RowStream {
    fn next_batch(&mut self, max: u32) -> Result<Vec<wit::Row>, wit::SqlError> {
        self.next(max)
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
    source: Box<dyn BatchSource + 's>,
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

impl<'s, T> RowIter<'s, T> {
    /// The rows of `source`, whose columns are `columns`, each decoded by `decode` (given the
    /// row and its index, 0 first); errors name connection `conn_id`.
    pub(crate) fn new(
        source: Box<dyn BatchSource + 's>,
        conn_id: &'s str,
        columns: Arc<[Column]>,
        decode: fn(Row, usize) -> Result<T, SqlError>,
    ) -> Self {
        Self {
            source,
            conn_id,
            columns,
            buffered: Vec::new().into_iter(),
            batch: DEFAULT_BATCH_SIZE,
            read: 0,
            done: false,
            decode,
            _session: PhantomData,
        }
    }

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
            match self.source.next_batch(self.batch) {
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use super::*;

    type Batch = Result<Vec<wit::Row>, wit::SqlError>;

    /// Hands out the batches it was given and records the sizes asked for.
    struct Batches {
        batches: VecDeque<Batch>,
        asked: Rc<RefCell<Vec<u32>>>,
    }

    impl BatchSource for Batches {
        fn next_batch(&mut self, max: u32) -> Batch {
            self.asked.borrow_mut().push(max);
            self.batches.pop_front().unwrap_or_else(|| Ok(Vec::new()))
        }
    }

    fn ids(ids: &[i64]) -> Batch {
        Ok(ids.iter().map(|&n| vec![wit::SqlValue::Int(n)]).collect())
    }

    fn iter(
        batches: Vec<Batch>,
        decode: fn(Row, usize) -> Result<i64, SqlError>,
    ) -> (RowIter<'static, i64>, Rc<RefCell<Vec<u32>>>) {
        let asked = Rc::new(RefCell::new(Vec::new()));
        let source = Batches {
            batches: batches.into(),
            asked: Rc::clone(&asked),
        };
        let columns: Arc<[Column]> = vec![Column {
            name: "id".into(),
            type_name: "INT8".into(),
        }]
        .into();
        (
            RowIter::new(Box::new(source), "warehouse", columns, decode),
            asked,
        )
    }

    fn decode(row: Row, index: usize) -> Result<i64, SqlError> {
        row.decode(index)
    }

    #[test]
    fn reads_every_batch_until_an_empty_one() {
        let (rows, asked) = iter(vec![ids(&[1, 2]), ids(&[3]), ids(&[])], decode);
        assert_eq!(rows.columns()[0].name, "id");
        let got: Result<Vec<i64>, _> = rows.collect();
        assert_eq!(got.expect("all rows"), [1, 2, 3]);
        assert_eq!(*asked.borrow(), [DEFAULT_BATCH_SIZE; 3]);
    }

    #[test]
    fn asks_for_the_batch_size_set_and_at_least_one_row() {
        let (rows, asked) = iter(vec![ids(&[1]), ids(&[])], decode);
        assert_eq!(rows.batch_size(50).count(), 1);
        assert_eq!(*asked.borrow(), [50, 50]);
        let (rows, asked) = iter(vec![ids(&[])], decode);
        assert_eq!(rows.batch_size(0).count(), 0);
        assert_eq!(*asked.borrow(), [1]);
    }

    #[test]
    fn ends_after_a_host_error_and_asks_no_more() {
        let (mut rows, asked) = iter(
            vec![
                ids(&[1]),
                Err(wit::SqlError::Limit("rows".into())),
                ids(&[2]),
            ],
            decode,
        );
        assert_eq!(rows.next().map(|r| r.expect("a row")), Some(1));
        let err = rows.next().expect("an item").expect_err("the host's error");
        assert_eq!(
            err,
            SqlError::Limit(
                "connection `warehouse`: a per-attempt SQL cap was reached: rows".into()
            )
        );
        assert!(rows.next().is_none());
        assert!(rows.next().is_none());
        assert_eq!(asked.borrow().len(), 2);
    }

    #[test]
    fn ends_after_a_row_that_does_not_decode_and_names_it() {
        let text = Ok(vec![vec![wit::SqlValue::Text("x".into())]]);
        let (rows, _) = iter(vec![ids(&[1]), text, ids(&[3])], decode);
        let got: Vec<_> = rows.collect();
        assert_eq!(got.len(), 2);
        let err = got[1].clone().expect_err("text is not i64");
        assert!(
            err.message().contains("row 2: column `id` (INT8)"),
            "{}",
            err.message()
        );
    }
}
