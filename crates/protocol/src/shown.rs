//! Connections and secrets as they may be shown — in API reads, by `wfctl`, in the web UI:
//! everything but a password, the values of a connection's `extra` (which may hold tokens)
//! and a secret's value. The plaintext forms are in [`crate::access`], for workers only.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A connection as it may be shown: never its password nor its extra's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "conn_id": "warehouse", "conn_type": "postgres", "host": "db.internal", "port": 5432,
    "schema": "analytics", "login": "etl", "has_password": true, "extra_keys": ["sslmode"],
    "description": "the analytics warehouse", "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z"
})))]
pub struct ConnectionInfo {
    /// The connection's id, as tasks declare it.
    pub conn_id: String,
    /// What it connects to: `postgres`, `aws`, `http`, ...
    pub conn_type: String,
    /// Host name or address.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database, bucket or path, as the type means it.
    pub schema: Option<String>,
    /// User name or access key.
    pub login: Option<String>,
    /// Whether a password is stored (it is never shown).
    pub has_password: bool,
    /// The keys of `extra` (their values may be tokens, and are never shown).
    pub extra_keys: Vec<String>,
    /// Free text.
    pub description: String,
    /// First stored.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A secret as it may be shown: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "slack_token", "description": "posts to #data", "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z"
})))]
pub struct SecretInfo {
    /// The secret's name, as tasks declare it.
    pub name: String,
    /// Free text.
    pub description: String,
    /// First stored.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}
