//! `weft:dag/runtime`: the current attempt's context and worker.

use crate::sandbox::HostState;

macro_rules! runtime_host {
    ($v:ident) => {
        impl crate::bindings::$v::weft::dag::runtime::Host for HostState {
            fn context(&mut self) -> wasmtime::Result<crate::bindings::$v::types::TaskContext> {
                self.check_deadline()?;
                let c = &self.attempt("runtime.context")?.context;
                Ok(crate::bindings::$v::types::TaskContext {
                    dag_id: c.dag_id.clone(),
                    task_id: c.task_id.clone(),
                    run_id: c.run_id.clone(),
                    logical_date: c.logical_date.clone(),
                    data_interval_start: c.data_interval_start.clone(),
                    data_interval_end: c.data_interval_end.clone(),
                    try_number: c.try_number,
                    max_tries: c.max_tries,
                    conf: c.conf.clone(),
                })
            }

            fn worker(&mut self) -> wasmtime::Result<crate::bindings::$v::types::WorkerInfo> {
                self.check_deadline()?;
                let w = &self.attempt("runtime.worker")?.worker;
                Ok(crate::bindings::$v::types::WorkerInfo {
                    worker_id: w.worker_id.clone(),
                    hostname: w.hostname.clone(),
                    queue: w.queue.clone(),
                })
            }
        }
    };
}

runtime_host!(v0_1);
runtime_host!(v0_2);
