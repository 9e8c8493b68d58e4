//! Connections and secrets in plaintext, above the store: [`Credentials`] seals what it
//! stores and opens what it reads with a [`Keyring`], so the database only ever sees
//! ciphertext. It also runs the key check at start ([`Credentials::check_keys`]) and key
//! rotation ([`Credentials::rotate`]).
//!
//! The key check: every stored value records the id of the key that sealed it, and the
//! store keeps one marker sealed with each key. A process whose keyring lacks a key that
//! stored values need, or whose key of that id does not open its marker, stops at start with
//! [`CredentialsError::WrongKey`] naming the key expected — never later, at task time. Nor
//! may a process start with keys none of which has a marker while others do (another
//! process of the installation uses another key: its attempt keys and sealed values would
//! not be understood), nor with no key at all once any key has a marker.

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Map, Value};
use weft_protocol::{Connection, ConnectionInfo, SecretInfo};
use weft_vault::{Binding, Keyring, VaultError};

use crate::error::StoreError;
use crate::sealed::{KeyMarker, ResealOutcome, SealedConnection, SealedField, SealedSecret};
use crate::store::Store;

/// What the key markers seal.
const MARKER_PLAINTEXT: &[u8] = b"weft key check v1";

/// Why a connection or secret could not be stored, read or rotated.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A value could not be sealed or opened.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// No key is configured, and one is needed: to seal, or because sealed values are
    /// stored.
    #[error(
        "no secret key configured, {reason}: set WEFT_SECRET_KEY (base64 of 32 bytes, from \
         `openssl rand -base64 32`) or WEFT_SECRET_KEY_FILE"
    )]
    NoKey {
        /// Why a key is needed.
        reason: String,
    },
    /// The configured keys are not those the stored values were sealed with.
    #[error(
        "WEFT_SECRET_KEY does not match the database: stored connections or secrets are \
         sealed with key {expected}, and this process holds {held}. Set WEFT_SECRET_KEY to \
         the key with id {expected} (during a rotation, put it in WEFT_SECRET_KEY_PREVIOUS)"
    )]
    WrongKey {
        /// The id of the key the stored values need.
        expected: String,
        /// The ids of the keys this process holds.
        held: String,
    },
    /// Nothing is sealed yet, but the installation's other processes use another key: this
    /// process would make attempt keys (and seal values) they cannot check.
    #[error(
        "WEFT_SECRET_KEY does not match the database: this installation's servers and \
         schedulers use key {expected} (it seals connections and secrets and makes the keys of \
         task attempts), and this process holds {held}. Give every server and scheduler the \
         same WEFT_SECRET_KEY (during a rotation, the old key in WEFT_SECRET_KEY_PREVIOUS). If \
         key {expected} is lost and nothing was ever sealed with it, forget it in the database: \
         DELETE FROM sealing_keys WHERE key_id = '{expected}'"
    )]
    OtherKey {
        /// The id of a key the installation uses.
        expected: String,
        /// The ids of the keys this process holds.
        held: String,
    },
    /// A key's marker does not open with the key of its id.
    #[error("the key with id {key_id} does not open its marker in the database: {source}")]
    BadMarker {
        /// The key's id.
        key_id: String,
        /// Why.
        #[source]
        source: VaultError,
    },
    /// An opened value is not what was sealed (not UTF-8 text, extra not a JSON object).
    #[error("{what}: {reason}")]
    Corrupt {
        /// The value.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A connection with what the store keeps about it.
#[derive(Clone, PartialEq)]
pub struct StoredConnection {
    /// The connection, with its password.
    pub connection: Connection,
    /// Free text.
    pub description: String,
    /// First stored.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for StoredConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the connection's own Debug: its extra may hold tokens.
        f.debug_struct("StoredConnection")
            .field("conn_id", &self.connection.conn_id)
            .field("conn_type", &self.connection.conn_type)
            .finish_non_exhaustive()
    }
}

impl From<SealedSecret> for SecretInfo {
    fn from(s: SealedSecret) -> SecretInfo {
        SecretInfo {
            name: s.name,
            description: s.description,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// What [`Credentials::check_keys`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCheck {
    /// The id of the key that seals, if one is configured.
    pub current: Option<String>,
    /// Ids of the keys stored values are sealed with.
    pub in_use: Vec<String>,
}

/// Connections and secrets in plaintext over a store that keeps them sealed. Cheap to clone.
#[derive(Clone)]
pub struct Credentials {
    store: Arc<dyn Store>,
    keyring: Option<Arc<Keyring>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

fn connection_binding(tenant: &str, conn_id: &str, field: &str) -> Binding {
    Binding::new(tenant, "connection", conn_id, field)
}

fn secret_binding(tenant: &str, name: &str) -> Binding {
    Binding::new(tenant, "secret", name, "value")
}

fn marker_binding(key_id: &str) -> Binding {
    Binding::new("", "key-check", key_id, "marker")
}

impl Credentials {
    /// Over `store`, with `keyring` (none: nothing can be sealed or opened).
    pub fn new(store: Arc<dyn Store>, keyring: Option<Keyring>) -> Credentials {
        Credentials {
            store,
            keyring: keyring.map(Arc::new),
        }
    }

    /// The id of the key that seals, if a key is configured.
    pub fn current_key_id(&self) -> Option<weft_vault::KeyId> {
        self.keyring.as_deref().map(Keyring::current_id)
    }

    /// The keyring, or why there is none.
    fn keyring(&self, reason: &str) -> Result<&Keyring, CredentialsError> {
        self.keyring
            .as_deref()
            .ok_or_else(|| CredentialsError::NoKey {
                reason: reason.to_owned(),
            })
    }

    /// Check at start that this process holds every key stored values need and that each
    /// opens its marker; record the marker of the current key. See the module's header.
    pub async fn check_keys(&self, now: Timestamp) -> Result<KeyCheck, CredentialsError> {
        let in_use = self.store.sealing_key_ids().await?;
        let markers = self.store.key_markers().await?;
        let Some(keyring) = self.keyring.as_deref() else {
            if !in_use.is_empty() {
                return Err(CredentialsError::NoKey {
                    reason: format!(
                        "but the database holds connections or secrets sealed with key {}",
                        in_use.join(", ")
                    ),
                });
            }
            if let Some(marker) = markers.first() {
                return Err(CredentialsError::NoKey {
                    reason: format!(
                        "but this installation's servers and schedulers use key {} (task \
                         attempts carry keys made with it, which this process could not check)",
                        marker.key_id
                    ),
                });
            }
            return Ok(KeyCheck {
                current: None,
                in_use,
            });
        };
        let held: Vec<String> = keyring.ids().iter().map(ToString::to_string).collect();
        if let Some(missing) = in_use.iter().find(|id| !held.contains(id)) {
            return Err(CredentialsError::WrongKey {
                expected: missing.clone(),
                held: keyring.held(),
            });
        }
        if let Some(first) = markers.first()
            && !markers.iter().any(|m| held.contains(&m.key_id))
        {
            return Err(CredentialsError::OtherKey {
                expected: first.key_id.clone(),
                held: keyring.held(),
            });
        }
        for marker in markers.iter().filter(|m| held.contains(&m.key_id)) {
            keyring
                .open(&marker_binding(&marker.key_id), &marker.marker)
                .map_err(|source| CredentialsError::BadMarker {
                    key_id: marker.key_id.clone(),
                    source,
                })?;
        }
        let current = keyring.current_id().to_string();
        if !markers.iter().any(|m| m.key_id == current) {
            self.store
                .add_key_marker(self.marker(keyring, now)?)
                .await?;
        }
        Ok(KeyCheck {
            current: Some(current),
            in_use,
        })
    }

    fn marker(&self, keyring: &Keyring, now: Timestamp) -> Result<KeyMarker, CredentialsError> {
        let key_id = keyring.current_id().to_string();
        let marker = keyring.seal(&marker_binding(&key_id), MARKER_PLAINTEXT)?;
        Ok(KeyMarker {
            key_id,
            marker,
            created_at: now,
        })
    }

    // --- connections ---

    /// Connection `conn_id`, opened.
    pub async fn connection(
        &self,
        tenant: &str,
        conn_id: &str,
    ) -> Result<Option<StoredConnection>, CredentialsError> {
        let Some(sealed) = self.store.connection(tenant, conn_id).await? else {
            return Ok(None);
        };
        let keyring = self.keyring("and connections are stored sealed")?;
        let password = match &sealed.password {
            Some(p) => Some(text(
                keyring.open(&connection_binding(tenant, conn_id, "password"), p)?,
                || format!("the password of connection {conn_id}"),
            )?),
            None => None,
        };
        let extra = Value::Object(self.extra(keyring, tenant, &sealed)?);
        Ok(Some(StoredConnection {
            connection: Connection {
                conn_id: sealed.conn_id,
                conn_type: sealed.conn_type,
                host: sealed.host,
                port: sealed.port,
                schema: sealed.schema,
                login: sealed.login,
                password,
                extra,
            },
            description: sealed.description,
            created_at: sealed.created_at,
            updated_at: sealed.updated_at,
        }))
    }

    fn extra(
        &self,
        keyring: &Keyring,
        tenant: &str,
        sealed: &SealedConnection,
    ) -> Result<Map<String, Value>, CredentialsError> {
        let opened = keyring.open(
            &connection_binding(tenant, &sealed.conn_id, "extra"),
            &sealed.extra,
        )?;
        match serde_json::from_slice(&opened) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(CredentialsError::Corrupt {
                what: format!("the extra of connection {}", sealed.conn_id),
                reason: "not a JSON object once opened".to_owned(),
            }),
        }
    }

    fn info(
        &self,
        keyring: &Keyring,
        tenant: &str,
        sealed: SealedConnection,
    ) -> Result<ConnectionInfo, CredentialsError> {
        let extra_keys = self
            .extra(keyring, tenant, &sealed)?
            .into_iter()
            .map(|(k, _)| k);
        Ok(ConnectionInfo {
            extra_keys: extra_keys.collect(),
            has_password: sealed.password.is_some(),
            conn_id: sealed.conn_id,
            conn_type: sealed.conn_type,
            host: sealed.host,
            port: sealed.port,
            schema: sealed.schema,
            login: sealed.login,
            description: sealed.description,
            created_at: sealed.created_at,
            updated_at: sealed.updated_at,
        })
    }

    /// Connection `conn_id` as it may be shown.
    pub async fn connection_info(
        &self,
        tenant: &str,
        conn_id: &str,
    ) -> Result<Option<ConnectionInfo>, CredentialsError> {
        let Some(sealed) = self.store.connection(tenant, conn_id).await? else {
            return Ok(None);
        };
        let keyring = self.keyring("and connections are stored sealed")?;
        self.info(keyring, tenant, sealed).map(Some)
    }

    /// Every connection, by id, as it may be shown.
    pub async fn connection_infos(
        &self,
        tenant: &str,
    ) -> Result<Vec<ConnectionInfo>, CredentialsError> {
        let sealed = self.store.connections(tenant).await?;
        if sealed.is_empty() {
            return Ok(Vec::new());
        }
        let keyring = self.keyring("and connections are stored sealed")?;
        sealed
            .into_iter()
            .map(|c| self.info(keyring, tenant, c))
            .collect()
    }

    /// Create or replace `connection`, sealed; an existing one keeps its description when
    /// `description` is none. True when it was created.
    pub async fn put_connection(
        &self,
        tenant: &str,
        connection: Connection,
        description: Option<String>,
        now: Timestamp,
    ) -> Result<bool, CredentialsError> {
        let keyring = self.keyring("to seal the connection's password and extra")?;
        let conn_id = connection.conn_id;
        let extra = match connection.extra {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => {
                return Err(StoreError::Invalid(format!(
                    "the extra of connection {conn_id} must be a JSON object"
                ))
                .into());
            }
        };
        let extra_json = zeroize::Zeroizing::new(serde_json::to_vec(&extra).map_err(|e| {
            CredentialsError::Corrupt {
                what: format!("the extra of connection {conn_id}"),
                reason: e.to_string(),
            }
        })?);
        let password = connection
            .password
            .map(|p| {
                keyring.seal(
                    &connection_binding(tenant, &conn_id, "password"),
                    p.as_bytes(),
                )
            })
            .transpose()?;
        let extra = keyring.seal(&connection_binding(tenant, &conn_id, "extra"), &extra_json)?;
        let existing = self.store.connection(tenant, &conn_id).await?;
        let created = existing.is_none();
        let description = description
            .or(existing.map(|e| e.description))
            .unwrap_or_default();
        self.store
            .put_connection(
                tenant,
                SealedConnection {
                    conn_id,
                    conn_type: connection.conn_type,
                    host: connection.host,
                    port: connection.port,
                    schema: connection.schema,
                    login: connection.login,
                    password,
                    extra,
                    key_id: keyring.current_id().to_string(),
                    description,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
        Ok(created)
    }

    /// Delete connection `conn_id`; false when it did not exist.
    pub async fn delete_connection(
        &self,
        tenant: &str,
        conn_id: &str,
    ) -> Result<bool, CredentialsError> {
        Ok(self.store.delete_connection(tenant, conn_id).await?)
    }

    // --- secrets ---

    /// The value of secret `name`.
    pub async fn secret_value(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Option<String>, CredentialsError> {
        let Some(sealed) = self.store.secret(tenant, name).await? else {
            return Ok(None);
        };
        let keyring = self.keyring("and secrets are stored sealed")?;
        let opened = keyring.open(&secret_binding(tenant, name), &sealed.value)?;
        text(opened, || format!("secret {name}")).map(Some)
    }

    /// Secret `name` as it may be shown.
    pub async fn secret_info(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Option<SecretInfo>, CredentialsError> {
        Ok(self.store.secret(tenant, name).await?.map(SecretInfo::from))
    }

    /// Every secret, by name, as it may be shown.
    pub async fn secret_infos(&self, tenant: &str) -> Result<Vec<SecretInfo>, CredentialsError> {
        Ok(self
            .store
            .secrets(tenant)
            .await?
            .into_iter()
            .map(SecretInfo::from)
            .collect())
    }

    /// Create or replace secret `name`, sealed; an existing one keeps its description when
    /// `description` is none. True when it was created.
    pub async fn put_secret(
        &self,
        tenant: &str,
        name: &str,
        value: &str,
        description: Option<String>,
        now: Timestamp,
    ) -> Result<bool, CredentialsError> {
        let keyring = self.keyring("to seal the secret")?;
        let sealed = keyring.seal(&secret_binding(tenant, name), value.as_bytes())?;
        let existing = self.store.secret(tenant, name).await?;
        let created = existing.is_none();
        let description = description
            .or(existing.map(|e| e.description))
            .unwrap_or_default();
        self.store
            .put_secret(
                tenant,
                SealedSecret {
                    name: name.to_owned(),
                    value: sealed,
                    key_id: keyring.current_id().to_string(),
                    description,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
        Ok(created)
    }

    /// Delete secret `name`; false when it did not exist.
    pub async fn delete_secret(&self, tenant: &str, name: &str) -> Result<bool, CredentialsError> {
        Ok(self.store.delete_secret(tenant, name).await?)
    }

    // --- rotation ---

    /// Seal every stored value of every tenant again with the current key, after which the
    /// previous keys are no longer needed (see [`ResealOutcome::key_ids`]).
    pub async fn rotate(&self, now: Timestamp) -> Result<ResealOutcome, CredentialsError> {
        let keyring = self.keyring("to rotate keys")?.clone();
        let marker = self.marker(&keyring, now)?;
        let reseal = move |field: SealedField<'_>| {
            let binding = Binding::new(field.tenant, field.kind, field.name, field.field);
            keyring
                .reseal(&binding, field.sealed)
                .map_err(|e| Box::new(e) as crate::sealed::ResealError)
        };
        let outcome = self.store.reseal(&reseal, marker).await?;
        tracing::info!(
            resealed = outcome.resealed,
            skipped = outcome.skipped,
            key_ids = ?outcome.key_ids,
            "connections and secrets sealed again with the current key"
        );
        Ok(outcome)
    }
}

/// Opened bytes as text.
fn text(
    opened: zeroize::Zeroizing<Vec<u8>>,
    what: impl FnOnce() -> String,
) -> Result<String, CredentialsError> {
    String::from_utf8(opened.to_vec()).map_err(|_| CredentialsError::Corrupt {
        what: what(),
        reason: "not UTF-8 once opened".to_owned(),
    })
}
