//! The scheduler as a running service: a loop fed by a channel (worker reports, notices,
//! commands) and woken by its own timers, and the [`SchedulerHandle`] everyone else holds.
//!
//! Whatever arrives while a step is writing is taken by the next step in one go, so writes
//! are batched by themselves under load, and a lone event is handled at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};
use weft_model::{RunType, TaskState};
use weft_queue::Queue;
use weft_store::{DagRun, RunPk, Store, StoreError};

use crate::clock::Clock;
use crate::config::SchedulerConfig;
use crate::control::{Control, ControlError, Notice, TriggerRequest};
use crate::core::{Scheduler, SchedulerError};
use crate::message::Report;
use crate::runs::{RunSpec, backfill_intervals, check_conf, new_run};

/// What the loop is fed.
enum Input {
    Report(Report),
    Notice(Notice),
    Clear {
        tenant: String,
        run: RunPk,
        task_ids: Vec<String>,
        downstream: bool,
        reply: oneshot::Sender<Result<usize, ControlError>>,
    },
    Mark {
        tenant: String,
        run: RunPk,
        task_id: String,
        state: TaskState,
        reply: oneshot::Sender<Result<(), ControlError>>,
    },
}

/// A cheap, cloneable handle on a running scheduler: the API server's [`Control`], and where
/// in-process workers send their [`Report`]s.
#[derive(Clone)]
pub struct SchedulerHandle {
    tx: mpsc::UnboundedSender<Input>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    allow_trigger_in_future: bool,
}

/// The scheduler's loop; run it with [`SchedulerService::run`].
pub struct SchedulerService {
    scheduler: Scheduler,
    rx: mpsc::UnboundedReceiver<Input>,
}

/// A scheduler over `store` and `queue`, and the handle that feeds it.
pub fn scheduler(
    store: Arc<dyn Store>,
    queue: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    config: SchedulerConfig,
) -> (SchedulerHandle, SchedulerService) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = SchedulerHandle {
        tx,
        store: store.clone(),
        clock: clock.clone(),
        allow_trigger_in_future: config.allow_trigger_in_future,
    };
    (
        handle,
        SchedulerService {
            scheduler: Scheduler::new(store, queue, clock, config),
            rx,
        },
    )
}

impl SchedulerHandle {
    /// Hand a worker's report to the scheduler.
    pub fn report(&self, report: Report) {
        let _ = self.tx.send(Input::Report(report));
    }
}

impl SchedulerService {
    /// Run until `shutdown` resolves (or every handle is dropped). Store failures are logged
    /// and retried; nothing is lost because the store is the truth.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(50);
        loop {
            match self.scheduler.start().await {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!(error = %e, "scheduler cannot start yet; retrying");
                    tokio::select! {
                        _ = &mut shutdown => return,
                        _ = tokio::time::sleep(backoff) => backoff = (backoff * 2).min(Duration::from_secs(5)),
                    }
                }
            }
        }
        let lease_every = self.scheduler.config.lease_check_interval;
        let mut lease_check = tokio::time::interval(lease_every);
        lease_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let sleep = self.until_wake();
            let mut inputs = Vec::new();
            let mut check_leases = false;
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                input = self.rx.recv() => match input {
                    Some(input) => inputs.push(input),
                    None => break,
                },
                _ = tokio::time::sleep(sleep) => {}
                _ = lease_check.tick() => check_leases = true,
            }
            while let Ok(more) = self.rx.try_recv() {
                inputs.push(more);
            }
            if let Err(e) = self.handle(inputs, check_leases).await {
                tracing::error!(error = %e, "scheduler step failed; carrying on from the store");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        tracing::info!("scheduler stopped");
    }

    fn until_wake(&self) -> Duration {
        let Some(at) = self.scheduler.wake_at() else {
            return Duration::from_secs(3600);
        };
        let now = self.scheduler.clock.now();
        Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO)
    }

    async fn handle(
        &mut self,
        inputs: Vec<Input>,
        check_leases: bool,
    ) -> Result<(), SchedulerError> {
        let mut reports = Vec::new();
        for input in inputs {
            match input {
                Input::Report(report) => reports.push(report),
                Input::Notice(Notice::DagChanged { .. }) => self.scheduler.load_dags().await?,
                Input::Notice(Notice::RunChanged(run)) => self.scheduler.reload_run(run).await?,
                Input::Clear {
                    tenant,
                    run,
                    task_ids,
                    downstream,
                    reply,
                } => {
                    let _ = reply.send(
                        self.scheduler
                            .clear(&tenant, run, &task_ids, downstream)
                            .await,
                    );
                }
                Input::Mark {
                    tenant,
                    run,
                    task_id,
                    state,
                    reply,
                } => {
                    let _ = reply.send(self.scheduler.mark(&tenant, run, &task_id, state).await);
                }
            }
        }
        if check_leases {
            self.scheduler.expire_leases().await?;
        }
        self.scheduler.step(reports).await
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

impl SchedulerHandle {
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
}

#[async_trait]
impl Control for SchedulerHandle {
    async fn trigger(
        &self,
        tenant: &str,
        dag_id: &str,
        request: TriggerRequest,
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
        self.notify(Notice::RunChanged(row.id));
        Ok(row)
    }

    async fn backfill(
        &self,
        tenant: &str,
        dag_id: &str,
        start: Timestamp,
        end: Timestamp,
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
                    self.notify(Notice::RunChanged(row.id));
                    created.push(row);
                }
                // A run for this interval exists already: backfill leaves it be.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok(created)
    }

    async fn clear(
        &self,
        tenant: &str,
        run: RunPk,
        task_ids: &[String],
        downstream: bool,
    ) -> Result<usize, ControlError> {
        let (reply, answer) = oneshot::channel();
        let input = Input::Clear {
            tenant: tenant.to_owned(),
            run,
            task_ids: task_ids.to_vec(),
            downstream,
            reply,
        };
        self.tx
            .send(input)
            .map_err(|_| ControlError::Invalid("the scheduler has stopped".into()))?;
        answer
            .await
            .map_err(|_| ControlError::Invalid("the scheduler has stopped".into()))?
    }

    async fn mark(
        &self,
        tenant: &str,
        run: RunPk,
        task_id: &str,
        state: TaskState,
    ) -> Result<(), ControlError> {
        let (reply, answer) = oneshot::channel();
        let input = Input::Mark {
            tenant: tenant.to_owned(),
            run,
            task_id: task_id.to_owned(),
            state,
            reply,
        };
        self.tx
            .send(input)
            .map_err(|_| ControlError::Invalid("the scheduler has stopped".into()))?;
        answer
            .await
            .map_err(|_| ControlError::Invalid("the scheduler has stopped".into()))?
    }

    fn notify(&self, notice: Notice) {
        let _ = self.tx.send(Input::Notice(notice));
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
