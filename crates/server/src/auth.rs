//! Bearer tokens. With API tokens configured, every write of the user API (POST, PUT, PATCH,
//! DELETE) needs `Authorization: Bearer <api token>` and reads stay open; with worker tokens
//! configured, every route of the worker API needs a worker token (an API token is not one).
//! With no tokens configured — the standalone default on 127.0.0.1 — nothing is checked.
//!
//! Tokens are compared by their SHA-256 digests in constant time, against every configured
//! token without stopping at a match, and are never logged: [`AuthConfig`]'s `Debug` shows
//! only how many there are.

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use sha2::{Digest as _, Sha256};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};

use crate::error::ApiError;

/// Which bearer tokens the server accepts. An empty list turns that check off.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// Tokens that may write through the user API. Empty: writes are open.
    pub api_tokens: Vec<String>,
    /// Tokens that may call the worker API. Empty: the worker API is open.
    pub worker_tokens: Vec<String>,
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
            .finish()
    }
}

/// The routes a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The user API (its writes).
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

/// The digests of the tokens one audience accepts.
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
        let presented = digest(token.as_bytes());
        // Every configured token is compared, whichever matches.
        let mut accepted = false;
        for known in self.digests.iter() {
            accepted |= same(&presented, known);
        }
        if accepted {
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
    let mut difference = 0u8;
    for (x, y) in a.iter().zip(b) {
        difference |= x ^ y;
    }
    difference == 0
}

/// The token of an `Authorization: Bearer <token>` header; none when the header is missing,
/// not text, of another scheme, or empty.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Middleware of the user API: writes need an API token.
pub(crate) async fn api_writes(
    State(tokens): State<Tokens>,
    request: Request,
    next: Next,
) -> Response {
    let write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if write && let Err(e) = tokens.check(request.headers()) {
        return e.into_response();
    }
    next.run(request).await
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

/// Name of the API token's security scheme in the OpenAPI document.
const API_SCHEME: &str = "api_token";
/// Name of the worker token's security scheme in the OpenAPI document.
const WORKER_SCHEME: &str = "worker_token";

/// Describe the tokens in `document`: the two bearer schemes, a worker token on every route
/// under `worker_prefix`, an API token on every other write.
pub(crate) fn document(document: &mut OpenApi, worker_prefix: &str) {
    let components = document.components.get_or_insert_with(Default::default);
    for name in [API_SCHEME, WORKER_SCHEME] {
        components.add_security_scheme(
            name,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
    let require = |operation: &mut Option<Operation>, scheme: &str| {
        if let Some(operation) = operation {
            operation.security = Some(vec![SecurityRequirement::new::<_, [&str; 0], &str>(
                scheme,
                [],
            )]);
        }
    };
    for (path, item) in document.paths.paths.iter_mut() {
        if path.starts_with(worker_prefix) {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ] {
                require(operation, WORKER_SCHEME);
            }
        } else {
            for operation in [
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ] {
                require(operation, API_SCHEME);
            }
        }
    }
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
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("horse"),
            "{shown}"
        );
        assert!(shown.contains("[2 redacted]"), "{shown}");
    }
}
