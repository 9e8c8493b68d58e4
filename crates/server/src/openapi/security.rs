//! Which token each operation takes, as the server is configured: the two bearer schemes,
//! a worker token on every worker route when worker tokens are configured, and an API token
//! on every user route the [`policy`](crate::policy) does not leave open. A token is
//! *required* only where a request without one is refused; where a request without one is
//! let through (no administrator token configured, or a read with open reads), the
//! operation says the token is optional, since a token given is still checked.

use utoipa::openapi::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use weft_model::tenancy::Role;

use crate::auth::AuthConfig;
use crate::policy::{self, Needs};

use super::responses;

/// Name of the API token's security scheme in the OpenAPI document.
pub(crate) const API_SCHEME: &str = "api_token";
/// Name of the worker token's security scheme in the OpenAPI document.
pub(crate) const WORKER_SCHEME: &str = "worker_token";

/// How an operation takes its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// It takes none: a token sent is ignored.
    None,
    /// A request without one is let through; one given is checked.
    Optional,
    /// A request without one is refused (401).
    Required,
}

/// Describe the tokens of a server configured with `auth` in `document`, whose user routes
/// are under `api_prefix` and worker routes under `worker_prefix`; each user operation's
/// description also says what role it needs.
pub(crate) fn declare(
    document: &mut OpenApi,
    auth: &AuthConfig,
    api_prefix: &str,
    worker_prefix: &str,
) {
    let components = document.components.get_or_insert_with(Default::default);
    for name in [API_SCHEME, WORKER_SCHEME] {
        components.add_security_scheme(
            name,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
    for (path, item) in document.paths.paths.iter_mut() {
        let worker = path.starts_with(worker_prefix);
        let route = path.strip_prefix(api_prefix).unwrap_or(path);
        for (method, operation) in super::operations(item) {
            if worker {
                let token = if auth.worker_tokens.is_empty() {
                    Token::None
                } else {
                    Token::Required
                };
                set(operation, WORKER_SCHEME, token);
                if token != Token::None {
                    responses::add(operation, 401, "No worker token, or one not accepted");
                }
                continue;
            }
            let Some(needs) = policy::needs(method, route).filter(|n| *n != Needs::Nothing) else {
                continue;
            };
            let token = user_token(auth, needs);
            set(operation, API_SCHEME, token);
            responses::add(
                operation,
                401,
                match token {
                    Token::Required => "No token, or one that is unknown, revoked or expired",
                    _ => "A token that is unknown, revoked or expired",
                },
            );
            responses::add(
                operation,
                403,
                "The token's role is below what the route needs",
            );
            if needs != Needs::InstallationAdmin {
                responses::add(
                    operation,
                    429,
                    "The tenant's API rate is spent (`rate_limited`); `Retry-After` says when \
                     to come back",
                );
            }
            let said = format!("Needs {needs}.");
            operation.description = Some(match operation.description.take() {
                Some(text) if !text.is_empty() => format!("{text}\n\n{said}"),
                _ => said,
            });
        }
    }
}

/// How a user route that needs `needs` takes its token on a server configured with `auth`
/// (see [`context`](crate::context) for the rules this states).
fn user_token(auth: &AuthConfig, needs: Needs) -> Token {
    if auth.api_tokens.is_empty() || (auth.open_reads && needs == Needs::Role(Role::Viewer)) {
        Token::Optional
    } else {
        Token::Required
    }
}

fn set(operation: &mut Operation, scheme: &str, token: Token) {
    let bearer = || SecurityRequirement::new::<_, [&str; 0], &str>(scheme, []);
    operation.security = match token {
        Token::None => None,
        Token::Optional => Some(vec![bearer(), SecurityRequirement::default()]),
        Token::Required => Some(vec![bearer()]),
    };
}
