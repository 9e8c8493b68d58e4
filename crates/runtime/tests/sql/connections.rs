//! Which connections a task may open through `sql`: declared ones, of a type it opens, to
//! a server the operator's egress policy allows; and which keep their password.

use serde_json::json;

use crate::fixture::{host, message, my, pg, policy, run, run_on, runtime, runtime_with};
use crate::task::{Task, log_text, output};

#[test]
fn undeclared_missing_and_unsupported_connections_are_refused() {
    let rt = runtime();
    let out = output(&run_on(&rt, host([]), "bare", json!({"conn": "pg"})));
    assert_eq!(out["open"]["error"]["kind"], "not-declared", "{out}");
    let out = output(&run(&rt, json!({"conn": "missing"})));
    assert_eq!(out["open"]["error"]["kind"], "not-found", "{out}");
    let out = output(&run(&rt, json!({"conn": "files"})));
    assert_eq!(out["open"]["error"]["kind"], "unsupported", "{out}");
    assert!(message(&out["open"]["error"]).contains("\"s3\""), "{out}");
}

#[test]
fn connections_outside_the_egress_policy_are_denied() {
    let (pg, my) = (pg(), my());
    // No operator rule for the server.
    let rt = runtime_with(policy(&[], &["127.0.0.0/8"]));
    for s in [&pg, &my] {
        let report = run(&rt, json!({"conn": s.id()}));
        let out = output(&report);
        assert_eq!(out["open"]["error"]["kind"], "denied", "{out}");
        let message = message(&out["open"]["error"]);
        assert!(
            message.contains(&format!("tcp://{}:{}", s.host, s.port)),
            "{message}"
        );
        assert!(
            log_text(&report).contains("sql denied:"),
            "{:?}",
            report.log
        );
    }
    // A rule, but the name resolves to loopback, which the policy does not open.
    let rt = runtime_with(policy(&[&pg], &[]));
    let report = run(&rt, json!({"conn": "local"}));
    let out = output(&report);
    assert_eq!(out["open"]["error"]["kind"], "denied", "{out}");
    assert!(message(&out["open"]["error"]).contains("loopback"), "{out}");
    let report = run(&rt, json!({"conn": "pg"}));
    assert_eq!(output(&report)["open"]["error"]["kind"], "denied");
}

#[test]
fn a_tenants_rules_narrow_the_servers_a_session_may_reach() {
    let pg = pg();
    let rt = runtime();
    let in_tenant = |rules: &[&str]| {
        Task {
            guest: weft_test_guests_artifacts::SQL_PROBE,
            dag_id: "sql_probe",
            task_id: "probe",
            conf: json!({"conn": "pg"}),
            host: host([]),
            timeout: std::time::Duration::from_secs(60),
        }
        .run_in_tenant(&rt, rules)
    };
    let own = format!("tcp://{}:{}", pg.host, pg.port);
    let out = output(&in_tenant(&[&own]));
    assert_eq!(out["open"], json!({"ok": true}), "{out}");
    // The task declares the connection and the operator allows its server; the tenant does
    // not.
    let report = in_tenant(&["tcp://warehouse.example.com:5432"]);
    let out = output(&report);
    assert_eq!(out["open"]["error"]["kind"], "denied", "{out}");
    assert!(
        message(&out["open"]["error"]).contains("not in the tenant's egress rules"),
        "{out}"
    );
    assert!(
        log_text(&report).contains("sql denied:"),
        "{:?}",
        report.log
    );
}

#[test]
fn other_connection_types_keep_their_password() {
    let rt = runtime();
    let out = output(&run(&rt, json!({"get": "files"})));
    assert_eq!(out["connection"]["has_password"], true, "{out}");
}
