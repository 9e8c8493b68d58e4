//! Weft example DAG `queues`: task `on_vm2` goes to queue `vm2_queue` and task `on_vm3` to
//! queue `vm3_queue`. Each returns the worker that ran it, so a run shows which machine took
//! which queue (start workers with `-q vm2_queue` and `-q vm3_queue`).

use weft_sdk::prelude::*;

#[path = "../../shared/worker_report.rs"]
mod worker_report;

use worker_report::report_worker;

/// The DAG: two independent tasks on two queues.
fn dag() -> Dag {
    let dag = Dag::new("queues")
        .description("Two tasks on two queues, each reporting the worker that ran it")
        .tags(["example", "queues"]);
    dag.task("on_vm2", report_worker).queue("vm2_queue");
    dag.task("on_vm3", report_worker).queue("vm3_queue");
    dag
}

weft_sdk::export_dag!(dag);
