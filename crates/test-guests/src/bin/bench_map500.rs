//! DAG `bench_map500`, world `weft:dag@0.3.0`: task `list` returns 500 items and
//! task `each`, mapped over them, runs once per item doing nothing, for benchmarks.
//!
//! The quick benchmark (`weft-bench --quick`) runs it in place of `bench_map10000`.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.3.0 and the `dag-spec` helpers the 0.3.0 guests share.
#[path = "../v3.rs"]
mod v3;

/// The DAG the benchmark DAGs of mapped tasks share.
#[path = "../bench_map.rs"]
mod bench_map;

use v3::bindings::Guest;
use v3::bindings::weft::dag::types::{DagSpec, TaskContext, TaskError, UpstreamOutput};

/// Items `each` is mapped over.
const ITEMS: usize = 500;

struct BenchMap500;

impl Guest for BenchMap500 {
    fn describe() -> DagSpec {
        bench_map::bench_map_spec("bench_map500", ITEMS)
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        bench_map::bench_map_task(&ctx, ITEMS)
    }
}

v3::bindings::export!(BenchMap500 with_types_in v3::bindings);

fn main() {}
