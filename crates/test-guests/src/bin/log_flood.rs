//! Task `log_flood` writes 100,000 log lines of 1 KiB each and 10 MiB to stdout.
//!
//! DAG `log_flood`, one task of the same name; `run-task` floods whatever the task id.
//! Log lines go through the `log` import at level `info`, each exactly 1024 bytes starting
//! with `weft-test-flood <n>` (n from 0); stdout gets 10,240 lines of 1023 `o` and a newline.
//! Then it writes 1,000,000 empty log lines, which cost the host bookkeeping if not bytes.
//! It then succeeds with output `{"log_lines": 100000, "stdout_bytes": 10485760}`. The host
//! must cap what it keeps at its log limit (empty lines included), count what it dropped,
//! and still report the attempt's success.

use serde_json::json;
use std::io::Write;
use weft_test_guests::bindings::weft::dag::log;
use weft_test_guests::bindings::weft::dag::types::LogLevel;
use weft_test_guests::{
    DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, json_bytes, single_task_spec,
};

const LOG_LINES: usize = 100_000;
const LINE_BYTES: usize = 1024;
const STDOUT_LINES: usize = 10 * 1024;
const EMPTY_LINES: usize = 1_000_000;

struct LogFlood;

impl Guest for LogFlood {
    fn describe() -> DagSpec {
        single_task_spec("log_flood")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        for n in 0..LOG_LINES {
            let mut line = format!("weft-test-flood {n} ");
            line.extend(std::iter::repeat_n('x', LINE_BYTES - line.len()));
            log::write(LogLevel::Info, &line);
        }
        let stdout_line = format!("{}\n", "o".repeat(LINE_BYTES - 1));
        let mut stdout = std::io::stdout().lock();
        for _ in 0..STDOUT_LINES {
            // A host that closes stdout must not turn the flood into a failure.
            let _ = stdout.write_all(stdout_line.as_bytes());
        }
        let _ = stdout.flush();
        for _ in 0..EMPTY_LINES {
            log::write(LogLevel::Info, "");
        }
        Ok(json_bytes(&json!({
            "log_lines": LOG_LINES,
            "stdout_bytes": STDOUT_LINES * LINE_BYTES,
        })))
    }
}

weft_test_guests::export!(LogFlood);

fn main() {}
