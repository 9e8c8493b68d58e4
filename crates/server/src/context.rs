//! Who a request acts for. Every handler takes a [`RequestContext`]; a middleware puts it in
//! the request. Today every request acts for [`DEFAULT_TENANT`]; multi-tenancy replaces
//! [`assign_default_tenant`] with a middleware that derives the tenant from credentials.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use weft_store::DEFAULT_TENANT;

use crate::error::ApiError;

/// Who a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The tenant whose DAGs, runs, variables and pools the request sees.
    pub tenant: String,
}

/// Middleware: every request acts for the default tenant.
pub async fn assign_default_tenant(mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(RequestContext {
        tenant: DEFAULT_TENANT.to_owned(),
    });
    next.run(request).await
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
