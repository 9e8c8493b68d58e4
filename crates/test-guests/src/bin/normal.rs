//! A well-behaved DAG whose tasks exercise every host import; its `describe` is a valid spec.
//!
//! DAG `normal`, tasks (upstream in brackets): `echo_context`, `variables`, `logs`,
//! `xcom` [echo_context], `upstream` [echo_context, xcom], `fail_retryable`, `fail_permanent`,
//! `skip`, `scratch` (asks for a writable `/scratch`). Any other task id fails permanently
//! with `unknown task \`<id>\``. What each task returns is documented on its function; the
//! host must run each one and report exactly that output or task error.

use serde_json::{Value, json};
use weft_test_guests::bindings::weft::dag::types::{
    DirectoryGrant, LogLevel, Resources, TaskContext, WorkerInfo, XcomError,
};
use weft_test_guests::bindings::weft::dag::{log, runtime, variables, xcom};
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, conf, conf_str, json_bytes, simple_spec, task,
    unknown_task,
};

struct Normal;

impl Guest for Normal {
    fn describe() -> DagSpec {
        let mut scratch = task("scratch", &[]);
        scratch.settings.resources = Some(Resources {
            memory_bytes: None,
            egress_allowlist: Vec::new(),
            directories: vec![DirectoryGrant {
                guest_path: "/scratch".to_owned(),
                writable: true,
            }],
        });
        simple_spec(
            "normal",
            vec![
                task("echo_context", &[]),
                task("variables", &[]),
                task("logs", &[]),
                task("xcom", &["echo_context"]),
                task("upstream", &["echo_context", "xcom"]),
                task("fail_retryable", &[]),
                task("fail_permanent", &[]),
                task("skip", &[]),
                scratch,
            ],
        )
    }

    fn run_task(ctx: TaskContext, upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "echo_context" => Ok(echo_context(&ctx)),
            "xcom" => xcom_task(&ctx),
            "variables" => variables_task(&ctx),
            "logs" => Ok(logs()),
            "upstream" => Ok(upstream_task(&upstream)),
            "fail_retryable" => Err(TaskError::Retryable("weft-test: retryable failure".into())),
            "fail_permanent" => Err(TaskError::Permanent("weft-test: permanent failure".into())),
            "skip" => Err(TaskError::Skip("weft-test: skipped".into())),
            "scratch" => scratch(),
            _ => Err(unknown_task(&ctx)),
        }
    }
}

weft_test_guests::export!(Normal);

fn main() {}

fn context_json(ctx: &TaskContext) -> Value {
    json!({
        "dag_id": ctx.dag_id,
        "task_id": ctx.task_id,
        "run_id": ctx.run_id,
        "logical_date": ctx.logical_date,
        "data_interval_start": ctx.data_interval_start,
        "data_interval_end": ctx.data_interval_end,
        "try_number": ctx.try_number,
        "max_tries": ctx.max_tries,
        "conf": ctx.conf,
    })
}

fn worker_json(worker: &WorkerInfo) -> Value {
    json!({ "worker_id": worker.worker_id, "hostname": worker.hostname, "queue": worker.queue })
}

fn xcom_error_json(error: &XcomError) -> Value {
    match error {
        XcomError::NotUpstream(m) => json!({ "not_upstream": m }),
        XcomError::InvalidKey(m) => json!({ "invalid_key": m }),
        XcomError::TooLarge(limit) => json!({ "too_large": limit }),
        XcomError::Unavailable(m) => json!({ "unavailable": m }),
    }
}

/// `{"context": <ctx argument>, "runtime_context": <runtime.context()>, "worker": <runtime.worker()>}`,
/// each context with fields `dag_id, task_id, run_id, logical_date, data_interval_start,
/// data_interval_end, try_number, max_tries, conf` and the worker with `worker_id, hostname, queue`.
fn echo_context(ctx: &TaskContext) -> Vec<u8> {
    json_bytes(&json!({
        "context": context_json(ctx),
        "runtime_context": context_json(&runtime::context()),
        "worker": worker_json(&runtime::worker()),
    }))
}

/// Pushes `"xcom-value"` (conf `value`, if given) under key `k` (conf `push_key`, if given),
/// then, when conf has `pull`, pulls that task's value (key conf `pull_key`, or its output).
/// Returns `{"push": R, "pull": P}` where R is `{"ok": null}` or `{"error": E}` and P is null
/// (no `pull` in conf), `{"ok": null}` (no value), `{"ok": "<value, lossy UTF-8>"}` or
/// `{"error": E}`; E is `{"not_upstream": msg}`, `{"invalid_key": msg}`,
/// `{"too_large": limit}` or `{"unavailable": msg}`.
fn xcom_task(ctx: &TaskContext) -> Result<Vec<u8>, TaskError> {
    let conf = conf(ctx)?;
    let field = |name: &str| conf.get(name).and_then(Value::as_str).map(str::to_owned);
    let key = field("push_key").unwrap_or_else(|| "k".to_owned());
    let value = field("value").unwrap_or_else(|| "xcom-value".to_owned());
    let push = match xcom::push(&key, value.as_bytes()) {
        Ok(()) => json!({ "ok": null }),
        Err(e) => json!({ "error": xcom_error_json(&e) }),
    };
    let pull = match field("pull") {
        None => Value::Null,
        Some(from) => match xcom::pull(&from, field("pull_key").as_deref()) {
            Ok(None) => json!({ "ok": null }),
            Ok(Some(bytes)) => json!({ "ok": String::from_utf8_lossy(&bytes) }),
            Err(e) => json!({ "error": xcom_error_json(&e) }),
        },
    };
    Ok(json_bytes(&json!({ "push": push, "pull": pull })))
}

/// The JSON string value of variable conf `key`, or `null` when it is not set; a conf
/// without a string `key` fails permanently.
fn variables_task(ctx: &TaskContext) -> Result<Vec<u8>, TaskError> {
    let key = conf_str(ctx, "key")?;
    Ok(json_bytes(&json!(variables::get(&key))))
}

/// Logs `weft-test-log <level>` once per level (trace to error), prints
/// `weft-test-stdout` to stdout and `weft-test-stderr` to stderr, and returns `logged`.
fn logs() -> Vec<u8> {
    for (level, name) in [
        (LogLevel::Trace, "trace"),
        (LogLevel::Debug, "debug"),
        (LogLevel::Info, "info"),
        (LogLevel::Warn, "warn"),
        (LogLevel::Error, "error"),
    ] {
        log::write(level, &format!("weft-test-log {name}"));
    }
    println!("weft-test-stdout");
    eprintln!("weft-test-stderr");
    b"logged".to_vec()
}

/// `[{"task_id": id, "value": "<lossy UTF-8>"}, ...]` in the order given.
fn upstream_task(upstream: &[UpstreamOutput]) -> Vec<u8> {
    let list: Vec<Value> = upstream
        .iter()
        .map(|u| json!({ "task_id": u.task_id, "value": String::from_utf8_lossy(&u.value) }))
        .collect();
    json_bytes(&Value::Array(list))
}

/// Writes `weft-test-scratch` to `/scratch/probe.txt`, reads it back and returns what it
/// read; fails permanently when the file already exists (the directory must be fresh) or on
/// an I/O error (`scratch: <error>`).
fn scratch() -> Result<Vec<u8>, TaskError> {
    let path = "/scratch/probe.txt";
    // Each attempt must get a fresh, empty directory: a file left by an earlier one is a leak.
    if std::fs::metadata(path).is_ok() {
        return Err(TaskError::Permanent(
            "scratch: probe.txt left by an earlier attempt".into(),
        ));
    }
    std::fs::write(path, b"weft-test-scratch")
        .and_then(|()| std::fs::read(path))
        .map_err(|e| TaskError::Permanent(format!("scratch: {e}")))
}
