//! Checks on requests before they reach the database, so a bad request gets an
//! [`StoreError::Invalid`] saying what is wrong and nothing is written.

use std::collections::HashSet;

use sha2::{Digest as _, Sha256};
use weft_model::TaskState;

use crate::error::{StoreError, StoreResult};
use crate::records::{Deploy, NewRun, Pool, Variable, WorkerRecord};
use crate::sealed::{KeyMarker, SealedConnection, SealedSecret};
use crate::write::{EndMapped, ExpandTask, Expansion, WriteBatch};

/// Longest name (tenant, DAG, run, task, queue, pool, variable key) the store accepts.
pub(crate) const MAX_NAME_LEN: usize = 250;

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(message)
}

/// A name the store keeps (a tenant, DAG, run, task, queue or pool name, a variable or XCom
/// key): not empty, at most 250 bytes, no control characters. `what` names it in the error.
pub fn name(what: &str, value: &str) -> StoreResult<()> {
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

/// An expansion: from a state a task waits to run in, a well-named fence, items that are
/// JSON, and a failure that says why.
pub(crate) fn expand(expand: &ExpandTask) -> StoreResult<()> {
    if let Some(fence) = &expand.leader {
        lease(&fence.name, &fence.holder)?;
    }
    if !matches!(expand.from, TaskState::None | TaskState::Scheduled) {
        return Err(invalid(format!(
            "task instance {} cannot expand from state {} (none or scheduled)",
            expand.ti, expand.from
        )));
    }
    match &expand.into {
        Expansion::Instances(items) => {
            if u32::try_from(items.len()).is_err() {
                return Err(invalid(format!(
                    "task instance {}: {} map items are more than a task can have",
                    expand.ti,
                    items.len()
                )));
            }
            for (k, item) in items.iter().enumerate() {
                if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(item) {
                    return Err(invalid(format!(
                        "task instance {}: map item {k} is not JSON: {e}",
                        expand.ti
                    )));
                }
            }
        }
        Expansion::Empty => {}
        Expansion::Failed(error) if error.trim().is_empty() => {
            return Err(invalid(format!(
                "task instance {}: a failed expansion says why",
                expand.ti
            )));
        }
        Expansion::Failed(_) => {}
    }
    Ok(())
}

/// A mapped task ends in a final state its instances can sum up to.
fn end_mapped(end: &EndMapped) -> StoreResult<()> {
    if !matches!(
        end.state,
        TaskState::Success | TaskState::Failed | TaskState::Skipped
    ) {
        return Err(invalid(format!(
            "mapped task instance {} cannot end in state {} (success, failed or skipped)",
            end.ti, end.state
        )));
    }
    Ok(())
}

/// A write batch: a well-named fence, and finishes that end in a final or retry state with
/// a non-negative duration.
pub(crate) fn batch(batch: &WriteBatch) -> StoreResult<()> {
    if let Some(fence) = &batch.leader {
        lease(&fence.name, &fence.holder)?;
    }
    for event in &batch.asset_events {
        crate::both_backends::assets_sql::check(event)?;
    }
    for start in &batch.start {
        text("worker id of task instance", &start.ti, &start.worker_id)?;
        text("host name of task instance", &start.ti, &start.hostname)?;
    }
    for finish in &batch.finish {
        if !matches!(
            finish.state,
            TaskState::Success
                | TaskState::Failed
                | TaskState::Skipped
                | TaskState::UpForRetry
                | TaskState::UpForReschedule
                | TaskState::Deferred
        ) {
            return Err(invalid(format!(
                "task instance {} cannot finish in state {} (success, failed, skipped, up_for_retry, up_for_reschedule or deferred)",
                finish.ti, finish.state
            )));
        }
        if (finish.state == TaskState::Deferred) != finish.deferral.is_some() {
            return Err(invalid(format!(
                "task instance {}: an attempt that defers names its deferral, and only one that defers does",
                finish.ti
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
        for (column, value) in finish.finished_texts() {
            let what = format!("{} of task instance", column.replace('_', " "));
            text(&what, &finish.ti, value)?;
        }
    }
    for end in &batch.end_mapped {
        end_mapped(end)?;
    }
    for defer in &batch.defer {
        if !matches!(defer.from, TaskState::None | TaskState::Scheduled) {
            return Err(invalid(format!(
                "task instance {} cannot start waiting from state {} (none or scheduled)",
                defer.ti, defer.from
            )));
        }
    }
    for resolve in &batch.resolve {
        if !matches!(
            resolve.state,
            TaskState::Success
                | TaskState::Failed
                | TaskState::Skipped
                | TaskState::Scheduled
                | TaskState::UpForRetry
        ) {
            return Err(invalid(format!(
                "task instance {}: a wait cannot end in state {} (success, failed, skipped, up_for_retry or scheduled)",
                resolve.ti, resolve.state
            )));
        }
        if resolve.output.is_some() && resolve.state != TaskState::Success {
            return Err(invalid(format!(
                "task instance {}: only a wait that succeeds has an output",
                resolve.ti
            )));
        }
    }
    Ok(())
}

/// A variable.
pub(crate) fn variable(tenant: &str, variable: &Variable) -> StoreResult<()> {
    name("tenant", tenant)?;
    name("variable key", &variable.key)?;
    let key = format_args!("{:?}", variable.key);
    text("value of variable", &key, &variable.value)?;
    text("description of variable", &key, &variable.description)
}

/// Free text (a value, a description): anything but NUL, which PostgreSQL's text cannot hold;
/// refused the same on SQLite so that both stores keep the same values.
pub(crate) fn text(what: &str, of: &dyn std::fmt::Display, value: &str) -> StoreResult<()> {
    if value.contains('\0') {
        return Err(invalid(format!(
            "the {what} {of} contains a NUL character (U+0000), which cannot be stored"
        )));
    }
    Ok(())
}

/// An API token: an id, a tenant, a name and a digest, each a name; no expiry before its
/// creation.
pub(crate) fn token(token: &crate::tenancy::ApiToken) -> StoreResult<()> {
    name("token id", &token.token_id)?;
    name("tenant", &token.tenant)?;
    name("token name", &token.name)?;
    name("token digest", &token.secret_digest)?;
    if token.expires_at.is_some_and(|at| at <= token.created_at) {
        return Err(invalid(format!(
            "token {} would expire before it is created",
            token.name
        )));
    }
    Ok(())
}

/// A pool: a name and a non-negative number of slots.
pub(crate) fn pool(tenant: &str, pool: &Pool) -> StoreResult<()> {
    name("tenant", tenant)?;
    name("pool name", &pool.name)?;
    text(
        "description of pool",
        &format_args!("{:?}", pool.name),
        &pool.description,
    )?;
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
    for label in &worker.labels {
        name("label", label)?;
    }
    name("version", &worker.version)
}

/// A lease's name and holder.
pub(crate) fn lease(lease: &str, holder: &str) -> StoreResult<()> {
    name("lease name", lease)?;
    name("lease holder", holder)
}

/// Whether `bytes` are a value sealed with key `key_id`: the guard that keeps plaintext out
/// of the database.
fn sealed(what: &dyn std::fmt::Display, bytes: &[u8], key_id: &str) -> StoreResult<()> {
    match weft_vault::sealed_key_id(bytes) {
        Some(id) if id.to_string() == key_id => Ok(()),
        Some(id) => Err(invalid(format!(
            "{what} is sealed with key {id}, not key {key_id} as its row says"
        ))),
        None => Err(invalid(format!(
            "{what} is not a sealed value; the store keeps no plaintext"
        ))),
    }
}

/// A key id: 16 hex digits.
fn key_id(what: &dyn std::fmt::Display, id: &str) -> StoreResult<()> {
    if id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what}: key id {id:?} is not 16 hex digits"
        )))
    }
}

/// A sealed connection: names, and its password and extra sealed with its key.
pub(crate) fn connection(tenant: &str, c: &SealedConnection) -> StoreResult<()> {
    name("tenant", tenant)?;
    name("connection id", &c.conn_id)?;
    name("connection type", &c.conn_type)?;
    let id = format_args!("{:?}", c.conn_id);
    for (what, value) in [
        ("host of connection", &c.host),
        ("schema of connection", &c.schema),
        ("login of connection", &c.login),
    ] {
        if let Some(value) = value {
            text(what, &id, value)?;
        }
    }
    text("description of connection", &id, &c.description)?;
    let what = format!("connection {}", c.conn_id);
    key_id(&what, &c.key_id)?;
    if let Some(password) = &c.password {
        sealed(&format_args!("the password of {what}"), password, &c.key_id)?;
    }
    sealed(&format_args!("the extra of {what}"), &c.extra, &c.key_id)
}

/// A sealed secret: its name, and its value sealed with its key.
pub(crate) fn secret(tenant: &str, s: &SealedSecret) -> StoreResult<()> {
    name("tenant", tenant)?;
    name("secret name", &s.name)?;
    text(
        "description of secret",
        &format_args!("{:?}", s.name),
        &s.description,
    )?;
    let what = format!("secret {}", s.name);
    key_id(&what, &s.key_id)?;
    sealed(&format_args!("the value of {what}"), &s.value, &s.key_id)
}

/// A key marker: sealed with the key it names.
pub(crate) fn key_marker(m: &KeyMarker) -> StoreResult<()> {
    let what = format!("the marker of key {}", m.key_id);
    key_id(&what, &m.key_id)?;
    sealed(&what, &m.marker, &m.key_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str, description: &str) -> Variable {
        Variable {
            key: "k".to_owned(),
            value: value.to_owned(),
            description: description.to_owned(),
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_variable_holding_nul_is_refused_saying_where() {
        let error = variable("t", &with("a\0b", "")).expect_err("NUL in the value");
        assert!(
            error.to_string().contains("value of variable \"k\""),
            "{error}"
        );
        let error = variable("t", &with("ok", "d\0")).expect_err("NUL in the description");
        assert!(
            error.to_string().contains("description of variable"),
            "{error}"
        );
        // Other control characters are text like any other.
        variable("t", &with("line\nline\ttab\u{1}", "two\nlines")).expect("kept");
    }
}
