//! DAG `ui_flow`: `extract >> [transform, audit] >> report`, for the web UI's and the live
//! log's end-to-end tests.
//!
//! `transform` logs `tick 1` ... `tick N` (N: the run's conf `ticks`, default 10), one every
//! `tick_ms` (default 300) milliseconds, then succeeds with `{"ticks": N}`. The other tasks
//! log one line, `<task id> done`, and succeed at once with their task id.

use std::time::Duration;

use serde_json::{Value, json};
use weft_test_guests::bindings::weft::dag::log;
use weft_test_guests::bindings::weft::dag::types::{LogLevel, TaskContext};
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, conf, json_bytes, simple_spec, task, unknown_task,
};

struct UiFlow;

impl Guest for UiFlow {
    fn describe() -> DagSpec {
        simple_spec(
            "ui_flow",
            vec![
                task("extract", &[]),
                task("transform", &["extract"]),
                task("audit", &["extract"]),
                task("report", &["transform", "audit"]),
            ],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "transform" => {
                let conf = conf(&ctx)?;
                let number = |key: &str, default: u64| {
                    conf.get(key).and_then(Value::as_u64).unwrap_or(default)
                };
                let ticks = number("ticks", 10);
                let every = Duration::from_millis(number("tick_ms", 300));
                for n in 1..=ticks {
                    std::thread::sleep(every);
                    log::write(LogLevel::Info, &format!("tick {n}"));
                }
                Ok(json_bytes(&json!({ "ticks": ticks })))
            }
            "extract" | "audit" | "report" => {
                log::write(LogLevel::Info, &format!("{} done", ctx.task_id));
                Ok(json_bytes(&json!(ctx.task_id)))
            }
            _ => Err(unknown_task(&ctx)),
        }
    }
}

weft_test_guests::export!(UiFlow);

fn main() {}
