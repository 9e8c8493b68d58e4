//! Tests of what a `weft:dag@0.3.0` task says and reads: reschedules and deferrals, map items,
//! resume events, and triggering other DAGs.

use std::time::Duration;

use serde_json::{Value, json};

use super::context;
use crate::bindings::weft::dag::types as wit;
use crate::prelude::*;

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
