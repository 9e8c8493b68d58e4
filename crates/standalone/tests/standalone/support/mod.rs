//! The embedded stack in one process for the tests: a real SQLite store, the in-process
//! queue, the scheduler, a worker and the sandbox.

use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_queue::MemoryQueue;
use weft_runtime::{Runtime, RuntimeConfig};
use weft_scheduler::{
    Control, Notice, SchedulerConfig, SchedulerHandle, SystemClock, TriggerRequest, scheduler,
};
use weft_standalone::LocalPlane;
use weft_store::{DEFAULT_TENANT, DagRun, Deploy, RunPk, SqliteStore, Store, TaskInstance};
use weft_worker::{Worker, WorkerConfig};

pub struct Stack {
    pub store: Arc<dyn Store>,
    pub handle: SchedulerHandle,
    pub runtime: Arc<Runtime>,
    stop: Arc<tokio::sync::Notify>,
    _dir: tempfile::TempDir,
}

/// The stack with a worker of as many slots as the machine has cores.
pub async fn stack() -> Stack {
    stack_with_slots(std::thread::available_parallelism().map_or(2, |n| n.get())).await
}

/// The stack with a worker of `slots` slots.
pub async fn stack_with_slots(slots: usize) -> Stack {
    stack_with(slots, SchedulerConfig::default()).await
}

/// The stack with a worker of `slots` slots and a scheduler set up as `config` says.
pub async fn stack_with(slots: usize, config: SchedulerConfig) -> Stack {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("weft.db"))
            .await
            .expect("store"),
    );
    let queue = Arc::new(MemoryQueue::new());
    let config = SchedulerConfig {
        recover_running_on_start: true,
        ..config
    };
    let (handle, service) = scheduler(store.clone(), queue.clone(), Arc::new(SystemClock), config);
    let runtime = Arc::new(Runtime::new(RuntimeConfig::default()).expect("runtime"));
    let credentials = weft_store::Credentials::new(store.clone(), None);
    let plane = Arc::new(LocalPlane::new(store.clone(), handle.clone(), credentials));
    let worker = Worker::new(
        WorkerConfig {
            concurrency: slots,
            ..WorkerConfig::new("w-1", "host-a", vec!["default".into()])
        },
        runtime.clone(),
        queue,
        plane,
    );
    let stop = Arc::new(tokio::sync::Notify::new());
    let (s1, s2) = (stop.clone(), stop.clone());
    tokio::spawn(async move { service.run(async move { s1.notified().await }).await });
    tokio::spawn(async move { worker.run(async move { s2.notified().await }).await });
    Stack {
        store,
        handle,
        runtime,
        stop,
        _dir: dir,
    }
}

impl Stack {
    pub async fn deploy(&self, path: &str) -> String {
        let bytes = std::fs::read(path).expect("guest");
        let component = self.runtime.load(&bytes).expect("component");
        let dag_id = component.dag().id().to_owned();
        self.store
            .deploy(Deploy {
                tenant: DEFAULT_TENANT.into(),
                digest: component.digest().to_string(),
                bytes,
                dag_id: dag_id.clone(),
                spec: component.spec().clone(),
                at: jiff::Timestamp::now(),
            })
            .await
            .expect("deploy");
        self.handle.notify(Notice::DagChanged {
            tenant: DEFAULT_TENANT.into(),
            dag_id: dag_id.clone(),
        });
        dag_id
    }

    pub async fn trigger(&self, dag_id: &str, conf: serde_json::Value) -> DagRun {
        let request = TriggerRequest {
            conf: Some(conf),
            ..TriggerRequest::default()
        };
        self.handle
            .trigger(DEFAULT_TENANT, dag_id, request)
            .await
            .expect("trigger")
    }

    /// Trigger a run of `dag_id` with logical date `at`.
    pub async fn trigger_at(
        &self,
        dag_id: &str,
        conf: serde_json::Value,
        at: jiff::Timestamp,
    ) -> DagRun {
        let request = TriggerRequest {
            conf: Some(conf),
            logical_date: Some(at),
            ..TriggerRequest::default()
        };
        self.handle
            .trigger(DEFAULT_TENANT, dag_id, request)
            .await
            .expect("trigger")
    }

    /// The run's task instances once `done` holds of them (the store is polled: the
    /// scheduler writes each change as it makes it).
    pub async fn until(
        &self,
        run: RunPk,
        what: &str,
        done: impl Fn(&[TaskInstance]) -> bool,
    ) -> Vec<TaskInstance> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, tis) = self.store.run(run).await.expect("read").expect("run");
            if done(&tis) {
                return tis;
            }
            assert!(Instant::now() < deadline, "{what}: {tis:#?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Wait for a run to finish; its row and task instances.
    pub async fn finished(&self, run: RunPk) -> (DagRun, Vec<TaskInstance>) {
        self.finished_within(run, Duration::from_secs(15)).await
    }

    /// Wait up to `limit` for a run to finish; its row and task instances.
    pub async fn finished_within(
        &self,
        run: RunPk,
        limit: Duration,
    ) -> (DagRun, Vec<TaskInstance>) {
        let deadline = Instant::now() + limit;
        loop {
            let (row, tis) = self
                .store
                .run(run)
                .await
                .expect("read")
                .expect("run exists");
            if row.state.is_finished() {
                return (row, tis);
            }
            let states: Vec<_> = tis
                .iter()
                .map(|t| {
                    (
                        t.task_id.as_str(),
                        t.state,
                        t.try_number,
                        t.lease,
                        t.error.as_deref(),
                    )
                })
                .collect();
            assert!(
                Instant::now() < deadline,
                "run {} still {:?}: {states:?}",
                row.run_id,
                row.state
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop.notify_waiters();
    }
}

pub fn ti<'a>(tis: &'a [TaskInstance], id: &str) -> &'a TaskInstance {
    tis.iter()
        .find(|t| t.task_id == id)
        .unwrap_or_else(|| panic!("no task instance {id}"))
}
