//! A tenant's sandbox policy on a distributed installation, set with `wfctl tenants` as the
//! README says: the tenant's default CPU budget stops a task that spins unless the task sets
//! a budget of its own, and narrowing the tenant's egress rules after a deploy refuses a
//! request the task and the operator both allow, while the tenant's requests within its
//! rules still go out.

use std::time::Duration;

use serde_json::{Value, json};
use weft_client::{Client, RunDetail};
use weft_e2e::{Api, Cluster, WorkerSpec};
use weft_model::TaskState;
use weft_test_guests_artifacts as guests;
use weft_testkit::webhook::WebhookReceiver;

/// `wfctl` as `token`, which must succeed: its standard output.
fn ok(cluster: &Cluster, token: &str, args: &[&str]) -> String {
    let (code, stdout, stderr) = cluster.wfctl_as(token, args);
    assert_eq!(code, 0, "wfctl {args:?}:\n{stdout}{stderr}");
    stdout
}

/// Run `egress_probe` as `run_id`, its task `probe` sending one GET to `url`: the run and
/// what `probe` answered for the request.
fn probe(api: &Api, run_id: &str, url: &str) -> (RunDetail, Value) {
    let conf = json!({"requests": [{"method": "GET", "url": url}]});
    api.trigger("egress_probe", conf, Some(run_id));
    let run = api.wait_run("egress_probe", run_id, Duration::from_secs(60));
    assert_eq!(
        Api::task(&run, "probe").state,
        TaskState::Success,
        "{run:?}"
    );
    let xcom = api.xcoms("egress_probe", run_id);
    let answer = xcom
        .xcoms
        .iter()
        .find(|x| x.task_id == "probe")
        .map(|x| x.value.clone())
        .unwrap_or(Value::Null);
    (run, answer)
}

#[test]
fn a_tenants_sandbox_policy_bounds_its_tasks() {
    let receiver = WebhookReceiver::start();
    let mut cluster = Cluster::on_shared_redis();
    // The operator allows plain HTTP to loopback, where the receiver listens.
    cluster.set_env(
        "WEFT_EGRESS_ALLOW",
        "http://127.0.0.1:*;http://localhost:*;https://localhost:*",
    );
    cluster.set_env("WEFT_EGRESS_ALLOW_NETS", "127.0.0.0/8,::1/128");
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let admin = weft_e2e::cluster::API_TOKEN;
    let made = ok(
        &cluster,
        admin,
        &[
            "tenants",
            "create",
            "team-s",
            "--egress-allow",
            "GET,POST http://127.0.0.1:*",
            "--egress-allow",
            "localhost:*",
            "--default-fuel",
            "200000000",
            "--max-timeout",
            "2m",
        ],
    );
    assert!(made.contains("team-s"), "{made}");
    let token = ok(
        &cluster,
        admin,
        &["tenants", "token", "team-s", "deployer", "--role", "editor"],
    )
    .trim()
    .to_owned();
    ok(&cluster, &token, &["deploy", guests::EGRESS_PROBE]);
    ok(&cluster, &token, &["deploy", guests::INFINITE_LOOP]);
    ok(&cluster, &token, &["deploy", guests::FUEL_BUDGET]);
    let api = Api::new(&cluster.url()).with_token(&token);

    // Within the tenant's rules, the request goes out.
    let url = receiver.url("/from-team-s");
    let (_, answer) = probe(&api, "within", &url);
    assert_eq!(answer["responses"][0]["status"], 200, "{answer}");
    assert_eq!(receiver.received().len(), 1);

    // The tenant's rules narrowed: the same request, which the task and the operator allow,
    // is refused and never reaches the receiver; the refusal is in the attempt's log.
    let shown = ok(
        &cluster,
        admin,
        &[
            "tenants",
            "sandbox",
            "team-s",
            "--egress-allow",
            "localhost:*",
        ],
    );
    assert!(
        shown.contains("egress=localhost:*") && shown.contains("default_fuel=200000000"),
        "{shown}"
    );
    let (_, answer) = probe(&api, "narrowed", &url);
    assert!(
        answer["responses"][0]["error"].is_string(),
        "refused: {answer}"
    );
    assert_eq!(receiver.received().len(), 1, "nothing more arrived");
    let log = api
        .get(&Client::log_path("egress_probe", "narrowed", "probe"))
        .to_string();
    assert!(log.contains("not in the tenant's egress rules"), "{log}");

    // The tenant's default CPU budget stops a task that would spin for its whole timeout.
    api.trigger("infinite_loop", json!({}), Some("spin"));
    let run = api.wait_run("infinite_loop", "spin", Duration::from_secs(60));
    let spin = Api::task(&run, "infinite_loop");
    assert_eq!(spin.state, TaskState::Failed, "{run:?}");
    assert_eq!(spin.error_class.as_deref(), Some("cpu_budget"), "{run:?}");
    assert!(
        spin.error
            .as_deref()
            .unwrap_or("")
            .contains("200000000 fuel"),
        "the tenant's budget: {run:?}"
    );

    // A task's own budget goes before the tenant's default: `spin` stops after its own
    // 2,000,000 units, and `count` finishes within them.
    api.trigger("fuel_budget", json!({}), Some("own"));
    let run = api.wait_run("fuel_budget", "own", Duration::from_secs(60));
    let spin = Api::task(&run, "spin");
    assert_eq!(spin.error_class.as_deref(), Some("cpu_budget"), "{run:?}");
    assert!(
        spin.error
            .as_deref()
            .unwrap_or("")
            .contains("of 2000000 fuel"),
        "the task's own budget: {run:?}"
    );
    assert_eq!(
        Api::task(&run, "count").state,
        TaskState::Success,
        "{run:?}"
    );
}
