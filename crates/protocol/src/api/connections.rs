//! The JSON bodies of the connection routes that show connections (never their secrets).

use serde::{Deserialize, Serialize};

use crate::ConnectionInfo;

/// The tenant's connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionList {
    /// By id.
    pub connections: Vec<ConnectionInfo>,
}
