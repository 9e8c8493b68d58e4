//! Prefetching: a worker takes deliveries beyond its free slots, hands back those that wait
//! too long for a slot so that another worker runs them, and acknowledges what it ran.
//! The queue is the real in-process one and tasks run in the real sandbox; only the control
//! plane is a recorder.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use weft_protocol::{Report, TaskMessage};
use weft_queue::watched::{Watch, Watched};
use weft_queue::{Delivery, MemoryQueue, Message, Queue, QueueStats};
use weft_runtime::{Runtime, RuntimeConfig};
use weft_test_guests_artifacts as guests;
use weft_worker::{Caller, ControlPlane, PlaneError, Worker, WorkerConfig};

/// Serves one component and records every report.
struct Recorder {
    component: Vec<u8>,
    reports: Mutex<Vec<Report>>,
}

#[async_trait]
impl ControlPlane for Recorder {
    async fn component(&self, caller: Caller<'_>, _digest: &str) -> Result<Vec<u8>, PlaneError> {
        assert_eq!(caller.attempt.key, Some(key_of(caller.attempt.ti)));
        Ok(self.component.clone())
    }
    async fn call(
        &self,
        _: Caller<'_>,
        call: weft_protocol::HostCall,
    ) -> Result<weft_protocol::HostAnswer, PlaneError> {
        Err(PlaneError::NotFound(format!("{} calls", call.name())))
    }
    async fn append_log(
        &self,
        _: Caller<'_>,
        _: u64,
        _: Vec<weft_protocol::log::LogLine>,
    ) -> Result<(), PlaneError> {
        Err(PlaneError::Refused("this plane keeps no live logs".into()))
    }
    async fn report(&self, _tenant: &str, reports: Vec<Report>) -> Result<(), PlaneError> {
        self.reports.lock().expect("lock").extend(reports);
        Ok(())
    }
}

impl Recorder {
    /// `(task instance, worker)` of every result so far. Every report carries its attempt's
    /// key, as the message gave it.
    fn finished(&self) -> Vec<(i64, String)> {
        let reports = self.reports.lock().expect("lock");
        for report in reports.iter() {
            let attempt = report.attempt();
            assert_eq!(attempt.key, Some(key_of(attempt.ti)), "{report:?}");
        }
        reports
            .iter()
            .filter_map(|r| match r {
                Report::Finished(result) => Some((result.ti, result.worker_id.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Counts the deliveries a queue hands out.
#[derive(Default)]
struct Delivered(AtomicUsize);

impl Watch for Delivered {
    fn taken(&self, deliveries: &[Delivery]) {
        self.0.fetch_add(deliveries.len(), Ordering::SeqCst);
    }
}

/// The in-process queue, counting the deliveries it hands out.
type Counting = Watched<Delivered>;

/// A new in-process queue that counts its deliveries.
fn counting() -> Counting {
    Watched {
        inner: Arc::new(MemoryQueue::new()),
        watch: Delivered::default(),
    }
}

/// The attempt key the messages of task instance `ti` carry.
fn key_of(ti: i64) -> weft_protocol::AttemptKey {
    weft_protocol::AttemptKey([u8::try_from(ti).unwrap_or(0); 16])
}

/// The `slow` task of `slow_chain` as task instance `ti`, sleeping `sleep_ms`.
fn slow_message(ti: i64, digest: &str, sleep_ms: u64) -> Message {
    let at = jiff::Timestamp::now();
    let message = TaskMessage {
        ti,
        lease: 1,
        attempt_key: Some(key_of(ti)),
        run: ti,
        tenant: "default".into(),
        dag_id: "slow_chain".into(),
        run_id: format!("run-{ti}"),
        task_id: "slow".into(),
        try_number: 1,
        max_tries: 4,
        digest: digest.into(),
        queue: "default".into(),
        logical_date: at,
        data_interval_start: at,
        data_interval_end: at,
        conf: serde_json::json!({ "sleep_ms": sleep_ms }),
        upstream: vec!["first".into()],
        upstream_outputs: Some(Vec::new()),
        event: None,
        map_index: None,
        map_item: None,
        limits: Default::default(),
        tenant_egress: None,
    };
    Message::new("default/default", message.encode().expect("encodes"))
}

/// A runtime, a recorder serving `slow_chain` and a queue holding three of its `slow` tasks,
/// each sleeping `sleep_ms`.
async fn three_slow_tasks(sleep_ms: u64) -> (Arc<Runtime>, Arc<Recorder>, Arc<Counting>) {
    let bytes = std::fs::read(guests::SLOW_CHAIN).expect("guest");
    let runtime = Arc::new(Runtime::new(RuntimeConfig::default()).expect("runtime"));
    let digest = runtime
        .load(&bytes)
        .expect("component")
        .digest()
        .to_string();
    let plane = Arc::new(Recorder {
        component: bytes,
        reports: Mutex::new(Vec::new()),
    });
    let queue = Arc::new(counting());
    let messages = (1..=3)
        .map(|ti| slow_message(ti, &digest, sleep_ms))
        .collect();
    queue.push(messages).await.expect("push");
    (runtime, plane, queue)
}

fn worker(id: &str, concurrency: usize, prefetch: usize) -> WorkerConfig {
    let mut config = WorkerConfig::new(id, "host", vec!["default".into()]);
    config.concurrency = concurrency;
    config.prefetch = Some(prefetch);
    config.prefetch_hold = Duration::from_millis(300);
    config.grace = Duration::from_secs(10);
    config
}

async fn counts(queue: &Counting) -> (u64, u64) {
    let stats: Vec<QueueStats> = queue.stats().await.expect("stats");
    stats
        .iter()
        .filter(|s| s.queue == "default/default")
        .fold((0, 0), |(r, l), s| (r + s.ready, l + s.leased))
}

/// Start a worker with `config`; what stops it, and its task.
fn start(
    config: WorkerConfig,
    runtime: &Arc<Runtime>,
    queue: &Arc<Counting>,
    plane: &Arc<Recorder>,
) -> (Arc<tokio::sync::Notify>, tokio::task::JoinHandle<()>) {
    let worker = Worker::new(config, runtime.clone(), queue.clone(), plane.clone());
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let task =
        tokio::spawn(async move { worker.run(async move { stopped.notified().await }).await });
    (stop, task)
}

/// Poll `check` every 10 ms until it holds or `within` passes; whether it held.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    check().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_deliveries_go_back_and_another_worker_runs_them() {
    let (runtime, plane, queue) = three_slow_tasks(1500).await;

    // One slot and two ahead: the worker takes all three at once.
    let (stop_a, a) = start(worker("a", 1, 2), &runtime, &queue, &plane);
    assert!(
        eventually(Duration::from_secs(2), || async {
            counts(&queue).await == (0, 3)
        })
        .await,
        "worker a should hold all three deliveries: {:?}",
        counts(&queue).await
    );

    // Its slot stays busy past the hold: the two it held go back, and it does not take them
    // again while its slot is busy.
    assert!(
        eventually(Duration::from_secs(1), || async {
            counts(&queue).await == (2, 1)
        })
        .await,
        "the two held deliveries should be handed back: {:?}",
        counts(&queue).await
    );
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            counts(&queue).await,
            (2, 1),
            "worker a must not take back what it handed back while its slot is busy"
        );
    }
    assert!(plane.finished().is_empty(), "nothing has finished yet");

    let (stop_b, b) = start(worker("b", 2, 0), &runtime, &queue, &plane);
    assert!(
        eventually(Duration::from_secs(20), || async {
            plane.finished().len() >= 3
        })
        .await,
        "all three should finish: {:?}",
        plane.finished()
    );
    stop_a.notify_one();
    stop_b.notify_one();
    a.await.expect("worker a");
    b.await.expect("worker b");

    let mut finished = plane.finished();
    finished.sort();
    let by = |w: &str| finished.iter().filter(|(_, id)| id == w).count();
    assert_eq!(finished.len(), 3, "each ran once: {finished:?}");
    assert_eq!(by("a"), 1, "a ran the one it started: {finished:?}");
    assert_eq!(by("b"), 2, "b ran the two a handed back: {finished:?}");
    assert_eq!(
        finished.iter().map(|(ti, _)| *ti).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // Every delivery was acknowledged before the workers stopped.
    assert_eq!(counts(&queue).await, (0, 0));
    // Three to a, the two it handed back to b: a never took back what it had handed back.
    assert_eq!(queue.watch.0.load(Ordering::SeqCst), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_worker_hands_back_what_it_holds_at_once() {
    let (runtime, plane, queue) = three_slow_tasks(500).await;

    let mut config = worker("a", 1, 2);
    config.prefetch_hold = Duration::from_secs(60);
    let (stop, a) = start(config, &runtime, &queue, &plane);
    assert!(
        eventually(Duration::from_secs(2), || async {
            counts(&queue).await == (0, 3)
        })
        .await,
        "worker a should hold all three deliveries: {:?}",
        counts(&queue).await
    );
    stop.notify_one();
    // The two held ones are back at once; the running one finishes within the grace period.
    assert!(
        eventually(Duration::from_millis(400), || async {
            counts(&queue).await.0 == 2
        })
        .await,
        "held deliveries should be handed back on stop: {:?}",
        counts(&queue).await
    );
    a.await.expect("worker a");
    assert_eq!(plane.finished().len(), 1, "only the running one ran");
    assert_eq!(
        counts(&queue).await,
        (2, 0),
        "its delivery was acknowledged"
    );
}
