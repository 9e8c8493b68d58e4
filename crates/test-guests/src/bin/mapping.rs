//! DAG `mapping`, world `weft:dag@0.3.0`: mapped tasks over an upstream output and over
//! items known when the DAG is built, and a task that reduces them.
//!
//! - `list` returns the run's conf `items` (any JSON; `[1, 2, 3]` when the conf has none);
//!   a number `n` there stands for `[0, 1, ..., n-1]`.
//! - `square` is mapped over `list`'s output and returns its item squared. Conf
//!   `fail_index: k` makes instance `k` fail: with `flaky: true` only its first try
//!   (retryably; the task has one retry), else every try for good.
//! - `label` is mapped over the items `"a"`, `"b"`, `"c"` and returns `"<map index>:<item>"`.
//! - `again` is mapped over `square`'s output (the instances' outputs as one array) and
//!   returns its item plus one.
//! - `total` runs after `square` and `label` and returns `{"sum": <sum of square's outputs>, "labels":
//!   <label's outputs>, "squares": <how many>}`: each upstream's output is the JSON array
//!   of its instances' outputs, in map index order.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.3.0 and the `dag-spec` helpers the 0.3.0 guests share.
#[path = "../v3.rs"]
mod v3;

use serde_json::{Value, json};
use v3::bindings::Guest;
use v3::bindings::weft::dag::types::{
    DagSpec, Expand, TaskContext, TaskError, TaskKind, TriggerRule, UpstreamOutput,
};
use v3::{spec, task};

struct Mapping;

fn conf(ctx: &TaskContext) -> Result<Value, TaskError> {
    serde_json::from_str(&ctx.conf).map_err(|e| TaskError::Permanent(format!("conf: {e}")))
}

fn bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn upstream_json(upstream: &[UpstreamOutput], id: &str) -> Result<Value, TaskError> {
    let found = upstream
        .iter()
        .find(|u| u.task_id == id)
        .ok_or_else(|| TaskError::Permanent(format!("no output of {id}")))?;
    serde_json::from_slice(&found.value)
        .map_err(|e| TaskError::Permanent(format!("output of {id}: {e}")))
}

fn item(ctx: &TaskContext) -> Result<(u32, Value), TaskError> {
    let (Some(index), Some(item)) = (ctx.map_index, ctx.map_item.as_deref()) else {
        return Err(TaskError::Permanent(format!(
            "{} runs mapped, but has no map index or item",
            ctx.task_id
        )));
    };
    let item = serde_json::from_slice(item)
        .map_err(|e| TaskError::Permanent(format!("map item {index}: {e}")))?;
    Ok((index, item))
}

impl Guest for Mapping {
    fn describe() -> DagSpec {
        let code = || TaskKind::Code;
        let mut square = task("square", &["list"], TriggerRule::AllSuccess, code());
        square.expand = Some(Expand::Upstream("list".into()));
        square.settings.retries = Some(1);
        square.settings.retry_delay_ms = Some(10);
        let mut again = task("again", &["square"], TriggerRule::AllSuccess, code());
        again.expand = Some(Expand::Upstream("square".into()));
        let mut label = task("label", &[], TriggerRule::AllSuccess, code());
        label.expand = Some(Expand::Items(
            ["a", "b", "c"].iter().map(|s| bytes(&json!(s))).collect(),
        ));
        spec(
            "mapping",
            "mapped tasks and their reduce",
            vec![
                task("list", &[], TriggerRule::AllSuccess, code()),
                square,
                again,
                label,
                task(
                    "total",
                    &["square", "label"],
                    TriggerRule::AllSuccess,
                    code(),
                ),
            ],
        )
    }

    fn run_task(ctx: TaskContext, upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "list" => match conf(&ctx)?.get("items") {
                None => Ok(bytes(&json!([1, 2, 3]))),
                Some(Value::Number(n)) => {
                    let n = n.as_u64().unwrap_or(0);
                    Ok(bytes(&Value::from((0..n).collect::<Vec<u64>>())))
                }
                Some(other) => Ok(bytes(other)),
            },
            "square" => {
                let (index, item) = item(&ctx)?;
                let conf = conf(&ctx)?;
                if conf["fail_index"].as_u64() == Some(u64::from(index)) {
                    let message = format!("instance {index} fails on try {}", ctx.try_number);
                    if conf["flaky"] == json!(true) {
                        if ctx.try_number == 1 {
                            return Err(TaskError::Retryable(message));
                        }
                    } else {
                        return Err(TaskError::Permanent(message));
                    }
                }
                let n = item
                    .as_i64()
                    .ok_or_else(|| TaskError::Permanent(format!("item {index} is not a number")))?;
                Ok(bytes(&json!(n * n)))
            }
            "again" => {
                let (index, item) = item(&ctx)?;
                let n = item
                    .as_i64()
                    .ok_or_else(|| TaskError::Permanent(format!("item {index} is not a number")))?;
                Ok(bytes(&json!(n + 1)))
            }
            "label" => {
                let (index, item) = item(&ctx)?;
                let text = item.as_str().unwrap_or_default();
                Ok(bytes(&json!(format!("{index}:{text}"))))
            }
            "total" => {
                let squares = upstream_json(&upstream, "square")?;
                let squares = squares.as_array().cloned().unwrap_or_default();
                let sum: i64 = squares.iter().filter_map(Value::as_i64).sum();
                let labels = upstream_json(&upstream, "label")?;
                Ok(bytes(&json!({
                    "sum": sum,
                    "labels": labels,
                    "squares": squares.len(),
                })))
            }
            other => Err(TaskError::Permanent(format!("no task {other}"))),
        }
    }
}

v3::bindings::export!(Mapping with_types_in v3::bindings);

fn main() {}
