//! Notifications, distributed (PostgreSQL, Redis, and the server, scheduler and worker as
//! processes): a task's retry and failure and its run's failure reach a webhook (signed with
//! the connection's password) and a real SMTP server (aiosmtpd), delivered by the server;
//! `wfctl runs notifications` and the API show them. A webhook whose endpoint is down fails
//! after its retries while the run ends as it would have.

use std::path::Path;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use weft_client::api::notifications::NotificationView;
use weft_client::api::workers::WorkerStatus;
use weft_e2e::{Cluster, WorkerSpec, process::wait_for};
use weft_model::{DagRunState, TaskState};
use weft_test_guests_artifacts as guests;
use weft_testkit::smtp::SmtpServer;
use weft_testkit::webhook::WebhookReceiver;

const WAIT: Duration = Duration::from_secs(60);
/// 32 bytes, base64: the key connections are sealed with.
const KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const HOOK_SECRET: &str = "hook-e2e-Qx4Lp8";

/// A cluster whose processes may reach loopback webhooks and SMTP, retrying notifications
/// quickly.
fn cluster() -> Cluster {
    let mut cluster = Cluster::on_shared_redis();
    cluster.server_env = vec![("WEFT_SECRET_KEY".into(), KEY.into())];
    cluster.set_env("WEFT_EGRESS_ALLOW", "http://127.0.0.1:*;tcp://127.0.0.1:*");
    cluster.set_env("WEFT_EGRESS_ALLOW_NETS", "127.0.0.0/8");
    cluster.set_env("WEFT_NOTIFY_MAX_ATTEMPTS", "2");
    cluster.set_env("WEFT_NOTIFY_RETRY_DELAY", "100ms");
    cluster
}

/// Connections `notify_hook` (a webhook to `hook_url`, signed) and `notify_smtp`.
fn add_connections(cluster: &Cluster, hook_url: &str, smtp: &SmtpServer) {
    let port = smtp.port.to_string();
    for args in [
        &[
            "connections",
            "add",
            "notify_hook",
            "--type",
            "http",
            "--host",
            hook_url,
            "--password",
            HOOK_SECRET,
        ][..],
        &[
            "connections",
            "add",
            "notify_smtp",
            "--type",
            "smtp",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--extra",
            r#"{"from": "Weft <weft@example.com>", "tls": "none"}"#,
        ],
    ] {
        let (code, out) = cluster.wfctl(args);
        assert_eq!(code, 0, "{out}");
    }
}

/// The run's notifications once none is pending (and at least `count` exist).
fn settled(cluster: &Cluster, run_id: &str, count: usize) -> Vec<NotificationView> {
    let api = cluster.api();
    wait_for("the notifications to settle", WAIT, || {
        let all = api
            .read("the notifications", |client| {
                client.notifications("notify", run_id)
            })
            .notifications;
        (all.len() >= count && all.iter().all(|n| n.state != "pending")).then_some(all)
    })
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn a_failing_task_and_its_run_notify_by_webhook_and_email_across_processes() {
    let hook = WebhookReceiver::start();
    let smtp = SmtpServer::start();
    let hook_url = hook.url("/hook");
    let mut cluster = cluster();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let mut worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    add_connections(&cluster, &hook_url, &smtp);
    let api = cluster.api();
    api.deploy(Path::new(guests::NOTIFY));

    let run_id = api.trigger("notify", json!({"fail": true}), None);
    let run = api.wait_run("notify", &run_id, WAIT);
    assert_eq!(run.run.state, DagRunState::Failed, "{run:?}");

    // The worker's last heartbeat, as it stops, counts both failed tries among the attempts
    // it ran.
    assert_eq!(
        worker.terminate(Duration::from_secs(20)),
        Some(0),
        "{}",
        worker.output()
    );
    let ran: u64 = run
        .task_instances
        .iter()
        .filter(|ti| ti.state == TaskState::Success || ti.state == TaskState::Failed)
        .map(|ti| u64::from(ti.try_number))
        .sum();
    let workers = api.workers();
    let stopped = workers
        .workers
        .first()
        .unwrap_or_else(|| panic!("no worker: {workers:?}"));
    assert_eq!(stopped.status, WorkerStatus::Stopped, "{workers:?}");
    assert_eq!(stopped.failed, 2, "{workers:?}");
    assert_eq!(stopped.finished, ran, "{workers:?}");

    let all = settled(&cluster, &run_id, 4);
    let summary: Vec<(&str, Option<u32>, &str)> = all
        .iter()
        .map(|n| (n.event.as_str(), n.try_number, n.state.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("task_retry", Some(1), "delivered"),
            ("task_failure", Some(2), "delivered"),
            ("run_failure", None, "delivered"),
            ("run_failure", None, "delivered"),
        ],
        "{all:#?}"
    );

    let requests = hook.received();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    for request in &requests {
        let signature = format!("sha256={}", hmac_hex(HOOK_SECRET, &request.body));
        assert_eq!(request.header("weft-signature"), Some(signature.as_str()));
        // The webhook's payload, as the server sends it to the endpoint.
        let body: Value = serde_json::from_slice(&request.body).expect("json");
        assert_eq!(body["version"], 1);
        assert_eq!(body["dag_id"], "notify");
        assert_eq!(body["run_id"], run_id.as_str());
        if body["event"] == "task_failure" {
            assert_eq!(body["task_id"], "work");
            assert_eq!(body["state"], "failed");
            let error = body["error"].as_str().unwrap_or("");
            assert!(error.contains("work failed on try 2"), "{body}");
        }
    }

    let messages = smtp.messages();
    let [message] = &messages[..] else {
        panic!("expected one email, got {messages:#?}");
    };
    assert!(
        message.contains(&format!("Subject: [weft] run_failure: notify / {run_id}\n")),
        "{message}"
    );
    assert!(message.contains("To: ops@example.com\n"), "{message}");
    assert!(
        message.contains(&format!("run_id:       {run_id}\n")),
        "{message}"
    );

    // The CLI shows them, without the secret.
    let (code, out) = cluster.wfctl(&["runs", "notifications", "notify", &run_id]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("task_failure") && out.contains("delivered"),
        "{out}"
    );
    assert!(
        out.contains("email notify_smtp -> ops@example.com"),
        "{out}"
    );
    assert!(!out.contains(HOOK_SECRET), "{out}");
}

#[test]
fn a_webhook_that_is_down_fails_after_its_retries_across_processes() {
    let smtp = SmtpServer::start();
    let closed = weft_e2e::process::free_port();
    let hook_url = format!("http://127.0.0.1:{closed}/hook");
    let mut cluster = cluster();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    add_connections(&cluster, &hook_url, &smtp);
    let api = cluster.api();
    api.deploy(Path::new(guests::NOTIFY));

    let run_id = api.trigger("notify", json!({}), None);
    let run = api.wait_run("notify", &run_id, WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");

    let all = settled(&cluster, &run_id, 2);
    let hook = all
        .iter()
        .find(|n| n.event == "task_success")
        .expect("task_success");
    assert_eq!(hook.state, "failed", "{hook:?}");
    assert_eq!(hook.attempts, 2, "{hook:?}");
    // Shown without the address, port or OS error (those go to the server's log).
    assert_eq!(hook.last_error.as_deref(), Some("failed"), "{hook:?}");
    let email = all
        .iter()
        .find(|n| n.event == "run_success")
        .expect("run_success");
    assert_eq!(email.state, "delivered", "{email:?}");
    assert_eq!(smtp.messages().len(), 1);
    // The run is as it ended.
    assert_eq!(api.run("notify", &run_id).run.state, DagRunState::Success);
}
