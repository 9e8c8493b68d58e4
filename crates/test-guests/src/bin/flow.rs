//! DAG `flow`, for scheduler and worker tests: `start >> [flaky, pusher] >> join >> cleanup`,
//! plus `never` (trigger rule `all_failed` after `start`, so it is skipped).
//!
//! - `start` returns `{"conf": <the run's conf>}`.
//! - `flaky` logs `flaky: failing on purpose` (level warn) and fails retryably on its first
//!   try, and succeeds on later ones, returning `{"try": <try number>}` without logging; it
//!   has 2 retries with a 10 ms delay.
//! - `pusher` pushes `"pushed"` under key `extra` and returns `"pusher-out"`.
//! - `join` returns `{"upstream": [<ids of the upstream outputs it was given>], "extra": <pulled
//!   keyed value of pusher>}`; with conf `{"fail_join": true}` it fails permanently instead
//!   (saying `join told to fail`), and with `{"fail_join": "<message>"}` saying `<message>`.
//! - `cleanup` (trigger rule `all_done`) returns `"cleaned"`.
//!
//! With `fail_join`, `join` fails and `cleanup` still runs (all_done). The leaves are
//! `cleanup` and `never`, both success or skipped, so by Airflow's rule the run succeeds.

use serde_json::{Value, json};
use weft_test_guests::bindings::weft::dag::types::{LogLevel, TaskContext, TriggerRule};
use weft_test_guests::bindings::weft::dag::{log, xcom};
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, conf, json_bytes, simple_spec, task, unknown_task,
};

struct Flow;

impl Guest for Flow {
    fn describe() -> DagSpec {
        let mut flaky = task("flaky", &["start"]);
        flaky.settings.retries = Some(2);
        flaky.settings.retry_delay_ms = Some(10);
        let mut cleanup = task("cleanup", &["join"]);
        cleanup.trigger_rule = TriggerRule::AllDone;
        let mut never = task("never", &["start"]);
        never.trigger_rule = TriggerRule::AllFailed;
        simple_spec(
            "flow",
            vec![
                task("start", &[]),
                flaky,
                task("pusher", &["start"]),
                task("join", &["flaky", "pusher"]),
                cleanup,
                never,
            ],
        )
    }

    fn run_task(ctx: TaskContext, upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "start" => Ok(json_bytes(&json!({ "conf": conf(&ctx)? }))),
            "flaky" if ctx.try_number == 1 => {
                log::write(LogLevel::Warn, "flaky: failing on purpose");
                Err(TaskError::Retryable("flaky: first try fails".into()))
            }
            "flaky" => Ok(json_bytes(&json!({ "try": ctx.try_number }))),
            "pusher" => {
                xcom::push("extra", b"\"pushed\"")
                    .map_err(|e| TaskError::Permanent(format!("{e:?}")))?;
                Ok(json_bytes(&json!("pusher-out")))
            }
            "join" => {
                match conf(&ctx)?.get("fail_join") {
                    Some(Value::Bool(true)) => {
                        return Err(TaskError::Permanent("join told to fail".into()));
                    }
                    Some(Value::String(message)) => {
                        return Err(TaskError::Permanent(message.clone()));
                    }
                    _ => {}
                }
                let extra = xcom::pull("pusher", Some("extra"))
                    .map_err(|e| TaskError::Permanent(format!("{e:?}")))?;
                let extra: Value = extra
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or(Value::Null);
                let ids: Vec<&str> = upstream.iter().map(|u| u.task_id.as_str()).collect();
                Ok(json_bytes(&json!({ "upstream": ids, "extra": extra })))
            }
            "cleanup" => Ok(json_bytes(&json!("cleaned"))),
            "never" => Ok(Vec::new()),
            _ => Err(unknown_task(&ctx)),
        }
    }
}

weft_test_guests::export!(Flow);

fn main() {}
