//! MySQL and MariaDB: parameters bound by kind (times, decimals and UUIDs as text the server
//! converts), rows of the binary protocol read by type name.

use sqlx::mysql::{MySqlArguments, MySqlQueryResult, MySqlRow};
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Column as _, Executor, MySql, Row as _, TypeInfo as _};

use crate::statements::{self, Driver};
use crate::values;
use crate::{Column, SqlError, SqlValue};

impl Driver for MySql {
    fn build(
        statement: &str,
        params: &[SqlValue],
    ) -> Result<Query<'static, MySql, MySqlArguments>, SqlError> {
        let mut query = sqlx::query(AssertSqlSafe(statement.to_owned()));
        for (i, value) in params.iter().enumerate() {
            let text = values::mysql_text(value)
                .map_err(|why| SqlError::Unsupported(format!("parameter {}: {why}", i + 1)))?;
            query = match (value, text) {
                (_, Some(text)) => query.bind(text),
                (SqlValue::Null, None) => query.bind(None::<String>),
                (SqlValue::Boolean(b), None) => query.bind(*b),
                (SqlValue::Int(n), None) => query.bind(*n),
                (SqlValue::Float(f), None) => query.bind(*f),
                (SqlValue::Bytes(b), None) => query.bind(b.clone()),
                (_, None) => {
                    return Err(SqlError::Unsupported(format!(
                        "parameter {}: no MySQL counterpart",
                        i + 1
                    )));
                }
            };
        }
        Ok(query)
    }

    fn columns(row: &MySqlRow) -> Vec<Column> {
        statements::columns(row, |c| type_name(c.type_info()))
    }

    fn decode(row: &MySqlRow) -> Result<Vec<SqlValue>, SqlError> {
        statements::decode(row, |i, column, _| {
            // The raw bytes of the binary protocol, read by the column's type below.
            let bytes: &[u8] = row.try_get_unchecked(i).map_err(|e| e.to_string())?;
            values::mysql_decode(type_name(column.type_info()), bytes)
        })
    }

    fn rows_affected(done: &MySqlQueryResult) -> u64 {
        done.rows_affected()
    }
}

/// The column's type name, with text of a binary collation (`utf8mb4_bin`, MariaDB's `JSON`)
/// named as text: the driver names every column with the BINARY flag a binary type, while
/// only the `binary` character set (collation 63) holds bytes. The driver shows the collation
/// only in its `Debug` form.
fn type_name(info: &sqlx::mysql::MySqlTypeInfo) -> &str {
    let name = info.name();
    let text = match name {
        "BINARY" => "CHAR",
        "VARBINARY" => "VARCHAR",
        "TINYBLOB" => "TINYTEXT",
        "BLOB" => "TEXT",
        "MEDIUMBLOB" => "MEDIUMTEXT",
        "LONGBLOB" => "LONGTEXT",
        _ => return name,
    };
    if format!("{info:?}").contains("collation: Collation(63)") {
        name
    } else {
        text
    }
}

/// The connection id of `conn`, for `KILL QUERY`.
pub(crate) async fn backend_id(conn: &mut PoolConnection<MySql>) -> Result<i64, sqlx::Error> {
    let row = (&mut **conn).fetch_one("SELECT CONNECTION_ID()").await?;
    let id: u64 = row.try_get_unchecked(0)?;
    i64::try_from(id).map_err(|e| sqlx::Error::Decode(e.into()))
}
