//! Checks on requests before they reach the database, so a bad request gets an
//! [`StoreError::Invalid`] saying what is wrong and nothing is written.

use std::collections::HashSet;

use sha2::{Digest as _, Sha256};
use weft_model::TaskState;

use crate::error::{StoreError, StoreResult};
use crate::records::{Deploy, NewRun, Pool, Variable, WorkerRecord};
use crate::write::WriteBatch;

/// Longest name (tenant, DAG, run, task, queue, pool, variable key) the store accepts.
pub(crate) const MAX_NAME_LEN: usize = 250;

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(message)
}

/// A name: not empty, at most [`MAX_NAME_LEN`] bytes, no control characters.
pub(crate) fn name(what: &str, value: &str) -> StoreResult<()> {
    if value.is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if value.len() > MAX_NAME_LEN {
        return Err(invalid(format!(
            "{what} {value:.40}... is longer than {MAX_NAME_LEN} bytes"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} {value:?} contains control characters"
        )));
    }
    Ok(())
}

/// A deploy: names, the DAG id agreeing with the spec, and the digest being the bytes' `sha256:<hex>`.
pub(crate) fn deploy(deploy: &Deploy) -> StoreResult<()> {
    name("tenant", &deploy.tenant)?;
    name("dag_id", &deploy.dag_id)?;
    if deploy.spec.dag_id != deploy.dag_id {
        return Err(invalid(format!(
            "dag_id {:?} differs from the spec's dag_id {:?}",
            deploy.dag_id, deploy.spec.dag_id
        )));
    }
    if deploy.bytes.is_empty() {
        return Err(invalid(format!(
            "the component of DAG {} is empty",
            deploy.dag_id
        )));
    }
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&deploy.bytes)));
    if deploy.digest != actual {
        return Err(invalid(format!(
            "digest {:?} is not the component's digest ({actual})",
            deploy.digest
        )));
    }
    Ok(())
}

/// A new run: names, a JSON object as conf, and task ids that are unique.
pub(crate) fn new_run(run: &NewRun) -> StoreResult<()> {
    name("tenant", &run.tenant)?;
    name("dag_id", &run.dag_id)?;
    name("run_id", &run.run_id)?;
    name("digest", &run.digest)?;
    if !run.conf.is_object() {
        return Err(invalid(format!(
            "conf of run {} is not a JSON object",
            run.run_id
        )));
    }
    let mut seen = HashSet::with_capacity(run.tasks.len());
    for task in &run.tasks {
        name("task_id", &task.task_id)?;
        name("queue", &task.queue)?;
        name("pool", &task.pool)?;
        if !seen.insert(task.task_id.as_str()) {
            return Err(invalid(format!(
                "task {} appears twice in run {}",
                task.task_id, run.run_id
            )));
        }
    }
    Ok(())
}

/// A write batch: a well-named fence, and finishes that end in a final or retry state with
/// a non-negative duration.
pub(crate) fn batch(batch: &WriteBatch) -> StoreResult<()> {
    if let Some(fence) = &batch.leader {
        lease(&fence.name, &fence.holder)?;
    }
    for finish in &batch.finish {
        if !matches!(
            finish.state,
            TaskState::Success | TaskState::Failed | TaskState::Skipped | TaskState::UpForRetry
        ) {
            return Err(invalid(format!(
                "task instance {} cannot finish in state {} (success, failed, skipped or up_for_retry)",
                finish.ti, finish.state
            )));
        }
        if finish.duration_ms < 0 {
            return Err(invalid(format!(
                "task instance {}: negative duration {} ms",
                finish.ti, finish.duration_ms
            )));
        }
        for (key, _) in &finish.xcom {
            name("XCom key", key)?;
        }
    }
    Ok(())
}

/// A variable.
pub(crate) fn variable(tenant: &str, variable: &Variable) -> StoreResult<()> {
    name("tenant", tenant)?;
    name("variable key", &variable.key)
}

/// A pool: a name and a non-negative number of slots.
pub(crate) fn pool(tenant: &str, pool: &Pool) -> StoreResult<()> {
    name("tenant", tenant)?;
    name("pool name", &pool.name)?;
    if pool.slots < 0 {
        return Err(invalid(format!(
            "pool {} has negative slots ({})",
            pool.name, pool.slots
        )));
    }
    Ok(())
}

/// A worker: its id, host name and queues are names; at least one queue.
pub(crate) fn worker(worker: &WorkerRecord) -> StoreResult<()> {
    name("worker_id", &worker.worker_id)?;
    name("hostname", &worker.hostname)?;
    if worker.queues.is_empty() {
        return Err(invalid(format!(
            "worker {} takes tasks from no queue",
            worker.worker_id
        )));
    }
    for queue in &worker.queues {
        name("queue", queue)?;
    }
    name("arch", &worker.arch)?;
    name("version", &worker.version)
}

/// A lease's name and holder.
pub(crate) fn lease(lease: &str, holder: &str) -> StoreResult<()> {
    name("lease name", lease)?;
    name("lease holder", holder)
}
