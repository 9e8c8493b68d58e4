//! The values, rows and errors of SQL through the host, as plain Rust types: the same shapes
//! as the `weft:dag/sql` interface's (`wit/dag.wit`), which the runtime converts them to and
//! from for each world version.

/// One value of a parameter or a column.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A boolean.
    Boolean(bool),
    /// Any integer type that fits 64 bits (an unsigned one past `i64` comes as `Decimal`).
    Int(i64),
    /// Any floating-point type.
    Float(f64),
    /// Text: `text`, `varchar`, `char`, enums.
    Text(String),
    /// Binary data: `bytea`, `blob`, `varbinary`.
    Bytes(Vec<u8>),
    /// An exact number, written in decimal (`numeric`, `decimal`).
    Decimal(String),
    /// A point in time, RFC 3339 in UTC (`timestamptz`; MySQL's `timestamp`).
    Timestamp(String),
    /// A date and time of day without a time zone (`timestamp`; MySQL's `datetime`).
    Datetime(String),
    /// A calendar date: `2024-05-01`.
    Date(String),
    /// A time of day: `12:30:00` with up to six fraction digits.
    Time(String),
    /// A UUID in its hyphenated form.
    Uuid(String),
    /// A JSON document, as text (`json`, `jsonb`).
    Json(String),
}

/// A result column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// The database's name for its type: `INT8`, `TEXT`, `VARCHAR`, ...
    pub type_name: String,
}

/// One row: a value per column, in column order.
pub type Row = Vec<SqlValue>;

/// The rows of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct RowSet {
    /// The columns.
    pub columns: Vec<Column>,
    /// Every row.
    pub rows: Vec<Row>,
}

/// An error the database reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseError {
    /// The SQLSTATE code (`23505`, `42P01`, ...), when the database gave one.
    pub code: Option<String>,
    /// The database's message.
    pub message: String,
}

/// Why a SQL call failed; what the task sees.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// The task's DAG does not declare this connection for the task.
    #[error("not declared: {0}")]
    NotDeclared(String),
    /// No connection of that id exists.
    #[error("not found: {0}")]
    NotFound(String),
    /// The connection is not of a type the host can open, or a value has no counterpart in
    /// this database.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The egress policy does not allow the connection's host and port.
    #[error("denied: {0}")]
    Denied(String),
    /// The database could not be reached or logged into; worth retrying.
    #[error("connect: {0}")]
    Connect(String),
    /// The statement ran past its timeout and was cancelled.
    #[error("timeout: {0}")]
    Timeout(String),
    /// A per-attempt cap (statements, rows or bytes returned) was reached.
    #[error("limit: {0}")]
    Limit(String),
    /// The call does not fit the session's state: a transaction begun twice, a commit
    /// without one, a statement while a stream is open.
    #[error("state: {0}")]
    State(String),
    /// The database refused the statement.
    #[error("database error {}: {}", .0.code.as_deref().unwrap_or("-"), .0.message)]
    Database(DatabaseError),
}

/// `SqlError::Case(payload)`, the form of the WIT bindings' own `Debug`, which messages
/// quoting an error have always shown.
impl std::fmt::Debug for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (case, message) = match self {
            SqlError::NotDeclared(m) => ("NotDeclared", m),
            SqlError::NotFound(m) => ("NotFound", m),
            SqlError::Unsupported(m) => ("Unsupported", m),
            SqlError::Denied(m) => ("Denied", m),
            SqlError::Connect(m) => ("Connect", m),
            SqlError::Timeout(m) => ("Timeout", m),
            SqlError::Limit(m) => ("Limit", m),
            SqlError::State(m) => ("State", m),
            SqlError::Database(d) => {
                return f.debug_tuple("SqlError::Database").field(d).finish();
            }
        };
        f.debug_tuple(&format!("SqlError::{case}"))
            .field(message)
            .finish()
    }
}
