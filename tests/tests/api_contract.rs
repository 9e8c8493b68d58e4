//! The API does what its OpenAPI document says: Schemathesis (pinned in
//! `tests/contract/requirements.txt`, installed by `scripts/test.sh`) reads the document a
//! live server serves and sends every operation requests it generates from it — valid ones,
//! which must be accepted, invalid ones, which must be refused, and chains that follow one
//! answer with the next request — and checks every answer's status, content type, headers
//! and body against the document. The server runs with administrator and worker tokens
//! beside a scheduler and a worker on PostgreSQL and Redis, seeded with a DAG, a finished
//! run, a variable, a connection, a secret, a pool, a tenant and an asset event, so that
//! operations reach real objects as well as missing ones (`tests/contract/schemathesis.toml`
//! names them). Only deploying is left out: no generator makes WebAssembly components, and
//! the deploy route's bad and hostile inputs have tests of their own.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use weft_e2e::cluster::{API_TOKEN, Cluster, WORKER_TOKEN, WorkerSpec};
use weft_e2e::process::workspace;
use weft_model::DagRunState;

/// The seed of the generated requests, so a failure is reproduced by running the test
/// again; `WEFT_CONTRACT_SEED` picks another.
const SEED: &str = "20261124";

/// Requests generated per operation and phase; `WEFT_CONTRACT_EXAMPLES` sets more.
const EXAMPLES: &str = "50";

#[test]
fn the_api_does_what_its_document_says() {
    let root = workspace();
    let schemathesis = root.join("target/schemathesis-venv/bin/schemathesis");
    assert!(
        schemathesis.is_file(),
        "{} is missing (scripts/test.sh installs it)",
        schemathesis.display()
    );
    let mut cluster = Cluster::on_shared_redis();
    cluster.server_env = vec![(
        "WEFT_SECRET_KEY".into(),
        "Q09OVFJBQ1RDT05UUkFDVENPTlRSQUNUQ09OVFJBQ1Q=".into(),
    )];
    let _services = [cluster.server(), cluster.scheduler("scheduler-1")];
    let _worker = cluster.worker(&WorkerSpec::new("worker-a", "host-a", &["default"]));
    let api = cluster.api();
    seed(&api);

    let seed = std::env::var("WEFT_CONTRACT_SEED").unwrap_or_else(|_| SEED.to_owned());
    let examples = std::env::var("WEFT_CONTRACT_EXAMPLES").unwrap_or_else(|_| EXAMPLES.to_owned());
    let output = Command::new(&schemathesis)
        .arg("--config-file")
        .arg(root.join("tests/contract/schemathesis.toml"))
        .args(["--no-color", "run"])
        .arg(format!("{}/api/v1/openapi.json", cluster.url()))
        .args([
            "--seed",
            &seed,
            "--max-examples",
            &examples,
            "--workers",
            "1",
        ])
        .env("WEFT_CONTRACT_API_TOKEN", API_TOKEN)
        .env("WEFT_CONTRACT_WORKER_TOKEN", WORKER_TOKEN)
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "schemathesis found answers the document does not allow ({}; seed {seed}):\n{stdout}\n{stderr}",
        output.status
    );
    // Every operation but deploying was tested, and every phase ran.
    let total = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("Operations:"))
        .and_then(|counts| counts.split('/').nth(1))
        .and_then(|all| all.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no count of operations:\n{stdout}"));
    assert!(total > 50, "{total} operations:\n{stdout}");
    assert!(
        stdout.contains(&format!("Tested: {}", total - 1)),
        "{total} operations, all but deploy tested:\n{stdout}"
    );
    for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
        assert!(
            stdout.contains(&format!("✅ {phase}")),
            "phase {phase} ran and passed:\n{stdout}"
        );
    }
}

/// The objects `tests/contract/schemathesis.toml` names.
fn seed(api: &weft_e2e::api::Api) {
    api.deploy(Path::new(weft_test_guests_artifacts::UI_FLOW));
    let run = api.trigger(
        "ui_flow",
        json!({"ticks": 2, "tick_ms": 10}),
        Some("contract"),
    );
    let finished = api.wait_run("ui_flow", &run, Duration::from_secs(120));
    assert_eq!(finished.run.state, DagRunState::Success, "{finished:?}");
    for (path, body) in [
        ("/variables/contract_var", json!({"value": "v"})),
        (
            "/connections/contract_conn",
            json!({"conn_type": "postgres", "host": "db.internal", "password": "pw"}),
        ),
        ("/secrets/contract_secret", json!({"value": "s3cr3t"})),
        ("/pools/contract_pool", json!({"slots": 3})),
    ] {
        // Raw: the contract's own paths and bodies, for objects of every kind.
        let (status, answer) = api.put(path, &body);
        assert!((200..300).contains(&status), "{path}: {status} {answer}");
    }
    for (path, body) in [
        ("/tenants", json!({"name": "contract"})),
        ("/assets/events", json!({"uri": "s3://contract/data.csv"})),
    ] {
        let (status, answer) = api.post(path, &body);
        assert!((200..300).contains(&status), "{path}: {status} {answer}");
    }
}
