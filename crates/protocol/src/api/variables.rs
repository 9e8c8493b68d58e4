//! The JSON bodies of the variable routes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableView {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Free text.
    pub description: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// The tenant's variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableList {
    /// By key.
    pub variables: Vec<VariableView>,
}

/// A variable's new value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutVariable {
    /// The value: any text but NUL (U+0000).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^\\x00]*$"))]
    pub value: String,
    /// Free text; when left out, an existing variable keeps its description.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^\\x00]*$"))]
    pub description: Option<String>,
}
