//! Result rows: [`Column`], [`Row`] with typed getters, and [`RowSet`], the rows of a query.

use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::de::{RowDeserializer, ValueDeserializer};
use super::error::SqlError;
use super::value::SqlValue;
use crate::bindings::weft::dag::sql as wit;

/// A result column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its name, as the statement gives it (`select count(*) as n` names it `n`).
    pub name: String,
    /// The database's name for its type: `INT8`, `TEXT`, `VARCHAR`, ...
    pub type_name: String,
}

impl Column {
    pub(crate) fn from_wit(column: wit::Column) -> Self {
        Self {
            name: column.name,
            type_name: column.type_name,
        }
    }
}

/// The columns of a result, shared by its rows.
pub(crate) fn columns_from_wit(columns: Vec<wit::Column>) -> Arc<[Column]> {
    columns.into_iter().map(Column::from_wit).collect()
}

/// One result row: a value per column, in column order.
///
/// Read one value with [`Row::get`], by column name or position, or the whole row with
/// [`Row::deserialize`]:
///
/// ```no_run
/// # fn run(session: &weft_sdk::sql::Session) -> Result<(), weft_sdk::sql::SqlError> {
/// for row in &session.query_rows("select id, name, score from customers", &[])? {
///     let id: i64 = row.get("id")?;
///     let name: String = row.get(1)?;
///     let score: Option<f64> = row.get("score")?;
///     # let _ = (id, name, score);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[Column]>,
    values: Vec<SqlValue>,
}

impl Row {
    /// A row of `values` under `columns`, one value per column (tests build rows this way).
    pub fn new(columns: impl Into<Arc<[Column]>>, values: Vec<SqlValue>) -> Self {
        Self {
            columns: columns.into(),
            values,
        }
    }

    pub(crate) fn from_wit(columns: &Arc<[Column]>, values: wit::Row) -> Self {
        Self {
            columns: Arc::clone(columns),
            values: values.into_iter().map(SqlValue::from_wit).collect(),
        }
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The values, in column order.
    pub fn values(&self) -> &[SqlValue] {
        &self.values
    }

    /// The values, in column order.
    pub fn into_values(self) -> Vec<SqlValue> {
        self.values
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value of `column` (a name or a position), or none when there is no such column.
    pub fn value(&self, column: impl ColumnIndex) -> Option<&SqlValue> {
        column
            .position(&self.columns)
            .and_then(|i| self.values.get(i))
    }

    /// The value of `column` (a name or a position) decoded into `T`: `i64`, `String`,
    /// `Option<f64>`, `serde_json::Value`, ... (see [the module](crate::sql) for how values
    /// decode). The error names the column and what was expected.
    pub fn get<'a, T: Deserialize<'a>>(&'a self, column: impl ColumnIndex) -> Result<T, SqlError> {
        let position = column.position(&self.columns).ok_or_else(|| {
            SqlError::Decode(format!(
                "no column {} (the columns are {})",
                column.describe(),
                self.columns
                    .iter()
                    .map(|c| format!("`{}`", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let (Some(column), Some(value)) = (self.columns.get(position), self.values.get(position))
        else {
            return Err(SqlError::Decode(format!("column {position} has no value")));
        };
        T::deserialize(ValueDeserializer { value }).map_err(|e| {
            SqlError::Decode(format!(
                "column `{}` ({}): {}",
                column.name, column.type_name, e.0
            ))
        })
    }

    /// The row decoded into `T`: a struct or map by column name, a tuple by position, a
    /// scalar when the row has one column, or a `serde_json::Value` object.
    pub fn deserialize<'a, T: Deserialize<'a>>(&'a self) -> Result<T, SqlError> {
        T::deserialize(RowDeserializer {
            columns: &self.columns,
            values: &self.values,
        })
        .map_err(|e| SqlError::Decode(e.0))
    }

    /// [`Row::deserialize`], saying in the error which row of a result this is (0 first).
    pub(crate) fn decode<T: DeserializeOwned>(&self, index: usize) -> Result<T, SqlError> {
        T::deserialize(RowDeserializer {
            columns: &self.columns,
            values: &self.values,
        })
        .map_err(|e| SqlError::Decode(format!("row {}: {}", index + 1, e.0)))
    }
}

/// A column by name (`&str`, `String`) or by position (`usize`, 0 first).
///
/// Sealed: only this crate implements it.
pub trait ColumnIndex: sealed::Sealed {
    /// The column's position in `columns`, if there is one.
    #[doc(hidden)]
    fn position(&self, columns: &[Column]) -> Option<usize>;
    /// The column as error messages name it.
    #[doc(hidden)]
    fn describe(&self) -> String;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for usize {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl<T: Sealed + ?Sized> Sealed for &T {}
}

impl ColumnIndex for usize {
    fn position(&self, columns: &[Column]) -> Option<usize> {
        (*self < columns.len()).then_some(*self)
    }

    fn describe(&self) -> String {
        format!("at position {self}")
    }
}

impl ColumnIndex for str {
    fn position(&self, columns: &[Column]) -> Option<usize> {
        columns.iter().position(|c| c.name == self)
    }

    fn describe(&self) -> String {
        format!("`{self}`")
    }
}

impl ColumnIndex for String {
    fn position(&self, columns: &[Column]) -> Option<usize> {
        self.as_str().position(columns)
    }

    fn describe(&self) -> String {
        self.as_str().describe()
    }
}

impl<T: ColumnIndex + ?Sized> ColumnIndex for &T {
    fn position(&self, columns: &[Column]) -> Option<usize> {
        (**self).position(columns)
    }

    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// The rows of a query, with their columns, from [`Session::query_rows`](super::Session::query_rows).
#[derive(Debug, Clone, PartialEq)]
pub struct RowSet {
    columns: Arc<[Column]>,
    rows: Vec<Row>,
}

impl RowSet {
    pub(crate) fn from_wit(set: wit::RowSet) -> Self {
        let columns = columns_from_wit(set.columns);
        let rows = set
            .rows
            .into_iter()
            .map(|values| Row::from_wit(&columns, values))
            .collect();
        Self { columns, rows }
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The rows.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The rows.
    pub fn into_rows(self) -> Vec<Row> {
        self.rows
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every row decoded into `T`, as [`Row::deserialize`] does; the error says which row.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<Vec<T>, SqlError> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| row.decode(i))
            .collect()
    }
}

impl IntoIterator for RowSet {
    type Item = Row;
    type IntoIter = std::vec::IntoIter<Row>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.into_iter()
    }
}

impl<'a> IntoIterator for &'a RowSet {
    type Item = &'a Row;
    type IntoIter = std::slice::Iter<'a, Row>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}
