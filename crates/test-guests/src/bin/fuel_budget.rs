//! DAG `fuel_budget`, world `weft:dag@0.4.0`: tasks that set their own CPU budget.
//!
//! - `spin` asks for 2,000,000 fuel units and loops until the host stops it: the attempt must
//!   fail for its own budget, not the worker's, long before its timeout.
//! - `count` asks for the same budget and adds up 10,000 numbers, far within it.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.4.0 and the `dag-spec` helpers the 0.3.0 and later guests share.
#[path = "../v4.rs"]
mod v4;

use v4::bindings::Guest;
use v4::bindings::weft::dag::types::{
    DagSpec, Resources, TaskContext, TaskError, TaskKind, TriggerRule, UpstreamOutput,
};
use v4::{spec, task};

/// The CPU budget each task asks for.
const FUEL: u64 = 2_000_000;

struct FuelBudget;

impl Guest for FuelBudget {
    fn describe() -> DagSpec {
        let mut tasks = vec![
            task("spin", &[], TriggerRule::AllSuccess, TaskKind::Code),
            task("count", &[], TriggerRule::AllSuccess, TaskKind::Code),
        ];
        for t in &mut tasks {
            t.settings.resources = Some(Resources {
                memory_bytes: None,
                egress_allowlist: Vec::new(),
                directories: Vec::new(),
                connections: Vec::new(),
                secrets: Vec::new(),
                fuel: Some(FUEL),
            });
        }
        spec("fuel_budget", "tasks with a CPU budget of their own", tasks)
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        if ctx.task_id == "count" {
            let sum: u64 = (1..=10_000u64).map(std::hint::black_box).sum();
            return Ok(sum.to_string().into_bytes());
        }
        let mut counter = 0u64;
        loop {
            // `black_box` keeps the optimizer from proving the loop has no effect.
            counter = std::hint::black_box(counter.wrapping_add(1));
        }
    }
}

v4::bindings::export!(FuelBudget with_types_in v4::bindings);

fn main() {}
