//! A tenant's API tokens (its `admin`s make, list and revoke them), and `whoami`: who the
//! presented token is. A token is shown once, in the answer that makes it; the store keeps
//! only its digest (see [`token_secrets`](crate::token_secrets)).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_model::tenancy::Role;
use weft_store::ApiToken;

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::token_secrets;
pub use weft_protocol::api::tokens::{
    CreatedToken, MAX_TOKEN_NAME_CHARS, NewToken, TokenList, TokenView, WhoAmI,
};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(whoami))
        .routes(routes!(list_tokens, post_token))
        .routes(routes!(revoke_token))
}

pub(crate) fn token_view(token: ApiToken, now: Timestamp) -> TokenView {
    let state = if token.revoked_at.is_some() {
        "revoked"
    } else if token.is_live(now) {
        "live"
    } else {
        "expired"
    };
    TokenView {
        state: state.to_owned(),
        token_id: token.token_id,
        tenant: token.tenant,
        name: token.name,
        role: token.role,
        created_at: token.created_at,
        expires_at: token.expires_at,
        revoked_at: token.revoked_at,
    }
}

/// Show who the request's token is.
#[utoipa::path(get, path = "/whoami", tag = "tokens",
    responses(
        (status = 200, description = "The caller's tenant and role", body = WhoAmI),
        (status = 401, description = "No token, or one the server does not accept", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn whoami(ctx: RequestContext) -> Json<WhoAmI> {
    Json(WhoAmI {
        tenant: ctx.tenant,
        role: ctx.role,
        installation_admin: ctx.installation_admin,
        token_id: ctx.token_id,
    })
}

/// List the tenant's tokens.
#[utoipa::path(get, path = "/tokens", tag = "tokens",
    responses(
        (status = 200, description = "The tenant's tokens, without the tokens themselves", body = TokenList),
        (status = 403, description = "The caller is not an admin of the tenant", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_tokens(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<TokenList>, ApiError> {
    let now = state.now();
    let tokens = state.store.tokens(&ctx.tenant).await?;
    Ok(Json(TokenList {
        tokens: tokens.into_iter().map(|t| token_view(t, now)).collect(),
    }))
}

/// Make a token of the tenant.
#[utoipa::path(post, path = "/tokens", tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, description = "Made; the answer holds the token, shown this once", body = CreatedToken),
        (status = 400, description = "Bad JSON, name, role or expiry", body = ErrorBody),
        (status = 403, description = "The caller is not an admin of the tenant", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn post_token(
    State(state): State<AppState>,
    ctx: RequestContext,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    make_token(&state, &ctx.tenant, body).await
}

/// Make a token of `tenant` from `body`; the answer of both routes that make one.
pub(crate) async fn make_token(
    state: &AppState,
    tenant: &str,
    body: NewToken,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() || body.name.chars().count() > MAX_TOKEN_NAME_CHARS {
        return Err(ApiError::invalid(format!(
            "token name must be 1 to {MAX_TOKEN_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "token name must not contain control characters",
        ));
    }
    let role: Role = body
        .role
        .parse()
        .map_err(|e: weft_model::ParseNameError| ApiError::invalid(e.to_string()))?;
    let now = state.now();
    let expires_at = body
        .expires_in
        .as_deref()
        .map(|text| expiry(now, text))
        .transpose()?;
    let minted = token_secrets::mint().map_err(|e| ApiError::Internal(e.to_string()))?;
    let token = ApiToken {
        token_id: minted.id,
        tenant: tenant.to_owned(),
        name: name.to_owned(),
        role,
        secret_digest: minted.digest,
        created_at: now,
        expires_at,
        revoked_at: None,
    };
    state.store.create_token(token.clone()).await?;
    tracing::info!(token_id = %token.token_id, role = %token.role, "token made");
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: minted.token,
            view: token_view(token, now),
        }),
    ))
}

/// When a token made at `now` that lasts `text` expires.
fn expiry(now: Timestamp, text: &str) -> Result<Timestamp, ApiError> {
    // A text that is no duration is malformed (400); a duration no token can last is not (422).
    let unusable = |why: String| ApiError::unprocessable(format!("expires_in {text:?}: {why}"));
    let duration = weft_model::parse_duration(text).map_err(|e| {
        if e.is_too_large() {
            unusable(e.to_string())
        } else {
            ApiError::invalid(format!("expires_in {text:?}: {e}"))
        }
    })?;
    if duration.is_zero() {
        return Err(unusable("a token must last longer than no time".to_owned()));
    }
    let duration = SignedDuration::try_from(duration).map_err(|e| unusable(e.to_string()))?;
    now.checked_add(duration)
        .map_err(|_| unusable("that is past the last time Weft can store".to_owned()))
}

/// Revoke a token of the tenant.
#[utoipa::path(delete, path = "/tokens/{token_id}", tag = "tokens",
    params(("token_id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked: it is refused from now on"),
        (status = 403, description = "The caller is not an admin of the tenant", body = ErrorBody),
        (status = 404, description = "The tenant has no such live or expired token", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %token_id))]
async fn revoke_token(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(token_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .store
        .revoke_token(&ctx.tenant, &token_id, state.now())
        .await?
    {
        tracing::info!("token revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "no token {token_id} to revoke (unknown, or revoked already)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_are_checked() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().expect("time");
        assert_eq!(
            expiry(now, "90d").expect("90 days").to_string(),
            "2026-04-01T00:00:00Z"
        );
        // Malformed texts are 400s; durations no token can last are 422s.
        for (bad, status) in [
            ("soon", 400),
            ("-1d", 400),
            ("0", 422),
            ("0s", 422),
            ("100000000000d", 422),
        ] {
            match expiry(now, bad) {
                Err(e) => {
                    assert_eq!(e.status().as_u16(), status, "{bad}: {e}");
                    assert!(e.to_string().contains("expires_in"), "{bad}: {e}");
                }
                Ok(at) => panic!("{bad}: {at}"),
            }
        }
    }
}
