//! Changing part of a stored connection (`PATCH`), as a JSON merge patch (RFC 7396): a field
//! left out keeps its stored value, the sealed password and extra included; `null` removes
//! it; a value replaces it; and `extra` is merged key by key. An edit that does not mention
//! the password therefore keeps it, without anyone having to know it — but only while the
//! type stays: a patch that changes `conn_type` drops the stored password unless it gives a
//! new one. The host holds an SQL connection's password and never hands it to a task, while
//! a task reads the password of other types (`connections.get`): carried over, an SQL
//! password would become readable by whoever may edit the connection and run a task.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use weft_protocol::{Connection, ConnectionInfo};

use super::check_name;
use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;

/// One field of a patch: left out (`None`), `null` (`Some(None)`), or a new value.
type Change<T> = Option<Option<T>>;

fn change<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Change<T>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn port_change<'de, D: Deserializer<'de>>(d: D) -> Result<Change<u16>, D::Error> {
    weft_model::integral::optional(d).map(Some)
}

/// Changes to a stored connection: each field given replaces the stored one (`null` removes
/// it); each field left out is kept.
#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"host": "db2.internal", "port": 6432, "extra": {"sslmode": "verify-full"}}))]
pub struct PatchConnection {
    /// What it connects to; it cannot be removed. A new type drops the stored password
    /// unless this patch gives one.
    #[serde(default, deserialize_with = "change")]
    #[schema(value_type = Option<String>)]
    pub conn_type: Change<String>,
    /// Host name or address.
    #[serde(default, deserialize_with = "change")]
    #[schema(value_type = Option<String>, pattern = "^[^\\x00]*$")]
    pub host: Change<String>,
    /// Port.
    #[serde(default, deserialize_with = "port_change")]
    #[schema(value_type = Option<u16>, minimum = 0, maximum = 65535)]
    pub port: Change<u16>,
    /// Database, bucket or path.
    #[serde(default, deserialize_with = "change")]
    #[schema(value_type = Option<String>, pattern = "^[^\\x00]*$")]
    pub schema: Change<String>,
    /// User name or access key.
    #[serde(default, deserialize_with = "change")]
    #[schema(value_type = Option<String>, pattern = "^[^\\x00]*$")]
    pub login: Change<String>,
    /// Password or secret key; stored sealed, never shown again.
    #[serde(default, deserialize_with = "change")]
    #[schema(value_type = Option<String>, write_only)]
    pub password: Change<String>,
    /// Keys to add or replace in the stored extra (a key set to `null` is removed; objects
    /// are merged the same way); `null` removes every key.
    #[serde(default, deserialize_with = "change")]
    #[schema(value_type = Option<Object>, write_only)]
    pub extra: Change<Value>,
    /// Free text; `null` empties it.
    #[serde(default, deserialize_with = "change")]
    #[schema(value_type = Option<String>, pattern = "^[^\\x00]*$")]
    pub description: Change<String>,
}

impl std::fmt::Debug for PatchConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatchConnection")
            .field("conn_type", &self.conn_type)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl PatchConnection {
    /// `connection` with these changes.
    fn apply(self, mut connection: Connection) -> Result<Connection, ApiError> {
        if let Some(conn_type) = self.conn_type {
            let conn_type = conn_type
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::unprocessable("conn_type cannot be removed"))?;
            // A password entrusted for one type of connection never serves another.
            if conn_type != connection.conn_type && self.password.is_none() {
                connection.password = None;
            }
            connection.conn_type = conn_type;
        }
        for (field, change) in [
            (&mut connection.host, self.host),
            (&mut connection.schema, self.schema),
            (&mut connection.login, self.login),
            (&mut connection.password, self.password),
        ] {
            if let Some(value) = change {
                *field = value;
            }
        }
        if let Some(port) = self.port {
            connection.port = port;
        }
        match self.extra {
            None => {}
            Some(None) => connection.extra = Value::Object(Map::new()),
            Some(Some(patch @ Value::Object(_))) => merge(&mut connection.extra, patch),
            Some(Some(_)) => return Err(ApiError::invalid("extra must be a JSON object or null")),
        }
        Ok(connection)
    }
}

/// Apply merge patch `patch` to `target` (RFC 7396).
fn merge(target: &mut Value, patch: Value) {
    let Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(&key);
            } else {
                merge(map.entry(key).or_insert(Value::Null), value);
            }
        }
    }
}

/// Change part of a connection; what the body leaves out is kept.
#[utoipa::path(patch, path = "/connections/{conn_id}", tag = "connections",
    params(("conn_id" = String, Path, description = "The connection's id")),
    request_body = PatchConnection,
    responses(
        (status = 200, description = "Changed", body = ConnectionInfo),
        (status = 400, description = "Bad JSON, a bad id, or NUL in a text field", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
        (status = 503, description = "The server has no secret key (code no_secret_key)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %conn_id))]
pub(super) async fn patch_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(conn_id): Path<String>,
    JsonBody(body): JsonBody<PatchConnection>,
) -> Result<Json<ConnectionInfo>, ApiError> {
    check_name("connection id", &conn_id)?;
    let missing = || ApiError::NotFound(format!("no connection {conn_id:?}"));
    let stored = state
        .credentials
        .connection(&ctx.tenant, &conn_id)
        .await?
        .ok_or_else(missing)?;
    let description = body
        .description
        .clone()
        .map(Option::unwrap_or_default)
        .or(Some(stored.description));
    let connection = body.apply(stored.connection)?;
    super::check_texts(&connection, description.as_deref())?;
    state
        .credentials
        .put_connection(&ctx.tenant, connection, description, state.now())
        .await?;
    let view = state
        .credentials
        .connection_info(&ctx.tenant, &conn_id)
        .await?
        .ok_or_else(missing)?;
    tracing::info!("connection changed");
    Ok(Json(view))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stored() -> Connection {
        Connection {
            conn_id: "warehouse".into(),
            conn_type: "postgres".into(),
            host: Some("db.internal".into()),
            port: Some(5432),
            schema: Some("analytics".into()),
            login: Some("etl".into()),
            password: Some("p@ss".into()),
            extra: json!({"sslmode": "require", "options": {"a": 1, "b": 2}}),
        }
    }

    fn patched(patch: Value) -> Result<Connection, ApiError> {
        let patch: PatchConnection = serde_json::from_value(patch).expect("a patch");
        patch.apply(stored())
    }

    #[test]
    fn what_the_patch_leaves_out_is_kept() {
        let c = patched(json!({"host": "db2.internal"})).expect("applies");
        assert_eq!(c.host.as_deref(), Some("db2.internal"));
        assert_eq!(
            Connection {
                host: Some("db.internal".into()),
                ..c
            },
            stored()
        );
        assert_eq!(patched(json!({})).expect("applies"), stored());
    }

    #[test]
    fn null_removes_and_extra_merges_key_by_key() {
        let c = patched(json!({
            "port": null,
            "password": null,
            "login": "loader",
            "extra": {"sslmode": null, "options": {"b": null, "c": 3}, "timeout": 5},
        }))
        .expect("applies");
        assert_eq!((c.port, c.password.as_deref()), (None, None));
        assert_eq!(c.login.as_deref(), Some("loader"));
        assert_eq!(c.extra, json!({"options": {"a": 1, "c": 3}, "timeout": 5}));
        let c = patched(json!({"extra": null})).expect("applies");
        assert_eq!(c.extra, json!({}));
    }

    #[test]
    fn a_change_of_type_drops_the_stored_password_unless_it_gives_one() {
        let c = patched(json!({"conn_type": "http"})).expect("applies");
        assert_eq!((c.conn_type.as_str(), c.password), ("http", None));
        assert_eq!(c.extra, stored().extra);
        let c = patched(json!({"conn_type": "http", "password": "new"})).expect("applies");
        assert_eq!(c.password.as_deref(), Some("new"));
        let c = patched(json!({"conn_type": "postgres"})).expect("applies");
        assert_eq!(
            c.password.as_deref(),
            Some("p@ss"),
            "the type did not change"
        );
    }

    #[test]
    fn bad_patches_are_refused() {
        for bad in [json!({"conn_type": null}), json!({"conn_type": ""})] {
            let err = patched(bad.clone()).expect_err("refused");
            assert!(
                err.to_string().contains("conn_type cannot be removed"),
                "{bad}: {err}"
            );
        }
        let err = patched(json!({"extra": [1]})).expect_err("refused");
        assert!(
            err.to_string().contains("extra must be a JSON object"),
            "{err}"
        );
        for bad in [
            json!({"port": 70000}),
            json!({"port": "5432"}),
            json!({"uri": "x://"}),
        ] {
            assert!(
                serde_json::from_value::<PatchConnection>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
