//! The JSON bodies of the secret routes (a secret's value is only ever sent, never shown).

use serde::{Deserialize, Serialize};

use crate::SecretInfo;

/// The tenant's secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretList {
    /// By name.
    pub secrets: Vec<SecretInfo>,
}

/// What a key rotation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rotation {
    /// Id of the key everything is sealed with now.
    pub key_id: String,
    /// Values sealed again.
    pub resealed: u64,
    /// Values changed by another writer meanwhile (sealed with the current key by it).
    pub skipped: u64,
    /// Ids of the keys stored values need now: once only `key_id` is left, the previous
    /// keys (`WEFT_SECRET_KEY_PREVIOUS`) can be dropped.
    pub key_ids: Vec<String>,
}

/// A secret's new value.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"value": "<value>", "description": "posts to #data"})))]
pub struct PutSecret {
    /// The value; stored sealed, never shown again.
    #[cfg_attr(feature = "openapi", schema(write_only))]
    pub value: String,
    /// Free text; when left out, an existing secret keeps its description.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^\\x00]*$"))]
    pub description: Option<String>,
}

impl std::fmt::Debug for PutSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PutSecret")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}
