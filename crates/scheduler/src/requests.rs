//! Manual and backfill runs as the API asks for them: checked against the DAG, written to the
//! store, and returned so the caller can tell the scheduler. Shared by the in-process
//! [`SchedulerHandle`](crate::SchedulerHandle) and by API servers that reach the scheduler
//! over a network.

use std::sync::Arc;

use jiff::Timestamp;
use weft_model::RunType;
use weft_store::{DagRun, Store, StoreError};

use crate::clock::Clock;
use crate::control::{ControlError, Notice, TriggerRequest};
use crate::runs::{RunSpec, backfill_intervals, check_conf, new_run};

/// Creates manual and backfill runs in the store.
#[derive(Clone)]
pub struct RunRequests {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    allow_trigger_in_future: bool,
}

impl RunRequests {
    /// Requests over `store`, dated by `clock`; future logical dates only if allowed.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        allow_trigger_in_future: bool,
    ) -> RunRequests {
        RunRequests {
            store,
            clock,
            allow_trigger_in_future,
        }
    }

    async fn dag(
        &self,
        tenant: &str,
        dag_id: &str,
    ) -> Result<(weft_store::DagRecord, weft_model::Dag), ControlError> {
        let record = self
            .store
            .dag(tenant, dag_id)
            .await?
            .ok_or_else(|| ControlError::NotFound(format!("DAG {dag_id:?} not found")))?;
        let dag = record
            .spec
            .clone()
            .validate()
            .map_err(|e| ControlError::Invalid(e.to_string()))?;
        Ok((record, dag))
    }

    /// Create a manual run (see [`Control::trigger`](crate::Control::trigger)) and pass its
    /// [`Notice`] to `notify`.
    pub async fn trigger(
        &self,
        tenant: &str,
        dag_id: &str,
        request: TriggerRequest,
        notify: &(dyn Fn(Notice) + Send + Sync),
    ) -> Result<DagRun, ControlError> {
        let (record, dag) = self.dag(tenant, dag_id).await?;
        let conf = check_conf(request.conf).map_err(ControlError::Invalid)?;
        let now = self.clock.now();
        let logical_date = request.logical_date.unwrap_or(now);
        if logical_date > now && !self.allow_trigger_in_future {
            return Err(ControlError::Invalid(format!(
                "logical date {logical_date} is in the future; the scheduler does not allow that (allow_trigger_in_future)"
            )));
        }
        if let Some(id) = &request.run_id {
            check_run_id(id)?;
        }
        let spec = RunSpec {
            run_type: RunType::Manual,
            run_id: request.run_id,
            logical_date,
            interval: dag.manual_interval(logical_date),
            conf,
        };
        let run = new_run(&record, &dag, spec, now);
        let (row, _) = self.store.create_run(run).await.map_err(store_error)?;
        notify(Notice::RunChanged(row.id));
        Ok(row)
    }

    /// Create backfill runs (see [`Control::backfill`](crate::Control::backfill)) and pass a
    /// [`Notice`] for each to `notify`.
    pub async fn backfill(
        &self,
        tenant: &str,
        dag_id: &str,
        start: Timestamp,
        end: Timestamp,
        notify: &(dyn Fn(Notice) + Send + Sync),
    ) -> Result<Vec<DagRun>, ControlError> {
        let (record, dag) = self.dag(tenant, dag_id).await?;
        let now = self.clock.now();
        let mut created = Vec::new();
        for interval in backfill_intervals(&dag, start, end).map_err(ControlError::Invalid)? {
            let run = new_run(
                &record,
                &dag,
                RunSpec::for_interval(RunType::Backfill, interval),
                now,
            );
            match self.store.create_run(run).await {
                Ok((row, _)) => {
                    notify(Notice::RunChanged(row.id));
                    created.push(row);
                }
                // A run for this interval exists already: backfill leaves it be.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok(created)
    }
}

fn store_error(e: StoreError) -> ControlError {
    match e {
        StoreError::NotFound(m) => ControlError::NotFound(m),
        StoreError::Conflict(m) => ControlError::Conflict(m),
        StoreError::Invalid(m) => ControlError::Invalid(m),
        other => ControlError::Store(other),
    }
}

/// A run id a user chose: 1 to 250 characters, no control characters.
fn check_run_id(id: &str) -> Result<(), ControlError> {
    if id.is_empty() || id.len() > 250 || id.chars().any(char::is_control) {
        return Err(ControlError::Invalid(format!(
            "run id {id:?} must be 1 to 250 characters without control characters"
        )));
    }
    Ok(())
}
