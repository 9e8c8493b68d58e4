//! Tests of the builder, the edge operators and the export functions, on the host.

use std::time::Duration;

use serde_json::{Value, json};

use crate::__private::{describe, run_task};
use crate::bindings::weft::dag::types as wit;
use crate::prelude::*;

fn ok_task(_: &Context) -> TaskResult<Value> {
    Ok(json!({"ok": true}))
}

fn diamond() -> Dag {
    let dag = Dag::new("diamond")
        .description("a diamond")
        .schedule("@daily")
        .start_date("2024-01-01")
        .catchup(true)
        .max_active_runs(2)
        .max_active_tasks(8)
        .dagrun_timeout(Duration::from_secs(3600))
        .tags(["a", "b"])
        .default_retries(1)
        .default_queue("q");
    let t1 = dag.task("t1", ok_task);
    let t2 = dag.task("t2", |_: &Context| Ok(2)).retries(2);
    let t3 = dag
        .task("t3", |_: &Context| -> TaskResult<u8> {
            Err(TaskError::skip("not today"))
        })
        .queue("other");
    let t4 = dag
        .task("t4", |ctx: &Context| Ok(ctx.task_id().to_owned()))
        .trigger_rule(TriggerRule::AllDone);
    let _ = t1 >> [t2, t3] >> t4;
    dag
}

pub(crate) fn context(task_id: &str) -> wit::TaskContext {
    wit::TaskContext {
        dag_id: "diamond".into(),
        task_id: task_id.into(),
        run_id: "r".into(),
        logical_date: "2024-01-01T00:00:00Z".into(),
        data_interval_start: "2024-01-01T00:00:00Z".into(),
        data_interval_end: "2024-01-02T00:00:00Z".into(),
        try_number: 1,
        max_tries: 2,
        conf: "{}".into(),
        map_index: None,
        map_item: None,
        event: None,
    }
}

#[test]
fn describe_reports_every_dag_field() {
    let spec = describe(diamond);
    assert_eq!(spec.dag_id, "diamond");
    assert_eq!(spec.description, "a diamond");
    assert_eq!(spec.schedule.as_deref(), Some("@daily"));
    assert_eq!(spec.start_date.as_deref(), Some("2024-01-01"));
    assert!(spec.catchup);
    assert_eq!(spec.max_active_runs, Some(2));
    assert_eq!(spec.max_active_tasks, Some(8));
    assert_eq!(spec.dagrun_timeout_ms, Some(3_600_000));
    assert_eq!(spec.tags, ["a", "b"]);
    assert_eq!(spec.defaults.retries, Some(1));
    assert_eq!(spec.defaults.queue.as_deref(), Some("q"));
}

#[test]
fn describe_reports_tasks_edges_and_overrides() {
    let spec = describe(diamond);
    let ids: Vec<_> = spec.tasks.iter().map(|t| t.task_id.as_str()).collect();
    assert_eq!(ids, ["t1", "t2", "t3", "t4"]);
    let by_id = |id: &str| {
        spec.tasks
            .iter()
            .find(|t| t.task_id == id)
            .expect("task exists")
    };
    assert!(by_id("t1").upstream.is_empty());
    assert_eq!(by_id("t2").upstream, ["t1"]);
    assert_eq!(by_id("t3").upstream, ["t1"]);
    assert_eq!(by_id("t4").upstream, ["t2", "t3"]);
    assert_eq!(by_id("t2").settings.retries, Some(2));
    assert_eq!(by_id("t2").settings.queue, None, "inherits the default");
    assert_eq!(by_id("t3").settings.queue.as_deref(), Some("other"));
    assert_eq!(by_id("t4").trigger_rule, wit::TriggerRule::AllDone);
    assert_eq!(by_id("t1").trigger_rule, wit::TriggerRule::AllSuccess);
}

#[test]
fn a_new_dag_has_no_schedule_and_no_catchup() {
    let spec = describe(|| Dag::new("bare"));
    assert_eq!(spec.schedule, None);
    assert_eq!(spec.start_date, None);
    assert!(!spec.catchup);
    assert_eq!(spec.dagrun_timeout_ms, None);
    assert!(spec.tasks.is_empty());
    assert_eq!(spec.description, "");
}

#[test]
fn edges_chain_fan_out_fan_in_and_deduplicate() {
    let dag = Dag::new("edges");
    let [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map(|id| dag.task(id, ok_task));
    let _ = a >> b >> c;
    let _ = a >> b; // recorded once
    let _ = d << [a, c];
    let _ = [b, c] << e;
    let _ = vec![a, e] >> d;
    let _ = e >> vec![c];
    assert_eq!(dag.upstream_of("a"), Some(vec![]));
    assert_eq!(
        dag.upstream_of("b"),
        Some(vec!["a".to_owned(), "e".to_owned()])
    );
    assert_eq!(
        dag.upstream_of("c"),
        Some(vec!["b".to_owned(), "e".to_owned()])
    );
    assert_eq!(
        dag.upstream_of("d"),
        Some(vec!["a".to_owned(), "c".to_owned(), "e".to_owned()])
    );
    assert_eq!(dag.upstream_of("nope"), None);
    assert_eq!(a.id(), "a");
}

/// Sets every setting of a `TaskSettings` or a `TaskRef`, each to a distinct value.
macro_rules! set_every_setting {
    ($target:expr) => {
        $target
            .queue("q")
            .retries(3)
            .retry_delay(Duration::from_secs(2))
            .retry_exponential_backoff(true)
            .max_retry_delay(Duration::from_secs(20))
            .execution_timeout(Duration::from_millis(250))
            .pool("p")
            .priority_weight(-7)
            .memory_limit(1 << 20)
            .fuel_limit(123_456)
            .scratch_dir("/scratch")
            .read_only_dir("/data")
            .allow_egress("example.org:443")
            .connection("warehouse")
            .secret("api_token")
    };
}

#[test]
fn task_and_dag_default_setting_methods_forward_to_task_settings() {
    // Distinct values, so a method that forwarded to the wrong setting would show.
    let expected = set_every_setting!(TaskSettings::new());
    let dag = Dag::new("s")
        .default_queue("q")
        .default_retries(3)
        .default_retry_delay(Duration::from_secs(2))
        .default_retry_exponential_backoff(true)
        .default_max_retry_delay(Duration::from_secs(20))
        .default_execution_timeout(Duration::from_millis(250))
        .default_pool("p")
        .default_priority_weight(-7)
        .default_memory_limit(1 << 20)
        .default_fuel_limit(123_456)
        .default_scratch_dir("/scratch")
        .default_read_only_dir("/data")
        .default_allow_egress("example.org:443")
        .default_connection("warehouse")
        .default_secret("api_token");
    set_every_setting!(dag.task("t", ok_task));
    let spec = dag.to_wit();
    // The generated records have no `PartialEq`; their `Debug` output shows every field.
    let expected = format!("{:?}", expected.to_wit());
    assert_eq!(format!("{:?}", spec.defaults), expected);
    assert_eq!(format!("{:?}", spec.tasks[0].settings), expected);
}

#[test]
fn task_settings_replace_and_then_combine_with_setting_methods() {
    let dag = Dag::new("s");
    dag.task("t", ok_task)
        .queue("lost")
        .settings(TaskSettings::new().retries(1))
        .pool("p");
    let spec = dag.to_wit();
    let expected = TaskSettings::new().retries(1).pool("p").to_wit();
    assert_eq!(
        format!("{:?}", spec.tasks[0].settings),
        format!("{expected:?}")
    );
}

#[test]
fn duplicate_task_ids_are_left_for_the_host_to_reject() {
    let dag = Dag::new("dup");
    dag.task("t", ok_task);
    dag.task("t", ok_task);
    assert_eq!(dag.task_ids(), ["t", "t"]);
}

#[test]
fn run_task_returns_the_output_as_json() {
    let out = run_task(diamond, context("t1"), vec![]).expect("t1 succeeds");
    assert_eq!(
        serde_json::from_slice::<Value>(&out).expect("json"),
        json!({"ok": true})
    );
    let out = run_task(diamond, context("t4"), vec![]).expect("t4 succeeds");
    assert_eq!(out, br#""t4""#);
}

#[test]
fn run_task_passes_the_task_error_through() {
    let err = run_task(diamond, context("t3"), vec![]).expect_err("t3 skips");
    assert!(matches!(err, wit::TaskError::Skip(m) if m == "not today"));
}

#[test]
fn run_task_of_an_unknown_task_is_a_permanent_error_naming_task_and_dag() {
    let err = run_task(diamond, context("t99"), vec![]).expect_err("no such task");
    assert!(
        matches!(&err, wit::TaskError::Permanent(m) if m == "task `t99` is not in DAG `diamond`"),
        "{err:?}"
    );
}

#[test]
fn output_that_cannot_be_json_is_a_permanent_error() {
    fn bad() -> Dag {
        let dag = Dag::new("bad");
        dag.task("t", |_: &Context| {
            // JSON object keys must be strings.
            Ok(std::collections::BTreeMap::from([((1, 2), 3)]))
        });
        dag
    }
    let err = run_task(bad, context("t"), vec![]).expect_err("not encodable");
    assert!(
        matches!(&err, wit::TaskError::Permanent(m) if m.contains("JSON")),
        "{err:?}"
    );
}

#[test]
fn upstream_outputs_reach_the_task() {
    fn dag() -> Dag {
        let dag = Dag::new("up");
        dag.task("t", |ctx: &Context| -> TaskResult<u32> {
            let n: u32 = ctx.upstream("a")?.unwrap_or_default();
            Ok(n + 1)
        });
        dag
    }
    let upstream = vec![wit::UpstreamOutput {
        task_id: "a".into(),
        value: b"41".to_vec(),
    }];
    assert_eq!(run_task(dag, context("t"), upstream).expect("ok"), b"42");
}

mod assets;
mod orchestration;
mod suspend;
