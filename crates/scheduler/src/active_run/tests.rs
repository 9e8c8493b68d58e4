use std::sync::Arc;

use jiff::Timestamp;
use weft_model::{DagRunState, DagSpec, RunType, TaskSpec, TaskState, TriggerRule};
use weft_store::{DagRun, NewTaskInstance, TaskInstance};

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
    let run = run_row();
    let tis = graph
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| ti(i as i64 + 10, id))
        .collect();
    ActiveRun::new(run, tis, dag, graph).expect("active run")
}

/// The run the tests' task instances belong to.
fn run_row() -> DagRun {
    DagRun {
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
    }
}

/// Task instance `id` of task `task_id`, never run.
fn ti(id: i64, task_id: &str) -> TaskInstance {
    let task = NewTaskInstance {
        task_id: task_id.to_owned(),
        max_tries: 1,
        queue: "default".into(),
        pool: "default_pool".into(),
        priority_weight: 1,
    };
    task.created(&run_row(), id)
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

/// `list`, then `sq` mapped over its output, then `after`.
fn mapped_over_list(after: Vec<TaskSpec>) -> Vec<TaskSpec> {
    let mut tasks = vec![
        TaskSpec::new("list"),
        TaskSpec {
            expand: Some(weft_model::Expand::Upstream("list".into())),
            ..TaskSpec::new("sq").after(["list"])
        },
    ];
    tasks.extend(after);
    tasks
}

/// Mapped task `id` expands into `items` instances, as the scheduler records an expansion:
/// their slots.
fn expand(run: &mut ActiveRun, id: &str, items: u32) -> Vec<usize> {
    let i = idx(run, id);
    run.pending.remove(&i);
    run.tis[i].map_count = Some(items);
    run.set_state(i, TaskState::Running);
    let instances = (0..items)
        .map(|k| {
            let mut instance = ti(100 + i64::from(k), &weft_model::mapping::instance_id(id, k));
            instance.map_index = Some(k);
            instance
        })
        .collect();
    run.add_instances(i, instances).collect()
}

#[test]
fn a_mapped_task_ends_with_its_last_instance_and_counts_each_downstream() {
    let mut run = run_of(mapped_over_list(vec![
        TaskSpec::new("total").after(["sq"]),
        TaskSpec::new("cleanup")
            .after(["sq"])
            .with_rule(TriggerRule::AllDone),
    ]));
    run.evaluate_all(t0());
    let after_list = finish(&mut run, "list", TaskState::Success);
    assert_eq!(after_list.ready, vec![idx(&run, "sq")], "to expand");
    assert!(!run.deadlocked(), "a task waiting to expand is progress");

    let slots = expand(&mut run, "sq", 3);
    assert_eq!(run.task_of(slots[2]), idx(&run, "sq"));
    assert!(run.is_instance(slots[0]) && !run.is_instance(idx(&run, "sq")));
    let mut ready = run.evaluate(slots.clone(), t0()).ready;
    ready.sort_unstable();
    assert_eq!(ready, slots);

    for &slot in &slots[..2] {
        run.pending.remove(&slot);
        run.set_state(slot, TaskState::Success);
        let e = run.evaluate_downstream(slot, t0());
        assert!(e.ended_mapped.is_empty() && e.ready.is_empty(), "{e:?}");
    }
    run.pending.remove(&slots[2]);
    run.set_state(slots[2], TaskState::Failed);
    let last = run.evaluate_downstream(slots[2], t0());
    assert_eq!(
        last.ended_mapped,
        vec![(idx(&run, "sq"), TaskState::Failed)]
    );
    assert_eq!(names(&run, &last.ready), ["cleanup"]);
    assert_eq!(
        last.decided,
        vec![(idx(&run, "total"), TaskState::UpstreamFailed)]
    );
    finish(&mut run, "cleanup", TaskState::Success);
    assert_eq!(run.final_state(), Some(DagRunState::Failed));
}

#[test]
fn a_run_loaded_with_instances_puts_them_after_the_graph_in_map_index_order() {
    let mut run = run_of(mapped_over_list(vec![]));
    run.evaluate_all(t0());
    finish(&mut run, "list", TaskState::Success);
    expand(&mut run, "sq", 2);
    let mut tis = run.tis.clone();
    tis.reverse();
    tis[0].state = TaskState::Success;
    let loaded =
        ActiveRun::new(run.run.clone(), tis, run.dag.clone(), run.graph.clone()).expect("loaded");
    let order: Vec<&str> = loaded.tis.iter().map(|t| t.task_id.as_str()).collect();
    assert_eq!(order, ["list", "sq", "sq[0]", "sq[1]"]);
    assert_eq!(loaded.tis[3].state, TaskState::Success);
    assert_eq!(loaded.final_state(), None, "sq[0] has not ended");
}

#[test]
fn a_mapped_task_marked_by_hand_counts_as_marked_downstream() {
    let mut run = run_of(mapped_over_list(vec![TaskSpec::new("total").after(["sq"])]));
    run.evaluate_all(t0());
    finish(&mut run, "list", TaskState::Success);
    let slots = expand(&mut run, "sq", 2);
    run.evaluate(slots.clone(), t0());
    run.set_state(slots[0], TaskState::Success);
    run.set_state(slots[1], TaskState::Failed);
    let ended = run.evaluate_downstream(slots[1], t0());
    assert_eq!(
        ended.decided,
        vec![(idx(&run, "total"), TaskState::UpstreamFailed)]
    );
    // Marked success by hand, with `total` cleared: `total` runs.
    let sq = idx(&run, "sq");
    run.set_state(sq, TaskState::Success);
    let total = idx(&run, "total");
    run.set_state(total, TaskState::None);
    let again = run.evaluate(vec![total], t0());
    assert_eq!(again.ready, vec![total]);
}
