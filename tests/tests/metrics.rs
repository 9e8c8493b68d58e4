//! Metrics: the API server, the scheduler and a worker each serve Prometheus' text format,
//! scraped and parsed here after a run: scheduling steps, worker attempts by outcome,
//! sandbox instantiation, store and Redis call latencies, pool slots and live workers. The
//! server's needs the installation administrator's token.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use weft_e2e::cluster::{Cluster, WorkerSpec};
use weft_e2e::process::free_port;
use weft_model::DagRunState;

/// A scrape: each sample (`name{labels}`, as written) and its value, every sample's family
/// declared with `# TYPE`.
fn parse(text: &str) -> HashMap<String, f64> {
    assert!(
        text.ends_with("# EOF\n"),
        "an OpenMetrics text ends with # EOF"
    );
    let mut types: Vec<String> = Vec::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(declared) = line.strip_prefix("# TYPE ") {
            let (family, kind) = declared.split_once(' ').expect("# TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram", "info", "unknown"].contains(&kind),
                "{line}"
            );
            types.push(family.to_owned());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        let value: f64 = value.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        let name = series.split('{').next().expect("a name");
        assert!(
            types.iter().any(|family| name.starts_with(family.as_str())),
            "{name} has no # TYPE"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        samples.insert(series.to_owned(), value);
    }
    samples
}

fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut request = agent.get(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    if status == 200 {
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap_or_default();
        assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    }
    (
        status,
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("no {series} in {:#?}", sorted(samples)))
}

fn sorted(samples: &HashMap<String, f64>) -> Vec<&String> {
    let mut names: Vec<&String> = samples.keys().collect();
    names.sort();
    names
}

#[test]
fn server_scheduler_and_worker_metrics_are_scraped_and_parsed() {
    let mut cluster = Cluster::on_shared_redis();
    let scheduler_port = free_port().to_string();
    let worker_port = free_port().to_string();
    let scheduler_addr = format!("127.0.0.1:{scheduler_port}");
    let worker_addr = format!("127.0.0.1:{worker_port}");
    let _services = [
        cluster.server(),
        cluster.scheduler_with("scheduler-1", &[("WEFT_METRICS_ADDR", &scheduler_addr)]),
    ];
    let mut spec = WorkerSpec::new("worker-a", "host-a", &["default"]);
    spec.env
        .push(("WEFT_METRICS_ADDR".into(), worker_addr.clone()));
    let _worker = cluster.worker(&spec);
    let api = cluster.api();
    api.deploy(Path::new(weft_test_guests_artifacts::UI_FLOW));
    let run_id = api.trigger("ui_flow", json!({"ticks": 1, "tick_ms": 1}), None);
    let run = api.wait_run("ui_flow", &run_id, Duration::from_secs(60));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");

    let worker = parse(&scrape(&format!("http://{worker_addr}/metrics"), None).1);
    assert_eq!(
        value(
            &worker,
            "weft_attempts_finished_total{outcome=\"success\",class=\"\"}"
        ),
        4.0,
        "every task once"
    );
    assert_eq!(
        value(&worker, "weft_attempts_started_total{queue=\"default\"}"),
        4.0
    );
    assert_eq!(value(&worker, "weft_attempts_running"), 0.0);
    assert_eq!(
        value(
            &worker,
            "weft_attempt_seconds_count{outcome=\"success\",class=\"\"}"
        ),
        4.0
    );
    assert!(value(&worker, "weft_sandbox_instantiate_seconds_count") >= 4.0);
    assert!(value(&worker, "weft_queue_call_seconds_count{call=\"take\"}") >= 1.0);

    let scheduler = parse(&scrape(&format!("http://{scheduler_addr}/metrics"), None).1);
    assert!(value(&scheduler, "weft_scheduler_step_seconds_count") >= 1.0);
    assert!(value(&scheduler, "weft_scheduler_reports_total") >= 4.0);
    assert!(value(&scheduler, "weft_queue_call_seconds_count{call=\"push\"}") >= 1.0);
    assert!(value(&scheduler, "weft_store_call_seconds_count{call=\"write\"}") >= 1.0);

    let url = format!("{}/api/v1/metrics", cluster.url());
    let (status, body) = scrape(&url, Some(weft_e2e::cluster::API_TOKEN));
    assert_eq!(status, 200, "{body}");
    let server = parse(&body);
    assert_eq!(value(&server, "weft_workers_alive"), 1.0);
    assert!(
        value(
            &server,
            "weft_pool_slots{tenant=\"default\",pool=\"default_pool\"}"
        ) > 0.0
    );
    assert!(value(&server, "weft_store_call_seconds_count{call=\"run_by_id\"}") >= 1.0);
    let (status, body) = scrape(&url, None);
    assert_eq!(status, 401, "the server's metrics need a token: {body}");
}
