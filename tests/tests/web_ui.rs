//! The web UI in headless Chromium: `tests/ui/flows.mjs` (Playwright) walks deploy →
//! trigger with conf → the grid turning green → a running task's log lines arriving before
//! it ends → clearing a task and watching it rerun → the workers page with two workers and
//! their queues → a variable made and deleted, against a server, a scheduler and two
//! workers on real PostgreSQL and Redis. Each page's screenshot is written to
//! `target/ui-screenshots`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use weft_client::api::workers::WorkerStatus;
use weft_e2e::cluster::{API_TOKEN, Cluster, WorkerSpec};
use weft_e2e::process::{wait_for, workspace};

#[test]
fn the_ui_flows_pass_in_chromium() {
    let root = workspace();
    let flows = root.join("tests/ui/flows.mjs");
    assert!(
        root.join("tests/ui/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in tests/ui (scripts/test.sh installs it)"
    );
    let mut cluster = Cluster::on_shared_redis();
    // Connections are stored sealed: the server needs a secret key.
    cluster.server_env = vec![(
        "WEFT_SECRET_KEY".into(),
        "V0VCVUlXRUJVSVdFQlVJV0VCVUlXRUJVSVdFQlVJV0U=".into(),
    )];
    let _services = [cluster.server(), cluster.scheduler("scheduler-1")];
    // Leases far longer than the tests' usual 3 s: the flows watch tasks run, not workers
    // die, and a worker starved of the cores for a few seconds must not lose its attempt.
    let worker = |id: &str, host: &str, queues: &[&str]| WorkerSpec {
        lease_secs: 30.0,
        ..WorkerSpec::new(id, host, queues)
    };
    let _workers = [
        cluster.worker(&worker("worker-a", "host-a", &["default"])),
        cluster.worker(&worker("worker-b", "host-b", &["default", "reports"])),
    ];
    let api = cluster.api();
    api.deploy(Path::new(weft_test_guests_artifacts::UI_FLOW));
    wait_for("both workers to register", Duration::from_secs(60), || {
        let alive = api
            .workers()
            .workers
            .iter()
            .filter(|w| w.status == WorkerStatus::Alive)
            .count();
        (alive >= 2).then_some(())
    });

    let screenshots = root.join("target/ui-screenshots");
    let output = Command::new("node")
        .arg(&flows)
        .env("WEFT_UI_URL", cluster.url())
        .env("WEFT_UI_TOKEN", API_TOKEN)
        .env("WEFT_UI_SCREENSHOTS", &screenshots)
        .env(
            "CHROMIUM",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
        )
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the UI flows failed ({}); screenshots in {}:\n{stdout}\n{stderr}",
        output.status,
        screenshots.display()
    );
    assert!(
        stdout.contains(" 0 failed"),
        "every flow ran and passed:\n{stdout}"
    );
}
