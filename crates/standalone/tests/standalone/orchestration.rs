//! DAGs that orchestrate, on the embedded stack: a branch skips what it does not pick and
//! the joins behind it follow Airflow's trigger rules (`none_failed_min_one_success`,
//! `all_skipped`); a task triggers runs of other DAGs, named after the call when it names none, and
//! sees a clear refusal for an unknown or paused DAG or a bad conf.

use crate::support;

use serde_json::{Value, json};
use support::{Stack, stack, ti};
use weft_model::{DagRunState, TaskState};
use weft_store::{DEFAULT_TENANT, TaskInstance};
use weft_test_guests_artifacts as guests;

async fn output(stack: &Stack, run: weft_store::RunPk, task: &str) -> Value {
    let bytes = stack
        .store
        .xcom(run, task, weft_store::RETURN_VALUE)
        .await
        .expect("xcom")
        .unwrap_or_else(|| panic!("{task} has no output"));
    serde_json::from_slice(&bytes).expect("output is JSON")
}

async fn child_runs(stack: &Stack, dag_id: &str) -> Vec<weft_store::DagRun> {
    let filter = weft_store::RunFilter {
        dag_id: Some(dag_id.to_owned()),
        ..weft_store::RunFilter::default()
    };
    stack
        .store
        .runs(DEFAULT_TENANT, &filter)
        .await
        .expect("runs")
}

fn states(tis: &[TaskInstance]) -> Vec<(&str, TaskState)> {
    let mut states: Vec<_> = tis.iter().map(|t| (t.task_id.as_str(), t.state)).collect();
    states.sort_by_key(|(id, _)| *id);
    states
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_skips_the_tasks_it_does_not_pick() {
    let stack = stack().await;
    let dag = stack.deploy(guests::ORCHESTRATE).await;

    let run = stack.trigger(&dag, json!({"pick": ["left"]})).await;
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    assert_eq!(ti(&tis, "left").state, TaskState::Success);
    assert_eq!(ti(&tis, "right").state, TaskState::Skipped);
    assert_eq!(ti(&tis, "join").state, TaskState::Success);
    assert_eq!(ti(&tis, "none_ran").state, TaskState::Skipped);
    assert_eq!(output(&stack, run.id, "pick").await, json!(["left"]));
    assert_eq!(output(&stack, run.id, "join").await, json!(["left"]));

    // One id as a string picks that task.
    let run = stack.trigger(&dag, json!({"pick": "right"})).await;
    let (_, tis) = stack.finished(run.id).await;
    assert_eq!(ti(&tis, "left").state, TaskState::Skipped);
    assert_eq!(ti(&tis, "right").state, TaskState::Success);
    assert_eq!(output(&stack, run.id, "join").await, json!(["right"]));

    // Picking both runs both.
    let run = stack
        .trigger(&dag, json!({"pick": ["left", "right"]}))
        .await;
    let (_, tis) = stack.finished(run.id).await;
    assert_eq!(ti(&tis, "left").state, TaskState::Success);
    assert_eq!(ti(&tis, "right").state, TaskState::Success);
    assert_eq!(ti(&tis, "none_ran").state, TaskState::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picking_nothing_skips_the_join_and_runs_the_all_skipped_task() {
    let stack = stack().await;
    let dag = stack.deploy(guests::ORCHESTRATE).await;
    let run = stack.trigger(&dag, json!({"pick": []})).await;
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    assert_eq!(
        states(&tis),
        [
            ("join", TaskState::Skipped),
            ("left", TaskState::Skipped),
            ("none_ran", TaskState::Success),
            ("pick", TaskState::Success),
            ("right", TaskState::Skipped),
            ("trigger", TaskState::Success),
        ]
    );
    assert_eq!(output(&stack, run.id, "none_ran").await, json!("none ran"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_that_picks_a_task_it_does_not_lead_to_fails_and_says_why() {
    let stack = stack().await;
    let dag = stack.deploy(guests::ORCHESTRATE).await;
    for (pick, says) in [
        (
            json!(["trigger"]),
            "not one of its direct downstream tasks (left, right)",
        ),
        (
            json!({"left": true}),
            "must return a task id or a list of them",
        ),
        (json!([1]), "which is not a task id"),
    ] {
        let run = stack.trigger(&dag, json!({ "pick": pick })).await;
        let (row, tis) = stack.finished(run.id).await;
        assert_eq!(row.state, DagRunState::Failed, "{tis:#?}");
        let pick_ti = ti(&tis, "pick");
        assert_eq!(pick_ti.state, TaskState::Failed);
        assert_eq!(pick_ti.try_number, 1, "a bad pick is not retried");
        assert_eq!(pick_ti.error_class.as_deref(), Some("branch"));
        let error = pick_ti.error.as_deref().unwrap_or_default();
        assert!(error.contains(says), "{pick}: {error}");
        assert_eq!(ti(&tis, "left").state, TaskState::UpstreamFailed);
        assert_eq!(ti(&tis, "right").state, TaskState::UpstreamFailed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_triggers_runs_of_other_dags_named_after_its_call() {
    let stack = stack().await;
    let dag = stack.deploy(guests::ORCHESTRATE).await;
    let child = stack.deploy(guests::FLOW).await;
    let conf = json!({
        "pick": [],
        "trigger": [
            {"dag_id": child, "conf": {"from": "parent"}},
            {"dag_id": child, "run_id": "chosen_run"},
        ],
    });
    let run = stack.trigger(&dag, conf).await;
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    let made = weft_protocol::triggered_run_id("orchestrate", &run.run_id, "trigger", 0);
    assert_eq!(
        output(&stack, run.id, "trigger").await,
        json!([made, "chosen_run"])
    );
    let runs = child_runs(&stack, &child).await;
    assert_eq!(runs.len(), 2, "{runs:#?}");
    let first = runs.iter().find(|r| r.run_id == made).expect("made run");
    assert_eq!(first.conf, json!({"from": "parent"}));
    let (child_row, _) = stack.finished(first.id).await;
    assert_eq!(child_row.state, DagRunState::Success);

    // A second run of the parent makes its own runs; its explicit run id is taken now.
    let again = stack
        .trigger(
            &dag,
            json!({"pick": [], "trigger": [{"dag_id": child, "run_id": "chosen_run"}]}),
        )
        .await;
    let (row, tis) = stack.finished(again.id).await;
    assert_eq!(row.state, DagRunState::Failed);
    let error = ti(&tis, "trigger").error.clone().unwrap_or_default();
    assert!(error.contains("trigger refused: already-exists"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_triggers_tell_the_task_why() {
    let stack = stack().await;
    let dag = stack.deploy(guests::ORCHESTRATE).await;
    let child = stack.deploy(guests::FLOW).await;
    stack
        .store
        .set_paused(DEFAULT_TENANT, &child, true, jiff::Timestamp::now())
        .await
        .expect("pause");
    for (asked, says) in [
        (
            json!({"dag_id": "no_such_dag"}),
            "trigger refused: not-found",
        ),
        (
            json!({"dag_id": "no\u{0}dag"}),
            "trigger refused: invalid: DAG id \"no\\0dag\" contains '\\0'",
        ),
        (json!({"dag_id": child}), "trigger refused: paused"),
        (
            json!({"dag_id": dag, "conf": [1, 2]}),
            "trigger refused: invalid: conf must be a JSON object",
        ),
        (
            json!({"dag_id": dag, "logical_date": "yesterday"}),
            "trigger refused: invalid: logical date \"yesterday\"",
        ),
    ] {
        let run = stack
            .trigger(&dag, json!({"pick": [], "trigger": [asked]}))
            .await;
        let (row, tis) = stack.finished(run.id).await;
        assert_eq!(row.state, DagRunState::Failed, "{asked}");
        let error = ti(&tis, "trigger").error.clone().unwrap_or_default();
        assert!(error.contains(says), "{asked}: {error}");
    }
    let runs = child_runs(&stack, &child).await;
    assert!(runs.is_empty(), "a refused trigger makes no run: {runs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_trigger_finds_the_run_its_first_try_made() {
    let stack = stack().await;
    let dag = stack.deploy(guests::ORCHESTRATE).await;
    let child = stack.deploy(guests::FLOW).await;
    let conf = json!({"pick": [], "fail_first_try": true, "trigger": [{"dag_id": child}]});
    let run = stack.trigger(&dag, conf).await;
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    assert_eq!(ti(&tis, "trigger").try_number, 2);
    let made = weft_protocol::triggered_run_id("orchestrate", &run.run_id, "trigger", 0);
    assert_eq!(output(&stack, run.id, "trigger").await, json!([made]));
    let runs = child_runs(&stack, &child).await;
    assert_eq!(runs.len(), 1, "one run for both tries: {runs:#?}");
    let log = stack
        .store
        .task_log(ti(&tis, "trigger").id, 2)
        .await
        .expect("log")
        .expect("second try's log");
    let log = String::from_utf8_lossy(&log);
    assert!(log.contains("found again"), "{log}");
}
