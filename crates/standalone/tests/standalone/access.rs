//! Connections and secrets through standalone mode's control plane: a real SQLite store with
//! sealed values, the attempt's lease and its task's declarations checked as the API server
//! checks them.

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::json;
use weft_model::TaskState;
use weft_protocol::host_call::{ConnectionRead, SecretRead};
use weft_protocol::{AttemptRef, Connection};
use weft_queue::MemoryQueue;
use weft_scheduler::{SchedulerConfig, SystemClock, scheduler};
use weft_standalone::LocalPlane;
use weft_store::testing::running_reader_and_other;
use weft_store::{Credentials, DEFAULT_TENANT, SqliteStore, Store};
use weft_vault::{Keyring, SecretKey};
use weft_worker::{Caller, ControlPlane, PlaneError};

fn now() -> Timestamp {
    Timestamp::now()
}

/// A running attempt of task `reader` (declaring `warehouse` and `api_token`) and one of
/// task `other` (declaring nothing), on a store holding both.
async fn setup(dir: &std::path::Path) -> (Arc<dyn ControlPlane>, AttemptRef, AttemptRef) {
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.join("weft.db")).await.expect("store"));
    let keyring = Keyring::new(SecretKey::generate(), Vec::new());
    let credentials = Credentials::new(store.clone(), Some(keyring));
    credentials.check_keys(now()).await.expect("key check");
    credentials
        .put_connection(
            DEFAULT_TENANT,
            Connection {
                conn_id: "warehouse".into(),
                conn_type: "postgres".into(),
                host: Some("db".into()),
                port: Some(5432),
                schema: None,
                login: Some("etl".into()),
                password: Some("pw".into()),
                extra: json!({"sslmode": "require"}),
            },
            None,
            now(),
        )
        .await
        .expect("connection");
    credentials
        .put_secret(DEFAULT_TENANT, "api_token", "t0k3n", None, now())
        .await
        .expect("secret");

    let (reader, other) =
        running_reader_and_other(store.as_ref(), jiff::SignedDuration::from_secs(60)).await;
    let (handle, _service) = scheduler(
        store.clone(),
        Arc::new(MemoryQueue::new()),
        Arc::new(SystemClock),
        SchedulerConfig::default(),
    );
    let active = store.active_runs().await.expect("runs");
    let states: Vec<_> = active.iter().flat_map(|(_, tis)| tis).collect();
    assert_eq!(states.len(), 2);
    assert!(states.iter().all(|t| t.state == TaskState::Running));
    let plane = Arc::new(LocalPlane::new(store, handle, credentials));
    (plane, reader, other)
}

/// Connection `conn_id` for `attempt`, through the plane's host calls.
async fn connection(
    plane: &Arc<dyn ControlPlane>,
    attempt: AttemptRef,
    conn_id: &str,
) -> Result<Option<Connection>, PlaneError> {
    let read = ConnectionRead {
        conn_id: conn_id.into(),
    };
    plane.ask(caller(attempt), read).await
}

/// The value of secret `name` for `attempt`, through the plane's host calls.
async fn secret(
    plane: &Arc<dyn ControlPlane>,
    attempt: AttemptRef,
    name: &str,
) -> Result<Option<String>, PlaneError> {
    let read = SecretRead { name: name.into() };
    let secret = plane.ask(caller(attempt), read).await?;
    Ok(secret.map(|secret| secret.value))
}

/// The attempt as the plane's calls name it (connections and secrets do not read its run).
fn caller(attempt: AttemptRef) -> Caller<'static> {
    Caller {
        tenant: DEFAULT_TENANT,
        run: 0,
        attempt,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declaring_running_attempt_reads_plaintext() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plane, reader, _) = setup(dir.path()).await;
    let warehouse = connection(&plane, reader, "warehouse")
        .await
        .expect("connection")
        .expect("exists");
    assert_eq!(warehouse.password.as_deref(), Some("pw"));
    assert_eq!(warehouse.extra, json!({"sslmode": "require"}));
    let token = secret(&plane, reader, "api_token").await;
    assert_eq!(token.expect("secret").as_deref(), Some("t0k3n"));
    // Declared but not stored: none.
    let missing = connection(&plane, reader, "missing").await;
    assert!(missing.expect("no error").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_names_and_stale_attempts_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plane, reader, other) = setup(dir.path()).await;
    for result in [
        connection(&plane, other, "warehouse").await.map(|_| ()),
        secret(&plane, other, "api_token").await.map(|_| ()),
        secret(&plane, reader, "warehouse").await.map(|_| ()),
    ] {
        match result {
            Err(PlaneError::Refused(m)) => assert!(m.starts_with("not_declared:"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    let stale = AttemptRef {
        lease: reader.lease - 1,
        ..reader
    };
    match connection(&plane, stale, "warehouse").await {
        Err(PlaneError::Refused(m)) => assert!(m.starts_with("stale_attempt:"), "{m}"),
        other => panic!("{other:?}"),
    }
}
