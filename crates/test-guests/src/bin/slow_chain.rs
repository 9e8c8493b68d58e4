//! DAG `slow_chain`: `first >> slow >> last`, for restart tests.
//!
//! `slow` sleeps `sleep_ms` from the run's conf (default 3000) and returns
//! `{"try": <try number>}`; it has 3 retries with a 10 ms delay. `first` and `last` return
//! their task id at once. A host killed while `slow` runs must, after its restart, count that
//! attempt as lost and run `slow` again as try 2, with every task succeeding exactly once.

use std::time::Duration;

use serde_json::json;
use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, conf, json_bytes, simple_spec, task, unknown_task,
};

struct SlowChain;

impl Guest for SlowChain {
    fn describe() -> DagSpec {
        let mut slow = task("slow", &["first"]);
        slow.settings.retries = Some(3);
        slow.settings.retry_delay_ms = Some(10);
        simple_spec(
            "slow_chain",
            vec![task("first", &[]), slow, task("last", &["slow"])],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "first" | "last" => Ok(json_bytes(&json!(ctx.task_id))),
            "slow" => {
                let ms = conf(&ctx)?
                    .get("sleep_ms")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(3000);
                std::thread::sleep(Duration::from_millis(ms));
                Ok(json_bytes(&json!({ "try": ctx.try_number })))
            }
            _ => Err(unknown_task(&ctx)),
        }
    }
}

weft_test_guests::export!(SlowChain);

fn main() {}
