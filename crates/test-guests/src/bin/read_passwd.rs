//! Task `read_passwd` tries to read `/etc/passwd` and to list `/`.
//!
//! DAG `read_passwd`, one task of the same name; `run-task` probes whatever the task id and
//! never fails. Output: `{"ok": bool, "error": "<kind>: <message>" | null, "bytes": n | null,
//! "list_root": {"ok": bool, "error": ... | null, "entries": [names]}}`, where `ok` and `error`
//! describe the read of `/etc/passwd`. The host grants no filesystem by default, so it must
//! see `ok: false` and `list_root.ok: false`.

use serde_json::json;
use weft_test_guests::{
    DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, io_outcome, json_bytes,
    single_task_spec,
};

struct ReadPasswd;

impl Guest for ReadPasswd {
    fn describe() -> DagSpec {
        single_task_spec("read_passwd")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let passwd = std::fs::read_to_string("/etc/passwd");
        let listing = std::fs::read_dir("/").and_then(|entries| {
            entries
                .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<std::io::Result<Vec<String>>>()
        });
        let mut out = io_outcome(&passwd);
        out["bytes"] = json!(passwd.as_ref().ok().map(String::len));
        let mut list_root = io_outcome(&listing);
        list_root["entries"] = json!(listing.unwrap_or_default());
        out["list_root"] = list_root;
        Ok(json_bytes(&out))
    }
}

weft_test_guests::export!(ReadPasswd);

fn main() {}
