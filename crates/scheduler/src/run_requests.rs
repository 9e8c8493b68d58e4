//! Manual and backfill runs as the API asks for them: checked against the DAG, written to the
//! store, and returned so the caller can tell the scheduler. Shared by the in-process
//! [`SchedulerHandle`](crate::SchedulerHandle) and by API servers that reach the scheduler
//! over a network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use weft_model::{Dag, RunType};
use weft_store::{DagRun, Store, StoreError, TaskInstance};

use crate::clock::Clock;
use crate::control::{ControlError, TriggerRequest};
use crate::new_runs::{RunSpec, backfill_intervals, check_conf, new_run};

/// What is told of each run created, with its task instances as written.
pub type Created<'a> = &'a (dyn Fn(&DagRun, &Dag, Vec<TaskInstance>) + Send + Sync);

/// How many later microseconds a trigger with a defaulted id tries when its id is taken.
const DEFAULT_ID_ATTEMPTS: u32 = 64;

/// Creates manual and backfill runs in the store.
#[derive(Clone)]
pub struct RunRequests {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    allow_trigger_in_future: bool,
    /// Validated DAGs by digest: a digest names its spec for good, so each is parsed once.
    validated: Arc<Mutex<HashMap<String, Arc<Dag>>>>,
    /// Each DAG as last read, by tenant and id: a trigger builds its run from it and inserts
    /// it only while its digest is still the DAG's current one, so a DAG triggered again
    /// costs one round trip to the store, not two, and a deploy since (through any API
    /// server) is never missed: the insert is refused, and the DAG read again.
    current: Arc<Mutex<HashMap<(String, String), Known>>>,
}

/// A DAG as read, with its current version's validated spec.
type Known = (Arc<weft_store::DagRecord>, Arc<Dag>);

/// Most validated DAGs (and most DAGs as read) kept; past that the cache starts afresh.
const VALIDATED_KEPT: usize = 256;

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
            validated: Arc::default(),
            current: Arc::default(),
        }
    }

    /// DAG `dag_id` of `tenant` as the store has it now, kept for later triggers.
    async fn dag(&self, tenant: &str, dag_id: &str) -> Result<Known, ControlError> {
        let record = self
            .store
            .dag(tenant, dag_id)
            .await?
            .ok_or_else(|| ControlError::NotFound(format!("no DAG {dag_id:?}")))?;
        let dag = self.validate(&record)?;
        let known = (Arc::new(record), dag);
        keep(
            &self.current,
            (tenant.to_owned(), dag_id.to_owned()),
            known.clone(),
        );
        Ok(known)
    }

    /// DAG `dag_id` of `tenant` as last read, if it was.
    fn last_read(&self, tenant: &str, dag_id: &str) -> Option<Known> {
        lock(&self.current)
            .get(&(tenant.to_owned(), dag_id.to_owned()))
            .cloned()
    }

    /// The validated spec of `record`'s version.
    fn validate(&self, record: &weft_store::DagRecord) -> Result<Arc<Dag>, ControlError> {
        let known = lock(&self.validated).get(&record.digest).cloned();
        let dag = match known {
            Some(dag) => dag,
            None => {
                let dag = Arc::new(
                    record
                        .spec
                        .clone()
                        .validate()
                        .map_err(|e| ControlError::Invalid(e.to_string()))?,
                );
                keep(&self.validated, record.digest.clone(), dag.clone());
                dag
            }
        };
        Ok(dag)
    }

    /// Create a manual run (see [`Control::trigger`](crate::Control::trigger)) and hand it,
    /// as written, to `created` (which tells the scheduler).
    pub async fn trigger(
        &self,
        tenant: &str,
        dag_id: &str,
        request: TriggerRequest,
        created: Created<'_>,
    ) -> Result<DagRun, ControlError> {
        // The DAG as last read, if it was: its run is inserted only while that version is
        // still the current one; if it is not (or the DAG is gone), the DAG is read afresh
        // and the run built again from it.
        let (mut known, mut current_only) = match self.last_read(tenant, dag_id) {
            Some(known) => (known, true),
            None => (self.dag(tenant, dag_id).await?, false),
        };
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
        // With neither an id nor a date given, both come from the clock, and two triggers
        // of one DAG in the same microsecond (on one API server or several) would ask for the
        // same id: the later one takes the next free microsecond instead of failing.
        let defaulted = request.run_id.is_none() && request.logical_date.is_none();
        let mut logical_date = logical_date;
        let mut attempts = 0;
        loop {
            let (record, dag) = &known;
            let spec = RunSpec {
                run_type: RunType::Manual,
                run_id: request.run_id.clone(),
                logical_date,
                interval: dag.manual_interval(logical_date),
                conf: conf.clone(),
            };
            let mut run = new_run(record, dag, spec, now);
            run.current_only = current_only;
            match self.store.create_run(run).await {
                Ok((row, tis)) => {
                    created(&row, dag, tis);
                    return Ok(row);
                }
                // Refused because the version is no longer the current one (or the DAG is
                // gone): read it again. Any other answer is the trigger's own (a run id
                // taken, a quota, the store failing), and is not tried again: an insert
                // whose answer was lost may have been made.
                Err(StoreError::NotFound(_)) if current_only => {
                    known = self.dag(tenant, dag_id).await?;
                    current_only = false;
                }
                Err(StoreError::Conflict(_)) if defaulted && attempts < DEFAULT_ID_ATTEMPTS => {
                    attempts += 1;
                    logical_date = logical_date
                        .checked_add(jiff::SignedDuration::from_micros(1))
                        .map_err(|e| ControlError::Invalid(format!("logical date: {e}")))?;
                }
                Err(e) => return Err(store_error(e)),
            }
        }
    }

    /// Create backfill runs (see [`Control::backfill`](crate::Control::backfill)) and hand
    /// each to `created`.
    pub async fn backfill(
        &self,
        tenant: &str,
        dag_id: &str,
        start: Timestamp,
        end: Timestamp,
        created: Created<'_>,
    ) -> Result<Vec<DagRun>, ControlError> {
        let (record, dag) = self.dag(tenant, dag_id).await?;
        let now = self.clock.now();
        let mut runs = Vec::new();
        for interval in backfill_intervals(&dag, start, end).map_err(ControlError::Invalid)? {
            let run = new_run(
                &record,
                &dag,
                RunSpec::for_interval(RunType::Backfill, interval),
                now,
            );
            match self.store.create_run(run).await {
                Ok((row, tis)) => {
                    created(&row, &dag, tis);
                    runs.push(row);
                }
                // A run for this interval exists already: backfill leaves it be.
                Err(StoreError::Conflict(_)) => {}
                Err(StoreError::Quota(mut e)) if !runs.is_empty() => {
                    e.detail = format!(
                        "{}; the {} runs of this backfill made before it stay, and a backfill \
                         over the same range skips them",
                        e.detail,
                        runs.len()
                    );
                    return Err(ControlError::Store(StoreError::Quota(e)));
                }
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok(runs)
    }
}

/// Keeps `value` under `key` in `map`, which starts afresh once it holds [`VALIDATED_KEPT`].
fn keep<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut map = lock(map);
    if map.len() >= VALIDATED_KEPT {
        map.clear();
    }
    map.insert(key, value);
}

/// `mutex`'s contents; a panic elsewhere cannot leave a map half-written (every change is
/// one call).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A store refusal as the API's answer: what the user did wrong stays what it was
/// (not found, conflict, invalid); a failure of the store itself keeps its source.
fn store_error(e: StoreError) -> ControlError {
    match e {
        StoreError::NotFound(m) => ControlError::NotFound(m),
        StoreError::Conflict(m) => ControlError::Conflict(m),
        StoreError::Invalid(m) => ControlError::Invalid(m),
        other => ControlError::Store(other),
    }
}

/// A run id a user chose (see [`weft_model::validate::check_run_id`]).
fn check_run_id(id: &str) -> Result<(), ControlError> {
    weft_model::validate::check_run_id(id).map_err(|issue| {
        ControlError::Invalid(format!(
            "run id {id:?} must be 1 to 250 bytes without control characters: it {issue}"
        ))
    })
}
