//! Connections and secrets as a worker receives them for one attempt.
//!
//! These bodies carry plaintext credentials over the authenticated worker API and nowhere
//! else: never on a queue, the bus, or in a log. Their `Debug` hides the password and value.

use serde::{Deserialize, Serialize};

use crate::ids::TiPk;

/// A connection to an outside system (Airflow's connection), with its password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// The connection's id.
    pub conn_id: String,
    /// What it connects to: `postgres`, `s3`, `http`, `smtp`, ...
    pub conn_type: String,
    /// Host name or address.
    #[serde(default)]
    pub host: Option<String>,
    /// Port.
    #[serde(default)]
    pub port: Option<u16>,
    /// Database, bucket or path, as the type means it.
    #[serde(default)]
    pub schema: Option<String>,
    /// User name or access key.
    #[serde(default)]
    pub login: Option<String>,
    /// Password or secret key.
    #[serde(default)]
    pub password: Option<String>,
    /// Further settings, a JSON object.
    #[serde(default = "empty_object")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// A secret's value, as the worker API returns it to the attempt that declared it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretValue {
    /// The secret's name.
    pub name: String,
    /// Its value.
    pub value: String,
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValue")
            .field("name", &self.name)
            .field("value", &"***")
            .finish()
    }
}

/// The attempt a worker asks for a connection or secret on behalf of: the server hands it
/// out only while that attempt holds its lease and only when its task declares the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRef {
    /// The task instance.
    pub ti: TiPk,
    /// The attempt's lease (its fencing token).
    pub lease: i64,
    /// The attempt's key from its task message, sent in the
    /// [`ATTEMPT_KEY_HEADER`](crate::worker_api::ATTEMPT_KEY_HEADER), never in a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<crate::AttemptKey>,
}
