//! `describe` returns DAG `cycle` whose tasks form the cycle a -> b -> c -> a.
//!
//! Task `b` has upstream `a`, `c` has upstream `b` and `a` has upstream `c`. The host must
//! refuse to deploy it with an error naming the cycle, and store nothing. `run-task` returns
//! empty output for any task id (it is never meant to be called).

use weft_test_guests::{DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, simple_spec, task};

struct Cycle;

impl Guest for Cycle {
    fn describe() -> DagSpec {
        simple_spec(
            "cycle",
            vec![task("a", &["c"]), task("b", &["a"]), task("c", &["b"])],
        )
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        Ok(Vec::new())
    }
}

weft_test_guests::export!(Cycle);

fn main() {}
