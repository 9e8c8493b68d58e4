//! Statements on either database: one loop each for reading all rows, running a statement
//! and streaming rows, generic over a [`Driver`] that binds parameters and reads rows the
//! way its dialect needs.

use futures_util::StreamExt;
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::{Column as _, ColumnIndex, Database, Executor, IntoArguments, Row, ValueRef as _};
use tokio::sync::mpsc;

use crate::SqlUsage;
use crate::database_error;
use crate::stream::Msg;
use crate::values;
use crate::{Column, RowSet, SqlError, SqlValue};

/// What one dialect adds to its sqlx driver: parameters bound and rows read in the guest's
/// typed values.
pub(crate) trait Driver: Database {
    /// `statement` with `params` bound, or why a parameter has no counterpart.
    fn build(
        statement: &str,
        params: &[SqlValue],
    ) -> Result<Query<'static, Self, Self::Arguments>, SqlError>;

    /// The columns of `row`, by name and type name.
    fn columns(row: &Self::Row) -> Vec<Column>;

    /// The values of `row`.
    fn decode(row: &Self::Row) -> Result<Vec<SqlValue>, SqlError>;

    /// The rows a statement affected.
    fn rows_affected(done: &Self::QueryResult) -> u64;
}

/// The columns of `row`, by name and the type name `type_name` gives.
pub(crate) fn columns<R: Row>(
    row: &R,
    type_name: impl Fn(&<R::Database as Database>::Column) -> &str,
) -> Vec<Column> {
    row.columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_owned(),
            type_name: type_name(c).to_owned(),
        })
        .collect()
}

/// The values of `row`: NULL, or what `value` reads from column `i` (and its raw value).
pub(crate) fn decode<R: Row>(
    row: &R,
    value: impl Fn(
        usize,
        &<R::Database as Database>::Column,
        <R::Database as Database>::ValueRef<'_>,
    ) -> Result<SqlValue, String>,
) -> Result<Vec<SqlValue>, SqlError>
where
    usize: ColumnIndex<R>,
{
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let unsupported =
            |why: String| SqlError::Unsupported(format!("column {:?}: {why}", column.name()));
        let raw = row.try_get_raw(i).map_err(|e| unsupported(e.to_string()))?;
        if raw.is_null() {
            out.push(SqlValue::Null);
            continue;
        }
        out.push(value(i, column, raw).map_err(unsupported)?);
    }
    Ok(out)
}

/// Runs `statement` and returns all its rows, each counted against the attempt's caps.
pub(crate) async fn fetch_all<D>(
    conn: &mut PoolConnection<D>,
    statement: &str,
    params: &[SqlValue],
    usage: &SqlUsage,
) -> Result<RowSet, SqlError>
where
    D: Driver,
    D::Arguments: IntoArguments<D>,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
{
    let query = D::build(statement, params)?;
    let mut rows = (&mut **conn).fetch(query);
    let mut set = RowSet {
        columns: Vec::new(),
        rows: Vec::new(),
    };
    while let Some(row) = rows.next().await {
        let row = row.map_err(|e| database_error(e, "query"))?;
        if set.rows.is_empty() {
            set.columns = D::columns(&row);
        }
        let values = D::decode(&row)?;
        usage.count_row(values::row_size(&values))?;
        set.rows.push(values);
    }
    Ok(set)
}

/// Runs `statement`; the number of rows it affected.
pub(crate) async fn execute<D>(
    conn: &mut PoolConnection<D>,
    statement: &str,
    params: &[SqlValue],
) -> Result<u64, SqlError>
where
    D: Driver,
    D::Arguments: IntoArguments<D>,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
{
    let query = D::build(statement, params)?;
    let done = (&mut **conn)
        .execute(query)
        .await
        .map_err(|e| database_error(e, "execute"))?;
    Ok(D::rows_affected(&done))
}

/// Runs a statement without parameters in the simple protocol (`BEGIN`, `COMMIT`, `ROLLBACK`).
pub(crate) async fn simple<D>(
    conn: &mut PoolConnection<D>,
    statement: &'static str,
) -> Result<(), SqlError>
where
    D: Database,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
{
    (&mut **conn)
        .execute(statement)
        .await
        .map_err(|e| database_error(e, statement))?;
    Ok(())
}

/// Feeds the rows of `statement` into `tx` until they end, the receiver goes away or a
/// row fails.
pub(crate) async fn stream<D>(
    conn: &mut PoolConnection<D>,
    statement: String,
    params: Vec<SqlValue>,
    tx: mpsc::Sender<Msg>,
) where
    D: Driver,
    D::Arguments: IntoArguments<D>,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
{
    let query = match D::build(&statement, &params) {
        Ok(query) => query,
        Err(e) => {
            let _ = tx.send(Msg::Error(e)).await;
            return;
        }
    };
    let mut rows = (&mut **conn).fetch(query);
    let mut first = true;
    loop {
        let msg = match rows.next().await {
            None => {
                if first {
                    let _ = tx.send(Msg::Columns(Vec::new())).await;
                }
                break;
            }
            Some(Err(e)) => Msg::Error(database_error(e, "query")),
            Some(Ok(row)) => {
                if first {
                    first = false;
                    if tx.send(Msg::Columns(D::columns(&row))).await.is_err() {
                        break;
                    }
                }
                match D::decode(&row) {
                    Ok(values) => Msg::Row(values),
                    Err(e) => Msg::Error(e),
                }
            }
        };
        let stop = matches!(msg, Msg::Error(_));
        if tx.send(msg).await.is_err() || stop {
            break;
        }
    }
}
