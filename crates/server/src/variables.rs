//! Variables: named settings shared by the DAGs of a tenant, read by tasks through the
//! `variables` import.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_store::Variable;

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
pub use weft_protocol::api::variables::{PutVariable, VariableList, VariableView};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_variables))
        .routes(routes!(get_variable, put_variable, delete_variable))
}

pub(crate) fn variable_view(v: Variable) -> VariableView {
    VariableView {
        key: v.key,
        value: v.value,
        description: v.description,
        updated_at: v.updated_at,
    }
}

fn check_key(key: &str) -> Result<(), ApiError> {
    crate::names::check_name("variable key", key)
}

/// List the variables.
#[utoipa::path(get, path = "/variables", tag = "variables",
    responses((status = 200, description = "The tenant's variables, by key", body = VariableList)))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_variables(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<VariableList>, ApiError> {
    let variables = state.store.variables(&ctx.tenant).await?;
    Ok(Json(VariableList {
        variables: variables.into_iter().map(variable_view).collect(),
    }))
}

/// Show a variable.
#[utoipa::path(get, path = "/variables/{key}", tag = "variables",
    params(("key" = String, Path, description = "The variable's key")),
    responses(
        (status = 200, description = "The variable", body = VariableView),
        (status = 404, description = "No such variable", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %key))]
async fn get_variable(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
) -> Result<Json<VariableView>, ApiError> {
    state
        .store
        .variable(&ctx.tenant, &key)
        .await?
        .map(|v| Json(variable_view(v)))
        .ok_or_else(|| ApiError::NotFound(format!("no variable {key:?}")))
}

/// Create or replace a variable.
#[utoipa::path(put, path = "/variables/{key}", tag = "variables",
    params(("key" = String, Path, description = "The variable's key")),
    request_body = PutVariable,
    responses(
        (status = 200, description = "Replaced", body = VariableView),
        (status = 201, description = "Created", body = VariableView),
        (status = 400, description = "Bad JSON, a bad key, or NUL in the value or description", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %key))]
async fn put_variable(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<PutVariable>,
) -> Result<(StatusCode, Json<VariableView>), ApiError> {
    check_key(&key)?;
    crate::names::check_text("the variable's value", &body.value)?;
    if let Some(description) = &body.description {
        crate::names::check_text("the variable's description", description)?;
    }
    let existing = state.store.variable(&ctx.tenant, &key).await?;
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let description = body
        .description
        .or(existing.map(|v| v.description))
        .unwrap_or_default();
    let variable = Variable {
        key,
        value: body.value,
        description,
        updated_at: state.now(),
    };
    state
        .store
        .set_variable(&ctx.tenant, variable.clone())
        .await?;
    Ok((status, Json(variable_view(variable))))
}

/// Delete a variable.
#[utoipa::path(delete, path = "/variables/{key}", tag = "variables",
    params(("key" = String, Path, description = "The variable's key")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such variable", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %key))]
async fn delete_variable(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_variable(&ctx.tenant, &key).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no variable {key:?}")))
    }
}
