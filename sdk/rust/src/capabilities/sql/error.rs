//! [`SqlError`]: why a SQL call failed, mapped from the host's `sql-error`, and whether
//! another attempt may succeed.

use std::fmt;

use crate::bindings::weft::dag::sql as wit;
use crate::error::{TaskError, TaskErrorKind};

/// SQLSTATE codes worth another attempt: serialization failures and deadlocks (`40001`,
/// `40P01`), too many connections (`53300`) and a server shutting down or starting up
/// (`57P01`, `57P02`, `57P03`). Every code of class `08` (connection exception) is too.
const RETRYABLE_CODES: [&str; 6] = ["40001", "40P01", "53300", "57P01", "57P02", "57P03"];

/// Why a SQL call failed.
///
/// In a task, `?` turns it into a [`TaskError`] of the right kind: retryable when
/// [`is_retryable`](Self::is_retryable) (the database could not be reached, a statement timed
/// out, a serialization failure or deadlock), else permanent. [`ResultExt`] works on it too.
///
/// So that `?` can keep the kind, `SqlError` does not implement `Display` (as for
/// [`TaskError`], that would choose the blanket conversion, which makes every error
/// retryable); read it with [`SqlError::message`]. The text of each variant but `Database`
/// is the whole message, naming the connection and giving the host's words.
///
/// ```
/// use weft_sdk::sql::SqlError;
/// use weft_sdk::{TaskErrorKind, TaskResult};
///
/// fn insert() -> Result<u64, SqlError> {
///     Err(SqlError::Database { code: Some("23505".into()), message: "duplicate key".into() })
/// }
/// fn task() -> TaskResult<u64> {
///     match insert() {
///         Err(e) if e.code() == Some("23505") => Ok(0), // already there
///         other => Ok(other?),
///     }
/// }
/// assert_eq!(task().unwrap(), 0);
///
/// let deadlock = SqlError::Database { code: Some("40P01".into()), message: "deadlock".into() };
/// assert!(deadlock.is_retryable());
/// assert_eq!(deadlock.into_task_error().kind(), TaskErrorKind::Retryable);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlError {
    /// The task does not declare the connection: add `.connection(id)` to the task or the
    /// DAG's defaults.
    NotDeclared(String),
    /// No connection of that id exists.
    NotFound(String),
    /// The connection is not of a type the host can open (`postgres`, `mysql`, `mariadb`), or
    /// a value has no counterpart in this database.
    Unsupported(String),
    /// The operator's egress policy does not allow the connection's host and port.
    Denied(String),
    /// The database could not be reached or logged into; a retry may succeed.
    Connect(String),
    /// The statement ran past its timeout and was cancelled; a retry may succeed.
    Timeout(String),
    /// A per-attempt cap on statements, rows or bytes returned was reached.
    Limit(String),
    /// The call does not fit the session's state: a transaction begun twice, a commit without
    /// one, a statement while a stream is open.
    State(String),
    /// The database refused the statement.
    Database {
        /// The SQLSTATE code (`23505`, `42P01`, ...), when the database gave one.
        code: Option<String>,
        /// The database's message.
        message: String,
    },
    /// A row or value does not fit the Rust type asked for; the message names the column and
    /// what was expected.
    Decode(String),
}

impl SqlError {
    /// Whether another attempt may succeed: connecting failed, the statement timed out, or the
    /// database reported a serialization failure (`40001`), a deadlock (`40P01`), a connection
    /// exception (class `08`), too many connections (`53300`) or a shutdown (`57P01` to
    /// `57P03`). Everything else fails the same way on a retry.
    pub fn is_retryable(&self) -> bool {
        match self {
            SqlError::Connect(_) | SqlError::Timeout(_) => true,
            SqlError::Database { code, .. } => code
                .as_deref()
                .is_some_and(|c| c.starts_with("08") || RETRYABLE_CODES.contains(&c)),
            SqlError::NotDeclared(_)
            | SqlError::NotFound(_)
            | SqlError::Unsupported(_)
            | SqlError::Denied(_)
            | SqlError::Limit(_)
            | SqlError::State(_)
            | SqlError::Decode(_) => false,
        }
    }

    /// The SQLSTATE code of a [`Database`](Self::Database) error.
    pub fn code(&self) -> Option<&str> {
        match self {
            SqlError::Database { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The message shown to users.
    pub fn message(&self) -> String {
        Message(self).to_string()
    }

    /// The [`TaskError`] of the right kind: retryable when
    /// [`is_retryable`](Self::is_retryable), else permanent. `?` does the same.
    pub fn into_task_error(self) -> TaskError {
        let kind = if self.is_retryable() {
            TaskErrorKind::Retryable
        } else {
            TaskErrorKind::Permanent
        };
        TaskError::new(kind, self.message())
    }

    /// The error for the host's `error`, from a call on connection `conn_id`: the message
    /// names the connection, says what failed, then gives the host's words.
    pub(crate) fn from_wit(error: wit::SqlError, conn_id: &str) -> Self {
        let text = |what: &str, detail: String| {
            if detail.is_empty() {
                format!("connection `{conn_id}`: {what}")
            } else {
                format!("connection `{conn_id}`: {what}: {detail}")
            }
        };
        match error {
            wit::SqlError::NotDeclared(d) => SqlError::NotDeclared(text(
                "not declared for this task (declare it with `.connection`)",
                d,
            )),
            wit::SqlError::NotFound(d) => SqlError::NotFound(text("no such connection", d)),
            wit::SqlError::Unsupported(d) => SqlError::Unsupported(text("unsupported", d)),
            wit::SqlError::Denied(d) => SqlError::Denied(text(
                "refused by the operator's egress policy (it must allow tcp://HOST:PORT)",
                d,
            )),
            wit::SqlError::Connect(d) => SqlError::Connect(text("could not connect", d)),
            wit::SqlError::Timeout(d) => {
                SqlError::Timeout(text("the statement timed out and was cancelled", d))
            }
            wit::SqlError::Limit(d) => {
                SqlError::Limit(text("a per-attempt SQL cap was reached", d))
            }
            wit::SqlError::State(d) => {
                SqlError::State(text("not allowed in the session's state", d))
            }
            wit::SqlError::Database(e) => SqlError::Database {
                code: e.code.filter(|c| !c.is_empty()),
                message: e.message,
            },
        }
    }
}

/// The user-facing text of an error; kept off `SqlError` itself so that `?` keeps the kind.
struct Message<'a>(&'a SqlError);

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SqlError::NotDeclared(text)
            | SqlError::NotFound(text)
            | SqlError::Unsupported(text)
            | SqlError::Denied(text)
            | SqlError::Connect(text)
            | SqlError::Timeout(text)
            | SqlError::Limit(text)
            | SqlError::State(text) => f.write_str(text),
            SqlError::Database {
                code: Some(code),
                message,
            } => write!(f, "database error {code}: {message}"),
            SqlError::Database {
                code: None,
                message,
            } => write!(f, "database error: {message}"),
            SqlError::Decode(text) => write!(f, "rows do not fit the type asked for: {text}"),
        }
    }
}

crate::error::kinded_host_error!(SqlError);
