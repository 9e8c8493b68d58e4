//! PostgreSQL: parameters in binary form with their type OIDs, rows read by type name.

use sqlx::pool::PoolConnection;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgArguments, PgQueryResult, PgRow, PgTypeInfo, PgTypeKind};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Column as _, Executor, Postgres, Row as _, TypeInfo as _};

use crate::database_error;
use crate::statements::{self, Driver};
use crate::values;
use crate::{Column, DatabaseError, SqlError, SqlValue};

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

impl Driver for Postgres {
    fn build(
        statement: &str,
        params: &[SqlValue],
    ) -> Result<Query<'static, Postgres, PgArguments>, SqlError> {
        let mut encoded = Vec::with_capacity(params.len());
        for (i, value) in params.iter().enumerate() {
            let (oid, bytes) = values::pg_encode(value)
                .map_err(|why| SqlError::Unsupported(format!("parameter ${}: {why}", i + 1)))?;
            encoded.push(Param { oid, bytes });
        }
        // Kept prepared on the connection (one round trip a statement instead of two), under
        // a text that names its parameters' types: PostgreSQL fixes them when it prepares, so
        // the same statement with parameters of other types must be prepared anew.
        let mut query = sqlx::query(AssertSqlSafe(prepared_text(statement, &encoded)));
        for param in encoded {
            query = query.bind(param);
        }
        Ok(query)
    }

    fn columns(row: &PgRow) -> Vec<Column> {
        statements::columns(row, |c| c.type_info().name())
    }

    fn decode(row: &PgRow) -> Result<Vec<SqlValue>, SqlError> {
        statements::decode(row, |_, column, raw| {
            let info = column.type_info();
            let is_enum = matches!(info.kind(), PgTypeKind::Enum(_));
            let bytes = raw.as_bytes().map_err(|e| e.to_string())?;
            values::pg_decode(info.name(), is_enum, bytes)
        })
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }
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
    statements::simple(conn, statement).await
}

/// The server process of `conn`, for cancelling its statements.
pub(crate) async fn backend_id(conn: &mut PoolConnection<Postgres>) -> Result<i64, sqlx::Error> {
    let row = (&mut **conn).fetch_one("SELECT pg_backend_pid()").await?;
    Ok(i64::from(row.try_get::<i32, _>(0)?))
}

/// The text a statement is prepared under: the statement, then, when it has parameters, a
/// comment naming their type OIDs on a line of its own (after the statement, so that the
/// positions in PostgreSQL's error messages stay right; the line break ends a trailing `--`
/// comment).
fn prepared_text(statement: &str, params: &[Param]) -> String {
    if params.is_empty() {
        return statement.to_owned();
    }
    let oids: Vec<String> = params.iter().map(|p| p.oid.to_string()).collect();
    format!(
        "{statement}\n/* weft: parameter types {} */",
        oids.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_prepared_per_parameter_types() {
        let param = |oid| Param { oid, bytes: None };
        assert_eq!(prepared_text("select 1", &[]), "select 1");
        let ints = prepared_text("select $1, $2 -- two", &[param(20), param(20)]);
        assert_eq!(
            ints,
            "select $1, $2 -- two\n/* weft: parameter types 20,20 */"
        );
        assert_ne!(
            ints,
            prepared_text("select $1, $2 -- two", &[param(20), param(25)])
        );
    }
}
