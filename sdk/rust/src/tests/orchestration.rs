//! Tests of the `weft:dag@0.3.0` additions: branches, waits, mapping, sensors, notifications,
//! reschedules and deferrals, triggering DAGs, and what a mapped or resumed task reads.

use std::time::Duration;

use serde_json::{Value, json};

use super::context;
use crate::__private::{describe, run_task};
use crate::bindings::weft::dag::types as wit;
use crate::prelude::*;

fn ok_task(_: &Context) -> TaskResult<Value> {
    Ok(json!({"ok": true}))
}

fn orchestrating() -> Dag {
    let dag = Dag::new("orch")
        .default_on_failure(Notifier::email("smtp", ["a@x.org", "b@x.org"]))
        .on_run_failure(Notifier::webhook("hook"))
        .on_run_success(Notifier::webhook("hook_ok"));
    let pick = dag.branch("pick", |ctx: &Context| -> TaskResult<Vec<String>> {
        Ok(if ctx.conf_value()["left"] == true {
            vec!["left".into()]
        } else {
            vec!["right".into(), "wait_child".into()]
        })
    });
    let left = dag.task("left", |_: &Context| Ok(vec![1, 2, 3]));
    let right = dag.task("right", ok_task);
    let wait = dag
        .wait(
            "wait_child",
            Wait::external("mall_sort")
                .logical_date_before(Duration::from_secs(3600))
                .task("sort")
                .allowed([EndedState::Success, EndedState::Skipped])
                .failed([EndedState::Failed, EndedState::UpstreamFailed]),
        )
        .sensor(
            SensorSettings::new()
                .poke_interval(Duration::from_secs(30))
                .timeout(Duration::from_secs(600))
                .soft_fail(true)
                .exponential_backoff(true)
                .max_poke_interval(Duration::from_secs(300)),
        );
    let per_item = dag
        .task("per_item", |ctx: &Context| -> TaskResult<u32> {
            Ok(ctx.map_item::<u32>()?.unwrap_or_default() * 2)
        })
        .expand_over(left)
        .max_active_tis(4);
    let fixed =
        dag.task("fixed", ok_task)
            .expand_items([json!("eu"), json!({"region": "us"}), json!(3)]);
    let done = dag
        .task("done", ok_task)
        .trigger_rule(TriggerRule::AllSkipped)
        .on_success(Notifier::webhook("s"))
        .on_retry(Notifier::webhook("r"));
    let _ = pick >> [left, right, wait];
    let _ = [per_item, fixed] >> done;
    dag
}

fn task<'a>(spec: &'a wit::DagSpec, id: &str) -> &'a wit::TaskSpec {
    spec.tasks
        .iter()
        .find(|t| t.task_id == id)
        .expect("task exists")
}

#[test]
fn plain_tasks_are_code_unmapped_and_notify_no_one() {
    let dag = Dag::new("plain");
    dag.task("t", ok_task);
    let spec = dag.to_wit();
    let t = &spec.tasks[0];
    assert!(matches!(t.kind, wit::TaskKind::Code));
    assert!(t.expand.is_none());
    assert!(t.settings.sensor.is_none());
    assert_eq!(t.settings.max_active_tis, None);
    assert!(t.settings.notifications.is_none());
    assert!(spec.defaults.notifications.is_none());
    assert!(spec.notifications.on_success.is_empty() && spec.notifications.on_failure.is_empty());
}

#[test]
fn branches_and_waits_have_their_kind() {
    let spec = describe(orchestrating);
    assert!(matches!(task(&spec, "pick").kind, wit::TaskKind::Branch));
    assert!(matches!(task(&spec, "left").kind, wit::TaskKind::Code));
    let wit::TaskKind::Wait(wit::WaitCondition::External(ext)) = &task(&spec, "wait_child").kind
    else {
        panic!("an external wait: {:?}", task(&spec, "wait_child").kind);
    };
    assert_eq!(ext.dag_id, "mall_sort");
    assert!(matches!(
        ext.run,
        wit::RunSelector::LogicalDateOffsetMs(-3_600_000)
    ));
    assert_eq!(ext.task_id.as_deref(), Some("sort"));
    assert_eq!(
        ext.allowed_states,
        [wit::EndedState::Success, wit::EndedState::Skipped]
    );
    assert_eq!(
        ext.failed_states,
        [wit::EndedState::Failed, wit::EndedState::UpstreamFailed]
    );
    assert_eq!(task(&spec, "wait_child").upstream, ["pick"]);
}

#[test]
fn other_waits_reach_the_wit_condition() {
    let dag = Dag::new("w");
    dag.wait("at", Wait::until("2026-01-01T00:00:00Z"));
    dag.wait(
        "after",
        Wait::after_data_interval_end(Duration::from_secs(90)),
    );
    dag.wait("by_id", Wait::external("d").run_id("manual__1"));
    dag.wait(
        "same",
        Wait::external("d")
            .logical_date_after(Duration::from_secs(1))
            .same_logical_date(),
    );
    dag.wait(
        "later",
        Wait::external("d").logical_date_after(Duration::from_secs(2)),
    );
    let conditions: Vec<_> = dag
        .to_wit()
        .tasks
        .into_iter()
        .map(|t| match t.kind {
            wit::TaskKind::Wait(c) => c,
            other => panic!("a wait: {other:?}"),
        })
        .collect();
    assert!(matches!(&conditions[0], wit::WaitCondition::Until(t) if t == "2026-01-01T00:00:00Z"));
    assert!(matches!(
        conditions[1],
        wit::WaitCondition::AfterDataIntervalEndMs(90_000)
    ));
    let runs: Vec<_> = conditions[2..]
        .iter()
        .map(|c| match c {
            wit::WaitCondition::External(e) => {
                assert!(e.task_id.is_none() && e.allowed_states.is_empty());
                format!("{:?}", e.run)
            }
            other => panic!("external: {other:?}"),
        })
        .collect();
    assert_eq!(
        runs,
        [
            format!("{:?}", wit::RunSelector::RunId("manual__1".into())),
            format!("{:?}", wit::RunSelector::LogicalDateOffsetMs(0)),
            format!("{:?}", wit::RunSelector::LogicalDateOffsetMs(2_000)),
        ]
    );
}

#[test]
fn mapped_tasks_expand_over_an_upstream_or_fixed_items() {
    let spec = describe(orchestrating);
    let per_item = task(&spec, "per_item");
    assert!(matches!(&per_item.expand, Some(wit::Expand::Upstream(id)) if id == "left"));
    assert_eq!(
        per_item.upstream,
        ["left"],
        "the mapped-over task is an upstream"
    );
    assert_eq!(per_item.settings.max_active_tis, Some(4));
    let Some(wit::Expand::Items(items)) = &task(&spec, "fixed").expand else {
        panic!("fixed items");
    };
    let items: Vec<Value> = items
        .iter()
        .map(|i| serde_json::from_slice(i).expect("each item is JSON"))
        .collect();
    assert_eq!(items, [json!("eu"), json!({"region": "us"}), json!(3)]);
    assert!(task(&spec, "fixed").upstream.is_empty());
}

#[test]
fn sensor_settings_reach_the_wit_record() {
    let spec = describe(orchestrating);
    let sensor = task(&spec, "wait_child")
        .settings
        .sensor
        .expect("sensor set");
    assert_eq!(sensor.poke_interval_ms, 30_000);
    assert_eq!(sensor.timeout_ms, Some(600_000));
    assert!(sensor.soft_fail && sensor.exponential_backoff);
    assert_eq!(sensor.max_poke_interval_ms, Some(300_000));
    let default = SensorSettings::new().to_wit();
    assert_eq!(default.poke_interval_ms, 60_000);
    assert_eq!(default.timeout_ms, None);
    assert!(!default.soft_fail && !default.exponential_backoff);
    assert_eq!(default.max_poke_interval_ms, None);
}

#[test]
fn notifications_and_all_skipped_reach_the_wit_records() {
    let spec = describe(orchestrating);
    let defaults = spec
        .defaults
        .notifications
        .as_ref()
        .expect("default on_failure");
    assert!(defaults.on_success.is_empty() && defaults.on_retry.is_empty());
    assert!(matches!(
        &defaults.on_failure[..],
        [wit::Notifier::Email(e)] if e.conn_id == "smtp" && e.to == ["a@x.org", "b@x.org"]
    ));
    let done = task(&spec, "done");
    assert_eq!(done.trigger_rule, wit::TriggerRule::AllSkipped);
    let own = done.settings.notifications.as_ref().expect("its own");
    assert!(matches!(&own.on_success[..], [wit::Notifier::Webhook(c)] if c == "s"));
    assert!(matches!(&own.on_retry[..], [wit::Notifier::Webhook(c)] if c == "r"));
    assert!(own.on_failure.is_empty());
    assert!(
        matches!(&spec.notifications.on_failure[..], [wit::Notifier::Webhook(c)] if c == "hook")
    );
    assert!(
        matches!(&spec.notifications.on_success[..], [wit::Notifier::Webhook(c)] if c == "hook_ok")
    );
}

#[test]
fn a_branch_returns_the_json_array_of_followed_ids() {
    let out = run_task(orchestrating, context("pick"), vec![]).expect("branch runs");
    assert_eq!(out, br#"["right","wait_child"]"#);
    fn single() -> Dag {
        let dag = Dag::new("one");
        dag.branch("a", |_: &Context| Ok("x"));
        dag.branch("b", |_: &Context| Ok(None::<&str>));
        dag.branch("c", |_: &Context| Ok(["y", "z"]));
        dag
    }
    assert_eq!(
        run_task(single, context("a"), vec![]).expect("ok"),
        br#"["x"]"#
    );
    assert_eq!(run_task(single, context("b"), vec![]).expect("ok"), b"[]");
    assert_eq!(
        run_task(single, context("c"), vec![]).expect("ok"),
        br#"["y","z"]"#
    );
}

#[test]
fn running_a_wait_is_a_permanent_error_saying_so() {
    let err = run_task(orchestrating, context("wait_child"), vec![]).expect_err("never run");
    assert!(
        matches!(&err, wit::TaskError::Permanent(m) if m.contains("`wait_child` is a wait")),
        "{err:?}"
    );
}
