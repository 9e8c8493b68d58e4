//! Connections and secrets a task declares: [`Context::connection`](crate::Context::connection)
//! and [`Context::secret`](crate::Context::secret) read them from the host.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::bindings::weft::dag::{connections, secrets, types as wit};
use crate::context::Context;

/// A connection to an outside system (Airflow's connection), as the task reads it.
///
/// Its `Debug` output hides the password.
#[derive(Clone, PartialEq)]
pub struct Connection {
    /// The connection's id.
    pub conn_id: String,
    /// What it connects to: `postgres`, `aws`, `http`, `smtp`, ...
    pub conn_type: String,
    /// Host name or address.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database, bucket or path, as the type means it.
    pub schema: Option<String>,
    /// User name or access key.
    pub login: Option<String>,
    /// Password or secret key.
    pub password: Option<String>,
    /// Further settings (a JSON object; empty when none).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Connection {
    /// Setting `key` of [`extra`](Self::extra) when it is a string.
    pub fn extra_str(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(serde_json::Value::as_str)
    }

    /// [`extra`](Self::extra) decoded into `T`.
    pub fn extra_as<T: DeserializeOwned>(&self) -> Result<T, AccessError> {
        serde_json::from_value(serde_json::Value::Object(self.extra.clone())).map_err(|e| {
            AccessError::MalformedExtra {
                conn_id: self.conn_id.clone(),
                reason: e.to_string(),
            }
        })
    }

    pub(crate) fn from_wit(c: wit::Connection) -> Result<Self, AccessError> {
        let extra = parse_extra(&c.conn_id, &c.extra)?;
        Ok(Self {
            conn_id: c.conn_id,
            conn_type: c.conn_type,
            host: c.host,
            port: c.port,
            schema: c.schema,
            login: c.login,
            password: c.password,
            extra,
        })
    }
}

/// `extra` as the host sends it: a JSON object, or empty text for none.
fn parse_extra(
    conn_id: &str,
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, AccessError> {
    if text.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    serde_json::from_str(text).map_err(|e| AccessError::MalformedExtra {
        conn_id: conn_id.to_owned(),
        reason: format!("not a JSON object: {e}"),
    })
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("conn_id", &self.conn_id)
            .field("conn_type", &self.conn_type)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("schema", &self.schema)
            .field("login", &self.login)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("extra", &self.extra)
            .finish()
    }
}

/// Why a connection or secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The task does not declare it: add `.connection(id)` or `.secret(name)` to the task or
    /// the DAG's defaults.
    #[error("{0} is not declared for this task (declare it with `.connection` or `.secret`)")]
    NotDeclared(String),
    /// No connection or secret of that name exists.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The store behind it could not be reached in time; a retry may succeed.
    #[error("{0} is unavailable for now")]
    Unavailable(String),
    /// The connection's `extra` is not the JSON object expected.
    #[error("connection `{conn_id}`: malformed extra: {reason}")]
    MalformedExtra {
        /// The connection's id.
        conn_id: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl AccessError {
    /// Whether another attempt may succeed: only when the store was unavailable.
    pub fn is_retryable(&self) -> bool {
        matches!(self, AccessError::Unavailable(_))
    }

    /// The [`TaskError`](crate::TaskError) of the right kind: retryable when
    /// [`is_retryable`](Self::is_retryable), else permanent. (`?` makes every error retryable.)
    pub fn into_task_error(self) -> crate::TaskError {
        if self.is_retryable() {
            crate::TaskError::retryable(self.to_string())
        } else {
            crate::TaskError::permanent(self.to_string())
        }
    }

    fn from_wit(error: wit::AccessError, what: String) -> Self {
        match error {
            wit::AccessError::NotDeclared(detail) => Self::NotDeclared(with_detail(what, detail)),
            wit::AccessError::NotFound(detail) => Self::NotFound(with_detail(what, detail)),
            wit::AccessError::Unavailable(detail) => Self::Unavailable(with_detail(what, detail)),
        }
    }
}

/// `what`, followed by the host's own words when they add anything.
fn with_detail(what: String, detail: String) -> String {
    if detail.is_empty() || detail == what {
        what
    } else {
        format!("{what} ({detail})")
    }
}

impl Context {
    /// Connection `conn_id`, with its password. The task (or the DAG's defaults) must declare
    /// it with `.connection(conn_id)`; the host refuses any other.
    ///
    /// `?` turns an [`AccessError`] into a retryable task error; use
    /// [`AccessError::into_task_error`] to fail at once when a retry cannot help.
    pub fn connection(&self, conn_id: &str) -> Result<Connection, AccessError> {
        connections::get(conn_id)
            .map_err(|e| AccessError::from_wit(e, format!("connection `{conn_id}`")))
            .and_then(Connection::from_wit)
    }

    /// The value of secret `name`. The task (or the DAG's defaults) must declare it with
    /// `.secret(name)`. The host masks the value (`***`) wherever the task logs it.
    pub fn secret(&self, name: &str) -> Result<String, AccessError> {
        secrets::get(name).map_err(|e| AccessError::from_wit(e, format!("secret `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wit_connection(extra: &str) -> wit::Connection {
        wit::Connection {
            conn_id: "s3".into(),
            conn_type: "aws".into(),
            host: Some("127.0.0.1".into()),
            port: Some(9000),
            schema: Some("bucket".into()),
            login: Some("AKIA".into()),
            password: Some("hunter2".into()),
            extra: extra.into(),
        }
    }

    #[test]
    fn a_connection_keeps_every_field_and_parses_extra() {
        let c = Connection::from_wit(wit_connection(r#"{"region_name": "eu-west-1", "n": 1}"#))
            .expect("valid");
        assert_eq!(c.conn_id, "s3");
        assert_eq!(c.conn_type, "aws");
        assert_eq!(c.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(c.port, Some(9000));
        assert_eq!(c.schema.as_deref(), Some("bucket"));
        assert_eq!(c.login.as_deref(), Some("AKIA"));
        assert_eq!(c.password.as_deref(), Some("hunter2"));
        assert_eq!(c.extra_str("region_name"), Some("eu-west-1"));
        assert_eq!(c.extra_str("n"), None, "not a string");
        assert_eq!(c.extra_str("missing"), None);
    }

    #[test]
    fn empty_extra_is_an_empty_object_and_bad_extra_an_error() {
        let c = Connection::from_wit(wit_connection(" ")).expect("empty is fine");
        assert!(c.extra.is_empty());
        let err = Connection::from_wit(wit_connection("[1]")).expect_err("not an object");
        assert!(matches!(&err, AccessError::MalformedExtra { conn_id, .. } if conn_id == "s3"));
        assert!(!err.is_retryable());
    }

    #[test]
    fn extra_decodes_into_a_type() {
        #[derive(serde::Deserialize)]
        struct Extra {
            region_name: String,
        }
        let c = Connection::from_wit(wit_connection(r#"{"region_name": "r"}"#)).expect("valid");
        assert_eq!(c.extra_as::<Extra>().expect("fits").region_name, "r");
        assert!(c.extra_as::<Vec<u8>>().is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let c = Connection::from_wit(wit_connection("{}")).expect("valid");
        let text = format!("{c:?}");
        assert!(!text.contains("hunter2") && text.contains("***"), "{text}");
    }

    #[test]
    fn access_errors_name_what_was_asked_and_say_whether_a_retry_helps() {
        let err = AccessError::from_wit(
            wit::AccessError::NotDeclared(String::new()),
            "connection `s3`".into(),
        );
        assert_eq!(
            err.to_string(),
            "connection `s3` is not declared for this task (declare it with `.connection` or `.secret`)"
        );
        assert_eq!(
            err.clone().into_task_error().kind(),
            crate::TaskErrorKind::Permanent
        );
        let err = AccessError::from_wit(
            wit::AccessError::Unavailable("store timed out".into()),
            "secret `t`".into(),
        );
        assert_eq!(
            err.to_string(),
            "secret `t` (store timed out) is unavailable for now"
        );
        assert!(err.is_retryable());
        assert_eq!(
            err.into_task_error().kind(),
            crate::TaskErrorKind::Retryable
        );
    }
}
