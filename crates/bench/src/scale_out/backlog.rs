//! Many runs of a small DAG started at a steady pace through the API (10,000 runs of a 6-task
//! DAG within a minute, in the full benchmark), watched in the metadata store: how large the
//! backlog of unfinished runs grows and how it drains once the triggers stop.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};
use weft_client::Client;

use super::costs::Meter;
use crate::client::BenchApi;
use crate::dags::BenchDag;
use crate::error::BenchError;
use crate::figures::{Backlog, BacklogSample};
use crate::scenarios::run_timeout;
use crate::stats::Summary;

/// Threads sending the triggers: enough that one slow answer does not hold up the pace.
const TRIGGER_THREADS: usize = 4;

/// What to run: `runs` runs of `dag`, their triggers spread evenly over `window`, the
/// store read every `tick`.
pub struct Plan {
    /// The DAG.
    pub dag: BenchDag,
    /// Runs to start.
    pub runs: usize,
    /// The time the triggers are spread over.
    pub window: Duration,
    /// How often the store is read while the runs go by.
    pub tick: Duration,
}

/// Run `plan` against the installation behind `api`, reading its metadata store at
/// `database_url`, and `meter`'s components from the first trigger to the last run's end.
pub fn measure(
    api: &Client,
    database_url: &str,
    meter: &Meter<'_>,
    plan: &Plan,
) -> Result<Backlog, BenchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::io("a tokio runtime for the store's reader", e))?;
    let mut store = runtime
        .block_on(PgConnection::connect(database_url))
        .map_err(|source| BenchError::StoreRead {
            what: "connecting",
            source,
        })?;
    let dag_id = plan.dag.dag_id;
    let before = meter.read()?;
    // Runs created before this moment (the warm-up's) are not counted; the store's
    // timestamps are microseconds of this machine's clock.
    let since = jiff::Timestamp::now().as_microsecond();
    let started = Instant::now();
    let sent = AtomicUsize::new(0);
    let answered = AtomicUsize::new(0);
    // When the latest answer came, in ns after `started`.
    let last_answer_ns = AtomicU64::new(0);
    let trigger_ms = Mutex::new(Vec::with_capacity(plan.runs));
    let failure: Mutex<Option<BenchError>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let mut samples = Vec::new();
    let deadline = plan.window + run_timeout(plan.runs * plan.dag.tasks);
    // The watch ends once every trigger is answered and every run has ended.
    thread::scope(|scope| -> Result<Duration, BenchError> {
        for lane in 0..TRIGGER_THREADS {
            let (api, sent, answered, trigger_ms, failure, stop, last_answer_ns) = (
                api.clone(),
                &sent,
                &answered,
                &trigger_ms,
                &failure,
                &stop,
                &last_answer_ns,
            );
            scope.spawn(move || {
                for index in (lane..plan.runs).step_by(TRIGGER_THREADS) {
                    let due = started + plan.window.mul_f64(index as f64 / plan.runs as f64);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        thread::sleep(wait);
                    }
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    match api.trigger_now(dag_id) {
                        Ok(_) => {
                            lock(trigger_ms).push(t.elapsed().as_secs_f64() * 1e3);
                            let at =
                                u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                            last_answer_ns.fetch_max(at, Ordering::Relaxed);
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            lock(failure).get_or_insert(e);
                            return;
                        }
                    }
                }
            });
        }
        let watched = watch(
            &Watch {
                runtime: &runtime,
                dag_id,
                since,
                plan,
                started,
                deadline,
                sent: &sent,
                answered: &answered,
                failure: &failure,
            },
            &mut store,
            &mut samples,
        );
        // However the watch ended, no more triggers.
        stop.store(true, Ordering::Relaxed);
        watched
    })?;
    let after = meter.read()?;
    let times = runtime
        .block_on(run_times(&mut store, dag_id, since))
        .map_err(|source| BenchError::StoreRead {
            what: "reading the runs' times",
            source,
        })?;
    runtime.block_on(store.close()).ok();
    let none = |what: &str| BenchError::BadAnswer {
        what: format!("runs of {dag_id}"),
        reason: format!("no {what} was measured"),
    };
    let trigger_ms = Summary::of(&lock(&trigger_ms)).ok_or_else(|| none("trigger"))?;
    let run_ms = Summary::of(&times.run_ms).ok_or_else(|| none("run"))?;
    let (peak_backlog, peak_at_s) = samples
        .iter()
        .map(|s| (s.created.saturating_sub(s.ended), s.at_s))
        .max_by_key(|(backlog, _)| *backlog)
        .unwrap_or((0, 0.0));
    let tasks = plan.runs * plan.dag.tasks;
    Ok(Backlog {
        dag_id: dag_id.to_owned(),
        runs: plan.runs,
        tasks_per_run: plan.dag.tasks,
        window_s: plan.window.as_secs_f64(),
        triggered_in_s: Duration::from_nanos(last_answer_ns.load(Ordering::Relaxed)).as_secs_f64(),
        trigger_ms,
        peak_backlog,
        peak_at_s,
        total_s: times.total_s,
        drain_s: times.drain_s,
        run_ms,
        tasks_per_s: if times.total_s > 0.0 {
            tasks as f64 / times.total_s
        } else {
            0.0
        },
        samples,
        costs: meter.costs(&before, &after, tasks),
    })
}

/// What the watch of the store shares with the threads sending the triggers.
struct Watch<'a> {
    runtime: &'a tokio::runtime::Runtime,
    dag_id: &'a str,
    since: i64,
    plan: &'a Plan,
    started: Instant,
    deadline: Duration,
    sent: &'a AtomicUsize,
    answered: &'a AtomicUsize,
    failure: &'a Mutex<Option<BenchError>>,
}

/// Read the store every tick until every run has been triggered and has ended: how long
/// the triggers took. An error when a trigger fails, a run fails, or the deadline passes.
fn watch(
    w: &Watch<'_>,
    store: &mut PgConnection,
    samples: &mut Vec<BacklogSample>,
) -> Result<Duration, BenchError> {
    let Watch {
        runtime,
        dag_id,
        since,
        plan,
        started,
        deadline,
        sent,
        answered,
        failure,
    } = *w;
    let mut triggered_in = None;
    let mut next = started;
    loop {
        next += plan.tick;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        if let Some(e) = lock(failure).take() {
            return Err(e);
        }
        let counts = runtime
            .block_on(counts(store, dag_id, since))
            .map_err(|source| BenchError::StoreRead {
                what: "counting runs",
                source,
            })?;
        samples.push(BacklogSample {
            at_s: started.elapsed().as_secs_f64(),
            created: counts.created,
            ended: counts.ended,
        });
        if counts.failed > 0 {
            return Err(BenchError::BadAnswer {
                what: format!("runs of {dag_id}"),
                reason: format!("{} of them failed", counts.failed),
            });
        }
        if triggered_in.is_none() && answered.load(Ordering::Relaxed) == plan.runs {
            triggered_in = Some(started.elapsed());
        }
        if let Some(done) = triggered_in
            && counts.ended >= plan.runs
        {
            return Ok(done);
        }
        if started.elapsed() > deadline {
            return Err(BenchError::Timeout {
                what: format!(
                    "{} runs of {dag_id} to end ({} triggered, {} ended)",
                    plan.runs,
                    sent.load(Ordering::Relaxed),
                    counts.ended
                ),
                seconds: deadline.as_secs_f64(),
            });
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The runs of one DAG as the store counts them.
struct Counts {
    created: usize,
    ended: usize,
    failed: usize,
}

/// The runs of `dag_id` created from `since` (microseconds since the epoch) on.
async fn counts(store: &mut PgConnection, dag_id: &str, since: i64) -> Result<Counts, sqlx::Error> {
    let (created, ended, failed): (i64, i64, i64) = sqlx::query_as(
        "/* weft-bench */ SELECT count(*), \
                count(*) FILTER (WHERE state IN ('success', 'failed')), \
                count(*) FILTER (WHERE state = 'failed') \
         FROM dag_runs WHERE dag_id = $1 AND queued_at >= $2",
    )
    .bind(dag_id)
    .bind(since)
    .fetch_one(store)
    .await?;
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok(Counts {
        created: count(created),
        ended: count(ended),
        failed: count(failed),
    })
}

/// The store's times of every run of one DAG.
struct RunTimes {
    /// Each run, created → ended, in ms.
    run_ms: Vec<f64>,
    /// First created → last ended, in s.
    total_s: f64,
    /// Last created → last ended, in s.
    drain_s: f64,
}

/// The times of the runs of `dag_id` created from `since` on; timestamps are microseconds
/// since the epoch.
async fn run_times(
    store: &mut PgConnection,
    dag_id: &str,
    since: i64,
) -> Result<RunTimes, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "/* weft-bench */ SELECT queued_at, ended_at FROM dag_runs \
         WHERE dag_id = $1 AND queued_at >= $2 AND ended_at IS NOT NULL",
    )
    .bind(dag_id)
    .bind(since)
    .fetch_all(store)
    .await?;
    let first_created = rows.iter().map(|r| r.0).min().unwrap_or(0);
    let last_created = rows.iter().map(|r| r.0).max().unwrap_or(0);
    let last_ended = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let seconds = |micros: i64| micros as f64 / 1e6;
    Ok(RunTimes {
        run_ms: rows.iter().map(|(q, e)| (e - q) as f64 / 1e3).collect(),
        total_s: seconds(last_ended - first_created),
        drain_s: seconds(last_ended - last_created),
    })
}
