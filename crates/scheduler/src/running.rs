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
use weft_model::TaskState;
use weft_queue::Queue;
use weft_store::{DagRun, RunPk, Store, TaskInstance};

use crate::clock::Clock;
use crate::config::SchedulerConfig;
use crate::control::{Control, ControlError, Notice, TriggerRequest};
use crate::core::{Scheduler, SchedulerError};
use crate::message::Report;
use crate::run_requests::RunRequests;

/// What the loop is fed.
enum Input {
    /// Worker reports; the sender, if any, hears once they are written (dropped if the step
    /// that took them failed).
    Reports(Vec<Report>, Option<oneshot::Sender<()>>),
    Notice(Notice),
    /// A run just created in this process, as written: no need to read it back.
    Created(Box<DagRun>, Vec<TaskInstance>),
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

/// Which timers went off before a step.
#[derive(Default)]
struct Timers {
    leases: bool,
    resync: bool,
}

/// A timer that first goes off after `first`, then every `every`.
fn timer(first: Duration, every: Duration) -> tokio::time::Interval {
    let start = tokio::time::Instant::now() + first;
    let mut timer = tokio::time::interval_at(start, every.max(Duration::from_millis(10)));
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    timer
}

/// A cheap, cloneable handle on a running scheduler: the API server's [`Control`], and where
/// in-process workers send their [`Report`]s.
#[derive(Clone)]
pub struct SchedulerHandle {
    tx: mpsc::UnboundedSender<Input>,
    requests: RunRequests,
    ended: tokio::sync::broadcast::Sender<RunPk>,
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
    let requests = RunRequests::new(store.clone(), clock.clone(), config.allow_trigger_in_future);
    let scheduler = Scheduler::new(store, queue, clock, config);
    let handle = SchedulerHandle {
        tx,
        requests,
        ended: scheduler.ended.clone(),
    };
    (handle, SchedulerService { scheduler, rx })
}

impl SchedulerHandle {
    /// Hand a worker's report to the scheduler.
    pub fn report(&self, report: Report) {
        let _ = self.tx.send(Input::Reports(vec![report], None));
    }

    /// Hand a batch of reports to the scheduler; the answer resolves once they are written
    /// to the store, and fails if the scheduler stopped or the step that took them failed
    /// (the reports may then be handed in again: results are fenced, so twice is harmless).
    pub fn report_batch(&self, reports: Vec<Report>) -> oneshot::Receiver<()> {
        let (done, answer) = oneshot::channel();
        let _ = self.tx.send(Input::Reports(reports, Some(done)));
        answer
    }

    /// Hand over a run just created in the store, with its task instances as written: the
    /// scheduler takes it up without reading it back. Ignored when the scheduler already
    /// holds the run (it read it from the store, which is at least as new).
    pub fn run_created(&self, run: DagRun, tis: Vec<TaskInstance>) {
        let _ = self.tx.send(Input::Created(Box::new(run), tis));
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
        let config = &self.scheduler.config;
        let mut lease_check = timer(config.first_lease_check_after, config.lease_check_interval);
        let mut resync = timer(config.resync_interval, config.resync_interval);
        loop {
            let sleep = self.until_wake();
            let mut inputs = Vec::new();
            let mut timers = Timers::default();
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                input = self.rx.recv() => match input {
                    Some(input) => inputs.push(input),
                    None => break,
                },
                _ = tokio::time::sleep(sleep) => {}
                _ = lease_check.tick() => timers.leases = true,
                _ = resync.tick() => timers.resync = true,
            }
            while let Ok(more) = self.rx.try_recv() {
                inputs.push(more);
            }
            if let Err(e) = self.handle(inputs, timers).await {
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

    async fn handle(&mut self, inputs: Vec<Input>, timers: Timers) -> Result<(), SchedulerError> {
        let mut reports = Vec::new();
        let mut written = Vec::new();
        for input in inputs {
            match input {
                Input::Reports(batch, done) => {
                    reports.extend(batch);
                    written.extend(done);
                }
                Input::Notice(Notice::DagChanged { .. }) => self.scheduler.load_dags().await?,
                Input::Notice(Notice::RunChanged(run)) => self.scheduler.reload_run(run).await?,
                Input::Created(run, tis) => {
                    if !self.scheduler.holds_run(run.id) {
                        self.scheduler.load_run(*run, tis).await?;
                    }
                }
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
        if timers.leases {
            self.scheduler.expire_leases().await?;
            self.scheduler.check_queue().await?;
        }
        if timers.resync {
            self.scheduler.resync().await?;
        }
        self.scheduler.step(reports).await?;
        for done in written {
            let _ = done.send(());
        }
        Ok(())
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
        let created = |run: &DagRun, tis| self.run_created(run.clone(), tis);
        self.requests
            .trigger(tenant, dag_id, request, &created)
            .await
    }

    async fn backfill(
        &self,
        tenant: &str,
        dag_id: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<DagRun>, ControlError> {
        let created = |run: &DagRun, tis| self.run_created(run.clone(), tis);
        self.requests
            .backfill(tenant, dag_id, start, end, &created)
            .await
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
        self.tx.send(input).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
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
        self.tx.send(input).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    fn notify(&self, notice: Notice) {
        let _ = self.tx.send(Input::Notice(notice));
    }

    fn subscribe_ended(&self) -> Option<tokio::sync::broadcast::Receiver<RunPk>> {
        Some(self.ended.subscribe())
    }
}

fn stopped() -> ControlError {
    ControlError::Unavailable("the scheduler has stopped".into())
}
