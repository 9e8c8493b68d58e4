//! DAG `sensor`, world `weft:dag@0.3.0`: sensors in reschedule mode.
//!
//! - `wait_for_flag` pokes every 20 ms (timeout 30 s) until variable `sensor_flag` is set,
//!   then returns `{"flag": <its value>, "try": <try number>}`; until then it answers
//!   `reschedule` with no delay of its own.
//! - `asks_its_delay` answers `reschedule(15 ms)` until the flag is set, then returns `"done"`.
//! - `times_out` never is satisfied: it pokes every 10 ms with a 150 ms timeout.
//! - `soft` is `times_out` with `soft-fail`; `after_soft` follows it (all-success).

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.3.0 and the `dag-spec` helpers the 0.3.0 guests share.
#[path = "../v3.rs"]
mod v3;

use serde_json::json;
use v3::bindings::Guest;
use v3::bindings::weft::dag::types::{
    DagSpec, SensorSettings, TaskContext, TaskError, TaskKind, TaskSettings, TaskSpec, TriggerRule,
    UpstreamOutput,
};
use v3::bindings::weft::dag::variables;
use v3::{settings, spec};

struct Sensor;

fn sensor(poke_ms: u64, timeout_ms: u64, soft_fail: bool) -> Option<SensorSettings> {
    Some(SensorSettings {
        poke_interval_ms: poke_ms,
        timeout_ms: Some(timeout_ms),
        soft_fail,
        exponential_backoff: false,
        max_poke_interval_ms: None,
    })
}

fn task(id: &str, upstream: &[&str], settings: TaskSettings) -> TaskSpec {
    TaskSpec {
        settings,
        ..v3::task(id, upstream, TriggerRule::AllSuccess, TaskKind::Code)
    }
}

impl Guest for Sensor {
    fn describe() -> DagSpec {
        spec(
            "sensor",
            "sensors that give their slot back between pokes",
            vec![
                task("wait_for_flag", &[], settings(sensor(20, 30_000, false))),
                task(
                    "asks_its_delay",
                    &[],
                    settings(sensor(60_000, 30_000, false)),
                ),
                task("times_out", &[], settings(sensor(10, 150, false))),
                task("soft", &[], settings(sensor(10, 150, true))),
                task("after_soft", &["soft"], settings(None)),
            ],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let flag = variables::get("sensor_flag");
        let out = |value: serde_json::Value| Ok(serde_json::to_vec(&value).unwrap_or_default());
        match (ctx.task_id.as_str(), flag) {
            ("wait_for_flag", Some(flag)) => out(json!({"flag": flag, "try": ctx.try_number})),
            ("wait_for_flag", None) => Err(TaskError::Reschedule(None)),
            ("asks_its_delay", Some(_)) => out(json!("done")),
            ("asks_its_delay", None) => Err(TaskError::Reschedule(Some(15))),
            ("times_out" | "soft", _) => Err(TaskError::Reschedule(None)),
            ("after_soft", _) => out(json!("ran")),
            (other, _) => Err(TaskError::Permanent(format!("no task {other}"))),
        }
    }
}

v3::bindings::export!(Sensor with_types_in v3::bindings);

fn main() {}
