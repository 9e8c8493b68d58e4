//! Connections: how tasks reach outside systems (Airflow's connections). Stored sealed;
//! reads never return a password or the values of `extra` (which may hold tokens), only
//! `has_password` and `extra_keys`. Tasks read the plaintext through the worker API, and only
//! the connections their task declares.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_protocol::{Connection, ConnectionInfo};

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
pub use weft_protocol::api::connections::ConnectionList;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections))
        .routes(routes!(
            get_connection,
            put_connection,
            patch::patch_connection,
            delete_connection
        ))
}

mod patch;

pub use patch::PatchConnection;

pub use crate::names::MAX_NAME_CHARS;
pub(crate) use crate::names::check_name;

/// A connection to store, replacing any of the same id as a whole: either its fields, or
/// `uri` in Airflow's form (`postgres://user:p%40ss@host:5432/db?sslmode=require`).
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "conn_type": "postgres", "host": "db.internal", "port": 5432, "schema": "analytics",
    "login": "etl", "password": "<password>", "extra": {"sslmode": "require"}
}))]
pub struct PutConnection {
    /// Airflow's URI form of the whole connection; then leave the other fields out.
    pub uri: Option<String>,
    /// What it connects to (needed without `uri`).
    pub conn_type: Option<String>,
    /// Host name or address.
    #[schema(pattern = "^[^\\x00]*$")]
    pub host: Option<String>,
    /// Port.
    #[serde(default, deserialize_with = "weft_model::integral::optional")]
    #[schema(minimum = 0, maximum = 65535)]
    pub port: Option<u16>,
    /// Database, bucket or path.
    #[schema(pattern = "^[^\\x00]*$")]
    pub schema: Option<String>,
    /// User name or access key.
    #[schema(pattern = "^[^\\x00]*$")]
    pub login: Option<String>,
    /// Password or secret key; stored sealed, never shown again.
    #[schema(write_only)]
    pub password: Option<String>,
    /// Further settings, a JSON object; stored sealed, only its keys shown again.
    #[schema(value_type = Option<Object>, write_only)]
    pub extra: Option<serde_json::Value>,
    /// Free text; when left out, an existing connection keeps its description.
    #[schema(pattern = "^[^\\x00]*$")]
    pub description: Option<String>,
}

impl std::fmt::Debug for PutConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PutConnection")
            .field("conn_type", &self.conn_type)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl PutConnection {
    /// The connection `conn_id` this body describes.
    fn into_connection(self, conn_id: &str) -> Result<Connection, ApiError> {
        if let Some(uri) = self.uri {
            let fields = [
                self.conn_type.is_some(),
                self.host.is_some(),
                self.port.is_some(),
                self.schema.is_some(),
                self.login.is_some(),
                self.password.is_some(),
                self.extra.is_some(),
            ];
            if fields.iter().any(|set| *set) {
                return Err(ApiError::unprocessable(
                    "give either uri or the connection's fields, not both",
                ));
            }
            return weft_protocol::connection_from_uri(conn_id, &uri)
                .map_err(|e| ApiError::unprocessable(e.to_string()));
        }
        let conn_type = self
            .conn_type
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unprocessable("conn_type is missing (or give uri)"))?;
        let extra = match self.extra {
            None | Some(serde_json::Value::Null) => serde_json::json!({}),
            Some(extra @ serde_json::Value::Object(_)) => extra,
            Some(_) => return Err(ApiError::invalid("extra must be a JSON object")),
        };
        Ok(Connection {
            conn_id: conn_id.to_owned(),
            conn_type,
            host: self.host,
            port: self.port,
            schema: self.schema,
            login: self.login,
            password: self.password,
            extra,
        })
    }
}

/// List the connections (without passwords or extra values).
#[utoipa::path(get, path = "/connections", tag = "connections",
    responses((status = 200, description = "The tenant's connections, by id", body = ConnectionList)))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_connections(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<ConnectionList>, ApiError> {
    let connections = state.credentials.connection_infos(&ctx.tenant).await?;
    Ok(Json(ConnectionList { connections }))
}

/// Show a connection (without its password or extra values).
#[utoipa::path(get, path = "/connections/{conn_id}", tag = "connections",
    params(("conn_id" = String, Path, description = "The connection's id")),
    responses(
        (status = 200, description = "The connection", body = ConnectionInfo),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %conn_id))]
async fn get_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(conn_id): Path<String>,
) -> Result<Json<ConnectionInfo>, ApiError> {
    state
        .credentials
        .connection_info(&ctx.tenant, &conn_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no connection {conn_id:?}")))
}

/// Create or replace a connection (`PATCH` changes part of one).
#[utoipa::path(put, path = "/connections/{conn_id}", tag = "connections",
    params(("conn_id" = String, Path, description = "The connection's id")),
    request_body = PutConnection,
    responses(
        (status = 200, description = "Replaced", body = ConnectionInfo),
        (status = 201, description = "Created", body = ConnectionInfo),
        (status = 400, description = "Bad JSON, a bad id, a bad URI, or NUL in a text field", body = ErrorBody),
        (status = 401, description = "No API token, or not one the server accepts", body = ErrorBody),
        (status = 503, description = "The server has no secret key (code no_secret_key)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %conn_id))]
async fn put_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(conn_id): Path<String>,
    JsonBody(body): JsonBody<PutConnection>,
) -> Result<(StatusCode, Json<ConnectionInfo>), ApiError> {
    check_name("connection id", &conn_id)?;
    let description = body.description.clone();
    let connection = body.into_connection(&conn_id)?;
    check_texts(&connection, description.as_deref())?;
    let created = state
        .credentials
        .put_connection(&ctx.tenant, connection, description, state.now())
        .await?;
    let view = state
        .credentials
        .connection_info(&ctx.tenant, &conn_id)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!("connection {conn_id:?} was deleted meanwhile"))
        })?;
    tracing::info!(created, "connection stored");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// The free text of `connection` and its `description` as they will be stored: none may hold
/// NUL. Checked after a URI is decoded (`%00` decodes to NUL) or a patch applied.
fn check_texts(connection: &Connection, description: Option<&str>) -> Result<(), ApiError> {
    for (what, text) in [
        ("the connection's host", connection.host.as_deref()),
        ("the connection's schema", connection.schema.as_deref()),
        ("the connection's login", connection.login.as_deref()),
        ("the connection's description", description),
    ] {
        if let Some(text) = text {
            crate::names::check_text(what, text)?;
        }
    }
    Ok(())
}

/// Delete a connection.
#[utoipa::path(delete, path = "/connections/{conn_id}", tag = "connections",
    params(("conn_id" = String, Path, description = "The connection's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No API token, or not one the server accepts", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %conn_id))]
async fn delete_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(conn_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .credentials
        .delete_connection(&ctx.tenant, &conn_id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no connection {conn_id:?}")))
    }
}
