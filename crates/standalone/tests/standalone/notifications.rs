//! Notifications on the embedded stack: a task's retry and failure and its run's failure
//! reach a webhook (signed with the connection's password) and a real SMTP server
//! (aiosmtpd), delivered by the same loop the API server runs; a destination that is down
//! fails after its retries without touching the run; one the egress policy refuses is never
//! reached. The API shows each notification and how it went, and no secret.

use crate::support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::{Stack, stack, ti};
use tower::ServiceExt as _;
use weft_model::{DagRunState, TaskState};
use weft_notify::delivery::{DeliveryConfig, run_delivery};
use weft_protocol::Connection;
use weft_runtime::{AllowedEgress, EgressPolicy};
use weft_server::{AppState, ServerConfig};
use weft_store::{Credentials, DEFAULT_TENANT, DagRun, NotificationRecord, NotificationState};
use weft_test_guests_artifacts as guests;
use weft_testkit::smtp::SmtpServer;
use weft_testkit::webhook::WebhookReceiver;
use weft_vault::{Keyring, SecretKey};

const HOOK_SECRET: &str = "hook-s3cret-value";

/// The stack, its credentials, and the delivery loop running under `egress`.
struct Notifying {
    stack: Stack,
    stop: Arc<tokio::sync::Notify>,
}

impl Drop for Notifying {
    fn drop(&mut self) {
        self.stop.notify_waiters();
    }
}

fn connection(conn_id: &str, conn_type: &str, host: &str) -> Connection {
    Connection {
        conn_id: conn_id.into(),
        conn_type: conn_type.into(),
        host: Some(host.into()),
        port: None,
        schema: None,
        login: None,
        password: None,
        extra: json!({}),
    }
}

/// Loopback allowed for webhooks and SMTP, as the egress tests allow their servers.
fn loopback_policy() -> EgressPolicy {
    EgressPolicy {
        allowed: AllowedEgress {
            rules: ["http://127.0.0.1:*", "tcp://127.0.0.1:*"]
                .iter()
                .map(|r| r.parse().expect("rule"))
                .collect(),
            nets: vec!["127.0.0.0/8".parse().expect("net")],
        },
        ..EgressPolicy::default()
    }
}

/// The stack with connections `notify_hook` (a webhook to `hook_url`, signed) and
/// `notify_smtp` (the SMTP server on `smtp_port`), delivering under `egress`.
async fn notifying(hook_url: &str, smtp_port: u16, egress: EgressPolicy) -> Notifying {
    let stack = stack().await;
    let credentials = Credentials::new(
        stack.store.clone(),
        Some(Keyring::new(SecretKey::generate(), Vec::new())),
    );
    credentials
        .check_keys(jiff::Timestamp::now())
        .await
        .expect("key check");
    let mut hook = connection("notify_hook", "http", hook_url);
    hook.password = Some(HOOK_SECRET.into());
    let mut smtp = connection("notify_smtp", "smtp", "127.0.0.1");
    smtp.port = Some(smtp_port);
    smtp.extra = json!({"from": "Weft <weft@example.com>", "tls": "none"});
    for conn in [hook, smtp] {
        credentials
            .put_connection(DEFAULT_TENANT, conn, None, jiff::Timestamp::now())
            .await
            .expect("connection");
    }
    let config = DeliveryConfig {
        poll: Duration::from_millis(20),
        max_attempts: 3,
        first_retry_delay: Duration::from_millis(50),
        max_retry_delay: Duration::from_millis(200),
        attempt_timeout: Duration::from_secs(5),
        ..DeliveryConfig::default()
    };
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    tokio::spawn(run_delivery(
        stack.store.clone(),
        credentials,
        egress.allowed,
        egress.trust,
        config,
        async move { stopped.notified().await },
    ));
    Notifying { stack, stop }
}

async fn run_notify(stack: &Stack, conf: Value) -> DagRun {
    stack.deploy(guests::NOTIFY).await;
    let run = stack.trigger("notify", conf).await;
    stack.finished(run.id).await.0
}

/// The run's notifications once none is pending any more (and at least `count` exist).
async fn settled(stack: &Stack, run: &DagRun, count: usize) -> Vec<NotificationRecord> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = stack
            .store
            .notifications(run.id)
            .await
            .expect("notifications");
        if all.len() >= count && all.iter().all(|n| n.state != NotificationState::Pending) {
            return all;
        }
        assert!(Instant::now() < deadline, "still pending: {all:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `GET /api/v1/dags/notify/runs/{run_id}/notifications` through the API's router.
async fn api_notifications(stack: &Stack, run_id: &str) -> (Value, String) {
    let state = AppState::new(
        stack.store.clone(),
        Arc::new(stack.handle.clone()),
        stack.runtime.clone(),
        ServerConfig::default(),
    );
    let run_id = percent_encoding::utf8_percent_encode(run_id, percent_encoding::NON_ALPHANUMERIC);
    let request = Request::get(format!("/api/v1/dags/notify/runs/{run_id}/notifications"))
        .body(Body::empty())
        .expect("request");
    let response = weft_server::app(state)
        .oneshot(request)
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    (serde_json::from_str(&text).expect("json"), text)
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_task_and_its_run_notify_by_webhook_and_email() {
    let hook = WebhookReceiver::start();
    let smtp = SmtpServer::start();
    let n = notifying(&hook.url("/hook?team=data"), smtp.port, loopback_policy()).await;
    let run = run_notify(&n.stack, json!({"fail": true})).await;
    assert_eq!(run.state, DagRunState::Failed);
    let (_, tis) = n.stack.store.run(run.id).await.expect("read").expect("run");
    let work = ti(&tis, "work");
    assert_eq!((work.state, work.try_number), (TaskState::Failed, 2));

    let all = settled(&n.stack, &run, 4).await;
    let summary: Vec<_> = all
        .iter()
        .map(|n| (n.event.as_str(), n.try_number, n.state, n.attempts))
        .collect();
    let delivered = NotificationState::Delivered;
    assert_eq!(
        summary,
        [
            ("task_retry", Some(1), delivered, 1),
            ("task_failure", Some(2), delivered, 1),
            ("run_failure", None, delivered, 1),
            ("run_failure", None, delivered, 1),
        ]
    );

    // The webhook: three signed POSTs of the documented payload.
    let requests = hook.received();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    let mut events = Vec::new();
    for request in &requests {
        assert_eq!(request.path, "/hook?team=data");
        assert_eq!(request.header("content-type"), Some("application/json"));
        let signature = format!("sha256={}", hmac_hex(HOOK_SECRET, &request.body));
        assert_eq!(request.header("weft-signature"), Some(signature.as_str()));
        let body: Value = serde_json::from_slice(&request.body).expect("json body");
        assert_eq!(request.header("weft-event"), body["event"].as_str());
        assert_eq!(body["version"], 1);
        assert_eq!(body["tenant"], DEFAULT_TENANT);
        assert_eq!(body["dag_id"], "notify");
        assert_eq!(body["run_id"], run.run_id.as_str());
        assert_eq!(body["logical_date"], json!(run.logical_date));
        events.push(body);
    }
    events.sort_by_key(|b| b["at"].as_str().map(str::to_owned));
    let retry = events
        .iter()
        .find(|b| b["event"] == "task_retry")
        .expect("task_retry");
    assert_eq!(retry["task_id"], "work");
    assert_eq!(retry["try_number"], 1);
    assert_eq!(retry["state"], "up_for_retry");
    assert!(
        retry["error"]
            .as_str()
            .unwrap_or("")
            .contains("work failed on try 1")
    );
    let failure = events
        .iter()
        .find(|b| b["event"] == "task_failure")
        .expect("task_failure");
    assert_eq!(
        (failure["try_number"].clone(), failure["state"].clone()),
        (json!(2), json!("failed"))
    );
    let run_failure = events
        .iter()
        .find(|b| b["event"] == "run_failure")
        .expect("run_failure");
    assert_eq!(run_failure["task_id"], Value::Null);
    assert_eq!(run_failure["state"], "failed");

    // The email: one message about the run's failure.
    let messages = smtp.messages();
    let [message] = &messages[..] else {
        panic!("expected one email, got {messages:#?}");
    };
    for expected in [
        format!("Subject: [weft] run_failure: notify / {}\n", run.run_id),
        "From: Weft <weft@example.com>\n".to_owned(),
        "To: ops@example.com\n".to_owned(),
        format!("run_id:       {}\n", run.run_id),
        "dag_id:       notify\n".to_owned(),
        "state:        failed\n".to_owned(),
    ] {
        assert!(
            message.contains(&expected),
            "{expected:?} missing from:\n{message}"
        );
    }

    // The API shows them, and no secret.
    let (list, text) = api_notifications(&n.stack, &run.run_id).await;
    let shown = list["notifications"].as_array().expect("list");
    assert_eq!(shown.len(), 4, "{list}");
    assert!(shown.iter().all(|n| n["state"] == "delivered"), "{list}");
    let email = shown.iter().find(|n| n["kind"] == "email").expect("email");
    assert_eq!(email["conn_id"], "notify_smtp");
    assert_eq!(email["to"], json!(["ops@example.com"]));
    assert!(!text.contains(HOOK_SECRET), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_that_is_down_fails_after_its_retries_and_the_run_goes_on() {
    let smtp = SmtpServer::start();
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let n = notifying(
        &format!("http://127.0.0.1:{closed}/hook"),
        smtp.port,
        loopback_policy(),
    )
    .await;
    let started = Instant::now();
    let run = run_notify(&n.stack, json!({})).await;
    assert_eq!(run.state, DagRunState::Success);
    assert!(started.elapsed() < Duration::from_secs(10));

    let all = settled(&n.stack, &run, 2).await;
    let hook = all
        .iter()
        .find(|n| n.event.as_str() == "task_success")
        .expect("task_success");
    assert_eq!((hook.state, hook.attempts), (NotificationState::Failed, 3));
    // Shown without the address, port or OS error (those go to the server's log).
    assert_eq!(hook.last_error.as_deref(), Some("failed"));
    let email = all
        .iter()
        .find(|n| n.event.as_str() == "run_success")
        .expect("run_success");
    assert_eq!(email.state, NotificationState::Delivered);
    assert_eq!(smtp.messages().len(), 1);

    // The run and its task are as they ended.
    let (row, tis) = n.stack.store.run(run.id).await.expect("read").expect("run");
    assert_eq!(row.state, DagRunState::Success);
    assert_eq!(ti(&tis, "work").state, TaskState::Success);

    let (list, _) = api_notifications(&n.stack, &run.run_id).await;
    let failed = list["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .find(|n| n["event"] == "task_success")
        .expect("shown")
        .clone();
    assert_eq!(
        (failed["state"].clone(), failed["attempts"].clone()),
        (json!("failed"), json!(3))
    );
    assert!(
        failed["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{failed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destinations_the_egress_policy_refuses_are_never_reached() {
    let hook = WebhookReceiver::start();
    let smtp = SmtpServer::start();
    // A rule for the name, but no allowed range: `localhost` resolves to loopback, which the
    // policy refuses whatever the name says. And no `tcp://` rule for the SMTP server.
    let policy = EgressPolicy {
        allowed: AllowedEgress {
            rules: vec!["http://localhost:*".parse().expect("rule")],
            ..AllowedEgress::default()
        },
        ..EgressPolicy::default()
    };
    let url = format!("http://localhost:{}/hook", hook.port);
    let n = notifying(&url, smtp.port, policy).await;
    let run = run_notify(&n.stack, json!({"fail": true})).await;
    assert_eq!(run.state, DagRunState::Failed);

    let all = settled(&n.stack, &run, 4).await;
    for n in &all {
        assert_eq!(
            (n.state, n.attempts),
            (NotificationState::Failed, 1),
            "{n:#?}"
        );
    }
    let webhook_errors: Vec<&str> = all
        .iter()
        .filter(|n| matches!(n.notifier, weft_model::Notifier::Webhook(_)))
        .filter_map(|n| n.last_error.as_deref())
        .collect();
    assert_eq!(webhook_errors.len(), 3);
    assert!(
        webhook_errors.iter().all(|e| *e == "refused"),
        "{webhook_errors:?}"
    );
    let email = all
        .iter()
        .find(|n| matches!(n.notifier, weft_model::Notifier::Email(_)))
        .expect("email");
    assert_eq!(email.last_error.as_deref(), Some("refused"));
    assert!(hook.received().is_empty());
    assert!(smtp.messages().is_empty());
}

/// What the API shows of the failed `task_success` webhook of a run delivering to `url`.
async fn shown_webhook_error(url: &str) -> Value {
    let smtp = SmtpServer::start();
    let n = notifying(url, smtp.port, loopback_policy()).await;
    let run = run_notify(&n.stack, json!({})).await;
    settled(&n.stack, &run, 2).await;
    let (list, _) = api_notifications(&n.stack, &run.run_id).await;
    let hook = list["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .find(|n| n["event"] == "task_success")
        .expect("shown")
        .clone();
    assert_eq!(hook["state"], "failed", "{hook}");
    hook["last_error"].clone()
}

/// A webhook is no port scanner: a closed port and an open one that does not speak HTTP (a
/// service's banner, then a close) look alike to whoever reads the run's notifications.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_shows_the_same_failure_for_a_closed_port_and_an_open_one() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let open = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let open_port = open.local_addr().expect("addr").port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt as _;
        while let Ok((mut socket, _)) = open.accept().await {
            let _ = socket.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").await;
        }
    });
    let from_closed = shown_webhook_error(&format!("http://127.0.0.1:{closed}/hook")).await;
    let from_open = shown_webhook_error(&format!("http://127.0.0.1:{open_port}/hook")).await;
    assert_eq!(from_closed, json!("failed"));
    assert_eq!(from_open, from_closed);
}
