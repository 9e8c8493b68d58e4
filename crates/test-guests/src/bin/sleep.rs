//! A task that sleeps for a minute (`std::thread::sleep`, a WASI clock subscription).
//!
//! The host must stop it at its wall-clock limit even though it waits inside a host call:
//! `timeout`, well before the minute is up.

use std::time::Duration;

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{DagSpec, Guest, TaskError, UpstreamOutput, single_task_spec};

struct Sleep;

impl Guest for Sleep {
    fn describe() -> DagSpec {
        single_task_spec("sleep")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        std::thread::sleep(Duration::from_secs(60));
        Ok(b"woke".to_vec())
    }
}

weft_test_guests::export!(Sleep);

fn main() {}
