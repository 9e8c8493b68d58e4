//! Which attempt may read which connection or secret: the attempt must be the task
//! instance's current one (its lease, the fencing token), queued or running (a worker's start
//! report may still be on its way when the task asks), and its task must declare the name in its
//! `resources` (in the spec of the component its run is pinned to). The API server's worker
//! routes and standalone mode's worker ask the same question here.

use weft_model::{TaskState, TaskStateClass};
use weft_protocol::AttemptRef;

use crate::error::StoreResult;
use crate::store::Store;

/// What an attempt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested<'a> {
    /// A connection, by id.
    Connection(&'a str),
    /// A secret, by name.
    Secret(&'a str),
}

impl std::fmt::Display for Requested<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Requested::Connection(id) => write!(f, "connection {id:?}"),
            Requested::Secret(name) => write!(f, "secret {name:?}"),
        }
    }
}

/// Why an attempt may not read what it asks for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No such task instance (of this tenant).
    #[error("task instance {ti} does not exist")]
    NoSuchTask {
        /// The task instance.
        ti: i64,
    },
    /// The attempt is not the task instance's current, unfinished one.
    #[error(
        "attempt {lease} of task instance {ti} is not the current attempt (lease now {current}, \
         state {state}): a stale attempt reads no connection or secret"
    )]
    StaleAttempt {
        /// The task instance.
        ti: i64,
        /// The lease the attempt holds.
        lease: i64,
        /// The task instance's lease now.
        current: i64,
        /// Its state now.
        state: TaskState,
    },
    /// The task does not declare the name.
    #[error(
        "task {task_id} does not declare {requested} in its resources; add it to the task's \
         {field} to let it read it"
    )]
    NotDeclared {
        /// The task.
        task_id: String,
        /// What it asked for.
        requested: String,
        /// The resources field that would declare it.
        field: &'static str,
    },
}

impl Refusal {
    /// The error code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoSuchTask { .. } | Refusal::StaleAttempt { .. } => "stale_attempt",
            Refusal::NotDeclared { .. } => "not_declared",
        }
    }
}

/// What the store holds of `attempt`, when it is the task instance's current attempt (its
/// lease) of `tenant` and is queued or running; else why not.
pub async fn current(
    store: &dyn Store,
    tenant: &str,
    attempt: AttemptRef,
) -> StoreResult<Result<crate::AttemptInfo, Refusal>> {
    Ok(match store.attempt(attempt.ti).await? {
        Some(info) if info.tenant == tenant => judge(info, attempt),
        _ => Err(Refusal::NoSuchTask { ti: attempt.ti }),
    })
}

/// [`current`], whichever tenant the attempt belongs to (its [`AttemptInfo`] says which):
/// for callers that learn the tenant from the attempt.
///
/// [`AttemptInfo`]: crate::AttemptInfo
pub async fn current_of_any(
    store: &dyn Store,
    attempt: AttemptRef,
) -> StoreResult<Result<crate::AttemptInfo, Refusal>> {
    Ok(match store.attempt(attempt.ti).await? {
        Some(info) => judge(info, attempt),
        None => Err(Refusal::NoSuchTask { ti: attempt.ti }),
    })
}

/// `info` when it is `attempt`'s, queued or running; else why not.
fn judge(info: crate::AttemptInfo, attempt: AttemptRef) -> Result<crate::AttemptInfo, Refusal> {
    let ti = attempt.ti;
    let unfinished = info.state.is(TaskStateClass::InFlight);
    if info.lease != attempt.lease || !unfinished {
        return Err(Refusal::StaleAttempt {
            ti,
            lease: attempt.lease,
            current: info.lease,
            state: info.state,
        });
    }
    Ok(info)
}

/// Whether `attempt` of `tenant` may read `requested`: `Ok(Err(refusal))` when not.
pub async fn check(
    store: &dyn Store,
    tenant: &str,
    attempt: AttemptRef,
    requested: Requested<'_>,
) -> StoreResult<Result<(), Refusal>> {
    match current(store, tenant, attempt).await? {
        Ok(info) => declares(store, info, requested).await,
        Err(refusal) => Ok(Err(refusal)),
    }
}

/// Whether the task of the current attempt `info` (from [`current`] or [`current_of_any`])
/// declares `requested`: `Ok(Err(refusal))` when not.
pub async fn declares(
    store: &dyn Store,
    info: crate::AttemptInfo,
    requested: Requested<'_>,
) -> StoreResult<Result<(), Refusal>> {
    let spec = store
        .spec(&info.tenant, &info.digest)
        .await?
        .ok_or_else(|| {
            crate::StoreError::Database(format!(
                "component {} of run {} of DAG {} is not stored",
                info.digest, info.run_id, info.dag_id
            ))
        })?;
    let dag = spec.validate().map_err(|e| {
        crate::StoreError::Database(format!(
            "the stored spec of component {} no longer validates: {e}",
            info.digest
        ))
    })?;
    let declared = dag.task(&info.task_id).is_some_and(|task| {
        let resources = &task.resources;
        match requested {
            Requested::Connection(id) => resources.connections.iter().any(|c| c == id),
            Requested::Secret(name) => resources.secrets.iter().any(|s| s == name),
        }
    });
    if declared {
        return Ok(Ok(()));
    }
    Ok(Err(Refusal::NotDeclared {
        task_id: info.task_id,
        requested: requested.to_string(),
        field: match requested {
            Requested::Connection(_) => "resources.connections",
            Requested::Secret(_) => "resources.secrets",
        },
    }))
}
