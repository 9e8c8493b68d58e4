//! Weft example DAG `labels`: where a task runs when it asks for worker labels or an
//! architecture. `anywhere` asks for nothing; `on_gpu` needs a worker started with
//! `--labels gpu`, `on_gpu_ssd` one with both `gpu` and `ssd`, and `on_aarch64` an aarch64
//! worker. Each returns the worker that ran it; a task no worker meets waits in its queue
//! until one comes.

use weft_sdk::prelude::*;

#[path = "../../shared/worker_report.rs"]
mod worker_report;

use worker_report::report_worker;

/// The DAG: four independent tasks, each asking more of its worker.
fn dag() -> Dag {
    let dag = Dag::new("labels")
        .description("Tasks that run only on workers with the labels or architecture they ask for")
        .tags(["example", "labels"]);
    dag.task("anywhere", report_worker);
    dag.task("on_gpu", report_worker).worker_labels(&["gpu"]);
    dag.task("on_gpu_ssd", report_worker)
        .worker_labels(&["gpu", "ssd"]);
    dag.task("on_aarch64", report_worker).arch("aarch64");
    dag
}

weft_sdk::export_dag!(dag);
