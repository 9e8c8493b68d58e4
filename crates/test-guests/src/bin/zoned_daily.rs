//! DAG `zoned_daily`: one no-op task, `t0`, every day at 02:30 in Berlin.
//!
//! Its start date names the DAG's time zone, `2024-01-01[Europe/Berlin]`, so its schedule is
//! read as Berlin wall-clock time: 02:30, or 03:00 on the day the clocks skip 02:30.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, simple_spec, task, unknown_task,
};

struct ZonedDaily;

impl Guest for ZonedDaily {
    fn describe() -> DagSpec {
        let mut spec = simple_spec("zoned_daily", vec![task("t0", &[])]);
        spec.description = "Every day at 02:30 in Berlin".to_owned();
        spec.schedule = Some("30 2 * * *".to_owned());
        spec.start_date = Some("2024-01-01[Europe/Berlin]".to_owned());
        spec
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "t0" => Ok(Vec::new()),
            _ => Err(unknown_task(&ctx)),
        }
    }
}

weft_test_guests::export!(ZonedDaily);

fn main() {}
