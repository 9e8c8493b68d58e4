//! [`LocalPlane`]: the control plane of a worker that shares its process with the store and
//! the scheduler. Its tasks' host calls are served in process by the same function as the
//! API server's worker API ([`weft_scheduler::host_calls`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::oneshot;
use weft_protocol::{HostAnswer, HostCall, Report};
use weft_scheduler::SchedulerHandle;
use weft_scheduler::host_calls::{self, CallFailure, Plane};
use weft_store::{Credentials, CredentialsError, LogAppend, Store, StoreError};
use weft_worker::{Caller, ControlPlane, PlaneError};

/// The control plane of standalone mode: the store and scheduler of this process.
pub struct LocalPlane {
    store: Arc<dyn Store>,
    scheduler: SchedulerHandle,
    credentials: Credentials,
}

impl LocalPlane {
    /// The plane over `store`, reporting to `scheduler`, opening connections and secrets
    /// with `credentials`.
    pub fn new(
        store: Arc<dyn Store>,
        scheduler: SchedulerHandle,
        credentials: Credentials,
    ) -> LocalPlane {
        LocalPlane {
            store,
            scheduler,
            credentials,
        }
    }
}

/// A call that got no answer, as the worker sees it: a refusal stays one; the store's and
/// the scheduler's failures may pass; a key or a value that does not open will not.
fn not_served(failure: CallFailure) -> PlaneError {
    match failure {
        CallFailure::Refused(refusal) => {
            PlaneError::Refused(format!("{}: {refusal}", refusal.code()))
        }
        CallFailure::Store(e) => PlaneError::unavailable("reading the store", e),
        CallFailure::Credentials {
            what,
            source: CredentialsError::Store(e),
        } => PlaneError::unavailable(format!("opening {what}"), e),
        CallFailure::Credentials { what, source } => {
            PlaneError::Refused(format!("opening {what}: {source}"))
        }
        CallFailure::Control(e) => PlaneError::unavailable("triggering a run", e),
    }
}

/// A failed store call as the worker sees it: the store's error kept as the cause.
fn unavailable(what: &str) -> impl FnOnce(StoreError) -> PlaneError + '_ {
    move |e| PlaneError::unavailable(what, e)
}

#[async_trait]
impl ControlPlane for LocalPlane {
    async fn component(&self, caller: Caller<'_>, digest: &str) -> Result<Vec<u8>, PlaneError> {
        self.store
            .component(caller.tenant, digest)
            .await
            .map_err(unavailable("reading a component"))?
            .ok_or_else(|| PlaneError::NotFound(format!("component {digest}")))
    }

    async fn call(&self, caller: Caller<'_>, call: HostCall) -> Result<HostAnswer, PlaneError> {
        let plane = Plane {
            store: &*self.store,
            control: &self.scheduler,
            credentials: &self.credentials,
        };
        host_calls::serve(plane, caller, None, call)
            .await
            .map_err(not_served)
    }

    async fn append_log(
        &self,
        caller: Caller<'_>,
        first_line: u64,
        lines: Vec<weft_protocol::log::LogLine>,
    ) -> Result<(), PlaneError> {
        let encoded = weft_protocol::log::TaskLog {
            lines,
            dropped_bytes: 0,
        }
        .encode();
        let appended = self
            .store
            .append_task_log(
                caller.attempt.ti,
                caller.attempt.lease,
                first_line > 0,
                encoded,
                weft_protocol::worker_api::MAX_LIVE_LOG_BYTES,
            )
            .await
            .map_err(unavailable("adding to the attempt's log"))?;
        match appended {
            LogAppend::Appended => Ok(()),
            LogAppend::Stale => Err(PlaneError::Refused(
                "the attempt no longer holds its lease".into(),
            )),
            LogAppend::Full => Err(PlaneError::Refused("the attempt's log is full".into())),
        }
    }

    async fn report(&self, _tenant: &str, reports: Vec<Report>) -> Result<(), PlaneError> {
        // One input: the scheduler takes these reports in the same step. The worker goes on
        // at once; the batch is handed in again until the store has it (see `until_written`).
        let written = self.scheduler.report_batch(reports.clone());
        tokio::spawn(until_written(self.scheduler.clone(), reports, written));
        Ok(())
    }
}

/// The longest wait between two hand-ins of a batch the store could not take.
const MOST_BETWEEN_TRIES: Duration = Duration::from_secs(5);

/// Wait for `reports` to be written, and hand them in again each time the step that took them
/// failed (a full disk, say), waiting longer each time, until they are written or the
/// scheduler stops. A worker in this process has acknowledged their delivery already, so
/// nothing else would run the attempt again: dropping a failed batch would leave its task
/// instances queued or running with nobody working on them. Results are fenced, so a batch
/// the store took once is not taken twice.
async fn until_written(
    scheduler: SchedulerHandle,
    reports: Vec<Report>,
    mut written: oneshot::Receiver<()>,
) {
    let mut wait = Duration::from_millis(50);
    let mut tries = 1u32;
    while written.await.is_err() {
        if scheduler.is_stopped() {
            tracing::warn!(
                reports = reports.len(),
                "the scheduler stopped before it wrote these reports; the store keeps the attempts' leases, which expire"
            );
            return;
        }
        tracing::warn!(
            reports = reports.len(),
            tries,
            retry_in_ms = wait.as_millis() as u64,
            "the store did not take these reports; handing them in again"
        );
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MOST_BETWEEN_TRIES);
        tries += 1;
        written = scheduler.report_batch(reports.clone());
    }
    if tries > 1 {
        tracing::info!(
            reports = reports.len(),
            tries,
            "reports written after a retry"
        );
    }
}
