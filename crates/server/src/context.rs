//! Who a request acts for. The [`authenticate`] middleware resolves the request's bearer
//! token into a [`RequestContext`] — one tenant and one role — checks it against what the
//! route needs ([`policy`](crate::policy)), and puts it in the request for the handler; the
//! answer carries the tenant in its `weft-tenant` header.
//!
//! A token is either an installation administrator's, configured at start (it acts as
//! `admin` of tenant `default`, and may manage tenants), or a tenant's, made through the API
//! (`wft_<id>_<secret>`, see [`token_secrets`](crate::token_secrets)): found by its id,
//! accepted when its secret's digest matches and it is neither revoked nor expired. Another
//! tenant's objects are simply not found (404): a handler only ever looks in its context's
//! tenant. A role too small for the route is a 403 that names the role needed, and a request
//! past its tenant's rate a 429 ([`rate_limits`](crate::rate_limits)) that says when to come
//! back.

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use weft_model::tenancy::{DEFAULT_TENANT, Role};

use crate::API_PREFIX;
use crate::auth::{self, Tokens};
use crate::error::ApiError;
use crate::policy::{self, Needs};
use crate::state::AppState;
use crate::token_secrets;

/// The response header that names the tenant a request acted in.
pub const TENANT_HEADER: &str = "weft-tenant";

/// Who a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The tenant whose DAGs, runs, variables and pools the request sees.
    pub tenant: String,
    /// What it may do there.
    pub role: Role,
    /// Whether it is the installation administrator (who manages tenants).
    pub installation_admin: bool,
    /// The id of the tenant token it presented, if it presented one.
    pub token_id: Option<String>,
}

impl RequestContext {
    /// The installation administrator, acting in tenant `default`.
    fn installation_admin() -> RequestContext {
        RequestContext {
            tenant: DEFAULT_TENANT.to_owned(),
            role: Role::Admin,
            installation_admin: true,
            token_id: None,
        }
    }

    /// Whether this caller may call a route that needs `needs`; a 403 naming what is missing
    /// when not.
    fn allow(&self, needs: Needs, method: &str, route: &str) -> Result<(), ApiError> {
        let allowed = match needs {
            Needs::Nothing => true,
            Needs::Role(role) => self.role.allows(role),
            Needs::InstallationAdmin => self.installation_admin,
        };
        if allowed {
            return Ok(());
        }
        Err(ApiError::Forbidden {
            code: "forbidden",
            message: format!(
                "{method} {API_PREFIX}{route} needs {needs}; this token is a `{}` of tenant {}",
                self.role, self.tenant
            ),
        })
    }
}

/// What [`authenticate`] needs: the configured administrator tokens, whether reads are open,
/// and the server's state (the store that holds tenant tokens, the clock).
#[derive(Clone)]
pub(crate) struct Gate {
    admins: Tokens,
    open_reads: bool,
    state: AppState,
}

impl Gate {
    /// The gate of the server with `state`.
    pub(crate) fn new(state: &AppState) -> Gate {
        Gate {
            admins: Tokens::new(&state.config.auth, auth::Audience::Api),
            open_reads: state.config.auth.open_reads,
            state: state.clone(),
        }
    }

    /// Who presents `token`: the administrator, a tenant's live token, or a 401.
    async fn resolve(&self, token: &str) -> Result<RequestContext, ApiError> {
        if !self.admins.is_empty() && self.admins.accepts(token) {
            return Ok(RequestContext::installation_admin());
        }
        let refused = || ApiError::Unauthorized("token not accepted".to_owned());
        let (id, secret) = token_secrets::split(token).ok_or_else(refused)?;
        let stored = self.state.store.token(id).await?.ok_or_else(refused)?;
        if !token_secrets::matches(secret, &stored.secret_digest) {
            return Err(refused());
        }
        // The presenter holds the token itself: saying why it no longer works tells them
        // nothing they could not know.
        if let Some(at) = stored.revoked_at {
            return Err(ApiError::Unauthorized(format!(
                "token {id} was revoked at {at}"
            )));
        }
        let now = self.state.now();
        if let Some(at) = stored.expires_at.filter(|at| *at <= now) {
            return Err(ApiError::Unauthorized(format!(
                "token {id} expired at {at}"
            )));
        }
        Ok(RequestContext {
            tenant: stored.tenant,
            role: stored.role,
            installation_admin: false,
            token_id: Some(stored.token_id),
        })
    }

    /// Who a request without a token is: the administrator when no administrator token is
    /// configured, a viewer of `default` for a read when reads are open; else a 401.
    fn anonymous(&self, needs: Needs) -> Result<RequestContext, ApiError> {
        if self.admins.is_empty() {
            return Ok(RequestContext::installation_admin());
        }
        if self.open_reads && matches!(needs, Needs::Role(Role::Viewer)) {
            return Ok(RequestContext {
                tenant: DEFAULT_TENANT.to_owned(),
                role: Role::Viewer,
                installation_admin: false,
                token_id: None,
            });
        }
        Err(ApiError::Unauthorized(
            "missing bearer token: this server needs `Authorization: Bearer <token>`".to_owned(),
        ))
    }
}

/// Middleware of the user API (a route layer, so the route matched is known): resolve the
/// caller, check it against the route's [`policy`], and hand the handler its context.
pub(crate) async fn authenticate(
    State(gate): State<Gate>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map(|path| {
        path.as_str()
            .strip_prefix(API_PREFIX)
            .unwrap_or(path.as_str())
            .to_owned()
    });
    let Some(route) = route else {
        return ApiError::Internal("a route layer ran without a matched path".into())
            .into_response();
    };
    let Some(needs) = policy::needs(&method, &route) else {
        return ApiError::Internal(format!("route {method} {route} has no access policy"))
            .into_response();
    };
    if needs == Needs::Nothing {
        return next.run(request).await;
    }
    let context = match auth::bearer(request.headers()) {
        Some(token) => gate.resolve(token).await,
        None => gate.anonymous(needs),
    };
    let context = match context.and_then(|c| c.allow(needs, &method, &route).map(|()| c)) {
        Ok(context) => context,
        Err(e) => return e.into_response(),
    };
    if !context.installation_admin
        && let Err(e) = gate
            .state
            .rate_limits
            .admit(&*gate.state.store, &context.tenant)
            .await
    {
        return e.into_response();
    }
    let tenant = HeaderValue::from_str(&context.tenant).ok();
    request.extensions_mut().insert(context);
    let mut response = next.run(request).await;
    if let Some(tenant) = tenant {
        response.headers_mut().insert(TENANT_HEADER, tenant);
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| ApiError::Internal("request reached a handler without a context".into()))
    }
}
