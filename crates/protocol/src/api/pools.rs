//! The JSON bodies of the pool routes.

use serde::{Deserialize, Serialize};

/// A pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolView {
    /// Name.
    pub name: String,
    /// Task instances that may run in it at once.
    pub slots: i64,
    /// Free text.
    pub description: String,
    /// Slots taken: task instances queued or running in it.
    pub used_slots: u64,
    /// Task instances ready to run that wait for a slot.
    pub waiting: u64,
}

/// The tenant's pools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolList {
    /// By name; `default_pool` always exists.
    pub pools: Vec<PoolView>,
}

/// A pool's new size.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutPool {
    /// Task instances that may run in it at once; 0 holds every task that names it.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    #[serde(deserialize_with = "weft_model::integral::required")]
    pub slots: i64,
    /// Free text; when left out, an existing pool keeps its description.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^\\x00]*$"))]
    pub description: Option<String>,
}
