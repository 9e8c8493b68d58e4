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

#[test]
fn reschedules_map_to_the_wit_variant_with_their_delay() {
    let err = TaskError::reschedule();
    assert_eq!(err.kind(), TaskErrorKind::Reschedule);
    assert_eq!(err.reschedule_delay(), None);
    assert!(matches!(err.into_wit(), wit::TaskError::Reschedule(None)));
    let err = TaskError::reschedule_after(Duration::from_millis(2_500));
    assert_eq!(err.reschedule_delay(), Some(Duration::from_millis(2_500)));
    assert!(matches!(
        err.into_wit(),
        wit::TaskError::Reschedule(Some(2_500))
    ));
    let err = TaskError::reschedule_after(Duration::MAX);
    assert!(matches!(
        err.into_wit(),
        wit::TaskError::Reschedule(Some(u64::MAX))
    ));
    let plain = TaskError::new(TaskErrorKind::Reschedule, "later");
    assert!(matches!(plain.into_wit(), wit::TaskError::Reschedule(None)));
}

#[test]
fn deferrals_map_to_the_wit_variant_with_their_wait() {
    let err = TaskError::defer(Wait::external("child").run_id("r1"));
    assert_eq!(err.kind(), TaskErrorKind::Defer);
    let (wait, resume) = err.deferral().expect("a deferral");
    assert_eq!(wait, &Wait::from(Wait::external("child").run_id("r1")));
    assert!(!resume);
    let wit::TaskError::Defer(deferral) = err.into_wit() else {
        panic!("defer");
    };
    assert!(!deferral.resume);
    assert!(matches!(
        deferral.until,
        wit::WaitCondition::External(e) if e.dag_id == "child"
            && matches!(&e.run, wit::RunSelector::RunId(r) if r == "r1")
    ));
    let err = TaskError::defer_and_resume(Wait::until("2026-01-01T00:00:00Z"));
    assert!(matches!(
        err.into_wit(),
        wit::TaskError::Defer(wit::Deferral {
            until: wit::WaitCondition::Until(_),
            resume: true
        })
    ));
    let bare = TaskError::new(TaskErrorKind::Defer, "no wait");
    assert!(matches!(bare.into_wit(), wit::TaskError::Permanent(m) if m.contains("needs a wait")));
}

fn mapped(item: Option<&str>, index: Option<u32>, event: Option<&str>) -> Context {
    let mut info = context("per_item");
    info.map_item = item.map(|i| i.as_bytes().to_vec());
    info.map_index = index;
    info.event = event.map(str::to_owned);
    Context::new(info, vec![])
}

#[test]
fn map_item_and_index_decode_or_name_the_task() {
    let ctx = mapped(Some(r#"{"n": 7}"#), Some(3), None);
    assert_eq!(ctx.map_index(), Some(3));
    assert_eq!(
        ctx.map_item::<Value>().expect("json"),
        Some(json!({"n": 7}))
    );
    let err = ctx.map_item::<u32>().expect_err("an object is not a u32");
    assert_eq!(err.kind(), TaskErrorKind::Permanent);
    assert!(
        err.message()
            .contains("map item of task `per_item` (index 3)"),
        "{}",
        err.message()
    );
    let bad = mapped(Some("{not json"), Some(0), None);
    assert_eq!(
        bad.map_item::<Value>().expect_err("not JSON").kind(),
        TaskErrorKind::Permanent
    );
    let unmapped = mapped(None, None, None);
    assert_eq!(unmapped.map_index(), None);
    assert_eq!(unmapped.map_item::<Value>().expect("not mapped"), None);
}

#[test]
fn event_and_resumed_read_the_deferral_outcome() {
    let ctx = mapped(None, None, Some(r#"{"state": "success", "run_id": "r1"}"#));
    assert!(ctx.resumed());
    assert_eq!(
        ctx.event::<Value>().expect("json"),
        Some(json!({"state": "success", "run_id": "r1"}))
    );
    let err = ctx.event::<Vec<u8>>().expect_err("not a list");
    assert_eq!(err.kind(), TaskErrorKind::Permanent);
    assert!(
        err.message()
            .contains("the event that resumed task `per_item`"),
        "{}",
        err.message()
    );
    let fresh = mapped(None, None, None);
    assert!(!fresh.resumed());
    assert_eq!(fresh.event::<Value>().expect("no event"), None);
}

#[test]
fn trigger_errors_become_task_errors_of_the_right_kind() {
    let cases = [
        (TriggerError::NotFound("x".into()), TaskErrorKind::Permanent),
        (TriggerError::Paused("x".into()), TaskErrorKind::Permanent),
        (TriggerError::Invalid("x".into()), TaskErrorKind::Permanent),
        (
            TriggerError::AlreadyExists("x".into()),
            TaskErrorKind::Permanent,
        ),
        (
            TriggerError::Unavailable("x".into()),
            TaskErrorKind::Retryable,
        ),
    ];
    for (error, kind) in cases {
        let message = error.message();
        assert!(message.ends_with(": x"), "{message}");
        let task: TaskError = error.into();
        assert_eq!(task.kind(), kind);
        assert_eq!(task.message(), message);
    }
    fn question_mark() -> TaskResult<()> {
        Err(TriggerError::Paused(String::new()))?
    }
    let err = question_mark().expect_err("paused");
    assert_eq!(
        (err.kind(), err.message()),
        (TaskErrorKind::Permanent, "the DAG is paused")
    );
}

#[test]
fn trigger_requests_reach_the_wit_record() {
    let bare = TriggerRequest::new("d").to_wit().expect("valid");
    assert_eq!(bare.dag_id, "d");
    assert!(bare.conf.is_none() && bare.logical_date.is_none() && bare.run_id.is_none());
    let full = TriggerRequest::new("d")
        .conf(json!({"a": 1}))
        .logical_date("2024-01-01T00:00:00Z")
        .run_id("r")
        .to_wit()
        .expect("valid");
    assert_eq!(full.conf.as_deref(), Some(r#"{"a":1}"#));
    assert_eq!(full.logical_date.as_deref(), Some("2024-01-01T00:00:00Z"));
    assert_eq!(full.run_id.as_deref(), Some("r"));
    let unencodable = std::collections::BTreeMap::from([((1, 2), 3)]);
    let err = TriggerRequest::new("d")
        .conf(unencodable)
        .to_wit()
        .expect_err("not JSON");
    assert!(
        matches!(&err, TriggerError::Invalid(m) if m.contains("DAG `d`")),
        "{err:?}"
    );
}
