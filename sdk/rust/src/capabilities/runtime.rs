//! Where a task attempt runs: [`Context::worker`](crate::Context::worker).

use serde::{Deserialize, Serialize};

use crate::bindings::weft::dag::runtime;
use crate::context::Context;

/// Where a task attempt runs, from [`Context::worker`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// Id of the worker process.
    pub worker_id: String,
    /// Host name of the machine the worker runs on.
    pub hostname: String,
    /// The queue the task was taken from.
    pub queue: String,
}

impl Context {
    /// The worker and queue that run this attempt.
    pub fn worker(&self) -> WorkerInfo {
        let info = runtime::worker();
        WorkerInfo {
            worker_id: info.worker_id,
            hostname: info.hostname,
            queue: info.queue,
        }
    }
}
