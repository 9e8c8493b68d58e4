//! Weft example DAG `queues`: task `on_vm2` goes to queue `vm2_queue` and task `on_vm3` to
//! queue `vm3_queue`. Each returns the worker that ran it, so a run shows which machine took
//! which queue (start workers with `-q vm2_queue` and `-q vm3_queue`).

use weft_sdk::prelude::*;

/// The DAG: two independent tasks on two queues.
fn dag() -> Dag {
    let dag = Dag::new("queues")
        .description("Two tasks on two queues, each reporting the worker that ran it")
        .tags(["example", "queues"]);
    dag.task("on_vm2", report_worker).queue("vm2_queue");
    dag.task("on_vm3", report_worker).queue("vm3_queue");
    dag
}

/// Where this attempt runs.
fn report_worker(ctx: &Context) -> TaskResult<Value> {
    let worker = ctx.worker();
    info!(
        "task {} runs on worker {} ({}) from queue {}",
        ctx.task_id(),
        worker.worker_id,
        worker.hostname,
        worker.queue
    );
    Ok(json!({
        "task": ctx.task_id(),
        "worker_id": worker.worker_id,
        "hostname": worker.hostname,
        "queue": worker.queue,
    }))
}

weft_sdk::export_dag!(dag);
