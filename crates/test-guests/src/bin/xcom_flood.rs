//! A task that pushes 1 MiB XCom values under new keys until the host refuses one.
//!
//! The host must bound all of an attempt's values together: the push that would exceed the
//! attempt's XCom limit fails with `too-large`. Returns `{"pushed": <count>, "error": "..."}`.

use serde_json::json;
use weft_test_guests::bindings::weft::dag::types::{TaskContext, XcomError};
use weft_test_guests::bindings::weft::dag::xcom;
use weft_test_guests::{DagSpec, Guest, TaskError, UpstreamOutput, json_bytes, single_task_spec};

struct XcomFlood;

impl Guest for XcomFlood {
    fn describe() -> DagSpec {
        single_task_spec("xcom_flood")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let value = vec![7u8; 1 << 20];
        for n in 0..10_000u32 {
            if let Err(e) = xcom::push(&format!("k{n}"), &value) {
                let error = match e {
                    XcomError::TooLarge(limit) => format!("too_large {limit}"),
                    other => format!("{other:?}"),
                };
                return Ok(json_bytes(&json!({ "pushed": n, "error": error })));
            }
        }
        Ok(json_bytes(&json!({ "pushed": 10_000, "error": null })))
    }
}

weft_test_guests::export!(XcomFlood);

fn main() {}
