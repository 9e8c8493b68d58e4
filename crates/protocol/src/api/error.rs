//! The body of every error answer of the API: `{"error": {"code": ..., "message": ...}}`.

use serde::{Deserialize, Serialize};

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for machines (`code`) and people (`message`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable snake_case name: `invalid_request`, `invalid_json`, `unprocessable` (422),
    /// `unauthorized`,
    /// `not_declared` and `stale_attempt` (403), `no_secret_key` (503), `not_found`, `conflict`, `unsupported_media_type`, `payload_too_large`,
    /// `quota_exceeded` (413, 409 or 429), `rate_limited` (429), `unavailable`, `store_full` (507),
    /// `internal`, or for a refused component the load failure's class (`invalid_component`,
    /// `not_a_dag_component`, `invalid_dag_spec`, `trap`, `timeout`, ...).
    pub code: String,
    /// What is wrong, in words.
    pub message: String,
}
