//! Bearer tokens, as configured at start:
//!
//! - **administrator tokens** (`api_tokens`): the installation administrator's, who manages
//!   tenants and acts as `admin` of tenant `default`. Configuring one turns authentication
//!   on: every route of the user API but `/health` and `/openapi.json` then needs a token
//!   (an administrator's or a tenant's, see [`context`](crate::context)), unless
//!   `open_reads` lets reads without one act as a `viewer` of `default`.
//! - **worker tokens** (`worker_tokens`): every route of the worker API needs one when any is
//!   configured (an API token is not one).
//!
//! With no administrator token configured — the standalone default on 127.0.0.1 — a request
//! without a token acts as the installation administrator; one with a tenant token still acts
//! in that token's tenant.
//!
//! Tokens are compared by their SHA-256 digests in constant time, against every configured
//! token without stopping at a match, and are never logged: [`AuthConfig`]'s `Debug` shows
//! only how many there are.

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;

/// Which bearer tokens the server accepts. An empty list turns that check off.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// The installation administrator's tokens. Empty: a request without a token acts as the
    /// administrator.
    pub api_tokens: Vec<String>,
    /// Tokens that may call the worker API. Empty: the worker API is open.
    pub worker_tokens: Vec<String>,
    /// With administrator tokens configured, reads (`GET`) without a token act as a `viewer`
    /// of tenant `default` instead of being refused: for a demo, never for teams that must
    /// not see each other.
    pub open_reads: bool,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |n: usize| format!("[{n} redacted]");
        f.debug_struct("AuthConfig")
            .field(
                "api_tokens",
                &format_args!("{}", redacted(self.api_tokens.len())),
            )
            .field(
                "worker_tokens",
                &format_args!("{}", redacted(self.worker_tokens.len())),
            )
            .field("open_reads", &self.open_reads)
            .finish()
    }
}

/// A random token nobody can guess (32 bytes, hex): for a route that no one is meant to call,
/// such as the worker API of a process whose worker runs inside it.
pub fn unguessable_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// The routes a configured token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The user API, as the installation administrator.
    Api,
    /// The worker API.
    Worker,
}

impl Audience {
    /// `api` or `worker`, as error messages say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Api => "api",
            Audience::Worker => "worker",
        }
    }
}

/// The digests of the configured tokens of one audience.
#[derive(Clone)]
pub(crate) struct Tokens {
    audience: Audience,
    digests: Arc<[[u8; 32]]>,
}

impl Tokens {
    /// The tokens `config` accepts for `audience`.
    pub(crate) fn new(config: &AuthConfig, audience: Audience) -> Tokens {
        let tokens = match audience {
            Audience::Api => &config.api_tokens,
            Audience::Worker => &config.worker_tokens,
        };
        Tokens {
            audience,
            digests: tokens.iter().map(|t| digest(t.as_bytes())).collect(),
        }
    }

    /// Whether none is configured.
    pub(crate) fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `token` is one of these.
    pub(crate) fn accepts(&self, token: &str) -> bool {
        let presented = digest(token.as_bytes());
        // Every configured token is compared, whichever matches.
        let mut accepted = false;
        for known in self.digests.iter() {
            accepted |= same(&presented, known);
        }
        accepted
    }

    /// Whether the request's bearer token is one of these; always, when there are none.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.digests.is_empty() {
            return Ok(());
        }
        let audience = self.audience.as_str();
        let Some(token) = bearer(headers) else {
            return Err(ApiError::Unauthorized(format!(
                "missing bearer token for {audience} routes"
            )));
        };
        if self.accepts(token) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized(format!(
                "token not accepted for {audience} routes"
            )))
        }
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Equality of two digests in time that does not depend on where they differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    use subtle::ConstantTimeEq as _;
    bool::from(a.ct_eq(b))
}

/// The token of an `Authorization: Bearer <token>` header; none when the header is missing,
/// not text, of another scheme, or empty.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Middleware of the worker API: every request needs a worker token.
pub(crate) async fn worker_routes(
    State(tokens): State<Tokens>,
    request: Request,
    next: Next,
) -> Response {
    if let Err(e) = tokens.check(request.headers()) {
        return e.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(authorization: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer(&headers(Some("Bearer abc"))), Some("abc"));
        assert_eq!(bearer(&headers(Some("bearer  abc "))), Some("abc"));
        assert_eq!(bearer(&headers(Some("Basic abc"))), None);
        assert_eq!(bearer(&headers(Some("Bearer "))), None);
        assert_eq!(bearer(&headers(Some("Bearer"))), None);
        assert_eq!(bearer(&headers(None)), None);
    }

    #[test]
    fn digests_compare_whole() {
        let a = digest(b"secret");
        let mut b = a;
        assert!(same(&a, &b));
        b[31] ^= 1;
        assert!(!same(&a, &b));
    }

    #[test]
    fn checks_accept_only_configured_tokens_of_the_audience() {
        let config = AuthConfig {
            api_tokens: vec!["api-1".into(), "api-2".into()],
            worker_tokens: vec!["work-1".into()],
            open_reads: false,
        };
        let api = Tokens::new(&config, Audience::Api);
        let worker = Tokens::new(&config, Audience::Worker);
        assert!(api.check(&headers(Some("Bearer api-2"))).is_ok());
        assert!(worker.check(&headers(Some("Bearer work-1"))).is_ok());
        for (tokens, value, message) in [
            (&api, None, "missing bearer token for api routes"),
            (
                &api,
                Some("Bearer work-1"),
                "token not accepted for api routes",
            ),
            (
                &worker,
                Some("Bearer api-1"),
                "token not accepted for worker routes",
            ),
            (&worker, Some("Basic work-1"), "missing bearer token"),
        ] {
            match tokens.check(&headers(value)) {
                Err(ApiError::Unauthorized(m)) => assert!(m.contains(message), "{m}"),
                other => panic!("{value:?}: {other:?}"),
            }
        }
        let open = Tokens::new(&AuthConfig::default(), Audience::Worker);
        assert!(open.check(&headers(None)).is_ok());
    }

    #[test]
    fn debug_never_shows_tokens() {
        let config = AuthConfig {
            api_tokens: vec!["hunter2".into()],
            worker_tokens: vec!["correct-horse".into(), "battery".into()],
            open_reads: true,
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("horse"),
            "{shown}"
        );
        assert!(shown.contains("[2 redacted]"), "{shown}");
    }
}
