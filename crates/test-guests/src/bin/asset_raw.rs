//! DAG `asset_raw`, world `weft:dag@0.5.0`: one no-op task, `extract`, that updates asset
//! `s3://weft/raw.csv`: each success gives the asset an event, which starts the runs of DAGs waiting
//! for it (`asset_report`).

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.5.0 and its `dag-spec` helpers.
#[path = "../v5.rs"]
mod v5;

use v5::bindings::Guest;
use v5::bindings::weft::dag::types::{DagSpec, TaskContext, TaskError, UpstreamOutput};
use v5::{spec, task};

struct Producer;

impl Guest for Producer {
    fn describe() -> DagSpec {
        spec(
            "asset_raw",
            "Updates s3://weft/raw.csv",
            &[],
            vec![task("extract", &[], &["s3://weft/raw.csv"])],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "extract" => Ok(Vec::new()),
            other => Err(TaskError::Permanent(format!("no task {other:?}"))),
        }
    }
}

v5::bindings::export!(Producer with_types_in v5::bindings);

fn main() {}
