//! Tenants and their API tokens, as the store keeps them. A token's secret is never stored:
//! only the SHA-256 digest of it, which the API server compares with what a request presents.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
pub use weft_model::quotas::Quotas;
pub use weft_model::tenancy::Role;
pub use weft_model::tenant_sandbox::TenantSandbox;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Its name (see [`weft_model::tenancy::check_tenant_name`]).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// When it was created (the Unix epoch for `default`, which every store starts with).
    pub created_at: Timestamp,
    /// Its weight in the scheduler's fair sharing of slots among tenants (1 to
    /// [`MAX_TENANT_WEIGHT`](weft_model::tenancy::MAX_TENANT_WEIGHT)).
    pub weight: u32,
    /// Its quotas.
    pub quotas: Quotas,
    /// Its egress rules and the defaults and ceilings of its tasks' limits.
    pub sandbox: TenantSandbox,
}

/// What deleting a tenant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantDeletion {
    /// Deleted, with its tokens, variables, pools, connections and secrets.
    Deleted,
    /// No such tenant.
    NotFound,
    /// Not deleted: it still has DAGs (the first few, by id).
    HasDags(Vec<String>),
}

/// An API token as stored: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The public part of the token, which finds its row.
    pub token_id: String,
    /// The tenant it acts in.
    pub tenant: String,
    /// What it is for, as its creator named it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Hex SHA-256 digest of the token's secret part.
    pub secret_digest: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops being accepted, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// Whether the token is accepted at `now`: not revoked, not expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

/// Most DAG ids [`TenantDeletion::HasDags`] names.
pub const DAGS_NAMED_ON_REFUSAL: usize = 10;
