//! The JSON bodies of the token routes and of `whoami`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::tenancy::Role;

/// Longest token name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 200;

/// Who the request's token is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhoAmI {
    /// The tenant it acts in.
    pub tenant: String,
    /// Its role there: `viewer`, `operator`, `editor` or `admin`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "operator"))]
    pub role: Role,
    /// Whether it is the installation administrator's.
    pub installation_admin: bool,
    /// The tenant token's id; none for the administrator or a request without a token.
    pub token_id: Option<String>,
}

/// A token to make.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it is for ("ci deploys", "alice"): 1 to 200 characters, not all blank, no
    /// control characters.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::token_name))]
    pub name: String,
    /// `viewer`, `operator`, `editor` or `admin`.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::role))]
    pub role: String,
    /// How long it is accepted (`90d`, `12h`, `1h 30m`; units `ns`, `us`, `ms`, `s`, `m`,
    /// `h`, `d`); left out, until revoked. A duration of no time, or one that ends past the
    /// last time Weft can store, is refused (422).
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::duration))]
    pub expires_in: Option<String>,
}

/// A token as listed: everything but the token itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    /// Its id (the public part of the token).
    pub token_id: String,
    /// The tenant it acts in.
    pub tenant: String,
    /// What it is for.
    pub name: String,
    /// Its role.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "operator"))]
    pub role: Role,
    /// `live`, `expired` or `revoked`.
    pub state: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops being accepted, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// A token just made: the only answer that holds the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    /// The token: send it as `Authorization: Bearer <token>`. Shown this once.
    pub token: String,
    /// The token as listed.
    #[serde(flatten)]
    pub view: TokenView,
}

/// A tenant's tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenList {
    /// Oldest first, revoked and expired ones included.
    pub tokens: Vec<TokenView>,
}
