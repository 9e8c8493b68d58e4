//! PostgreSQL: parameters in binary form with their type OIDs, rows read by type name.

use futures_util::StreamExt;
use sqlx::pool::PoolConnection;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgArguments, PgRow, PgTypeInfo, PgTypeKind};
use sqlx::query::Query;
use sqlx::{
    AssertSqlSafe, Column as _, Executor, Postgres, Row as _, TypeInfo as _, ValueRef as _,
};
use tokio::sync::mpsc;

use super::SqlUsage;
use super::database_error;
use super::stream::Msg;
use super::values;
use crate::bindings::v0_2::weft::dag::sql::{Column, DatabaseError, RowSet, SqlError, SqlValue};

/// One parameter: its bytes (none for NULL) and the type they are in.
struct Param {
    oid: u32,
    bytes: Option<Vec<u8>>,
}

impl sqlx::Type<Postgres> for Param {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(25))
    }
}

impl sqlx::Encode<'_, Postgres> for Param {
    fn encode_by_ref(
        &self,
        buf: &mut PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        match &self.bytes {
            None => Ok(sqlx::encode::IsNull::Yes),
            Some(bytes) => {
                buf.extend_from_slice(bytes);
                Ok(sqlx::encode::IsNull::No)
            }
        }
    }

    fn produces(&self) -> Option<PgTypeInfo> {
        Some(PgTypeInfo::with_oid(Oid(self.oid)))
    }
}

fn build(
    statement: &str,
    params: &[SqlValue],
) -> Result<Query<'static, Postgres, PgArguments>, SqlError> {
    // Not kept prepared: the same text may come with parameters of other types next time.
    let mut query = sqlx::query(AssertSqlSafe(statement.to_owned())).persistent(false);
    for (i, value) in params.iter().enumerate() {
        let (oid, bytes) = values::pg_encode(value)
            .map_err(|why| SqlError::Unsupported(format!("parameter ${}: {why}", i + 1)))?;
        query = query.bind(Param { oid, bytes });
    }
    Ok(query)
}

pub(crate) fn columns(row: &PgRow) -> Vec<Column> {
    row.columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_owned(),
            type_name: c.type_info().name().to_owned(),
        })
        .collect()
}

pub(crate) fn decode(row: &PgRow) -> Result<Vec<SqlValue>, SqlError> {
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let unsupported =
            |why: String| SqlError::Unsupported(format!("column {:?}: {why}", column.name()));
        let raw = row.try_get_raw(i).map_err(|e| unsupported(e.to_string()))?;
        if raw.is_null() {
            out.push(SqlValue::Null);
            continue;
        }
        let info = column.type_info();
        let is_enum = matches!(info.kind(), PgTypeKind::Enum(_));
        let bytes = raw.as_bytes().map_err(|e| unsupported(e.to_string()))?;
        out.push(values::pg_decode(info.name(), is_enum, bytes).map_err(unsupported)?);
    }
    Ok(out)
}

pub(crate) async fn fetch_all(
    conn: &mut PoolConnection<Postgres>,
    statement: &str,
    params: &[SqlValue],
    usage: &SqlUsage,
) -> Result<RowSet, SqlError> {
    let query = build(statement, params)?;
    let mut rows = (&mut **conn).fetch(query);
    let mut set = RowSet {
        columns: Vec::new(),
        rows: Vec::new(),
    };
    while let Some(row) = rows.next().await {
        let row = row.map_err(|e| database_error(e, "query"))?;
        if set.rows.is_empty() {
            set.columns = columns(&row);
        }
        let values = decode(&row)?;
        usage.count_row(values::row_size(&values))?;
        set.rows.push(values);
    }
    Ok(set)
}

pub(crate) async fn execute(
    conn: &mut PoolConnection<Postgres>,
    statement: &str,
    params: &[SqlValue],
) -> Result<u64, SqlError> {
    let query = build(statement, params)?;
    let done = (&mut **conn)
        .execute(query)
        .await
        .map_err(|e| database_error(e, "execute"))?;
    Ok(done.rows_affected())
}

/// SQLSTATE of a statement in a transaction that an earlier error aborted.
const IN_FAILED_TRANSACTION: &str = "25P02";

/// A control statement (`BEGIN`, `COMMIT`, `ROLLBACK`) in the simple protocol. `COMMIT` of
/// a transaction an error aborted fails (PostgreSQL would answer it with `ROLLBACK`): the
/// transaction is rolled back and the call says so.
pub(crate) async fn control(
    conn: &mut PoolConnection<Postgres>,
    statement: &'static str,
) -> Result<(), SqlError> {
    if statement == "COMMIT"
        && let Err(e) = (&mut **conn).execute("SELECT 1").await
    {
        let failed = matches!(&e, sqlx::Error::Database(db) if db.code().as_deref() == Some(IN_FAILED_TRANSACTION));
        if !failed {
            return Err(database_error(e, statement));
        }
        (&mut **conn)
            .execute("ROLLBACK")
            .await
            .map_err(|e| database_error(e, "ROLLBACK"))?;
        return Err(SqlError::Database(DatabaseError {
            code: Some(IN_FAILED_TRANSACTION.to_owned()),
            message: "COMMIT did not commit: a statement in the transaction failed, so the transaction was rolled back".to_owned(),
        }));
    }
    (&mut **conn)
        .execute(statement)
        .await
        .map_err(|e| database_error(e, statement))?;
    Ok(())
}

/// The server process of `conn`, for cancelling its statements.
pub(crate) async fn backend_id(conn: &mut PoolConnection<Postgres>) -> Result<i64, sqlx::Error> {
    let row = (&mut **conn).fetch_one("SELECT pg_backend_pid()").await?;
    Ok(i64::from(row.try_get::<i32, _>(0)?))
}

/// Feeds the rows of `statement` into `tx` until they end, the receiver goes away or a
/// row fails.
pub(crate) async fn stream(
    conn: &mut PoolConnection<Postgres>,
    statement: String,
    params: Vec<SqlValue>,
    tx: mpsc::Sender<Msg>,
) {
    let query = match build(&statement, &params) {
        Ok(query) => query,
        Err(e) => {
            let _ = tx.send(Msg::Error(e)).await;
            return;
        }
    };
    {
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
                        if tx.send(Msg::Columns(columns(&row))).await.is_err() {
                            break;
                        }
                    }
                    match decode(&row) {
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
}
