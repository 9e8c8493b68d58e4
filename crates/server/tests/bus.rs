//! The bus on a real Redis server, with a real scheduler (SQLite store, in-process queue)
//! serving it: reports sent by a worker's [`ReportSender`] are written, commands of an API
//! server's [`BusControl`] are answered, and a bus with no scheduler reports so in time.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Notify;
use weft_bus::{Bus, ReportSender, ServeConfig};
use weft_model::{DagSpec, TaskSpec, TaskState};
use weft_protocol::{AttemptStarted, CARRIED_TASKS, ControlMessage, Envelope};
use weft_queue::{MemoryQueue, Queue};
use weft_scheduler::{
    AttemptOutcome, AttemptResult, Control, ControlError, Report, SchedulerConfig, SchedulerHandle,
    SchedulerService, SystemClock, TaskMessage, TriggerRequest,
};
use weft_server::BusControl;
use weft_store::{DEFAULT_TENANT, DagRun, Deploy, SqliteStore, Store};

struct Bench {
    store: Arc<dyn Store>,
    queue: Arc<MemoryQueue>,
    bus: Bus,
    control: BusControl,
    stop: Arc<Notify>,
    _dir: tempfile::TempDir,
}

async fn bench(with_scheduler: bool) -> Bench {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("weft.db"))
            .await
            .expect("store"),
    );
    let queue = Arc::new(MemoryQueue::new());
    let namespace = weft_testkit::unique_name("bus");
    let bus = Bus::connect(weft_testkit::redis().url(), &namespace)
        .await
        .expect("bus");
    let clock = Arc::new(SystemClock);
    let stop = Arc::new(Notify::new());
    if with_scheduler {
        // As in a distributed installation: attempts carry keys and reports must too.
        let keyring = weft_vault::Keyring::new(weft_vault::SecretKey::generate(), Vec::new());
        let config = SchedulerConfig {
            attempt_keys: Some(weft_vault::AttemptKeys::new(&keyring)),
            ..SchedulerConfig::default()
        };
        let (handle, service) =
            weft_scheduler::scheduler(store.clone(), queue.clone(), clock.clone(), config);
        let from = weft_bus::control_position(&bus).await;
        tokio::spawn(service.run(notified(stop.clone())));
        serve(&bus, handle, "scheduler-test", from, stop.clone());
    }
    let control = BusControl::new(
        bus.clone(),
        store.clone(),
        clock,
        false,
        Duration::from_secs(2),
    );
    Bench {
        store,
        queue,
        bus,
        control,
        stop,
        _dir: dir,
    }
}

async fn deploy(store: &Arc<dyn Store>) {
    let mut spec = DagSpec::new("pair");
    spec.tasks = vec![TaskSpec::new("a"), TaskSpec::new("b").after(["a"])];
    let bytes = b"component of pair".to_vec();
    store
        .deploy(Deploy {
            tenant: DEFAULT_TENANT.into(),
            digest: digest_of(&bytes),
            bytes,
            dag_id: "pair".into(),
            spec,
            at: Timestamp::now(),
        })
        .await
        .expect("deploy");
}

/// DAG `pair` (`a` then `b`) deployed, and a run of it triggered through `b`'s control.
async fn pair_run(b: &Bench) -> DagRun {
    deploy(&b.store).await;
    b.control
        .trigger(DEFAULT_TENANT, "pair", TriggerRequest::default())
        .await
        .expect("trigger")
}

fn digest_of(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

async fn take_one(queue: &MemoryQueue) -> TaskMessage {
    let taken = queue
        .take(
            &[weft_queue::scope::scoped(DEFAULT_TENANT, "default")],
            1,
            Duration::from_secs(60),
            Duration::from_secs(10),
        )
        .await
        .expect("take");
    let delivery = taken.into_iter().next().expect("a task was queued");
    queue
        .ack(std::slice::from_ref(&delivery.id))
        .await
        .expect("ack");
    TaskMessage::decode(&delivery.payload).expect("message")
}

fn reports(message: &TaskMessage) -> Vec<Report> {
    let now = Timestamp::now();
    vec![
        Report::Started(AttemptStarted {
            ti: message.ti,
            lease: message.lease,
            key: message.attempt_key,
            worker_id: "w-1".into(),
            hostname: "host-1".into(),
            at: now,
            lease_expires_at: now + jiff::SignedDuration::from_secs(60),
        }),
        Report::Finished(Box::new(AttemptResult {
            ti: message.ti,
            lease: message.lease,
            key: message.attempt_key,
            run: message.run,
            try_number: message.try_number,
            outcome: AttemptOutcome::Success {
                output: b"\"ok\"".to_vec(),
                asset_extras: Vec::new(),
            },
            xcom: Vec::new(),
            log: Vec::new(),
            started_at: now,
            ended_at: now,
            worker_id: "w-1".into(),
            hostname: "host-1".into(),
        })),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_sent_on_the_bus_are_written_and_run_the_dag() {
    let b = bench(true).await;
    // An API server hears of the run's end through the bus.
    let mut ended = b
        .control
        .subscribe_ended()
        .expect("the bus announces ended runs");
    let run = pair_run(&b).await;
    let sender = ReportSender::new(b.bus.clone());
    for task in ["a", "b"] {
        let message = take_one(&b.queue).await;
        assert_eq!(message.task_id, task);
        sender
            .send(&message.tenant, reports(&message))
            .await
            .expect("sent");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (row, tis) = b.store.run(run.id).await.expect("run").expect("exists");
        if row.state.is_finished() {
            assert_eq!(row.state.as_str(), "success");
            assert!(tis.iter().all(|t| t.state == TaskState::Success));
            assert!(tis.iter().all(|t| t.hostname.as_deref() == Some("host-1")));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "run never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let heard = tokio::time::timeout(Duration::from_secs(5), ended.recv())
        .await
        .expect("the end was announced in time")
        .expect("announcement");
    assert_eq!(heard, run.id);
    // Written reports are acknowledged and deleted from the stream.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let url = weft_testkit::redis().url().to_owned();
        let client = redis::Client::open(url).expect("client");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("conn");
        let key = format!("{}:bus:reports:{DEFAULT_TENANT}", bus_namespace(&b.bus));
        let len: u64 = redis::cmd("XLEN")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("xlen");
        if len == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{len} entries left");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    b.stop.notify_waiters();
}

/// Write `reports` straight to the bus's stream, as anyone holding the Redis URL could.
async fn forge(bus: &Bus, reports: &Vec<Report>) {
    let client = redis::Client::open(weft_testkit::redis().url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("conn");
    let key = format!("{}:bus:reports:{DEFAULT_TENANT}", bus_namespace(bus));
    let _: String = redis::cmd("XADD")
        .arg(&key)
        .arg("*")
        .arg("r")
        .arg(Envelope::encode(reports).expect("encode"))
        .query_async(&mut conn)
        .await
        .expect("xadd");
}

/// The task instance `ti` once `done` holds of it.
async fn ti_when(
    store: &Arc<dyn Store>,
    message: &TaskMessage,
    done: impl Fn(&weft_store::TaskInstance) -> bool,
) -> weft_store::TaskInstance {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, tis) = store.run(message.run).await.expect("read").expect("run");
        let row = tis
            .into_iter()
            .find(|t| t.id == message.ti)
            .expect("the task instance");
        if done(&row) {
            return row;
        }
        assert!(tokio::time::Instant::now() < deadline, "{row:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_reports_written_straight_to_redis_are_refused() {
    let b = bench(true).await;
    pair_run(&b).await;
    let message = take_one(&b.queue).await;
    let genuine = reports(&message);
    let key = message.attempt_key.expect("the scheduler issues keys");
    // A forger knows the task instance and guesses the lease (here: knows it), but not the
    // key: without one, with one of another attempt, or with a made-up one, its report that
    // the attempt succeeded is refused.
    let mut other_lease = key;
    other_lease.0[0] ^= 0x55;
    // A heartbeat that would keep the attempt a day, forged with the rest.
    let far = Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let beat = Report::Heartbeat(weft_protocol::AttemptHeartbeat {
        ti: message.ti,
        lease: message.lease,
        key: None,
        lease_expires_at: far,
    });
    for forged_key in [
        None,
        Some(other_lease),
        Some(weft_protocol::AttemptKey([0; 16])),
    ] {
        let mut forged = genuine.clone();
        forged.insert(1, beat.clone());
        for report in &mut forged {
            match report {
                Report::Started(s) => {
                    s.key = forged_key;
                    s.worker_id = "forger".into();
                }
                Report::Finished(r) => {
                    r.key = forged_key;
                    r.worker_id = "forger".into();
                }
                Report::Heartbeat(h) => h.key = forged_key,
            }
        }
        forge(&b.bus, &forged).await;
    }
    // The genuine start, written after the forgeries on the same stream, is taken: so the
    // forgeries were read and refused before it.
    let started = vec![genuine[0].clone()];
    forge(&b.bus, &started).await;
    let row = ti_when(&b.store, &message, |t| t.state == TaskState::Running).await;
    assert_eq!(row.worker_id.as_deref(), Some("w-1"));
    assert_eq!(row.hostname.as_deref(), Some("host-1"));
    let expires = row.lease_expires_at.expect("a running attempt's lease");
    assert!(
        expires < far,
        "a forged heartbeat extended the lease to {expires}"
    );
    // The genuine result ends it.
    forge(&b.bus, &genuine).await;
    let row = ti_when(&b.store, &message, |t| t.state == TaskState::Success).await;
    assert_eq!(row.worker_id.as_deref(), Some("w-1"));
    b.stop.notify_waiters();
}

fn bus_namespace(bus: &Bus) -> String {
    bus.namespace().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_answered_across_the_bus() {
    let b = bench(true).await;
    let run = pair_run(&b).await;
    let message = take_one(&b.queue).await;
    assert_eq!(message.task_id, "a");
    // Mark `a` failed by hand through the bus: the scheduler answers and `b` follows.
    b.control
        .mark(DEFAULT_TENANT, run.id, "a", TaskState::Failed)
        .await
        .expect("marked");
    let (_, tis) = b.store.run(run.id).await.expect("run").expect("exists");
    let a = tis.iter().find(|t| t.task_id == "a").expect("a");
    assert_eq!(a.state, TaskState::Failed);
    // Errors keep their kind across the bus.
    let missing = b
        .control
        .clear(DEFAULT_TENANT, 999_999, &["a".into()], false)
        .await;
    assert!(
        matches!(missing, Err(ControlError::NotFound(_))),
        "{missing:?}"
    );
    b.stop.notify_waiters();
}

/// `stop`'s next notification.
async fn notified(stop: Arc<Notify>) {
    stop.notified().await;
}

/// Serve the bus for `handle` as consumer `consumer`, as the leading scheduler's process
/// does, until `stop` is notified. Notices and commands are read from `from`, the control
/// stream's position taken before the scheduler was started.
fn serve(
    bus: &Bus,
    handle: SchedulerHandle,
    consumer: &str,
    from: Option<String>,
    stop: Arc<Notify>,
) {
    tokio::spawn(weft_bus::serve(
        bus.clone(),
        handle,
        ServeConfig {
            consumer: consumer.into(),
            claim_after: Duration::from_secs(2),
            control_from: from,
        },
        notified(stop),
    ));
}

/// A scheduler on the bench's store and queue: its handle and its loop (not running).
fn scheduler(b: &Bench) -> (SchedulerHandle, SchedulerService) {
    weft_scheduler::scheduler(
        b.store.clone(),
        b.queue.clone(),
        Arc::new(SystemClock),
        SchedulerConfig::default(),
    )
}

/// Serve the bus for a scheduler whose term has ended (its loop is gone), until `stop`;
/// once it reads the commands, it answers each "the scheduler has stopped". A command
/// sent before it reads them is not answered at all, so this waits until one is.
async fn serve_an_ended_term(b: &Bench, stop: Arc<Notify>) {
    let (ended, loop_gone) = scheduler(b);
    drop(loop_gone);
    serve(&b.bus, ended, "ended-term", None, stop);
    for _ in 0..3 {
        if refused_mark(&b.control, 999_999)
            .await
            .0
            .contains("the scheduler has stopped")
        {
            return;
        }
    }
    panic!("the ended term never answered");
}

/// A mark of task `a` of run `run` that must be refused as unavailable: the refusal's
/// message, and how long it took.
async fn refused_mark(control: &BusControl, run: i64) -> (String, Duration) {
    let started = std::time::Instant::now();
    match control
        .mark(DEFAULT_TENANT, run, "a", TaskState::Success)
        .await
    {
        Err(ControlError::Unavailable(message)) => (message, started.elapsed()),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_is_sent_again_when_the_schedulers_term_ends_under_it() {
    let b = bench(false).await;
    let run = pair_run(&b).await;
    let ended_stop = Arc::new(Notify::new());
    serve_an_ended_term(&b, ended_stop.clone()).await;
    // The next term begins a little after the mark is sent.
    let next_stop = Arc::new(Notify::new());
    let next_term = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        ended_stop.notify_waiters();
        let (handle, service) = scheduler(&b);
        let from = weft_bus::control_position(&b.bus).await;
        tokio::spawn(service.run(notified(next_stop.clone())));
        serve(&b.bus, handle, "next-term", from, next_stop.clone());
    };
    let (marked, ()) = tokio::join!(
        b.control
            .mark(DEFAULT_TENANT, run.id, "a", TaskState::Failed),
        next_term
    );
    marked.expect("the next term carries the mark out");
    let (_, tis) = b.store.run(run.id).await.expect("run").expect("exists");
    let a = tis.iter().find(|t| t.task_id == "a").expect("a");
    assert_eq!(a.state, TaskState::Failed);
    next_stop.notify_waiters();
}

/// A scheduler taking the lead reads the store, then serves the bus. A command sent in
/// between is answered: serving starts where the control stream stood before the store was
/// read, not at its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_sent_while_the_scheduler_starts_is_answered() {
    let b = bench(false).await;
    let run = pair_run(&b).await;
    let (handle, service) = scheduler(&b);
    let from = weft_bus::control_position(&b.bus).await;
    let stop = Arc::new(Notify::new());
    tokio::spawn(service.run(notified(stop.clone())));
    let serve_once_sent = async {
        // The command is on the stream before serving begins.
        control_entries_n(&b.bus, 1).await;
        serve(&b.bus, handle, "starting", from, stop.clone());
    };
    let (marked, ()) = tokio::join!(
        b.control
            .mark(DEFAULT_TENANT, run.id, "a", TaskState::Failed),
        serve_once_sent
    );
    marked.expect("the command sent while the scheduler started is answered");
    let (_, tis) = b.store.run(run.id).await.expect("run").expect("exists");
    let a = tis.iter().find(|t| t.task_id == "a").expect("a");
    assert_eq!(a.state, TaskState::Failed);
    stop.notify_waiters();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_the_scheduler_can_never_take_is_unavailable_once_its_time_is_up() {
    let b = bench(false).await;
    let stop = Arc::new(Notify::new());
    serve_an_ended_term(&b, stop.clone()).await;
    let (message, took) = refused_mark(&b.control, 1).await;
    assert!(message.contains("the scheduler has stopped"), "{message}");
    // Sent again until the command's timeout (2 s here), and not much longer.
    assert!(took >= Duration::from_millis(1_800), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    stop.notify_waiters();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_nobody_answers_is_unavailable_in_time() {
    let b = bench(false).await;
    let (message, took) = refused_mark(&b.control, 1).await;
    assert!(message.contains("no scheduler answered"), "{message}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn bad_urls_and_unreachable_servers_are_named() {
    let bad = Bus::connect("http://nope", "weft").await;
    assert!(
        matches!(bad, Err(weft_bus::BusError::BadUrl { .. })),
        "{bad:?}"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let down = Bus::connect(&format!("redis://user:secret@127.0.0.1:{port}"), "weft").await;
    let message = down.expect_err("nothing listens there").to_string();
    assert!(message.contains(&port.to_string()), "{message}");
    assert!(!message.contains("secret"), "{message}");
    let empty = Bus::connect(weft_testkit::redis().url(), "").await;
    assert!(empty.is_err());
}

/// The control stream's entries, oldest first.
async fn control_entries(bus: &Bus) -> Vec<ControlMessage> {
    let client = redis::Client::open(weft_testkit::redis().url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connection");
    let key = format!("{}:bus:control", bus.namespace());
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(&key)
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .expect("XRANGE");
    reply
        .ids
        .iter()
        .map(|entry| {
            let bytes: Vec<u8> = entry.get("m").expect("field m");
            Envelope::decode(&bytes).expect("control message")
        })
        .collect()
}

/// Wait until the control stream holds `n` entries; them.
async fn control_entries_n(bus: &Bus, n: usize) -> Vec<ControlMessage> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let entries = control_entries(bus).await;
        if entries.len() >= n {
            return entries;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} control entries",
            entries.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_new_run_travels_with_its_rows_and_a_large_one_with_its_ids() {
    let b = bench(false).await;
    let run = pair_run(&b).await;
    let entries = control_entries_n(&b.bus, 1).await;
    let (stored, stored_tis) = b.store.run(run.id).await.expect("read").expect("run");
    match &entries[0] {
        ControlMessage::Created(created) => {
            let (carried, tis) = weft_store::wire::created_rows((**created).clone());
            assert_eq!(carried, stored);
            let mut tis = tis.clone();
            tis.sort_by_key(|t| t.id);
            let mut stored_tis = stored_tis.clone();
            stored_tis.sort_by_key(|t| t.id);
            assert_eq!(tis, stored_tis, "the rows as written");
        }
        other => panic!("expected the created run's rows: {other:?}"),
    }

    let mut spec = DagSpec::new("wide");
    spec.tasks = (0..=CARRIED_TASKS)
        .map(|i| TaskSpec::new(format!("t{i}")))
        .collect();
    let bytes = b"component of wide".to_vec();
    b.store
        .deploy(Deploy {
            tenant: DEFAULT_TENANT.into(),
            digest: digest_of(&bytes),
            bytes,
            dag_id: "wide".into(),
            spec: spec.clone(),
            at: Timestamp::now(),
        })
        .await
        .expect("deploy");
    let wide = b
        .control
        .trigger(DEFAULT_TENANT, "wide", TriggerRequest::default())
        .await
        .expect("trigger");
    let entries = control_entries_n(&b.bus, 2).await;
    let (stored, stored_tis) = b.store.run(wide.id).await.expect("read").expect("run");
    match &entries[1] {
        ControlMessage::CreatedFromDag(created) => {
            assert_eq!(
                created.ids.len(),
                1,
                "the ids in one range: {:?}",
                created.ids
            );
            let dag = spec.validate().expect("valid");
            let tasks = weft_scheduler::new_runs::new_task_instances(&dag);
            let (run, tis) = weft_store::wire::created_from_dag_rows((**created).clone(), tasks)
                .expect("one id per task");
            assert_eq!(run, stored);
            assert_eq!(tis, stored_tis, "the rows as written, built from the DAG");
        }
        other => panic!(
            "expected {} tasks to go as their ids: {other:?}",
            CARRIED_TASKS + 1
        ),
    }
}
