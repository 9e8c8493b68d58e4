use std::sync::Arc;

use jiff::Timestamp;
use weft_model::{DagRunState, DagSpec, RunType, TaskSpec, TaskState, TriggerRule};
use weft_store::{DagRun, TaskInstance};

use super::*;
use crate::graph::Graph;

fn t0() -> Timestamp {
    "2024-01-01T00:00:00Z".parse().expect("timestamp")
}

fn run_of(tasks: Vec<TaskSpec>) -> ActiveRun {
    let dag = Arc::new(
        DagSpec {
            tasks,
            ..DagSpec::new("d")
        }
        .validate()
        .expect("valid DAG"),
    );
    let graph = Arc::new(Graph::of(&dag));
    let run = DagRun {
        id: 1,
        tenant: "default".into(),
        dag_id: "d".into(),
        run_id: "manual__1".into(),
        run_type: RunType::Manual,
        logical_date: t0(),
        data_interval_start: t0(),
        data_interval_end: t0(),
        conf: serde_json::json!({}),
        digest: "sha256:x".into(),
        state: DagRunState::Running,
        queued_at: t0(),
        started_at: None,
        ended_at: None,
    };
    let tis = graph
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| TaskInstance {
            id: i as i64 + 10,
            run: 1,
            tenant: "default".into(),
            dag_id: "d".into(),
            run_id: "manual__1".into(),
            task_id: id.clone(),
            state: TaskState::None,
            try_number: 0,
            max_tries: 1,
            queue: "default".into(),
            pool: "default_pool".into(),
            priority_weight: 1,
            lease: 0,
            lease_expires_at: None,
            worker_id: None,
            hostname: None,
            queued_at: None,
            started_at: None,
            ended_at: None,
            duration_ms: None,
            next_retry_at: None,
            error_class: None,
            error: None,
            sensor_started_at: None,
            pokes: 0,
            deferral: None,
        })
        .collect();
    ActiveRun::new(run, tis, dag, graph).expect("active run")
}

fn idx(run: &ActiveRun, id: &str) -> usize {
    run.graph.index[id]
}

fn names(run: &ActiveRun, ids: &[usize]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|&i| run.graph.ids[i].clone()).collect();
    v.sort();
    v
}

/// Finish `id` with `state` as if its attempt ended, and evaluate what follows.
fn finish(run: &mut ActiveRun, id: &str, state: TaskState) -> Evaluation {
    let i = idx(run, id);
    run.pending.remove(&i);
    run.set_state(i, state);
    run.evaluate_downstream(i, t0())
}

#[test]
fn roots_are_ready_first_and_downstream_follows_each_finish() {
    let mut run = run_of(vec![
        TaskSpec::new("t1"),
        TaskSpec::new("t2").after(["t1"]),
        TaskSpec::new("t3").after(["t1"]),
        TaskSpec::new("t4").after(["t2", "t3"]),
    ]);
    let first = run.evaluate_all(t0());
    assert_eq!(names(&run, &first.ready), ["t1"]);
    let after_t1 = finish(&mut run, "t1", TaskState::Success);
    assert_eq!(names(&run, &after_t1.ready), ["t2", "t3"]);
    assert!(finish(&mut run, "t2", TaskState::Success).ready.is_empty());
    let after_t3 = finish(&mut run, "t3", TaskState::Success);
    assert_eq!(names(&run, &after_t3.ready), ["t4"]);
    assert_eq!(run.final_state(), None);
    finish(&mut run, "t4", TaskState::Success);
    assert_eq!(run.final_state(), Some(DagRunState::Success));
}

#[test]
fn failure_cascades_upstream_failed_through_the_chain() {
    let mut run = run_of(vec![
        TaskSpec::new("a"),
        TaskSpec::new("b").after(["a"]),
        TaskSpec::new("c").after(["b"]),
        TaskSpec::new("cleanup")
            .after(["c"])
            .with_rule(TriggerRule::AllDone),
    ]);
    run.evaluate_all(t0());
    let ev = finish(&mut run, "a", TaskState::Failed);
    let decided: Vec<(String, TaskState)> = ev
        .decided
        .iter()
        .map(|&(i, s)| (run.graph.ids[i].clone(), s))
        .collect();
    assert_eq!(
        decided,
        [
            ("b".into(), TaskState::UpstreamFailed),
            ("c".into(), TaskState::UpstreamFailed)
        ]
    );
    assert_eq!(
        names(&run, &ev.ready),
        ["cleanup"],
        "all_done runs after the cascade"
    );
    finish(&mut run, "cleanup", TaskState::Success);
    assert_eq!(
        run.final_state(),
        Some(DagRunState::Success),
        "the only leaf succeeded"
    );
}

#[test]
fn skips_propagate_and_one_success_fires_early() {
    let mut run = run_of(vec![
        TaskSpec::new("a"),
        TaskSpec::new("b"),
        TaskSpec::new("after_a").after(["a"]),
        TaskSpec::new("either")
            .after(["a", "b"])
            .with_rule(TriggerRule::OneSuccess),
    ]);
    run.evaluate_all(t0());
    let ev = finish(&mut run, "a", TaskState::Skipped);
    assert_eq!(ev.decided, [(idx(&run, "after_a"), TaskState::Skipped)]);
    assert!(
        ev.ready.is_empty(),
        "one_success waits while b may still succeed"
    );
    let ev = finish(&mut run, "b", TaskState::Success);
    assert_eq!(names(&run, &ev.ready), ["either"]);
}

#[test]
fn retries_wait_for_their_time() {
    let mut run = run_of(vec![TaskSpec::new("a")]);
    run.evaluate_all(t0());
    let i = idx(&run, "a");
    run.pending.remove(&i);
    run.set_state(i, TaskState::UpForRetry);
    let later = t0() + jiff::SignedDuration::from_secs(30);
    run.tis[i].next_retry_at = Some(later);
    let now = run.evaluate(vec![i], t0());
    assert!(now.ready.is_empty());
    assert_eq!(now.wake_at, Some(later));
    assert!(!run.deadlocked(), "a task waiting to retry is progress");
    let then = run.evaluate(vec![i], later);
    assert_eq!(then.ready, [i]);
}

#[test]
fn all_failed_skips_when_an_upstream_succeeded() {
    let mut run = run_of(vec![
        TaskSpec::new("a"),
        TaskSpec::new("b")
            .after(["a"])
            .with_rule(TriggerRule::AllFailed),
    ]);
    run.evaluate_all(t0());
    let ev = finish(&mut run, "a", TaskState::Success);
    assert_eq!(ev.decided, [(idx(&run, "b"), TaskState::Skipped)]);
    assert!(!run.deadlocked());
    assert_eq!(run.final_state(), Some(DagRunState::Success));
}

#[test]
fn a_rule_that_can_never_be_met_deadlocks_the_run() {
    // all_success never fires when an upstream was removed from the DAG.
    let mut run = run_of(vec![TaskSpec::new("a"), TaskSpec::new("b").after(["a"])]);
    run.evaluate_all(t0());
    let ev = finish(&mut run, "a", TaskState::Removed);
    assert!(ev.ready.is_empty() && ev.decided.is_empty());
    assert!(run.deadlocked());
}

#[test]
fn pending_tasks_are_not_decided_twice() {
    let mut run = run_of(vec![TaskSpec::new("a")]);
    assert_eq!(run.evaluate_all(t0()).ready.len(), 1);
    assert!(run.evaluate_all(t0()).ready.is_empty());
}
