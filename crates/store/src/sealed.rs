//! Connections and secrets as the store holds them: every password, extra and secret value
//! sealed (see `weft-vault`), never plaintext. Sealing and opening happen above the store,
//! in [`credentials`](crate::credentials); the store checks that what it is given is sealed
//! ([`StoreError::Invalid`](crate::StoreError::Invalid) otherwise) and records which key
//! sealed it, so that a process missing that key is stopped at start.

use std::fmt;

use jiff::Timestamp;
use weft_model::TaskState;

/// A connection with its password and extra sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedConnection {
    /// The connection's id.
    pub conn_id: String,
    /// What it connects to (`postgres`, `aws`, `http`, ...).
    pub conn_type: String,
    /// Host name or address.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database, bucket or path, as the type means it.
    pub schema: Option<String>,
    /// User name or access key.
    pub login: Option<String>,
    /// The sealed password, if it has one.
    pub password: Option<Vec<u8>>,
    /// The sealed extra (a JSON object; it may hold tokens).
    pub extra: Vec<u8>,
    /// Id of the key that sealed `password` and `extra` (16 hex digits).
    pub key_id: String,
    /// Free text.
    pub description: String,
    /// First stored.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl fmt::Debug for SealedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedConnection")
            .field("conn_id", &self.conn_id)
            .field("conn_type", &self.conn_type)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("schema", &self.schema)
            .field("login", &self.login)
            .field("has_password", &self.password.is_some())
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A secret with its value sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The secret's name.
    pub name: String,
    /// The sealed value.
    pub value: Vec<u8>,
    /// Id of the key that sealed `value` (16 hex digits).
    pub key_id: String,
    /// Free text.
    pub description: String,
    /// First stored.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecret")
            .field("name", &self.name)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A known value sealed with a key, by which a process proves at start that it holds the
/// key (see [`Credentials::check_keys`](crate::credentials::Credentials::check_keys)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMarker {
    /// The key's id (16 hex digits).
    pub key_id: String,
    /// The sealed marker.
    pub marker: Vec<u8>,
    /// When it was recorded.
    pub created_at: Timestamp,
}

/// One sealed value, as [`Store::reseal`](crate::Store::reseal) hands it to its resealer.
#[derive(Debug, Clone, Copy)]
pub struct SealedField<'a> {
    /// Its tenant.
    pub tenant: &'a str,
    /// `connection` or `secret`.
    pub kind: &'static str,
    /// The connection's id or the secret's name.
    pub name: &'a str,
    /// `password`, `extra` or `value`.
    pub field: &'static str,
    /// The sealed bytes.
    pub sealed: &'a [u8],
}

/// Why a resealer could not reseal a value.
pub type ResealError = Box<dyn std::error::Error + Send + Sync>;

/// What re-seals one value: its new sealed bytes, or `None` to leave it as it is.
pub type Resealer = dyn Fn(SealedField<'_>) -> Result<Option<Vec<u8>>, ResealError> + Send + Sync;

/// What [`Store::reseal`](crate::Store::reseal) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealOutcome {
    /// Values sealed again.
    pub resealed: u64,
    /// Values changed by someone else while resealing (they were sealed with the current
    /// key by that writer).
    pub skipped: u64,
    /// Ids of the keys stored values are sealed with afterwards.
    pub key_ids: Vec<String>,
}

/// A task instance's current attempt, as the worker API checks it before handing out a
/// connection or secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptInfo {
    /// Its tenant.
    pub tenant: String,
    /// Its run.
    pub run: crate::RunPk,
    /// Its task.
    pub task_id: String,
    /// The task instance's state.
    pub state: TaskState,
    /// Its current lease (fencing token).
    pub lease: i64,
    /// When its running attempt's lease ends.
    pub lease_expires_at: Option<Timestamp>,
    /// The component digest its run is pinned to.
    pub digest: String,
    /// Its run's DAG.
    pub dag_id: String,
    /// Its run's id.
    pub run_id: String,
}
