//! Outgoing HTTP under the egress policy, against real HTTP and HTTPS servers on loopback:
//! what is allowed goes through; every way around the policy is refused with `egress_denied`;
//! limits cut off big and slow responses; secrets are put into requests by the host and
//! masked in logs.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::backtraces;
use support::http_server::{self, TOKEN};
use support::task::{self, Task, log_text, output, policy};
use weft_protocol::Connection;
use weft_runtime::{
    EgressLimits, EgressPolicy, ErrorClass, MemoryHost, Runtime, TaskOutcome, TaskReport,
};
use weft_test_guests_artifacts as guests;

fn runtime(egress: EgressPolicy) -> Runtime {
    task::runtime(4, egress)
}

/// Loopback is allowed explicitly: the test servers live there.
fn loopback_runtime() -> Runtime {
    runtime(policy(
        &["127.0.0.1:*", "localhost:*"],
        &["127.0.0.0/8", "::1/128"],
    ))
}

fn host() -> MemoryHost {
    MemoryHost::default().with_access(
        [Connection {
            conn_id: "db".into(),
            conn_type: "postgres".into(),
            host: Some("db.internal".into()),
            port: Some(5432),
            schema: None,
            login: Some("app".into()),
            password: Some("db-password-123".into()),
            extra: json!({"api_key": EXTRA_KEY, "regions": [{"token": EXTRA_NESTED}], "port": 1}),
        }],
        [("token".to_owned(), TOKEN.to_owned())],
    )
}

/// Values of the connection's `extra`, which the host hands the task and masks.
const EXTRA_KEY: &str = "extra-api-key-0451";
const EXTRA_NESTED: &str = "nested-extra-token-77";

fn run(runtime: &Runtime, task: &str, conf: Value) -> TaskReport {
    Task {
        guest: guests::EGRESS_PROBE,
        dag_id: "egress_probe",
        task_id: task,
        conf,
        host: host(),
        timeout: Duration::from_secs(20),
    }
    .run(runtime)
}

fn one_request(method: &str, url: &str) -> Value {
    json!({"requests": [{"method": method, "url": url}]})
}

fn first(report: &TaskReport) -> Value {
    output(report)["responses"][0].clone()
}

fn assert_denied_and_class(runtime: &Runtime, task: &str, request: Value, expect_log: &str) {
    let mut conf = request.clone();
    let seen = first(&run(runtime, task, conf.clone()));
    assert!(
        seen["error"].as_str().is_some_and(
            |e| e.contains("HttpRequestDenied") || e.contains("DestinationIpProhibited")
        ),
        "{request}: expected a denial, got {seen}"
    );
    conf["fail_on_error"] = json!(true);
    let report = run(runtime, task, conf);
    let TaskOutcome::Failed(failure) = &report.outcome else {
        panic!("{request}: expected a failure, got {:?}", report.outcome)
    };
    assert_eq!(failure.class(), ErrorClass::EgressDenied, "{failure}");
    assert!(!failure.is_retryable());
    let log = log_text(&report);
    assert!(
        log.contains("egress denied") && log.contains(expect_log),
        "{log}"
    );
}

#[test]
fn an_allowed_request_goes_through() {
    let addr = http_server::start_http();
    let rt = loopback_runtime();
    let seen = first(&run(
        &rt,
        "probe",
        one_request("GET", &format!("http://{addr}/ok")),
    ));
    assert_eq!(seen["status"], 200, "{seen}");
    assert_eq!(seen["body"], "hello");
    let upload = json!({"requests": [{"method": "POST", "url": format!("http://{addr}/upload"),
        "body": "y".repeat(100_000)}]});
    let seen = first(&run(&rt, "probe", upload));
    assert_eq!(seen["body"], "100000", "{seen}");
}

#[test]
fn hosts_ports_methods_and_schemes_off_the_list_are_refused() {
    let addr = http_server::start_http();
    let port = addr.port();
    let rt = loopback_runtime();
    // The task allows GET,POST on http://127.0.0.1:* only (and GET on localhost).
    assert_denied_and_class(
        &rt,
        "probe",
        one_request("DELETE", &format!("http://127.0.0.1:{port}/ok")),
        "not in the task's egress allowlist",
    );
    assert_denied_and_class(
        &rt,
        "probe",
        one_request("GET", &format!("https://127.0.0.1:{port}/ok")),
        "not in the task's egress allowlist",
    );
    assert_denied_and_class(
        &rt,
        "probe",
        one_request("GET", &format!("http://127.0.0.2:{port}/ok")),
        "not in the task's egress allowlist",
    );
    // A task that declares nothing reaches nothing.
    assert_denied_and_class(
        &rt,
        "bare",
        one_request("GET", &format!("http://127.0.0.1:{port}/ok")),
        "not in the task's egress allowlist (empty)",
    );
    // The operator's list narrows the task's: only this port.
    let narrow = runtime(policy(&["127.0.0.1:1"], &["127.0.0.0/8"]));
    assert_denied_and_class(
        &narrow,
        "probe",
        one_request("GET", &format!("http://127.0.0.1:{port}/ok")),
        "not allowed by this host's egress policy",
    );
}

#[test]
fn a_tenants_rules_narrow_what_the_task_and_the_operator_allow() {
    let addr = http_server::start_http();
    let port = addr.port();
    let rt = loopback_runtime();
    let in_tenant = |rules: &[&str], method: &str| {
        Task {
            guest: guests::EGRESS_PROBE,
            dag_id: "egress_probe",
            task_id: "probe",
            conf: one_request(method, &format!("http://127.0.0.1:{port}/ok")),
            host: host(),
            timeout: Duration::from_secs(20),
        }
        .run_in_tenant(&rt, rules)
    };
    // Within all three: it goes out.
    let report = in_tenant(&["GET http://127.0.0.1:*"], "GET");
    assert_eq!(first(&report)["status"], 200, "{}", log_text(&report));
    // The task and the operator allow POST; the tenant does not.
    let report = in_tenant(&["GET http://127.0.0.1:*"], "POST");
    assert!(first(&report)["error"].is_string(), "{}", log_text(&report));
    let log = log_text(&report);
    assert!(
        log.contains("is not in the tenant's egress rules (GET http://127.0.0.1:*)"),
        "{log}"
    );
    // A tenant allowed nowhere reaches nothing.
    let report = in_tenant(&[], "GET");
    assert!(first(&report)["error"].is_string(), "{}", log_text(&report));
    assert!(
        log_text(&report).contains("is not in the tenant's egress rules (empty)"),
        "{}",
        log_text(&report)
    );
}

#[test]
fn a_redirect_to_a_denied_host_is_refused() {
    let addr = http_server::start_http();
    let rt = loopback_runtime();
    let to = "http://169.254.169.254/latest/meta-data/";
    let conf = json!({"requests": [{"method": "GET", "follow": true,
        "url": format!("http://{addr}/redirect?to={to}")}]});
    let seen = first(&run(&rt, "probe", conf));
    assert!(
        seen["error"]
            .as_str()
            .is_some_and(|e| e.contains("HttpRequestDenied")),
        "{seen}"
    );
    // An allowed hop is followed.
    let conf = json!({"requests": [{"method": "GET", "follow": true,
        "url": format!("http://{addr}/redirect?to=http://{addr}/ok")}]});
    assert_eq!(first(&run(&rt, "probe", conf))["body"], "hello");
}

#[test]
fn a_name_resolving_to_a_refused_address_is_refused() {
    let addr = http_server::start_http();
    // Both lists allow the name, but loopback addresses are not allowed.
    let rt = runtime(policy(&["localhost:*"], &[]));
    assert_denied_and_class(
        &rt,
        "probe",
        one_request("GET", &format!("http://localhost:{}/ok", addr.port())),
        "resolves only to refused addresses",
    );
}

#[test]
fn big_and_slow_responses_are_cut_off() {
    let addr = http_server::start_http();
    let mut egress = policy(&["127.0.0.1:*"], &["127.0.0.0/8"]);
    egress.limits = EgressLimits {
        max_received_bytes: 10_000,
        first_byte_timeout: Duration::from_millis(300),
        ..EgressLimits::default()
    };
    let rt = runtime(egress);
    let seen = first(&run(
        &rt,
        "probe",
        one_request("GET", &format!("http://{addr}/big")),
    ));
    assert!(
        seen["error"]
            .as_str()
            .is_some_and(|e| e.contains("HttpResponseBodySize")),
        "{seen}"
    );
    let started = std::time::Instant::now();
    let seen = first(&run(
        &rt,
        "probe",
        one_request("GET", &format!("http://{addr}/slow")),
    ));
    assert!(
        seen["error"]
            .as_str()
            .is_some_and(|e| e.contains("Timeout")),
        "{seen}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the slow server was not cut off"
    );

    let mut egress = policy(&["127.0.0.1:*"], &["127.0.0.0/8"]);
    egress.limits.max_requests = 2;
    let rt = runtime(egress);
    let url = format!("http://{addr}/ok");
    let conf = json!({"requests": [{"url": url}, {"url": url}, {"url": url}]});
    let responses = output(&run(&rt, "probe", conf))["responses"].clone();
    assert_eq!(responses[1]["status"], 200);
    assert!(responses[2]["error"].is_string(), "{responses}");
}

/// With `RUST_BACKTRACE` set for the worker's process, a task that asks for the text of a
/// failed stream (`wasi:io/error.to-debug-string`, here a response body cut off mid-stream)
/// gets the error's message, never a host backtrace nor source paths (and the worker
/// symbolizes nothing for it).
#[test]
fn a_failed_streams_text_carries_no_host_backtrace() {
    if !backtraces::in_child() {
        backtraces::rerun_with_backtraces(
            module_path!(),
            "a_failed_streams_text_carries_no_host_backtrace",
        );
        return;
    }
    let addr = http_server::start_http();
    let mut egress = policy(&["127.0.0.1:*"], &["127.0.0.0/8"]);
    egress.limits.max_received_bytes = 10_000;
    let rt = runtime(egress);
    let request = json!({"url": format!("http://{addr}/unsized"), "debug_error": true});
    let seen = first(&run(&rt, "probe", json!({"requests": [request]})));
    let text = seen["error"].as_str().unwrap_or_default();
    assert!(text.contains("response body size exceeds limit"), "{seen}");
    backtraces::assert_nothing_of_the_host(text);
}

#[test]
fn https_works_with_the_configured_ca_and_fails_without() {
    let (addr, ca_pem) = http_server::start_https();
    let url = format!("https://localhost:{}/ok", addr.port());
    let without = loopback_runtime();
    let seen = first(&run(&without, "probe", one_request("GET", &url)));
    assert!(
        seen["error"].as_str().is_some_and(|e| e.contains("Tls")),
        "{seen}"
    );

    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).expect("write CA");
    let mut egress = policy(&["127.0.0.1:*", "localhost:*"], &["127.0.0.0/8", "::1/128"]);
    egress.trust_pem_file(&ca).expect("CA file");
    let with = runtime(egress);
    let seen = first(&run(&with, "probe", one_request("GET", &url)));
    assert_eq!(seen["status"], 200, "{seen}");
    assert_eq!(seen["body"], "hello");
}

#[test]
fn secrets_are_put_in_by_the_host_and_masked_in_the_log() {
    let addr = http_server::start_http();
    let rt = loopback_runtime();
    let conf = json!({
        "requests": [
            {"url": format!("http://{addr}/token"), "headers": [["x-token", "{{secret:token}}"]]},
            {"url": format!("http://{addr}/token?token={{{{secret:token}}}}")},
            {"url": format!("http://{addr}/token"), "headers": [["x-token", "{{secret:other}}"]]},
            {"url": format!("http://{addr}/token?token=%7B%7Bsecret:token%7D%7D")},
        ],
        "print_secret": "token",
        "connection": "db",
    });
    let report = run(&rt, "probe", conf);
    let out = output(&report);
    assert_eq!(out["responses"][0]["body"], "match", "{out}");
    assert_eq!(out["responses"][1]["body"], "match", "{out}");
    assert!(
        out["responses"][2]["error"].is_string(),
        "an undeclared secret must be refused: {out}"
    );
    assert_eq!(out["secret"], "ok");
    assert_eq!(out["connection"]["login"], "app");
    let log = log_text(&report);
    assert!(
        !log.contains(TOKEN),
        "the secret leaked into the log: {log}"
    );
    assert!(
        log.contains("the secret is ***") && log.contains("logged secret: ***"),
        "{log}"
    );
}

#[test]
fn a_connections_extra_values_are_masked_in_the_log() {
    let rt = loopback_runtime();
    let report = run(
        &rt,
        "probe",
        json!({"connection": "db", "print_extra": true}),
    );
    assert_eq!(output(&report)["connection"]["printed"], true);
    let log = log_text(&report);
    for value in [EXTRA_KEY, EXTRA_NESTED] {
        assert!(!log.contains(value), "{value} leaked into the log: {log}");
    }
    assert!(
        log.matches(r#""api_key":"***""#).count() == 2
            && log.matches(r#"[{"token":"***"}]"#).count() == 2,
        "{log}"
    );
}

#[test]
fn a_secret_written_across_the_long_line_cut_is_masked_whole() {
    let rt = loopback_runtime();
    let report = run(
        &rt,
        "probe",
        json!({"print_secret": "token", "straddle": true}),
    );
    assert_eq!(output(&report)["secret"], "ok");
    // However the stored lines are put together, the secret is not in them.
    let lines: Vec<&str> = report
        .log
        .lines
        .iter()
        .map(|l| l.message.as_str())
        .collect();
    // Each line's ends, for a failure message that shows where the cut fell.
    let ends: Vec<String> = lines
        .iter()
        .map(|l| {
            let (head, tail) = l.split_at(l.len().min(20));
            format!("{head}..{}", &tail[tail.len().saturating_sub(20)..])
        })
        .collect();
    assert!(
        !lines.concat().contains(TOKEN),
        "the secret leaked: {ends:?}"
    );
    assert!(!lines.join("\n").contains(TOKEN), "{ends:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("*** after")),
        "the secret is masked where it was written: {ends:?}"
    );
}

#[test]
fn undeclared_connections_and_secrets_are_refused() {
    let rt = loopback_runtime();
    let out = output(&run(
        &rt,
        "bare",
        json!({"print_secret": "token", "connection": "db"}),
    ));
    assert!(
        out["secret"]
            .as_str()
            .is_some_and(|e| e.contains("NotDeclared")),
        "{out}"
    );
    assert!(
        out["connection"]
            .as_str()
            .is_some_and(|e| e.contains("NotDeclared")),
        "{out}"
    );
    let out = output(&run(&rt, "probe", json!({"connection": "nope"})));
    assert!(
        out["connection"]
            .as_str()
            .is_some_and(|e| e.contains("NotDeclared")),
        "{out}"
    );
}
