//! A task that returns the worker that ran it, for the examples about where tasks run
//! (`queues`, `labels`); each includes this file with `#[path]`.

use weft_sdk::prelude::*;

/// Where this attempt runs: the task, the worker's id and host, and the queue it was taken
/// from.
pub fn report_worker(ctx: &Context) -> TaskResult<Value> {
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
