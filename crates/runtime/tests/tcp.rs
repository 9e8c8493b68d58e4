//! Raw TCP through `wasi:sockets` under the egress policy, against real echo servers on
//! loopback: a connection goes out only to an address both the task's and the operator's
//! `tcp://` rules allow and the address checks pass; listening and UDP never work; a refusal
//! is logged as `tcp denied` and fails the attempt as `egress_denied`. Names resolve only when
//! the task's `tcp://` rules name them (`dns denied` otherwise).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use serde_json::{Value, json};
use task::{Task, log_text, output, policy};
use weft_runtime::{EgressPolicy, ErrorClass, MemoryHost, Runtime, TaskOutcome, TaskReport};
use weft_test_guests_artifacts as guests;

#[path = "support/task.rs"]
mod task;

/// A server on `127.0.0.1:0` that sends back every line it reads, one thread per client.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().expect("clone");
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if writer.write_all(format!("{line}\n").as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// A server on `127.0.0.1:0` that accepts connections and never writes nor closes them.
fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    addr
}

const LOOPBACK: &[&str] = &["127.0.0.0/8", "::1/128"];

fn runtime(egress: EgressPolicy) -> Runtime {
    task::runtime(2, egress)
}

fn run(runtime: &Runtime, task: &str, conf: Value) -> TaskReport {
    run_for(runtime, task, conf, Duration::from_secs(20))
}

fn run_for(runtime: &Runtime, task: &str, conf: Value, timeout: Duration) -> TaskReport {
    Task {
        guest: guests::TCP_PROBE,
        dag_id: "tcp_probe",
        task_id: task,
        conf,
        host: MemoryHost::default(),
        timeout,
    }
    .run(runtime)
}

fn connect(addrs: &[String]) -> Value {
    json!({ "connect": addrs })
}

/// Connecting to `addr` is refused: the guest sees permission denied, the log says why
/// (`expect_log`), and with `fail_on_error` the attempt fails as `egress_denied`, not retried.
fn assert_refused(runtime: &Runtime, task: &str, addr: &str, expect_log: &str) {
    let report = run(runtime, task, connect(&[addr.to_owned()]));
    let seen = &output(&report)["connections"][0];
    assert_eq!(seen["ok"], json!(false), "{task} → {addr}: {seen}");
    assert!(
        seen["error"]
            .as_str()
            .is_some_and(|e| e.contains("PermissionDenied")),
        "{task} → {addr}: {seen}"
    );
    let log = log_text(&report);
    assert!(
        log.contains(&format!("tcp denied: {addr}")) && log.contains(expect_log),
        "{task} → {addr}: {log}"
    );
    let mut conf = connect(&[addr.to_owned()]);
    conf["fail_on_error"] = json!(true);
    let report = run(runtime, task, conf);
    let TaskOutcome::Failed(failure) = &report.outcome else {
        panic!(
            "{task} → {addr}: expected a failure, got {:?}",
            report.outcome
        )
    };
    assert_eq!(failure.class(), ErrorClass::EgressDenied, "{failure}");
    assert!(!failure.is_retryable());
}

#[test]
fn an_allowed_port_echoes() {
    let server = echo_server();
    let port = server.port();
    let rt = runtime(policy(
        &[&format!("tcp://127.0.0.1:{port}"), "tcp://localhost:*"],
        LOOPBACK,
    ));
    let addrs = [server.to_string(), format!("localhost:{port}")];
    let report = run(&rt, "probe", connect(&addrs));
    let out = output(&report);
    for (i, addr) in addrs.iter().enumerate() {
        let seen = &out["connections"][i];
        assert_eq!(seen["ok"], json!(true), "{addr}: {out}; {:?}", report.log);
        assert_eq!(seen["echo"], json!(format!("hello {addr}")), "{out}");
    }
}

#[test]
fn a_tenants_tcp_rules_narrow_what_the_task_and_the_operator_allow() {
    let server = echo_server();
    let port = server.port();
    let rt = runtime(policy(
        &["tcp://127.0.0.1:*", "tcp://localhost:*"],
        LOOPBACK,
    ));
    let in_tenant = |rules: &[&str]| {
        Task {
            guest: guests::TCP_PROBE,
            dag_id: "tcp_probe",
            task_id: "probe",
            conf: connect(&[server.to_string()]),
            host: MemoryHost::default(),
            timeout: Duration::from_secs(20),
        }
        .run_in_tenant(&rt, rules)
    };
    let report = in_tenant(&[&format!("tcp://127.0.0.1:{port}")]);
    assert_eq!(
        output(&report)["connections"][0]["ok"],
        json!(true),
        "{}",
        log_text(&report)
    );
    // The task and the operator allow any port; the tenant only another one.
    let report = in_tenant(&["tcp://127.0.0.1:1", "http://127.0.0.1:*"]);
    assert_eq!(output(&report)["connections"][0]["ok"], json!(false));
    let log = log_text(&report);
    assert!(
        log.contains(&format!("tcp denied: {server}"))
            && log.contains("not in the tenant's tcp:// egress rules (tcp://127.0.0.1:1)"),
        "{log}"
    );
    // A tenant without any tcp:// rule grants no sockets (nor name lookups) at all.
    let report = in_tenant(&["http://127.0.0.1:*"]);
    assert_eq!(
        output(&report)["connections"][0]["ok"],
        json!(false),
        "{}",
        log_text(&report)
    );
}

#[test]
fn another_port_of_the_same_host_is_refused() {
    let allowed = echo_server();
    let other = echo_server();
    let rt = runtime(policy(
        &[&format!("tcp://127.0.0.1:{}", allowed.port())],
        LOOPBACK,
    ));
    assert_refused(
        &rt,
        "probe",
        &other.to_string(),
        "not allowed by this host's tcp:// egress rules",
    );
    // The task's own rules bind too: `narrow` allows port 9 only.
    let rt = runtime(policy(&["tcp://127.0.0.1:*"], LOOPBACK));
    assert_refused(
        &rt,
        "narrow",
        &allowed.to_string(),
        "not in the task's tcp:// egress rules",
    );
}

#[test]
fn a_task_rule_without_an_operator_rule_is_refused() {
    let server = echo_server();
    // The operator allows HTTP to the address, which opens no raw TCP.
    let rt = runtime(policy(&["127.0.0.1:*", "http://localhost:*"], LOOPBACK));
    assert_refused(
        &rt,
        "probe",
        &server.to_string(),
        "not allowed by this host's tcp:// egress rules (none)",
    );
}

#[test]
fn loopback_needs_allow_nets_even_when_both_rules_match() {
    let server = echo_server();
    let rt = runtime(policy(&["tcp://localhost:*", "tcp://127.0.0.1:*"], &[]));
    let report = run(
        &rt,
        "probe",
        connect(&[format!("localhost:{}", server.port())]),
    );
    let seen = &output(&report)["connections"][0];
    assert_eq!(seen["ok"], json!(false), "{seen}");
    let log = log_text(&report);
    assert!(
        log.contains("tcp denied") && log.contains("loopback"),
        "{log}"
    );
    assert_refused(&rt, "probe", &server.to_string(), "is a loopback address");
}

#[test]
fn udp_and_listening_are_refused() {
    let rt = runtime(policy(&["tcp://127.0.0.1:*"], LOOPBACK));
    let report = run(&rt, "probe", json!({"udp": true, "listen": true}));
    let out = output(&report);
    assert_eq!(out["udp"]["ok"], json!(false), "{out}");
    assert_eq!(out["listen"]["ok"], json!(false), "{out}");
    let log = log_text(&report);
    assert!(log.contains("tcp denied: 127.0.0.1:0"), "{log}");
}

#[test]
fn a_task_without_tcp_rules_cannot_connect() {
    let server = echo_server();
    let rt = runtime(policy(
        &["tcp://127.0.0.1:*", "http://127.0.0.1:*"],
        LOOPBACK,
    ));
    for task in ["bare", "http_only"] {
        let report = run(
            &rt,
            task,
            json!({"connect": [server.to_string()], "udp": true, "listen": true}),
        );
        let out = output(&report);
        for probe in [&out["connections"][0], &out["udp"], &out["listen"]] {
            assert_eq!(probe["ok"], json!(false), "{task}: {out}");
        }
        assert!(
            out["connections"][0]["error"]
                .as_str()
                .is_some_and(|e| e.contains("PermissionDenied")),
            "{task}: {out}"
        );
    }
}

#[test]
fn connections_are_capped_per_attempt() {
    let server = echo_server();
    let mut egress = policy(&["tcp://127.0.0.1:*"], LOOPBACK);
    egress.limits.max_tcp_connections = 2;
    let rt = runtime(egress);
    let addrs = vec![server.to_string(); 3];
    let report = run(&rt, "probe", connect(&addrs));
    let out = output(&report);
    assert_eq!(out["connections"][0]["ok"], json!(true), "{out}");
    assert_eq!(out["connections"][1]["ok"], json!(true), "{out}");
    assert_eq!(out["connections"][2]["ok"], json!(false), "{out}");
    let log = log_text(&report);
    assert!(log.contains("at most 2 TCP connections"), "{log}");
    // Each attempt counts afresh.
    let report = run(&rt, "probe", connect(&addrs[..2]));
    assert_eq!(output(&report)["connections"][1]["ok"], json!(true));
}

#[test]
fn a_silent_peer_cannot_hold_the_attempt_past_its_deadline() {
    let server = silent_server();
    let rt = runtime(policy(&["tcp://127.0.0.1:*"], LOOPBACK));
    let started = std::time::Instant::now();
    let report = run_for(
        &rt,
        "probe",
        connect(&[server.to_string()]),
        Duration::from_secs(2),
    );
    let TaskOutcome::Failed(failure) = &report.outcome else {
        panic!("expected a timeout, got {:?}", report.outcome)
    };
    assert_eq!(failure.class(), ErrorClass::Timeout, "{failure}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// Special-purpose addresses that are real local networks on many cloud and VM networks
/// (the documentation ranges) and the IPv4-compatible form are refused even when the task's
/// and the operator's rules both name them: nothing is sent to them.
#[test]
fn documentation_ranges_and_ipv4_compatible_addresses_are_refused() {
    let rules = [
        "tcp://192.0.2.1:7",
        "tcp://198.51.100.1:7",
        "tcp://203.0.113.1:7",
        "tcp://[::c000:201]:7",
    ];
    let rt = runtime(policy(&rules, &[]));
    for (addr, range) in [
        (
            "192.0.2.1:7",
            "is a documentation (TEST-NET-1) address (192.0.2.0/24, RFC 5737)",
        ),
        ("198.51.100.1:7", "TEST-NET-2"),
        ("203.0.113.1:7", "TEST-NET-3"),
    ] {
        assert_refused(&rt, "documentation", addr, range);
    }
    // wasmtime-wasi refuses the IPv4-compatible form itself, before the policy is asked (the
    // policy's table refuses it too, for HTTP and SQL).
    let report = run(
        &rt,
        "documentation",
        connect(&["[::c000:201]:7".to_owned()]),
    );
    let seen = &output(&report)["connections"][0];
    assert_eq!(seen["ok"], json!(false), "{seen}");
    assert!(
        seen["error"]
            .as_str()
            .is_some_and(|e| e.contains("InvalidInput")),
        "{seen}"
    );
}

/// A name is looked up only when a `tcp://` rule of the task names it: a DNS query is a
/// channel out and a probe of internal names. Other names are refused before any resolver
/// is asked, whatever address they would resolve to; the task's own names still resolve.
#[test]
fn only_the_names_a_tasks_rules_name_resolve() {
    let server = echo_server();
    let port = server.port();
    let rt = runtime(policy(
        &[
            "tcp://127.0.0.1:*",
            "tcp://localhost:*",
            "tcp://*.example:*",
        ],
        LOOPBACK,
    ));
    // `probe` names localhost: it resolves and connects.
    let report = run(&rt, "probe", connect(&[format!("LocalHost:{port}")]));
    let seen = &output(&report)["connections"][0];
    assert_eq!(seen["ok"], json!(true), "{seen}; {}", log_text(&report));
    // `narrow` names only 127.0.0.1: `localhost` (a name of this host, resolving to an
    // address the task may reach) is not looked up; `probe` does not name `other.example`,
    // which the operator's wildcard would allow.
    for (task, name) in [("narrow", "localhost"), ("probe", "other.example")] {
        let addr = format!("{name}:{port}");
        let report = run(&rt, task, connect(std::slice::from_ref(&addr)));
        let seen = &output(&report)["connections"][0];
        assert_eq!(seen["ok"], json!(false), "{task} → {addr}: {seen}");
        let log = log_text(&report);
        assert!(
            log.contains(&format!(
                "dns denied: {name:?} is not a host the task's tcp:// egress rules name"
            )),
            "{task} → {addr}: {log}"
        );
        assert!(!log.contains("tcp denied"), "{task} → {addr}: {log}");
        let mut conf = connect(std::slice::from_ref(&addr));
        conf["fail_on_error"] = json!(true);
        let report = run(&rt, task, conf);
        let TaskOutcome::Failed(failure) = &report.outcome else {
            panic!(
                "{task} → {addr}: expected a failure, got {:?}",
                report.outcome
            )
        };
        assert_eq!(failure.class(), ErrorClass::EgressDenied, "{failure}");
    }
}
