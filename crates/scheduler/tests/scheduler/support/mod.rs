//! A scheduler test bench: a real SQLite store, the in-process queue and a manual clock; the
//! test plays the worker, taking messages and reporting results by hand.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sha2::{Digest as _, Sha256};
use weft_model::{DagSpec, TaskSpec, TaskState};
use weft_queue::{MemoryQueue, Queue};
use weft_scheduler::{
    AttemptOutcome, AttemptResult, Control as _, ManualClock, Report, Scheduler, SchedulerConfig,
    SchedulerHandle, TaskMessage, TriggerRequest, scheduler,
};
use weft_store::{
    DEFAULT_TENANT, DagRun, Deploy, Quotas, RunFilter, RunPk, SqliteStore, Store, TaskInstance,
    Tenant,
};

/// One day.
pub const DAY: Duration = Duration::from_secs(86_400);

/// A timestamp from RFC 3339 text.
pub fn ts(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

/// A DAG of `tasks` with no schedule (triggered by hand).
pub fn manual(dag_id: &str, tasks: Vec<TaskSpec>) -> DagSpec {
    let mut spec = DagSpec::new(dag_id);
    spec.tasks = tasks;
    spec
}

/// Store, queue, clock and a control handle (its loop never runs: it is used only to write
/// runs); schedulers are made with [`Bench::scheduler`] and stepped by the test.
pub struct Bench {
    pub store: Arc<dyn Store>,
    /// The same store, as what it is (to close it).
    pub sqlite: Arc<SqliteStore>,
    pub queue: Arc<MemoryQueue>,
    pub clock: Arc<ManualClock>,
    pub handle: SchedulerHandle,
    pub config: SchedulerConfig,
    /// The directory of the store's file, `weft.db`.
    pub dir: tempfile::TempDir,
}

pub async fn bench(now: &str, config: SchedulerConfig) -> Bench {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = Arc::new(
        SqliteStore::open(&dir.path().join("weft.db"))
            .await
            .expect("store"),
    );
    let store: Arc<dyn Store> = sqlite.clone();
    let queue = Arc::new(MemoryQueue::new());
    let clock = Arc::new(ManualClock::new(ts(now)));
    let (handle, _service) = scheduler(store.clone(), queue.clone(), clock.clone(), config.clone());
    Bench {
        store,
        sqlite,
        queue,
        clock,
        handle,
        config,
        dir,
    }
}

impl Bench {
    /// A manual run of `dag_id` with nothing given (its id and date from the clock), written
    /// to the store only.
    pub async fn trigger(&self, dag_id: &str) -> DagRun {
        self.handle
            .trigger(DEFAULT_TENANT, dag_id, TriggerRequest::default())
            .await
            .expect("trigger")
    }

    /// A manual run of `dag_id` with logical date `at`, written to the store only.
    pub async fn trigger_at(&self, dag_id: &str, at: &str) -> DagRun {
        let request = TriggerRequest {
            logical_date: Some(ts(at)),
            ..TriggerRequest::default()
        };
        self.handle
            .trigger(DEFAULT_TENANT, dag_id, request)
            .await
            .expect("trigger")
    }

    /// A scheduler over the bench's store, queue and clock (not started).
    pub fn scheduler(&self) -> Scheduler {
        Scheduler::new(
            self.store.clone(),
            self.queue.clone(),
            self.clock.clone(),
            self.config.clone(),
        )
    }

    /// Deploy `spec` under a component whose bytes are its id; the digest.
    pub async fn deploy(&self, spec: DagSpec) -> String {
        let bytes = format!("component of {}", spec.dag_id).into_bytes();
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        self.store
            .deploy(Deploy {
                tenant: DEFAULT_TENANT.into(),
                digest: digest.clone(),
                bytes,
                dag_id: spec.dag_id.clone(),
                spec,
                at: self.clock.now_ts(),
            })
            .await
            .expect("deploy");
        digest
    }

    /// Every message ready on the `default` queue of every tenant, acknowledged, in the
    /// order taken.
    pub async fn take(&self) -> Vec<TaskMessage> {
        self.take_within(Duration::ZERO).await
    }

    /// As [`take`](Bench::take), waiting up to `wait` for the first message.
    pub async fn take_within(&self, wait: Duration) -> Vec<TaskMessage> {
        let deliveries = self
            .queue
            .take(
                &[weft_queue::scope::every_scope("default")],
                1000,
                Duration::from_secs(600),
                wait,
            )
            .await
            .expect("take");
        let ids: Vec<_> = deliveries.iter().map(|d| d.id.clone()).collect();
        self.queue.ack(&ids).await.expect("ack");
        deliveries
            .iter()
            .map(|d| TaskMessage::decode(&d.payload).expect("message"))
            .collect()
    }

    /// Every run of `dag_id`, oldest logical date first.
    pub async fn runs(&self, dag_id: &str) -> Vec<DagRun> {
        let mut runs = self
            .store
            .runs(
                DEFAULT_TENANT,
                &RunFilter {
                    dag_id: Some(dag_id.into()),
                    ..RunFilter::default()
                },
            )
            .await
            .expect("runs");
        runs.sort_by_key(|r| r.logical_date);
        runs
    }

    /// A run and its task instances.
    pub async fn run(&self, run: RunPk) -> (DagRun, Vec<TaskInstance>) {
        self.store.run(run).await.expect("run").expect("run exists")
    }

    /// One task instance of a run.
    pub async fn ti(&self, run: RunPk, task_id: &str) -> TaskInstance {
        let (_, tis) = self.run(run).await;
        tis.into_iter()
            .find(|t| t.task_id == task_id)
            .expect("task instance")
    }

    /// The state of every task instance of a run, by task id.
    pub async fn states(&self, run: RunPk) -> Vec<(String, TaskState)> {
        let (_, mut tis) = self.run(run).await;
        tis.sort_by(|a, b| a.task_id.cmp(&b.task_id));
        tis.into_iter().map(|t| (t.task_id, t.state)).collect()
    }

    /// The worker's start report for `message`, at the clock's now.
    pub fn started(&self, message: &TaskMessage) -> Report {
        let at = self.clock.now_ts();
        Report::Started(weft_protocol::AttemptStarted {
            ti: message.ti,
            lease: message.lease,
            key: message.attempt_key,
            worker_id: "w-1".into(),
            hostname: "host-a".into(),
            at,
            lease_expires_at: at
                .saturating_add(jiff::SignedDuration::from_secs(300))
                .expect("ts"),
        })
    }

    /// The worker's result for `message`, ended at the clock's now.
    pub fn finished(&self, message: &TaskMessage, outcome: AttemptOutcome) -> Report {
        Report::Finished(Box::new(AttemptResult {
            ti: message.ti,
            lease: message.lease,
            key: message.attempt_key,
            run: message.run,
            try_number: message.try_number,
            outcome,
            xcom: Vec::new(),
            log: Vec::new(),
            started_at: self.clock.now_ts(),
            ended_at: self.clock.now_ts(),
            worker_id: "w-1".into(),
            hostname: "host-a".into(),
        }))
    }

    /// Start and succeed `message` in one go.
    pub fn succeed(&self, message: &TaskMessage) -> Vec<Report> {
        vec![self.started(message), self.finished(message, success())]
    }
}

/// A successful outcome with a small output.
pub fn success() -> AttemptOutcome {
    AttemptOutcome::Success {
        output: b"null".to_vec(),
        asset_extras: Vec::new(),
    }
}

/// A failed outcome.
pub fn failure(retryable: bool) -> AttemptOutcome {
    AttemptOutcome::Failed {
        retryable,
        class: "task_error".into(),
        message: "boom".into(),
    }
}

/// Read the manual clock.
pub trait Now {
    /// The clock's current time.
    fn now_ts(&self) -> Timestamp;
}

impl Now for ManualClock {
    fn now_ts(&self) -> Timestamp {
        weft_scheduler::Clock::now(self)
    }
}

/// Task ids of messages, in order.
pub fn task_ids(messages: &[TaskMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.task_id.as_str()).collect()
}

/// The messages on the `default` queues by task id, waiting up to 10 s for the first.
pub async fn take_waiting(b: &Bench) -> Vec<TaskMessage> {
    let mut messages = b.take_within(Duration::from_secs(10)).await;
    messages.sort_by(|x, y| x.task_id.cmp(&y.task_id));
    messages
}

/// A scheduler's loop over the bench's store, queue and clock, running until stopped.
pub struct Loop {
    pub handle: SchedulerHandle,
    stop: tokio::sync::oneshot::Sender<()>,
    running: tokio::task::JoinHandle<()>,
}

/// Start a scheduler's loop over `b`'s store, queue and clock.
pub fn start_loop(b: &Bench, config: SchedulerConfig) -> Loop {
    start_loop_on(b, b.queue.clone(), config)
}

/// Start a scheduler's loop over `b`'s store and clock that queues on `queue`.
pub fn start_loop_on(b: &Bench, queue: Arc<dyn Queue>, config: SchedulerConfig) -> Loop {
    start_loop_over(b, b.store.clone(), queue, config)
}

/// Start a scheduler's loop over `store` (the bench's, or one that wraps it), `queue` and
/// the bench's clock.
pub fn start_loop_over(
    b: &Bench,
    store: Arc<dyn Store>,
    queue: Arc<dyn Queue>,
    config: SchedulerConfig,
) -> Loop {
    let (handle, service) = scheduler(store, queue, b.clock.clone(), config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(service.run(async {
        let _ = stopped.await;
    }));
    Loop {
        handle,
        stop,
        running,
    }
}

impl Loop {
    /// Stop the loop and wait until it has.
    pub async fn stop(self) {
        self.stop.send(()).expect("the loop is running");
        self.running.await.expect("the loop ends");
    }
}

/// Make `tenant` (weight `weight`, with `quotas`) and deploy DAG `dag_id` of independent
/// tasks `tasks` in it.
pub async fn tenant_with_dag(
    b: &Bench,
    tenant: &str,
    weight: u32,
    quotas: Quotas,
    dag_id: &str,
    tasks: &[&str],
) {
    b.store
        .create_tenant(Tenant {
            name: tenant.into(),
            description: String::new(),
            created_at: b.clock.now_ts(),
            weight,
            quotas,
            sandbox: Default::default(),
        })
        .await
        .expect("tenant created");
    deploy_in(b, tenant, dag_id, tasks).await;
}

/// Deploy DAG `dag_id` of independent tasks `tasks` in `tenant`.
pub async fn deploy_in(b: &Bench, tenant: &str, dag_id: &str, tasks: &[&str]) {
    let mut spec = DagSpec::new(dag_id);
    spec.tasks = tasks.iter().map(|t| TaskSpec::new(*t)).collect();
    deploy_spec_in(b, tenant, spec).await;
}

/// Deploy `spec` in `tenant`, under a component whose bytes name both.
pub async fn deploy_spec_in(b: &Bench, tenant: &str, spec: DagSpec) {
    deploy_version_in(b, tenant, spec, "v1").await;
}

/// Deploy `spec` in `tenant`, under a component whose bytes name both and `version` (a new
/// version of a DAG deployed before).
pub async fn deploy_version_in(b: &Bench, tenant: &str, spec: DagSpec, version: &str) {
    let dag_id = spec.dag_id.clone();
    let bytes = format!("component of {tenant}'s {dag_id} {version}").into_bytes();
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    b.store
        .deploy(Deploy {
            tenant: tenant.into(),
            digest,
            bytes,
            dag_id,
            spec,
            at: b.clock.now_ts(),
        })
        .await
        .expect("deployed");
}
