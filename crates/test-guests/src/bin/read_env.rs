//! Task `read_env` returns the environment variables and arguments it sees.
//!
//! DAG `read_env`, one task of the same name; `run-task` reports whatever the task id.
//! Output: `{"vars": {"NAME": "value", ...}, "args": ["...", ...]}`. The host gives tasks an
//! empty environment, so it must see `vars` empty and no host secrets in `args`.

use serde_json::{Map, Value, json};
use weft_test_guests::{
    DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, json_bytes, single_task_spec,
};

struct ReadEnv;

impl Guest for ReadEnv {
    fn describe() -> DagSpec {
        single_task_spec("read_env")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let vars: Map<String, Value> = std::env::vars_os()
            .map(|(k, v)| {
                let value = Value::String(v.to_string_lossy().into_owned());
                (k.to_string_lossy().into_owned(), value)
            })
            .collect();
        let args: Vec<String> = std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        Ok(json_bytes(&json!({ "vars": vars, "args": args })))
    }
}

weft_test_guests::export!(ReadEnv);

fn main() {}
