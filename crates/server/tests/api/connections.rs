//! The user API of connections and secrets: stored, listed, shown and deleted, and never a
//! password, an extra value or a secret value in any answer or in the OpenAPI document;
//! writes need the API token; a server without a key says so.

use axum::http::{Method, StatusCode};
use serde_json::json;
use weft_server::{AuthConfig, ServerConfig};
use weft_vault::{Keyring, SecretKey};

use crate::support::Harness;

pub const PASSWORD: &str = "pw-3xQ9LmZr";
pub const EXTRA_TOKEN: &str = "tok-8WvN2bYc";
pub const SECRET: &str = "sv-5HjK7pTe";
const API_TOKEN: &str = "api-token-for-tests";

/// A harness with a fresh key.
pub async fn keyed(config: ServerConfig) -> Harness {
    Harness::with_config(config)
        .await
        .with_keyring(Keyring::new(SecretKey::generate(), Vec::new()))
        .await
}

/// Whether `text` shows any stored credential.
#[track_caller]
fn assert_hidden(text: &str) {
    for needle in [PASSWORD, EXTRA_TOKEN, SECRET] {
        assert!(!text.contains(needle), "{needle} shown in {text}");
    }
}

pub fn warehouse() -> serde_json::Value {
    json!({
        "conn_type": "postgres", "host": "db.internal", "port": 5432, "schema": "analytics",
        "login": "etl", "password": PASSWORD,
        "extra": {"sslmode": "require", "token": EXTRA_TOKEN},
        "description": "the warehouse"
    })
}

#[tokio::test]
async fn connections_are_stored_and_shown_without_their_password() {
    let h = keyed(ServerConfig::default()).await;
    let created = h
        .json(Method::PUT, "/api/v1/connections/warehouse", warehouse())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    let body = created.json();
    assert_eq!(body["has_password"], true);
    assert_eq!(body["extra_keys"], json!(["sslmode", "token"]));
    assert_hidden(&String::from_utf8_lossy(&created.body));

    let uri = format!("s3://AKIAEXAMPLE:{PASSWORD}@?region_name=eu-west-1");
    let by_uri = h
        .json(Method::PUT, "/api/v1/connections/lake", json!({"uri": uri}))
        .await;
    assert_eq!(by_uri.status, StatusCode::CREATED, "{}", by_uri.json());
    assert_eq!(by_uri.json()["login"], "AKIAEXAMPLE");
    assert_eq!(by_uri.json()["host"], serde_json::Value::Null);

    for uri in [
        "/api/v1/connections",
        "/api/v1/connections/warehouse",
        "/api/v1/connections/lake",
    ] {
        let reply = h.get(uri).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_hidden(&String::from_utf8_lossy(&reply.body));
    }
    let list = h.get("/api/v1/connections").await.json();
    let ids: Vec<_> = list["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conn_id"].clone())
        .collect();
    assert_eq!(ids, [json!("lake"), json!("warehouse")]);

    // Replacing keeps the description when none is given.
    let replaced = h
        .json(
            Method::PUT,
            "/api/v1/connections/warehouse",
            json!({"conn_type": "postgres"}),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK);
    assert_eq!(replaced.json()["description"], "the warehouse");
    assert_eq!(replaced.json()["has_password"], false);

    let bad = h
        .json(
            Method::PUT,
            "/api/v1/connections/x",
            json!({"uri": "http://h", "host": "h"}),
        )
        .await;
    bad.assert_refused("unprocessable");
    let bad = h
        .json(Method::PUT, "/api/v1/connections/x", json!({"host": "h"}))
        .await;
    assert!(bad.assert_refused("unprocessable").contains("conn_type"));
    let bad = h
        .json(
            Method::PUT,
            "/api/v1/connections/x",
            json!({"uri": format!("nope:{PASSWORD}")}),
        )
        .await;
    let message = bad.assert_refused("unprocessable");
    assert_hidden(&message);
    let bad = h
        .json(
            Method::PUT,
            "/api/v1/connections/a%20b",
            json!({"conn_type": "x"}),
        )
        .await;
    bad.assert_error(StatusCode::BAD_REQUEST, "invalid_request");

    let deleted = h
        .send(Method::DELETE, "/api/v1/connections/lake", None, "")
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    h.send(Method::DELETE, "/api/v1/connections/lake", None, "")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    h.get("/api/v1/connections/lake")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_patch_changes_what_it_names_and_keeps_the_sealed_rest() {
    let h = keyed(ServerConfig::default()).await;
    let uri = "/api/v1/connections/warehouse";
    let patch = json!({"host": "db2.internal", "extra": {"sslmode": null, "timeout": 5}});
    h.json(Method::PATCH, uri, patch.clone())
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        h.json(Method::PUT, uri, warehouse()).await.status,
        StatusCode::CREATED
    );

    let changed = h.json(Method::PATCH, uri, patch).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.json());
    assert_hidden(&String::from_utf8_lossy(&changed.body));
    let view = changed.json();
    assert_eq!(view["host"], "db2.internal");
    assert_eq!(view["has_password"], true);
    assert_eq!(view["extra_keys"], json!(["timeout", "token"]));
    assert_eq!(view["description"], "the warehouse");
    let stored = h
        .state
        .credentials
        .connection("default", "warehouse")
        .await
        .expect("opened")
        .expect("stored");
    let c = &stored.connection;
    assert_eq!(
        c.password.as_deref(),
        Some(PASSWORD),
        "the password is kept"
    );
    assert_eq!(c.extra, json!({"timeout": 5, "token": EXTRA_TOKEN}));
    assert_eq!(
        (c.port, c.login.as_deref(), c.schema.as_deref()),
        (Some(5432), Some("etl"), Some("analytics"))
    );

    // `null` removes a field; a bad patch changes nothing.
    let removed = h
        .json(Method::PATCH, uri, json!({"password": null, "port": null}))
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.json());
    assert_eq!(removed.json()["has_password"], false);
    assert_eq!(removed.json()["port"], serde_json::Value::Null);
    let before = h.get(uri).await.json();
    let message = h
        .json(
            Method::PATCH,
            uri,
            json!({"conn_type": null, "host": "elsewhere"}),
        )
        .await
        .assert_refused("unprocessable");
    assert!(message.contains("conn_type cannot be removed"), "{message}");
    for (bad, code, words) in [
        (
            json!({"extra": [1]}),
            "invalid_request",
            "extra must be a JSON object",
        ),
        (json!({"port": 70000}), "invalid_json", "from 0 to 65535"),
        (
            json!({"uri": "postgres://h"}),
            "invalid_json",
            "unknown field `uri`",
        ),
    ] {
        let message = h
            .json(Method::PATCH, uri, bad.clone())
            .await
            .assert_error(StatusCode::BAD_REQUEST, code);
        assert!(message.contains(words), "{bad}: {message}");
    }
    assert_eq!(h.get(uri).await.json(), before);
}

#[tokio::test]
async fn secrets_show_their_names_never_their_values() {
    let h = keyed(ServerConfig::default()).await;
    let put = h
        .json(
            Method::PUT,
            "/api/v1/secrets/slack_token",
            json!({"value": SECRET, "description": "posts"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED);
    assert_hidden(&String::from_utf8_lossy(&put.body));
    let again = h
        .json(
            Method::PUT,
            "/api/v1/secrets/slack_token",
            json!({"value": "v2"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["description"], "posts");
    for uri in ["/api/v1/secrets", "/api/v1/secrets/slack_token"] {
        let reply = h.get(uri).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_hidden(&String::from_utf8_lossy(&reply.body));
        assert!(!String::from_utf8_lossy(&reply.body).contains("v2"));
    }
    assert_eq!(
        h.get("/api/v1/secrets").await.json()["secrets"][0]["name"],
        "slack_token"
    );
    let body = h.get("/api/v1/secrets/slack_token").await.json();
    assert!(body.get("value").is_none(), "{body}");
    let deleted = h
        .send(Method::DELETE, "/api/v1/secrets/slack_token", None, "")
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    h.get("/api/v1/secrets/slack_token")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn writes_need_the_api_token() {
    let config = ServerConfig {
        auth: AuthConfig {
            api_tokens: vec![API_TOKEN.into()],
            worker_tokens: vec![],
            open_reads: false,
        },
        ..ServerConfig::default()
    };
    let h = keyed(config).await;
    let body = warehouse().to_string();
    for (method, uri, body) in [
        (Method::PUT, "/api/v1/connections/warehouse", body.clone()),
        (
            Method::DELETE,
            "/api/v1/connections/warehouse",
            String::new(),
        ),
        (
            Method::PUT,
            "/api/v1/secrets/s",
            json!({"value": SECRET}).to_string(),
        ),
        (Method::DELETE, "/api/v1/secrets/s", String::new()),
        (Method::POST, "/api/v1/secret-key/rotate", String::new()),
    ] {
        for authorization in [None, Some("Bearer wrong-token")] {
            let reply = h
                .send_as(
                    authorization,
                    method.clone(),
                    uri,
                    Some("application/json"),
                    body.clone(),
                )
                .await;
            reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        }
    }
    assert!(h.store.connections("default").await.unwrap().is_empty());
    assert!(h.store.secrets("default").await.unwrap().is_empty());
    let bearer = format!("Bearer {API_TOKEN}");
    let reply = h
        .send_as(
            Some(&bearer),
            Method::PUT,
            "/api/v1/connections/warehouse",
            Some("application/json"),
            body,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_server_without_a_key_refuses_to_store_and_says_why() {
    let h = Harness::new().await;
    let reply = h
        .json(Method::PUT, "/api/v1/secrets/s", json!({"value": SECRET}))
        .await;
    let message = reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "no_secret_key");
    assert!(message.contains("WEFT_SECRET_KEY"), "{message}");
    assert!(reply.headers.get("retry-after").is_none());
    let reply = h
        .json(Method::PUT, "/api/v1/connections/c", warehouse())
        .await;
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "no_secret_key");
    assert_eq!(
        h.get("/api/v1/connections").await.json()["connections"],
        json!([])
    );
}

#[tokio::test]
async fn rotation_reseals_with_the_current_key() {
    let old = SecretKey::generate();
    let new = SecretKey::generate();
    let before = Harness::new()
        .await
        .with_keyring(Keyring::new(old.clone(), vec![]))
        .await;
    let reply = before
        .json(Method::PUT, "/api/v1/connections/warehouse", warehouse())
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    before
        .json(Method::PUT, "/api/v1/secrets/s", json!({"value": SECRET}))
        .await;

    let store = before.store.clone();
    let during = before
        .with_keyring(Keyring::new(new.clone(), vec![old]))
        .await;
    let reply = during
        .send(Method::POST, "/api/v1/secret-key/rotate", None, "")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let body = reply.json();
    assert_eq!(body["resealed"], 2);
    assert_eq!(body["key_id"], new.id().to_string());
    assert_eq!(body["key_ids"], json!([new.id().to_string()]));
    let after = weft_store::Credentials::new(store, Some(Keyring::new(new, vec![])));
    after.check_keys(crate::support::now()).await.unwrap();
    assert_eq!(
        after.secret_value("default", "s").await.unwrap().as_deref(),
        Some(SECRET)
    );
}

#[tokio::test]
async fn the_openapi_document_shows_no_credential_in_reads() {
    let document = serde_json::to_value(weft_server::openapi()).unwrap();
    let text = document.to_string();
    assert!(!text.contains(PASSWORD) && !text.contains(SECRET));
    let schemas = &document["components"]["schemas"];
    let view = &schemas["ConnectionInfo"]["properties"];
    assert!(view.get("password").is_none(), "{view}");
    assert!(view.get("extra").is_none(), "{view}");
    assert!(view.get("has_password").is_some(), "{view}");
    assert!(schemas["SecretInfo"]["properties"].get("value").is_none());
    // Examples carry placeholders, never something that looks like a real value.
    assert_eq!(
        schemas["PutConnection"]["example"]["password"],
        "<password>"
    );
    assert_eq!(schemas["PutSecret"]["example"]["value"], "<value>");
    for path in [
        "/api/v1/connections/{conn_id}",
        "/api/v1/secrets/{name}",
        "/api/v1/secret-key/rotate",
    ] {
        assert!(document["paths"].get(path).is_some(), "{path} missing");
    }
}

/// Free text holding NUL (U+0000), which PostgreSQL's text cannot keep, is refused with the
/// field named, and what was stored before stays as it was.
#[tokio::test]
async fn free_text_holding_nul_is_refused_naming_it_and_nothing_changes() {
    let h = keyed(ServerConfig::default()).await;
    let stored = [
        (
            "/api/v1/variables/v",
            json!({"value": "kept", "description": "kept"}),
        ),
        (
            "/api/v1/pools/p",
            json!({"slots": 2, "description": "kept"}),
        ),
        (
            "/api/v1/secrets/s",
            json!({"value": "s", "description": "kept"}),
        ),
        ("/api/v1/connections/c", {
            let mut c = warehouse();
            c["description"] = json!("kept");
            c
        }),
    ];
    for (uri, body) in &stored {
        let reply = h.json(Method::PUT, uri, body.clone()).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{uri}: {}", reply.json());
    }
    let nul = "a\u{0}b";
    for (uri, body, words) in [
        (
            "/api/v1/variables/v",
            json!({"value": nul}),
            "the variable's value",
        ),
        (
            "/api/v1/variables/v",
            json!({"value": "v", "description": nul}),
            "the variable's description",
        ),
        (
            "/api/v1/pools/p",
            json!({"slots": 3, "description": nul}),
            "the pool's description",
        ),
        (
            "/api/v1/secrets/s",
            json!({"value": "t", "description": nul}),
            "the secret's description",
        ),
        (
            "/api/v1/connections/c",
            json!({"conn_type": "postgres", "host": nul}),
            "the connection's host",
        ),
        (
            "/api/v1/connections/c",
            json!({"uri": "postgres://et%00l:pw@db.internal/analytics"}),
            "the connection's login",
        ),
    ] {
        let message = h
            .json(Method::PUT, uri, body.clone())
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(words), "{body}: {message}");
        assert!(message.contains("NUL"), "{body}: {message}");
    }
    // A patch is checked as it will be stored, too.
    for (body, words) in [
        (json!({"host": nul}), "the connection's host"),
        (json!({"description": nul}), "the connection's description"),
    ] {
        let message = h
            .json(Method::PATCH, "/api/v1/connections/c", body.clone())
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(words), "{body}: {message}");
    }
    for uri in [
        "/api/v1/variables/v",
        "/api/v1/secrets/s",
        "/api/v1/connections/c",
    ] {
        let now = h.get(uri).await.json();
        assert_eq!(now["description"], "kept", "{uri}: {now}");
    }
    assert_eq!(h.get("/api/v1/variables/v").await.json()["value"], "kept");
    let connection = h.get("/api/v1/connections/c").await.json();
    assert_eq!(
        (&connection["login"], &connection["host"]),
        (&json!("etl"), &json!("db.internal"))
    );
    let pools = h.get("/api/v1/pools").await.json();
    let pool = pools["pools"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "p"))
        .unwrap_or_else(|| panic!("pool p: {pools}"));
    assert_eq!(
        (&pool["slots"], &pool["description"]),
        (&json!(2), &json!("kept"))
    );
}
