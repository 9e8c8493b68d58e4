//! Retention on a store with 100,000 task instances: `wfctl db clean --dry-run` counts and
//! removes nothing; `wfctl db clean --older-than 30d` removes the old runs in batches while
//! `wfctl standalone` keeps running new ones on the same database, all of which succeed.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use weft_client::RunFilter;
use weft_e2e::process::wfctl;
use weft_e2e::standalone;
use weft_model::{DagRunState, RunType};
use weft_store::{
    DEFAULT_POOL, DEFAULT_TENANT, NewRun, NewTaskInstance, SetRunState, SqliteStore, Store,
    WriteBatch,
};

const OLD_RUNS: usize = 25_000;
const TASKS: [&str; 4] = ["extract", "transform", "audit", "report"];
/// The runs of `ui_flow`, as many as the test makes.
const UI_FLOW_RUNS: RunFilter<'static> = RunFilter {
    dag_id: Some("ui_flow"),
    state: None,
    limit: Some(1000),
};

/// `OLD_RUNS` runs of `ui_flow` (4 task instances each) that ended 40 days ago.
async fn seed(db: &Path, digest: &str) {
    let store = SqliteStore::open(db)
        .await
        .expect("the standalone's database");
    let long_ago = Timestamp::now() - SignedDuration::from_hours(40 * 24);
    let mut ended = Vec::with_capacity(OLD_RUNS);
    for n in 0..OLD_RUNS {
        let at = long_ago - SignedDuration::from_secs(i64::try_from(n).expect("n") * 60);
        let (run, _) = store
            .create_run(NewRun {
                tenant: DEFAULT_TENANT.into(),
                dag_id: "ui_flow".into(),
                run_id: format!("old_{n}"),
                run_type: RunType::Manual,
                logical_date: at,
                data_interval_start: at,
                data_interval_end: at,
                conf: json!({}),
                digest: digest.into(),
                state: DagRunState::Queued,
                queued_at: at,
                tasks: TASKS
                    .iter()
                    .map(|t| NewTaskInstance {
                        task_id: (*t).into(),
                        max_tries: 1,
                        queue: "default".into(),
                        pool: DEFAULT_POOL.into(),
                        priority_weight: 1,
                    })
                    .collect(),
                current_only: false,
            })
            .await
            .expect("an old run");
        ended.push((run.id, at));
    }
    for chunk in ended.chunks(1000) {
        let set_run = chunk
            .iter()
            .flat_map(|&(run, at)| {
                [DagRunState::Running, DagRunState::Success].map(|state| SetRunState {
                    run,
                    state,
                    at,
                })
            })
            .collect();
        store
            .write(WriteBatch {
                set_run,
                ..WriteBatch::default()
            })
            .await
            .expect("ended");
    }
    store.close().await;
}

fn clean(home: &Path, args: &[&str]) -> Value {
    let output = std::process::Command::new(wfctl())
        .args([
            "db",
            "clean",
            "--older-than",
            "30d",
            "--output",
            "json",
            "--home",
        ])
        .arg(home)
        .args(args)
        .output()
        .expect("wfctl runs");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn db_clean_removes_100000_old_task_instances_while_runs_go_on() {
    let dir = tempfile::tempdir().expect("a directory");

    let home = dir.path().join("home");
    let (mut first, api) = standalone::start(dir.path(), &[]);
    let deployed = api.deploy(Path::new(weft_test_guests_artifacts::UI_FLOW));
    let digest = deployed.digest;
    first.terminate(Duration::from_secs(30));

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(seed(&home.join("weft.db"), &digest));

    // The DAG's newest run stays, however old: the dry run counts all but that one.
    let dry = clean(&home, &["--dry-run"]);
    assert_eq!(dry["runs"], OLD_RUNS - 1, "{dry}");
    assert_eq!(dry["task_instances"], (OLD_RUNS - 1) * TASKS.len(), "{dry}");

    let (_second, api) = standalone::start(dir.path(), &[]);
    let listed = api.runs(&UI_FLOW_RUNS);
    assert_eq!(listed.runs.len(), 1000, "the dry run removed nothing");
    // A run newer than the old ones (a DAG's newest run always stays), then runs going on,
    // one after another, while the clean works through the old ones.
    let first_run = api.trigger("ui_flow", json!({"ticks": 1, "tick_ms": 1}), None);
    let run = api.wait_run("ui_flow", &first_run, Duration::from_secs(120));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    let cleaning = Arc::new(AtomicBool::new(true));
    let runner = {
        let api = api.clone();
        let cleaning = cleaning.clone();
        let first_run = first_run.clone();
        std::thread::spawn(move || {
            let mut runs = vec![(first_run, DagRunState::Success)];
            while cleaning.load(Ordering::Relaxed) || runs.len() < 3 {
                let run_id = api.trigger("ui_flow", json!({"ticks": 1, "tick_ms": 1}), None);
                let run = api.wait_run("ui_flow", &run_id, Duration::from_secs(120));
                runs.push((run_id, run.run.state));
            }
            runs
        })
    };
    let cleaned = clean(&home, &[]);
    cleaning.store(false, Ordering::Relaxed);
    let runs = runner.join().expect("the runner");

    assert_eq!(cleaned["runs"], OLD_RUNS, "{cleaned}");
    assert_eq!(
        cleaned["task_instances"],
        OLD_RUNS * TASKS.len(),
        "{cleaned}"
    );
    assert!(
        cleaned["batches"].as_u64().unwrap_or(0) >= 25,
        "in batches of 1000: {cleaned}"
    );
    for (run_id, state) in &runs {
        assert_eq!(*state, DagRunState::Success, "run {run_id} while cleaning");
    }
    let left = api.runs(&UI_FLOW_RUNS);
    let left: Vec<&str> = left.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        left.len(),
        runs.len(),
        "only the new runs are left: {left:?}"
    );
    assert!(left.iter().all(|id| !id.starts_with("old_")), "{left:?}");
}
