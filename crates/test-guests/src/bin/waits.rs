//! DAG `waits`, world `weft:dag@0.3.0`: waits the scheduler resolves by itself.
//!
//! - `soon` runs no code: it waits until 300 ms after the run's data interval ends, and
//!   `after_soon` returns what it saw of it: `{"saw": <soon's output>}`.
//! - `resumes` defers itself until 200 ms after the data interval ends, asking to run
//!   again; run again, it returns `{"event": <the event>, "try": <try number>}`.
//! - `on_child` waits for the run of DAG `waits_child` with the same logical date to
//!   succeed; `on_child_task` waits for that run's task `work`.
//! - `never` waits for a run that never comes (`waits_child` run `no_such_run`) with a
//!   300 ms timeout and `soft-fail`: it is skipped.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.3.0 and the `dag-spec` helpers the 0.3.0 guests share.
#[path = "../v3.rs"]
mod v3;

use serde_json::json;
use v3::bindings::Guest;
use v3::bindings::weft::dag::types::{
    DagSpec, Deferral, ExternalWait, RunSelector, SensorSettings, TaskContext, TaskError, TaskKind,
    TaskSpec, TriggerRule, UpstreamOutput, WaitCondition,
};
use v3::{settings, spec, task};

struct Waits;

fn on_child(task_id: Option<&str>, run: RunSelector) -> TaskKind {
    TaskKind::Wait(WaitCondition::External(ExternalWait {
        dag_id: "waits_child".into(),
        run,
        task_id: task_id.map(str::to_owned),
        allowed_states: Vec::new(),
        failed_states: Vec::new(),
    }))
}

fn wait(id: &str, kind: TaskKind) -> TaskSpec {
    task(id, &[], TriggerRule::AllSuccess, kind)
}

impl Guest for Waits {
    fn describe() -> DagSpec {
        spec(
            "waits",
            "waits that hold no worker slot",
            vec![
                wait(
                    "soon",
                    TaskKind::Wait(WaitCondition::AfterDataIntervalEndMs(300)),
                ),
                task(
                    "after_soon",
                    &["soon"],
                    TriggerRule::AllSuccess,
                    TaskKind::Code,
                ),
                wait("resumes", TaskKind::Code),
                wait(
                    "on_child",
                    on_child(None, RunSelector::LogicalDateOffsetMs(0)),
                ),
                wait(
                    "on_child_task",
                    on_child(Some("work"), RunSelector::LogicalDateOffsetMs(0)),
                ),
                TaskSpec {
                    settings: settings(Some(SensorSettings {
                        poke_interval_ms: 60_000,
                        timeout_ms: Some(300),
                        soft_fail: true,
                        exponential_backoff: false,
                        max_poke_interval_ms: None,
                    })),
                    ..wait(
                        "never",
                        on_child(None, RunSelector::RunId("no_such_run".into())),
                    )
                },
            ],
        )
    }

    fn run_task(ctx: TaskContext, upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let out = |value: serde_json::Value| Ok(serde_json::to_vec(&value).unwrap_or_default());
        let parse = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).ok();
        match ctx.task_id.as_str() {
            "after_soon" => out(json!({
                "saw": upstream.first().and_then(|u| parse(&u.value)),
            })),
            "resumes" => match ctx.event {
                None => Err(TaskError::Defer(Deferral {
                    until: WaitCondition::AfterDataIntervalEndMs(200),
                    resume: true,
                })),
                Some(event) => out(json!({
                    "event": parse(event.as_bytes()),
                    "try": ctx.try_number,
                })),
            },
            other => Err(TaskError::Permanent(format!(
                "task {other} runs no code of this DAG"
            ))),
        }
    }
}

v3::bindings::export!(Waits with_types_in v3::bindings);

fn main() {}
