//! The worker API's host calls for connections and secrets: plaintext only to the running
//! attempt whose task declares the name; 403 `not_declared` or `stale_attempt` otherwise;
//! and the worker's [`ApiClient`] mapping those answers, over a real socket.

use axum::http::{Method, StatusCode};
use serde_json::json;
use tokio::sync::oneshot;
use weft_protocol::host_call::{ConnectionRead, SecretRead, VariableRead};
use weft_protocol::{AttemptRef, TriggerRun};
use weft_server::{AuthConfig, ServerConfig};
use weft_store::testing::running_reader_and_other;
use weft_worker::PlaneError;
use weft_worker::api::ApiClient;

use crate::connections::{PASSWORD, SECRET, keyed, warehouse};
use crate::support::Harness;
use crate::support::host_calls::HostCalls as _;

const WORKER_TOKEN: &str = "worker-token-for-access-tests";

async fn stocked(config: ServerConfig) -> (Harness, AttemptRef, AttemptRef) {
    let h = keyed(config).await;
    let reply = h
        .json(Method::PUT, "/api/v1/connections/warehouse", warehouse())
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let reply = h
        .json(
            Method::PUT,
            "/api/v1/secrets/api_token",
            json!({"value": SECRET}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    h.json(
        Method::PUT,
        "/api/v1/secrets/other_secret",
        json!({"value": "x"}),
    )
    .await;
    let (reader, other) =
        running_reader_and_other(h.store.as_ref(), jiff::SignedDuration::from_secs(600)).await;
    (h, reader, other)
}

fn connection(conn_id: &str) -> ConnectionRead {
    ConnectionRead {
        conn_id: conn_id.into(),
    }
}

fn secret(name: &str) -> SecretRead {
    SecretRead { name: name.into() }
}

fn url(attempt: AttemptRef, path: &str) -> String {
    format!(
        "/api/v1/worker/attempts/{}/{}/{path}",
        attempt.ti, attempt.lease
    )
}

#[tokio::test]
async fn the_declaring_attempt_gets_plaintext_and_others_get_403() {
    let (h, reader, other) = stocked(ServerConfig::default()).await;
    let body = h.host_call(reader, connection("warehouse")).await.answer();
    assert_eq!(body["password"], PASSWORD);
    assert_eq!(body["extra"]["sslmode"], "require");
    let reply = h.host_call(reader, secret("api_token")).await;
    assert_eq!(
        reply.json(),
        json!({"call": "secret", "answer": {"name": "api_token", "value": SECRET}})
    );

    let message = h
        .host_call(other, connection("warehouse"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_declared");
    assert!(message.contains("resources.connections"), "{message}");
    h.host_call(reader, secret("other_secret"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_declared");
    h.host_call(reader, secret("warehouse"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_declared");
    // Declared, not stored: none.
    let missing = h.host_call(reader, connection("missing")).await.answer();
    assert_eq!(missing, serde_json::Value::Null);

    let stale = AttemptRef {
        lease: reader.lease - 1,
        ..reader
    };
    let message = h
        .host_call(stale, secret("api_token"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
    assert!(!message.contains(SECRET));
    let unknown = AttemptRef {
        ti: reader.ti + 1000,
        ..reader
    };
    h.host_call(unknown, secret("api_token"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
    let call = json!({"call": "secret", "request": {"name": "api_token"}});
    h.json(Method::POST, "/api/v1/worker/attempts/x/1/calls", call)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    // A body that is no host call is named as such.
    let unknown_call = json!({"call": "mount", "request": {"path": "/"}});
    let message = h
        .json(Method::POST, &url(reader, "calls"), unknown_call)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert!(message.contains("mount"), "{message}");
}

/// An editor who changes an SQL connection (whose password the host holds) into a type whose
/// password tasks read gets no password with it: the declaring attempt reads none.
#[tokio::test]
async fn a_change_of_type_carries_no_password_to_a_task() {
    let (h, reader, _) = stocked(ServerConfig::default()).await;
    let uri = "/api/v1/connections/warehouse";
    let changed = h
        .json(Method::PATCH, uri, json!({"conn_type": "http"}))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.json());
    assert_eq!(changed.json()["has_password"], false);
    let reply = h.host_call(reader, connection("warehouse")).await;
    assert!(!String::from_utf8_lossy(&reply.body).contains(PASSWORD));
    assert_eq!(reply.answer()["conn_type"], "http");
    assert_eq!(reply.answer()["password"], serde_json::Value::Null);

    // Back to SQL and over again: still nothing to carry.
    h.json(Method::PATCH, uri, json!({"conn_type": "postgres"}))
        .await;
    h.json(Method::PATCH, uri, json!({"conn_type": "http"}))
        .await;
    let reply = h.host_call(reader, connection("warehouse")).await;
    assert_eq!(reply.answer()["password"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_worker_token_is_needed() {
    let config = ServerConfig {
        auth: AuthConfig {
            api_tokens: vec![],
            worker_tokens: vec![WORKER_TOKEN.into()],
            open_reads: false,
        },
        ..ServerConfig::default()
    };
    let (h, reader, _) = stocked(config).await;
    let reply = h.host_call(reader, secret("api_token")).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(!String::from_utf8_lossy(&reply.body).contains(SECRET));
}

#[tokio::test]
async fn the_worker_client_maps_403_to_refused_and_404_to_none() {
    let config = ServerConfig {
        auth: AuthConfig {
            api_tokens: vec![],
            worker_tokens: vec![WORKER_TOKEN.into()],
            open_reads: false,
        },
        ..ServerConfig::default()
    };
    let (h, reader, other) = stocked(config).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(weft_server::serve(listener, h.state.clone(), async {
        let _ = stopped.await;
    }));
    let client =
        ApiClient::new(&format!("http://{address}"), Some(WORKER_TOKEN.into())).expect("client");

    let connection = client
        .connection(reader, "warehouse")
        .await
        .expect("connection")
        .expect("exists");
    assert_eq!(connection.password.as_deref(), Some(PASSWORD));
    assert!(!format!("{connection:?}").contains(PASSWORD));
    let secret = client.secret(reader, "api_token").await;
    assert_eq!(secret.expect("secret").as_deref(), Some(SECRET));
    let missing = client.connection(reader, "missing").await;
    assert!(missing.expect("no error").is_none());

    match client.connection(other, "warehouse").await {
        Err(PlaneError::Refused(m)) => assert!(m.contains("403 not_declared"), "{m}"),
        other => panic!("{other:?}"),
    }
    let stale = AttemptRef {
        lease: reader.lease + 5,
        ..reader
    };
    match client.secret(stale, "api_token").await {
        Err(e @ PlaneError::Refused(_)) => {
            assert!(e.to_string().contains("stale_attempt"), "{e}");
            assert!(!e.is_retriable());
        }
        other => panic!("{other:?}"),
    }
    let unauthorized =
        ApiClient::new(&format!("http://{address}"), Some("wrong".into())).expect("client");
    match unauthorized.secret(reader, "api_token").await {
        Err(PlaneError::Refused(m)) => assert!(m.contains("refused the worker token"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_attempt_reads_and_triggers_in_its_own_tenant_only() {
    // Tenant `default` holds the `stocked` connection, secrets and no variable; team-a holds
    // the same names with its own values, and a variable.
    let (h, default_reader, _) = stocked(ServerConfig::default()).await;
    let created = h
        .json(Method::POST, "/api/v1/tenants", json!({"name": "team-a"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    let made = h
        .json(
            Method::POST,
            "/api/v1/tenants/team-a/tokens",
            json!({"name": "a", "role": "editor"}),
        )
        .await
        .json();
    let a = format!("Bearer {}", made["token"].as_str().expect("token"));
    for (uri, body) in [
        (
            "/api/v1/connections/warehouse",
            json!({"uri": "postgres://a:a-password@db.a.internal/a"}),
        ),
        ("/api/v1/secrets/api_token", json!({"value": "a-secret"})),
        (
            "/api/v1/variables/greeting",
            json!({"value": "hello from a"}),
        ),
    ] {
        let reply = h
            .send_as(
                Some(&a),
                Method::PUT,
                uri,
                Some("application/json"),
                body.to_string(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{uri}: {}", reply.json());
    }
    let (a_reader, _) = weft_store::testing::running_reader_and_other_in(
        h.store.as_ref(),
        "team-a",
        jiff::SignedDuration::from_secs(600),
    )
    .await;

    let greeting = || VariableRead {
        key: "greeting".into(),
    };
    let found = h
        .host_call(a_reader, connection("warehouse"))
        .await
        .answer();
    assert_eq!(found["host"], "db.a.internal");
    assert_eq!(found["password"], "a-password");
    let found = h.host_call(a_reader, secret("api_token")).await.answer();
    assert_eq!(found["value"], "a-secret");
    let found = h.host_call(a_reader, greeting()).await.answer();
    assert_eq!(found, "hello from a");
    // The default tenant's attempt sees its own, and no variable of team-a's.
    let found = h
        .host_call(default_reader, connection("warehouse"))
        .await
        .answer();
    assert_eq!(found["password"], PASSWORD);
    let found = h
        .host_call(default_reader, secret("api_token"))
        .await
        .answer();
    assert_eq!(found["value"], SECRET);
    let found = h.host_call(default_reader, greeting()).await.answer();
    assert_eq!(found, serde_json::Value::Null);

    // A run a task triggers is of the task's tenant: team-a has no DAG `noop`, default does.
    h.deployed(weft_test_guests_artifacts::NOOP).await;

    // A component is fetched from the attempt's tenant: team-a's attempt gets none of the
    // components only default deployed.
    let noop = h
        .store
        .dag(weft_protocol::DEFAULT_TENANT, "noop")
        .await
        .expect("dag")
        .expect("noop of default")
        .digest;
    let component = format!("components/{noop}");
    assert_eq!(
        h.get(&url(default_reader, &component)).await.status,
        StatusCode::OK
    );
    h.get(&url(a_reader, &component))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let trigger = || TriggerRun {
        dag_id: "noop".into(),
        conf: None,
        logical_date: None,
        run_id: None,
        call: 0,
    };
    let answer = h.host_call(a_reader, trigger()).await.answer();
    assert_eq!(answer["refused"]["kind"], "not_found", "{answer}");
    let answer = h.host_call(default_reader, trigger()).await.answer();
    assert!(answer.get("triggered").is_some(), "{answer}");
}
