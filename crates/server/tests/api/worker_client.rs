//! The worker's [`ApiClient`] against a real server on a loopback socket.

use std::net::SocketAddr;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::oneshot;
use weft_protocol::AttemptRef;
use weft_protocol::worker_api::WorkerBeat;
use weft_runtime::Digest;
use weft_server::{AuthConfig, ServerConfig};
use weft_store::{DEFAULT_TENANT, RETURN_VALUE, Variable, WorkerRecord};
use weft_test_guests_artifacts as guests;
use weft_worker::PlaneError;
use weft_worker::api::{ApiClient, ApiClientError};

use crate::support::host_calls::HostCalls as _;
use crate::support::{Harness, guest, now};
use crate::tasks::ran_once_with;

const WORKER_TOKEN: &str = "worker-token-for-tests";

/// A server with a worker token, whose DAG `normal` has a finished task (see
/// [`ran_once_with`]), a queued attempt of its task `logs` in the same run, and a variable
/// `greeting`, listening on a free loopback port.
pub(crate) struct Served {
    pub(crate) h: Harness,
    pub(crate) address: SocketAddr,
    /// The queued attempt of `logs`, which reads through the worker API.
    pub(crate) attempt: AttemptRef,
    pub(crate) digest: String,
    pub(crate) _stop: oneshot::Sender<()>,
}

async fn served() -> Served {
    served_over(None).await
}

/// [`served`], over HTTPS with `identity` when given.
pub(crate) async fn served_over(identity: Option<weft_tls::ServerIdentity>) -> Served {
    let config = ServerConfig {
        auth: AuthConfig {
            api_tokens: vec![],
            worker_tokens: vec![WORKER_TOKEN.into()],
            open_reads: false,
        },
        ..ServerConfig::default()
    };
    let (h, ti) = ran_once_with(config).await;
    // Keys checked, as on a server with a secret key: every call below carries its key.
    let h = h.with_attempt_keys();
    let attempt = h.queued_in_run_of(&ti, "logs").await;
    let variable = Variable {
        key: "greeting".into(),
        value: "hello".into(),
        description: String::new(),
        updated_at: now(),
    };
    h.store
        .set_variable(DEFAULT_TENANT, variable)
        .await
        .expect("variable");
    let digest = Digest::of(&guest(guests::NORMAL)).to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let state = h.state.clone();
    match identity {
        Some(identity) => tokio::spawn(async move {
            weft_server::serve_tls(listener, &identity, state, shutdown).await
        }),
        None => tokio::spawn(weft_server::serve(listener, state, shutdown)),
    };
    Served {
        h,
        address,
        attempt,
        digest,
        _stop: stop,
    }
}

fn client(address: SocketAddr, token: Option<&str>) -> ApiClient {
    ApiClient::new(&format!("http://{address}/"), token.map(str::to_owned)).expect("client")
}

fn worker_record() -> WorkerRecord {
    WorkerRecord {
        worker_id: "w-1".into(),
        hostname: "vm2".into(),
        queues: vec!["vm2_queue".into()],
        concurrency: 2,
        running: 1,
        finished: 17,
        failed: 3,
        arch: std::env::consts::ARCH.into(),
        labels: vec!["gpu".into(), "ssd".into()],
        version: env!("CARGO_PKG_VERSION").into(),
        started_at: "2024-06-01T11:00:00Z".parse().expect("time"),
        // The server stamps its own time instead.
        last_heartbeat: Timestamp::UNIX_EPOCH,
        stopped_at: None,
        tenants: None,
    }
}

/// What the worker of `record` sends when it heartbeats.
fn beat(record: &WorkerRecord) -> WorkerBeat {
    WorkerBeat {
        hostname: record.hostname.clone(),
        queues: record.queues.clone(),
        concurrency: record.concurrency,
        running: record.running,
        finished: record.finished,
        failed: record.failed,
        arch: record.arch.clone(),
        labels: record.labels.clone(),
        version: record.version.clone(),
        started_at: record.started_at,
        stopped_at: record.stopped_at,
        tenants: record.tenants.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_token_fetches_components_values_and_variables() {
    let s = served().await;
    let api = client(s.address, Some(WORKER_TOKEN));
    let bytes = api
        .component(s.attempt, &s.digest)
        .await
        .expect("component");
    assert_eq!(bytes, guest(guests::NORMAL));
    assert_eq!(
        api.xcom(s.attempt, "echo_context", RETURN_VALUE)
            .await
            .expect("xcom"),
        Some(br#"{"rows": 3}"#.to_vec())
    );
    assert_eq!(
        api.xcom(s.attempt, "echo_context", "blob")
            .await
            .expect("xcom"),
        Some(vec![0xff, 0x00])
    );
    assert_eq!(
        api.xcom(s.attempt, "echo_context", "no such key")
            .await
            .expect("xcom"),
        None
    );
    assert_eq!(
        api.variable(s.attempt, "greeting").await.expect("variable"),
        Some("hello".to_owned())
    );
    assert_eq!(
        api.variable(s.attempt, "no/such variable")
            .await
            .expect("variable"),
        None
    );

    // Clones share the agent; calls at once all succeed.
    let other = api.clone();
    let record = worker_record();
    let record_beat = beat(&record);
    let (a, b) = tokio::join!(
        other.heartbeat(&record.worker_id, &record_beat),
        api.variable(s.attempt, "greeting")
    );
    a.expect("heartbeat");
    assert_eq!(b.expect("variable").as_deref(), Some("hello"));
    let workers = s.h.store.workers().await.expect("workers");
    assert_eq!(
        workers,
        [WorkerRecord {
            last_heartbeat: now(),
            ..worker_record()
        }]
    );
    let stopped = WorkerRecord {
        stopped_at: Some(now()),
        running: 0,
        finished: 18,
        ..worker_record()
    };
    api.heartbeat(&stopped.worker_id, &beat(&stopped))
        .await
        .expect("last heartbeat");
    assert_eq!(
        s.h.store.workers().await.expect("workers"),
        [WorkerRecord {
            last_heartbeat: now(),
            ..stopped
        }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_token_is_refused() {
    let s = served().await;
    for token in [Some("wrong-token"), Some(""), None] {
        // An empty token is no token.
        let api = client(s.address, token.filter(|t| !t.is_empty()));
        let results = [
            api.component(s.attempt, &s.digest).await.map(|_| ()),
            api.xcom(s.attempt, "echo_context", RETURN_VALUE)
                .await
                .map(|_| ()),
            api.variable(s.attempt, "greeting").await.map(|_| ()),
            api.heartbeat("w-1", &beat(&worker_record())).await,
        ];
        for result in results {
            match result {
                Err(PlaneError::Refused(message)) => {
                    assert!(
                        message.contains("refused the worker token"),
                        "{token:?}: {message}"
                    );
                    assert!(message.contains("401"), "{token:?}: {message}");
                    assert!(message.contains("/api/v1/worker/"), "{token:?}: {message}");
                    if let Some(token) = token.filter(|t| !t.is_empty()) {
                        assert!(!message.contains(token), "{message}");
                    }
                }
                other => panic!("{token:?}: {other:?}"),
            }
        }
    }
    assert!(s.h.store.workers().await.expect("workers").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_component_is_not_found() {
    let s = served().await;
    let api = client(s.address, Some(WORKER_TOKEN));
    let other = Digest::of(b"never deployed").to_string();
    match api.component(s.attempt, &other).await {
        Err(PlaneError::NotFound(message)) => {
            assert!(message.contains(&other), "{message}");
            assert!(message.contains("404"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Not a digest at all: the server's 400 comes back as a failure that names it.
    match api.component(s.attempt, "sha256:xyz").await {
        Err(e @ PlaneError::Unavailable { .. }) => {
            let message = e.to_string();
            assert!(message.contains("400"), "{message}");
            assert!(message.contains("sha256:<64 hex digits>"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_unavailable() {
    let s = served().await;
    let api = client(s.address, Some(WORKER_TOKEN));
    let Served { _stop: stop, .. } = s;
    drop(stop);
    // Give the server a moment to close its listener.
    let mut last = None;
    for _ in 0..50 {
        match api.variable(s.attempt, "greeting").await {
            Err(e @ PlaneError::Unavailable { .. }) => {
                last = Some(e.to_string());
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let message = last.expect("the server stopped answering");
    assert!(message.contains("cannot reach the API server"), "{message}");
}

#[test]
fn urls_must_be_http_or_https_with_a_host() {
    for good in [
        "http://127.0.0.1:8080",
        "http://weft.internal:8080/",
        "http://proxy/weft/",
        "https://weft.internal:8443",
    ] {
        assert!(ApiClient::new(good, None).is_ok(), "{good}");
    }
    let client = ApiClient::new("http://proxy/weft/", None).expect("client");
    assert_eq!(client.base_url(), "http://proxy/weft");
    for (bad, words) in [
        ("127.0.0.1:8080", "scheme"),
        ("ftp://host", "neither http nor https"),
        ("http://", ""),
        ("http://host/?x=1", "query"),
        ("not a url", ""),
    ] {
        match ApiClient::new(bad, None) {
            Err(e @ ApiClientError::BadUrl { .. }) => {
                let message = e.to_string();
                assert!(message.contains(bad), "{message}");
                assert!(message.contains(words), "{message}");
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn tokens_are_checked_and_never_shown() {
    for bad in ["", "  ", "line\nbreak", "caf\u{e9}", "two words"] {
        match ApiClient::new("http://host", Some(bad.into())) {
            Err(e @ ApiClientError::BadToken(_)) => {
                assert!(bad.trim().is_empty() || !e.to_string().contains(bad), "{e}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let client = ApiClient::new("http://host", Some("s3cret".into())).expect("client");
    let shown = format!("{client:?}");
    assert!(
        !shown.contains("s3cret") && shown.contains("redacted"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_the_current_attempts_only() {
    let s = served().await;
    let api = client(s.address, Some(WORKER_TOKEN));
    // The finished attempt of echo_context, and the queued one with a lease it no longer
    // holds, read nothing.
    let (_, tis) =
        s.h.store
            .run(
                s.h.store
                    .attempt(s.attempt.ti)
                    .await
                    .expect("attempt")
                    .expect("logs")
                    .run,
            )
            .await
            .expect("run")
            .expect("run");
    let echo = tis
        .iter()
        .find(|t| t.task_id == "echo_context")
        .expect("echo");
    // With the right keys: what refuses them is the lease, not the key.
    let finished = s.h.attempt(echo.id, echo.lease);
    let stale = s.h.attempt(s.attempt.ti, s.attempt.lease - 1);
    for attempt in [finished, stale] {
        for result in [
            api.variable(attempt, "greeting").await.map(|_| ()),
            api.xcom(attempt, "echo_context", RETURN_VALUE)
                .await
                .map(|_| ()),
        ] {
            match result {
                Err(PlaneError::Refused(message)) => {
                    assert!(message.contains("stale_attempt"), "{attempt:?}: {message}")
                }
                other => panic!("{attempt:?}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_and_named() {
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let client = ApiClient::new(&base, None).expect("client");
    let err = client
        .xcom(
            AttemptRef {
                ti: 7,
                lease: 2,
                key: None,
            },
            "extract",
            "return_value",
        )
        .await
        .expect_err("no server");
    match err {
        e @ PlaneError::Unavailable { .. } => {
            let m = e.to_string();
            assert!(m.contains("/api/v1/worker/attempts/7/2/calls"), "{m}");
            assert!(m.contains(&base), "{m}");
        }
        other => panic!("{other:?}"),
    }
}
