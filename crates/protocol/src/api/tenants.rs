//! The JSON bodies of the tenant routes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::quotas::Quotas;
use weft_model::tenant_sandbox::TenantSandbox;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantView {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// Its weight in the scheduler's fair sharing of slots among tenants with ready tasks.
    pub weight: u32,
    /// Its quotas (a limit left out is none).
    pub quotas: Quotas,
    /// Its egress rules and the defaults and ceilings of its tasks' limits (a setting left
    /// out is none of the tenant's own).
    pub sandbox: TenantSandbox,
}

/// Every tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantList {
    /// By name.
    pub tenants: Vec<TenantView>,
}

/// A tenant's new weight.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantWeight {
    /// 1 to 1000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    #[serde(deserialize_with = "weft_model::integral::required")]
    pub weight: u32,
}
