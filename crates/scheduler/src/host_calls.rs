//! Every call a task's host imports make of the control plane ([`HostCall`]), served in one
//! place: the API server's worker API and a worker in the same process (embedded mode) both
//! come here, so that what an attempt may read is decided once.
//!
//! - XCom values are of the attempt's run, variables of its tenant;
//! - a connection or secret only when the attempt holds its lease and its task declares the
//!   name ([`grants`]), opened with the installation's key;
//! - a triggered run as [`trigger_from_task`] makes it;
//! - the states of the task instances of the attempt's own run.

use weft_model::mapping::split_instance_id;
use weft_protocol::host_call::{Bytes, Caller, TaskStatesRead, TaskStatus};
use weft_protocol::{HostAnswer, HostCall, SecretValue, TriggerAnswer};
use weft_store::grants::{self, Refusal, Requested};
use weft_store::{AttemptInfo, Credentials, CredentialsError, Store, StoreError};

use crate::control::{Control, ControlError};
use crate::task_trigger::{TriggerFailure, trigger_from_task};

/// What serving a call reads and writes.
#[derive(Clone, Copy)]
pub struct Plane<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// The scheduler, for runs a task triggers.
    pub control: &'a dyn Control,
    /// Connections and secrets, opened with the installation's key.
    pub credentials: &'a Credentials,
}

/// Why a call got no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallFailure {
    /// The attempt may not have what it asks for: it no longer holds its lease, or its task
    /// does not declare the connection or secret. The message says which, never a value.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The store failed.
    #[error("reading the store")]
    Store(#[from] StoreError),
    /// A stored connection or secret could not be opened.
    #[error("opening {what}")]
    Credentials {
        /// What was opened.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: CredentialsError,
    },
    /// The scheduler could not take a triggered run now.
    #[error("creating the triggered run")]
    Control(#[source] ControlError),
}

/// Answer `call` of `caller`. `known` is the attempt's record when the one serving has just
/// read it (to check the attempt), so that it is not read again.
pub async fn serve(
    plane: Plane<'_>,
    caller: Caller<'_>,
    known: Option<AttemptInfo>,
    call: HostCall,
) -> Result<HostAnswer, CallFailure> {
    Ok(match call {
        HostCall::Xcom(pull) => HostAnswer::Xcom(
            plane
                .store
                .xcom(caller.run, &pull.task_id, &pull.key)
                .await?
                .map(Bytes),
        ),
        HostCall::Variable(read) => HostAnswer::Variable(
            plane
                .store
                .variable(caller.tenant, &read.key)
                .await?
                .map(|variable| variable.value),
        ),
        HostCall::Connection(read) => {
            let requested = Requested::Connection(&read.conn_id);
            declared(plane.store, caller, known, requested).await?;
            let stored = plane
                .credentials
                .connection(caller.tenant, &read.conn_id)
                .await
                .map_err(opening("a connection"))?;
            tracing::debug!(conn_id = %read.conn_id, "connection handed to its attempt");
            HostAnswer::Connection(stored.map(|stored| stored.connection))
        }
        HostCall::Secret(read) => {
            declared(plane.store, caller, known, Requested::Secret(&read.name)).await?;
            let value = plane
                .credentials
                .secret_value(caller.tenant, &read.name)
                .await
                .map_err(opening("a secret"))?;
            tracing::debug!(name = %read.name, "secret handed to its attempt");
            HostAnswer::Secret(value.map(|value| SecretValue {
                name: read.name,
                value,
            }))
        }
        HostCall::TriggerRun(request) => {
            let answer = trigger_from_task(
                plane.store,
                plane.control,
                caller.tenant,
                caller.attempt,
                request,
            )
            .await;
            HostAnswer::TriggerRun(match answer {
                Ok(Ok(run)) => TriggerAnswer::Triggered(run),
                Ok(Err(refusal)) => TriggerAnswer::Refused(refusal),
                Err(TriggerFailure::Stale(refusal)) => return Err(refused(caller, refusal)),
                Err(TriggerFailure::Store(e)) => return Err(e.into()),
                Err(TriggerFailure::Control(e)) => return Err(CallFailure::Control(e)),
            })
        }
        HostCall::TaskStates(TaskStatesRead {}) => {
            let instances = plane.store.run(caller.run).await?.map(|(_, tis)| tis);
            let mut states: Vec<TaskStatus> = instances
                .unwrap_or_default()
                .into_iter()
                .map(|ti| TaskStatus {
                    task_id: match ti.map_index {
                        Some(_) => split_instance_id(&ti.task_id).0.to_owned(),
                        None => ti.task_id,
                    },
                    map_index: ti.map_index,
                    state: ti.state,
                    try_number: ti.try_number,
                    error_class: ti.error_class,
                    error: ti.error,
                })
                .collect();
            states.sort_by(|a, b| (&a.task_id, a.map_index).cmp(&(&b.task_id, b.map_index)));
            HostAnswer::TaskStates(states)
        }
    })
}

/// Refused unless `caller` holds its lease and its task declares `requested`.
async fn declared(
    store: &dyn Store,
    caller: Caller<'_>,
    known: Option<AttemptInfo>,
    requested: Requested<'_>,
) -> Result<(), CallFailure> {
    let judged = match known {
        Some(info) => grants::declares(store, info, requested).await?,
        None => grants::check(store, caller.tenant, caller.attempt, requested).await?,
    };
    judged.map_err(|refusal| {
        tracing::warn!(ti = caller.attempt.ti, lease = caller.attempt.lease, %requested, %refusal, "access refused");
        CallFailure::Refused(refusal)
    })
}

/// The refusal of an attempt that no longer holds its lease, logged.
fn refused(caller: Caller<'_>, refusal: Refusal) -> CallFailure {
    tracing::warn!(ti = caller.attempt.ti, lease = caller.attempt.lease, %refusal, "attempt refused");
    CallFailure::Refused(refusal)
}

/// A failed open of `what`.
fn opening(what: &'static str) -> impl FnOnce(CredentialsError) -> CallFailure {
    move |source| CallFailure::Credentials { what, source }
}
