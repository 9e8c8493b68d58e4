//! Two tenants with a token of every role and tenant A's objects, shared by the tests of
//! tenants, tokens, roles and tenant limits.

use std::collections::HashMap;

use axum::http::Method;
use serde_json::{Value, json};
use weft_model::tenancy::Role;
use weft_server::{AuthConfig, ServerConfig};
use weft_test_guests_artifacts as guests;
use weft_vault::{Keyring, SecretKey};

use super::{Harness, Reply, guest};

pub const ADMIN: &str = "installation-admin-token";

/// One tenant's tokens, by role.
pub struct Tokens(HashMap<Role, String>);

impl Tokens {
    pub fn of(&self, role: Role) -> &str {
        &self.0[&role]
    }
}

/// A server with the administrator token, two tenants with a token of every role, and
/// tenant A's objects: DAG `normal` with run `alpha-run` whose `echo_context` ran, variable,
/// connection, secret and pool `alpha-*`, and a token `alpha-victim` to revoke.
pub struct World {
    pub h: Harness,
    pub a: Tokens,
    pub b: Tokens,
    pub victim_token: String,
}

fn config(open_reads: bool) -> ServerConfig {
    ServerConfig {
        auth: AuthConfig {
            api_tokens: vec![ADMIN.to_owned()],
            open_reads,
            ..AuthConfig::default()
        },
        ..ServerConfig::default()
    }
}

pub async fn call(
    h: &Harness,
    token: Option<&str>,
    method: Method,
    uri: &str,
    body: Body,
) -> Reply {
    let authorization = token.map(|t| format!("Bearer {t}"));
    let (kind, bytes) = match body {
        Body::None => (None, Vec::new()),
        Body::Json(value) => (Some("application/json"), value.to_string().into_bytes()),
        Body::Wasm(bytes) => (Some("application/wasm"), bytes),
    };
    h.send_as(authorization.as_deref(), method, uri, kind, bytes)
        .await
}

#[derive(Clone)]
pub enum Body {
    None,
    Json(Value),
    Wasm(Vec<u8>),
}

#[track_caller]
pub fn created(reply: &Reply) -> Value {
    assert!(
        reply.status.is_success(),
        "{} {}",
        reply.status,
        reply.json()
    );
    reply.json()
}

pub async fn make_tenant(h: &Harness, name: &str) -> Tokens {
    let body = json!({"name": name, "description": format!("team {name}")});
    created(
        &call(
            h,
            Some(ADMIN),
            Method::POST,
            "/api/v1/tenants",
            Body::Json(body),
        )
        .await,
    );
    let mut tokens = HashMap::new();
    for role in Role::ALL {
        let body = json!({"name": format!("{name} {role}"), "role": role.as_str()});
        let uri = format!("/api/v1/tenants/{name}/tokens");
        let made = created(&call(h, Some(ADMIN), Method::POST, &uri, Body::Json(body)).await);
        assert_eq!(made["tenant"], name);
        assert_eq!(made["role"], role.as_str());
        tokens.insert(*role, made["token"].as_str().expect("token").to_owned());
    }
    Tokens(tokens)
}

pub async fn world(open_reads: bool) -> World {
    let h = Harness::with_config(config(open_reads))
        .await
        .with_keyring(Keyring::new(SecretKey::generate(), Vec::new()))
        .await;
    let a = make_tenant(&h, "team-a").await;
    let b = make_tenant(&h, "team-b").await;
    let editor = Some(a.of(Role::Editor));
    let deploy = Body::Wasm(guest(guests::NORMAL));
    created(&call(&h, editor, Method::POST, "/api/v1/dags", deploy).await);
    let trigger = Body::Json(json!({"run_id": "alpha-run"}));
    let uri = "/api/v1/dags/normal/runs";
    created(&call(&h, a.of(Role::Operator).into(), Method::POST, uri, trigger).await);
    h.ran_once("team-a", "normal", "alpha-run", "echo_context")
        .await;
    for (uri, body) in [
        ("/api/v1/variables/alpha-var", json!({"value": "a's value"})),
        (
            "/api/v1/connections/alpha-conn",
            json!({"uri": "postgres://alice:a-password@db.a.internal:5432/a"}),
        ),
        (
            "/api/v1/secrets/alpha-secret",
            json!({"value": "a's secret"}),
        ),
        ("/api/v1/pools/alpha-pool", json!({"slots": 3})),
    ] {
        created(&call(&h, editor, Method::PUT, uri, Body::Json(body)).await);
    }
    let victim = json!({"name": "alpha-victim", "role": "viewer"});
    let made = call(
        &h,
        Some(a.of(Role::Admin)),
        Method::POST,
        "/api/v1/tokens",
        Body::Json(victim),
    )
    .await;
    let victim_token = created(&made)["token_id"].as_str().expect("id").to_owned();
    World {
        h,
        a,
        b,
        victim_token,
    }
}
