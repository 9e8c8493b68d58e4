//! The worker API's connections and secrets: plaintext only to the running attempt whose
//! task declares the name; 403 `not_declared` or `stale_attempt` otherwise; and the worker's
//! [`ApiClient`] mapping those answers, over a real socket.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use tokio::sync::oneshot;
use weft_model::{DagSpec, Resources, TaskSpec};
use weft_protocol::AttemptRef;
use weft_server::{AuthConfig, ServerConfig};
use weft_store::{
    DEFAULT_POOL, DEFAULT_TENANT, Deploy, NewRun, NewTaskInstance, QueueTask, StartTask, Store,
    WriteBatch,
};
use weft_worker::PlaneError;
use weft_worker::api::ApiClient;

use crate::connections::{PASSWORD, SECRET, keyed, warehouse};
use crate::support::{Harness, now};

const WORKER_TOKEN: &str = "worker-token-for-access-tests";

/// Running attempts of `reader` (declaring connection `warehouse` and `missing`, secret
/// `api_token`) and of `other` (declaring nothing).
async fn running(store: &Arc<dyn Store>) -> (AttemptRef, AttemptRef) {
    let mut reader = TaskSpec::new("reader");
    reader.settings.resources = Some(Resources {
        connections: vec!["warehouse".into(), "missing".into()],
        secrets: vec!["api_token".into()],
        ..Resources::default()
    });
    let spec = DagSpec {
        tasks: vec![reader, TaskSpec::new("other")],
        ..DagSpec::new("access")
    };
    let bytes = b"\0asm access test".to_vec();
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    store
        .deploy(Deploy {
            tenant: DEFAULT_TENANT.into(),
            digest: digest.clone(),
            bytes,
            dag_id: "access".into(),
            spec,
            at: now(),
        })
        .await
        .expect("deploy");
    let (_, tis) = store
        .create_run(NewRun {
            tenant: DEFAULT_TENANT.into(),
            dag_id: "access".into(),
            run_id: "r1".into(),
            run_type: weft_model::RunType::Manual,
            logical_date: now(),
            data_interval_start: now(),
            data_interval_end: now(),
            conf: json!({}),
            digest,
            state: weft_model::DagRunState::Running,
            queued_at: now(),
            tasks: ["reader", "other"]
                .iter()
                .map(|t| NewTaskInstance {
                    task_id: (*t).into(),
                    max_tries: 1,
                    queue: "default".into(),
                    pool: DEFAULT_POOL.into(),
                    priority_weight: 1,
                })
                .collect(),
        })
        .await
        .expect("run");
    let queue = tis
        .iter()
        .map(|ti| QueueTask {
            ti: ti.id,
            lease: ti.lease,
            from: ti.state,
            try_number: 1,
            at: now(),
        })
        .collect();
    store
        .write(WriteBatch {
            queue,
            ..WriteBatch::default()
        })
        .await
        .expect("queue");
    let start = tis
        .iter()
        .map(|ti| StartTask {
            ti: ti.id,
            lease: ti.lease + 1,
            worker_id: "w".into(),
            hostname: "h".into(),
            at: now(),
            lease_expires_at: now() + jiff::SignedDuration::from_secs(600),
        })
        .collect();
    store
        .write(WriteBatch {
            start,
            ..WriteBatch::default()
        })
        .await
        .expect("start");
    let attempt = |i: usize| AttemptRef {
        ti: tis[i].id,
        lease: tis[i].lease + 1,
    };
    (attempt(0), attempt(1))
}

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
    let (reader, other) = running(&h.store).await;
    (h, reader, other)
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
    let reply = h.get(&url(reader, "connections/warehouse")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["password"], PASSWORD);
    assert_eq!(body["extra"]["sslmode"], "require");
    let reply = h.get(&url(reader, "secrets/api_token")).await;
    assert_eq!(reply.json(), json!({"name": "api_token", "value": SECRET}));

    let message = h
        .get(&url(other, "connections/warehouse"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_declared");
    assert!(message.contains("resources.connections"), "{message}");
    h.get(&url(reader, "secrets/other_secret"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_declared");
    h.get(&url(reader, "secrets/warehouse"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_declared");
    h.get(&url(reader, "connections/missing"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let stale = AttemptRef {
        lease: reader.lease - 1,
        ..reader
    };
    let message = h
        .get(&url(stale, "secrets/api_token"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
    assert!(!message.contains(SECRET));
    let unknown = AttemptRef {
        ti: reader.ti + 1000,
        ..reader
    };
    h.get(&url(unknown, "secrets/api_token"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
    h.get("/api/v1/worker/attempts/x/1/secrets/api_token")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn the_worker_token_is_needed() {
    let config = ServerConfig {
        auth: AuthConfig {
            api_tokens: vec![],
            worker_tokens: vec![WORKER_TOKEN.into()],
        },
        ..ServerConfig::default()
    };
    let (h, reader, _) = stocked(config).await;
    let reply = h.get(&url(reader, "secrets/api_token")).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(!String::from_utf8_lossy(&reply.body).contains(SECRET));
}

#[tokio::test]
async fn the_worker_client_maps_403_to_refused_and_404_to_none() {
    let config = ServerConfig {
        auth: AuthConfig {
            api_tokens: vec![],
            worker_tokens: vec![WORKER_TOKEN.into()],
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
        .connection(DEFAULT_TENANT, reader, "warehouse")
        .await
        .expect("connection")
        .expect("exists");
    assert_eq!(connection.password.as_deref(), Some(PASSWORD));
    assert!(!format!("{connection:?}").contains(PASSWORD));
    let secret = client.secret(DEFAULT_TENANT, reader, "api_token").await;
    assert_eq!(secret.expect("secret").as_deref(), Some(SECRET));
    let missing = client.connection(DEFAULT_TENANT, reader, "missing").await;
    assert!(missing.expect("no error").is_none());

    match client.connection(DEFAULT_TENANT, other, "warehouse").await {
        Err(PlaneError::Refused(m)) => assert!(m.contains("403 not_declared"), "{m}"),
        other => panic!("{other:?}"),
    }
    let stale = AttemptRef {
        lease: reader.lease + 5,
        ..reader
    };
    match client.secret(DEFAULT_TENANT, stale, "api_token").await {
        Err(e @ PlaneError::Refused(_)) => {
            assert!(e.to_string().contains("stale_attempt"), "{e}");
            assert!(!e.is_retriable());
        }
        other => panic!("{other:?}"),
    }
    let unauthorized =
        ApiClient::new(&format!("http://{address}"), Some("wrong".into())).expect("client");
    match unauthorized
        .secret(DEFAULT_TENANT, reader, "api_token")
        .await
    {
        Err(PlaneError::Refused(m)) => assert!(m.contains("refused the worker token"), "{m}"),
        other => panic!("{other:?}"),
    }
}
