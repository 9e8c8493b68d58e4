//! The test guests of world 0.3.0 that orchestrate: branches and triggers, notifiers,
//! sensors, waits and deferrals (part of the `guests` test binary).

use super::*;

/// A world 0.3.0 component: its branch and all-skipped tasks come through `describe`, and a
/// trigger under a local host (no scheduler) reaches the task as `unavailable`, saying why.
#[test]
pub fn orchestrate() {
    let component = load(guests::ORCHESTRATE);
    assert_eq!(component.world_version(), "0.3.0");
    let dag = component.dag();
    let pick = dag.task("pick").expect("pick");
    assert_eq!(pick.kind, weft_model::TaskKind::Branch);
    let none_ran = dag.task("none_ran").expect("none_ran");
    assert_eq!(none_ran.trigger_rule, weft_model::TriggerRule::AllSkipped);
    let report = run_with(
        &component,
        "pick",
        Call {
            conf: json!({"pick": ["left"]}),
            ..Call::default()
        },
    );
    assert_eq!(output_json(&report), json!(["left"]));
    let report = run_with(
        &component,
        "trigger",
        Call {
            conf: json!({"trigger": [{"dag_id": "child"}]}),
            ..Call::default()
        },
    );
    let message = failure(&report).to_string();
    assert!(
        message.contains("trigger refused: unavailable") && message.contains("needs a scheduler"),
        "{message}"
    );
    assert_eq!(load(guests::TCP_PROBE).world_version(), "0.2.0");
    still_healthy();
}

/// Notifiers set in the guest reach the model: the task's, on success, retry and failure,
/// and the run's; its task fails retryably on request.
#[test]
pub fn notify() {
    let component = load(guests::NOTIFY);
    assert_eq!(component.world_version(), "0.3.0");
    let dag = component.dag();
    let work = dag.task("work").expect("work");
    let hook = weft_model::Notifier::Webhook("notify_hook".into());
    assert_eq!(work.notifications.on_failure, vec![hook.clone()]);
    assert_eq!(work.notifications.on_retry, vec![hook.clone()]);
    assert_eq!(work.notifications.on_success, vec![hook.clone()]);
    let on_run = &dag.spec().notifications;
    let email = weft_model::Notifier::Email(weft_model::EmailNotifier {
        conn_id: "notify_smtp".into(),
        to: vec!["ops@example.com".into()],
    });
    assert_eq!(on_run.on_success, vec![email.clone()]);
    assert_eq!(on_run.on_failure, vec![email, hook]);
    assert_eq!(output_json(&run(&component, "work")), json!("done"));
    let report = run_with(
        &component,
        "work",
        Call {
            conf: json!({"fail": true}),
            ..Call::default()
        },
    );
    assert!(
        failure(&report)
            .to_string()
            .contains("work failed on try 1")
    );
    still_healthy();
}

/// A sensor's "not yet" reaches the caller as a reschedule, with the delay it asked for or
/// none (its poke interval); once satisfied it succeeds.
#[test]
pub fn sensor() {
    let component = load(guests::SENSOR);
    assert_eq!(component.world_version(), "0.3.0");
    let waiting = component.dag().task("wait_for_flag").expect("task");
    assert_eq!(waiting.sensor.poke_interval_ms, 20);
    assert_eq!(waiting.sensor.timeout_ms, Some(30_000));
    assert_eq!(
        run(&component, "wait_for_flag").outcome,
        TaskOutcome::Rescheduled(None)
    );
    assert_eq!(
        run(&component, "asks_its_delay").outcome,
        TaskOutcome::Rescheduled(Some(Duration::from_millis(15)))
    );
    let flagged = Call {
        host: MemoryHost::with_variables(HashMap::from([(
            "sensor_flag".to_owned(),
            "up".to_owned(),
        )])),
        ..Call::default()
    };
    let report = run_with(&component, "wait_for_flag", flagged);
    assert_eq!(output_json(&report), json!({"flag": "up", "try": 1}));
    still_healthy();
}

/// Wait tasks describe what they wait for; a task that defers reaches the caller as a
/// deferral, and run again with the event it sees it.
#[test]
pub fn waits() {
    use weft_model::{RunSelector, TaskKind, WaitCondition};
    let component = load(guests::WAITS);
    assert_eq!(component.world_version(), "0.3.0");
    let kind = |id: &str| component.dag().task(id).expect("task").kind.clone();
    assert_eq!(
        kind("soon"),
        TaskKind::Wait(WaitCondition::AfterDataIntervalEndMs(300))
    );
    let TaskKind::Wait(WaitCondition::External(child)) = kind("on_child_task") else {
        panic!("an external wait");
    };
    assert_eq!(
        (child.dag_id.as_str(), child.run, child.task_id.as_deref()),
        (
            "waits_child",
            RunSelector::LogicalDateOffsetMs(0),
            Some("work")
        )
    );
    assert!(component.dag().has_waits());
    assert_eq!(
        run(&component, "resumes").outcome,
        TaskOutcome::Deferred {
            until: WaitCondition::AfterDataIntervalEndMs(200),
            resume: true
        }
    );
    let resumed = Call {
        event: Some(r#"{"kind":"time","at":"2026-01-01T00:00:00Z"}"#.into()),
        ..Call::default()
    };
    let report = run_with(&component, "resumes", resumed);
    assert_eq!(
        output_json(&report),
        json!({"event": {"kind": "time", "at": "2026-01-01T00:00:00Z"}, "try": 1})
    );
    still_healthy();
}

/// The DAG `waits` waits for: its task succeeds, or fails when the conf asks.
#[test]
pub fn waits_child() {
    let component = load(guests::WAITS_CHILD);
    assert_eq!(output_json(&run(&component, "work")), json!("worked"));
    let failed = run_with(&component, "work", Call::with_conf(json!({"fail": true})));
    assert!(
        matches!(failed.outcome, TaskOutcome::Failed(_)),
        "{:?}",
        failed.outcome
    );
}

/// A mapped task's expansion comes through `describe` (over an upstream output, and over
/// items known when the DAG is built); an instance sees its map index and item, and a task
/// that is mapped refuses to run without them.
#[test]
pub fn mapping() {
    let component = load(guests::MAPPING);
    let dag = component.dag();
    assert_eq!(
        dag.task("square").expect("square").expand,
        Some(weft_model::Expand::Upstream("list".into()))
    );
    assert_eq!(
        dag.task("label").expect("label").expand,
        Some(weft_model::Expand::Items(vec![
            "\"a\"".into(),
            "\"b\"".into(),
            "\"c\"".into()
        ]))
    );
    let report = run_with(
        &component,
        "square",
        Call {
            map: Some((4, "7".into())),
            ..Call::default()
        },
    );
    assert_eq!(output_json(&report), json!(49));
    let report = run_with(
        &component,
        "label",
        Call {
            map: Some((1, "\"b\"".into())),
            ..Call::default()
        },
    );
    assert_eq!(output_json(&report), json!("1:b"));
    let message = failure(&run(&component, "square")).to_string();
    assert!(message.contains("has no map index or item"), "{message}");
    still_healthy();
}
