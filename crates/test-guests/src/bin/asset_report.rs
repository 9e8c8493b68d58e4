//! DAG `asset_report`, world `weft:dag@0.5.0`: started once both `s3://weft/raw.csv` and
//! `s3://weft/sorted.parquet` have been updated since its last run. Its task, `report`,
//! returns what started the run, read from the run's conf: the triggering events' URIs and
//! extras, in order, as a JSON array of `[uri, extra]` pairs.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.5.0 and its `dag-spec` helpers.
#[path = "../v5.rs"]
mod v5;

use serde_json::Value;
use v5::bindings::Guest;
use v5::bindings::weft::dag::types::{DagSpec, TaskContext, TaskError, UpstreamOutput};
use v5::{spec, task};

struct Report;

impl Guest for Report {
    fn describe() -> DagSpec {
        spec(
            "asset_report",
            "Reports on the raw and sorted customers once both are new",
            &["s3://weft/raw.csv", "s3://weft/sorted.parquet"],
            vec![task("report", &[], &[])],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        if ctx.task_id != "report" {
            return Err(TaskError::Permanent(format!("no task {:?}", ctx.task_id)));
        }
        let conf: Value = serde_json::from_str(&ctx.conf)
            .map_err(|e| TaskError::Permanent(format!("conf is not JSON: {e}")))?;
        let pairs: Vec<Value> = conf["triggering_asset_events"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|e| Value::Array(vec![e["uri"].clone(), e["extra"].clone()]))
            .collect();
        serde_json::to_vec(&pairs).map_err(|e| TaskError::Permanent(e.to_string()))
    }
}

v5::bindings::export!(Report with_types_in v5::bindings);

fn main() {}
