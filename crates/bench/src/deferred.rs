//! The deferred-waits scenario: one run of a DAG of many wait tasks (`bench_waits1000`;
//! `bench_waits100` in quick mode), each waiting for the run of `bench_single` with the same
//! logical date. Per sample, with a logical date of its own:
//!
//! 1. trigger the waits' run and poll it until every wait is `deferred` ("deferred in");
//! 2. watch every process's CPU while they all wait and nothing else runs (the scheduler
//!    should spend nothing on them: no worker slot, no polling), beside the same watch just
//!    before the trigger, then ask the workers' first heartbeats after it how many attempts
//!    they run;
//! 3. trigger `bench_single` for the same logical date and wait for both runs: from the
//!    awaited run's end to the last wait's end, both by the store's clock ("event to all
//!    resumed"; as the client sees it: the awaited run's trigger → the waits' run seen
//!    succeeded), and check that no wait ran on a worker.

use std::time::{Duration, Instant};

use jiff::Timestamp;

use weft_client::api::runs::TriggerBody;
use weft_client::{RunDetail, TaskInstance};
use weft_model::TaskState;

use crate::client::BenchApi;
use crate::dags::{self, BenchDag, Sizes};
use crate::error::BenchError;
use crate::figure::{Figure, Figures, Stat, Unit};
use crate::figures::{DeferredWaits, IdleCpu, Outcome};
use crate::format;
use crate::procfs;
use crate::scenarios::{run_timeout, sample_all};
use crate::stats::Summary;
use crate::wait::Waiter;

/// Between two reads of the waits' run while they are being deferred.
const POLL: Duration = Duration::from_millis(20);

/// Longest wait for every worker's next heartbeat (workers send one every 5 s).
const HEARTBEAT_WAIT: Duration = Duration::from_secs(12);

/// What one sample measured.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    deferred_in_ms: f64,
    deferred_in_store_ms: Option<f64>,
    /// CPU ms per s of each process, in the order of `Installation::processes`.
    idle_cpu_ms_per_s: Vec<f64>,
    /// The same before the trigger.
    baseline_cpu_ms_per_s: Vec<f64>,
    worker_running: Option<u32>,
    waits_on_a_worker: usize,
    event_to_all_resumed_ms: f64,
    trigger_to_all_seen_ms: f64,
}

/// `sizes.waits_runs` samples of `sizes.waits`, the logical dates an hour back and a second
/// apart (never those of other runs, which use the time of their trigger).
pub fn measure(waiter: &mut Waiter<'_>, sizes: &Sizes) -> Result<DeferredWaits, BenchError> {
    let dag = sizes.waits;
    let idle = Duration::from_millis(sizes.waits_idle_ms);
    let first = Timestamp::now().as_second() - 3_600;
    let mut samples = Vec::with_capacity(sizes.waits_runs);
    for i in 0..sizes.waits_runs {
        let second = first + i64::try_from(i).unwrap_or(i64::MAX / 2);
        let logical_date = Timestamp::from_second(second).map_err(|e| BenchError::BadAnswer {
            what: format!("logical date {second}"),
            reason: e.to_string(),
        })?;
        samples.push(one(waiter, dag, logical_date, idle)?);
    }
    let roles: Vec<String> = waiter
        .installation()
        .processes()
        .into_iter()
        .map(|(role, _)| role)
        .collect();
    summarize(dag, idle, &roles, &samples)
}

/// One sample on `logical_date`.
fn one(
    waiter: &mut Waiter<'_>,
    dag: BenchDag,
    logical_date: Timestamp,
    idle: Duration,
) -> Result<Sample, BenchError> {
    let baseline_cpu_ms_per_s = cpu_ms_per_s(waiter, idle)?;
    let started = Instant::now();
    let run_id = waiter.api().trigger_run(dag.dag_id, &on(logical_date))?;
    let deferred = until_deferred(waiter, dag, &run_id, started)?;
    let deferred_in_ms = started.elapsed().as_secs_f64() * 1e3;
    let deferred_in_store_ms = store_deferred_in_ms(&deferred);
    let all_deferred_at = Timestamp::now();
    let idle_cpu_ms_per_s = cpu_ms_per_s(waiter, idle)?;
    let worker_running = next_heartbeats(waiter, all_deferred_at)?;

    let triggered = Instant::now();
    let awaited = waiter
        .api()
        .trigger_run(dags::SINGLE.dag_id, &on(logical_date))?;
    let event = waiter.wait_newest(dags::SINGLE.dag_id, &awaited, run_timeout(1))?;
    waiter.wait_newest(dag.dag_id, &run_id, run_timeout(dag.tasks))?;
    let trigger_to_all_seen_ms = triggered.elapsed().as_secs_f64() * 1e3;
    let ended = waiter.api().run_detail(dag.dag_id, &run_id)?;
    let event_at = event.ended_at.ok_or_else(|| BenchError::BadAnswer {
        what: format!("run {awaited} of {}", dags::SINGLE.dag_id),
        reason: "it succeeded with no end time".to_owned(),
    })?;
    let last = last_end(&ended.task_instances).ok_or_else(|| BenchError::BadAnswer {
        what: format!("run {run_id} of {}", dag.dag_id),
        reason: "a wait has no end time".to_owned(),
    })?;
    Ok(Sample {
        deferred_in_ms,
        deferred_in_store_ms,
        idle_cpu_ms_per_s,
        baseline_cpu_ms_per_s,
        worker_running,
        waits_on_a_worker: ended
            .task_instances
            .iter()
            .filter(|t| t.worker_id.is_some())
            .count(),
        event_to_all_resumed_ms: ms_between(event_at, last),
        trigger_to_all_seen_ms,
    })
}

/// A trigger for `logical_date`, with an empty conf.
fn on(logical_date: Timestamp) -> TriggerBody {
    TriggerBody {
        conf: Some(serde_json::json!({})),
        logical_date: Some(logical_date.to_string()),
        run_id: None,
    }
}

/// Each process's CPU over `idle`, in ms per s, in the order of `Installation::processes`.
fn cpu_ms_per_s(waiter: &Waiter<'_>, idle: Duration) -> Result<Vec<f64>, BenchError> {
    let processes = waiter.installation().processes();
    let before = sample_all(&processes)?;
    let watched = Instant::now();
    std::thread::sleep(idle);
    let after = sample_all(&processes)?;
    let seconds = watched.elapsed().as_secs_f64();
    let ticks_per_s = procfs::clock_ticks_per_second().max(1) as f64;
    Ok(before
        .iter()
        .zip(&after)
        .map(|(b, a)| a.cpu_ticks.saturating_sub(b.cpu_ticks) as f64 / ticks_per_s * 1e3 / seconds)
        .collect())
}

/// Attempts the workers run by their first heartbeats after `since`; none if they send
/// none within [`HEARTBEAT_WAIT`].
fn next_heartbeats(waiter: &Waiter<'_>, since: Timestamp) -> Result<Option<u32>, BenchError> {
    let started = Instant::now();
    loop {
        if let Some(running) = waiter.api().workers_running_since(since)? {
            return Ok(Some(running));
        }
        if started.elapsed() >= HEARTBEAT_WAIT {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Poll run `run_id` of `dag` until each of its waits is `deferred`; the run as then seen.
fn until_deferred(
    waiter: &mut Waiter<'_>,
    dag: BenchDag,
    run_id: &str,
    started: Instant,
) -> Result<RunDetail, BenchError> {
    let timeout = run_timeout(dag.tasks);
    loop {
        let detail = waiter.api().run_detail(dag.dag_id, run_id)?;
        if all_deferred(&detail.task_instances, dag.tasks) {
            return Ok(detail);
        }
        if detail.run.state.is_finished() {
            return Err(BenchError::BadAnswer {
                what: format!("run {run_id} of {}", dag.dag_id),
                reason: format!(
                    "it ended ({}) before its waits were deferred",
                    detail.run.state
                ),
            });
        }
        waiter.check_alive()?;
        if started.elapsed() >= timeout {
            return Err(BenchError::Timeout {
                what: format!("the {} waits of run {run_id} to be deferred", dag.tasks),
                seconds: timeout.as_secs_f64(),
            });
        }
        std::thread::sleep(POLL);
    }
}

/// Whether there are `tasks` task instances, all deferred.
fn all_deferred(tis: &[TaskInstance], tasks: usize) -> bool {
    tis.len() == tasks && tis.iter().all(|t| t.state == TaskState::Deferred)
}

/// Run created → the last wait deferred, by the store's clock, in ms.
fn store_deferred_in_ms(run: &RunDetail) -> Option<f64> {
    let created = run.run.queued_at;
    let last = run
        .task_instances
        .iter()
        .map(|t| t.sensor_started_at)
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .max()?;
    Some(ms_between(created, last))
}

/// The latest end of `tis`; none if one has not ended.
fn last_end(tis: &[TaskInstance]) -> Option<Timestamp> {
    tis.iter()
        .map(|t| t.ended_at)
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .max()
}

fn ms_between(from: Timestamp, to: Timestamp) -> f64 {
    (to.as_nanosecond() - from.as_nanosecond()) as f64 / 1e6
}

/// The figures of `samples`, the idle CPU of each process named by `roles`.
fn summarize(
    dag: BenchDag,
    idle: Duration,
    roles: &[String],
    samples: &[Sample],
) -> Result<DeferredWaits, BenchError> {
    let none = || BenchError::BadAnswer {
        what: dag.dag_id.to_owned(),
        reason: "no sample was taken".to_owned(),
    };
    let of = |f: &dyn Fn(&Sample) -> f64| {
        Summary::of(&samples.iter().map(f).collect::<Vec<_>>()).ok_or_else(none)
    };
    let in_store: Option<Vec<f64>> = samples.iter().map(|s| s.deferred_in_store_ms).collect();
    let idle_cpu = roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            let per_s = |f: &dyn Fn(&Sample) -> &[f64]| {
                let values: Vec<f64> = samples
                    .iter()
                    .filter_map(|s| f(s).get(i).copied())
                    .collect();
                Summary::of(&values).ok_or_else(none)
            };
            Ok(IdleCpu {
                role: role.clone(),
                ms_per_s: per_s(&|s| &s.idle_cpu_ms_per_s)?,
                baseline_ms_per_s: per_s(&|s| &s.baseline_cpu_ms_per_s)?,
            })
        })
        .collect::<Result<Vec<_>, BenchError>>()?;
    Ok(DeferredWaits {
        waits: dag.tasks,
        deferred_in_ms: of(&|s| s.deferred_in_ms)?,
        deferred_in_store_ms: in_store.as_deref().and_then(Summary::of),
        idle_s: idle.as_secs_f64(),
        idle_cpu,
        worker_running_max: samples
            .iter()
            .map(|s| s.worker_running)
            .collect::<Option<Vec<_>>>()
            .and_then(|running| running.into_iter().max()),
        waits_on_a_worker: samples.iter().map(|s| s.waits_on_a_worker).sum(),
        event_to_all_resumed_ms: of(&|s| s.event_to_all_resumed_ms)?,
        trigger_to_all_seen_ms: of(&|s| s.trigger_to_all_seen_ms)?,
    })
}

/// The deferred waits' figures in `mode`: deferred in, each process's CPU while they wait,
/// worker slots held, one event to all ended.
pub fn rows(mode: &str, outcome: &Outcome<DeferredWaits>, sizes: &Sizes) -> Vec<Figure> {
    let n = format::number(sizes.waits.tasks as f64);
    let k = sizes.waits_runs;
    let deferred = format!("{n} waits: trigger → all deferred, median of {k}");
    Figures::new("deferred_waits", mode).of(
        outcome,
        ("deferred_in", &deferred, Unit::Ms, None),
        |f, d| {
            f.stat(
                "deferred_in",
                &deferred,
                Unit::Ms,
                Stat::Median,
                d.deferred_in_ms,
            );
            if let Some(store) = d.deferred_in_store_ms {
                let label =
                    format!("{n} waits: run created → last deferred, store's clock, median of {k}");
                f.stat("deferred_in_store", &label, Unit::Ms, Stat::Median, store);
            }
            for c in &d.idle_cpu {
                let label = format!(
                    "{n} waits deferred: {} CPU per second, median of {k}",
                    c.role
                );
                let metric = format!("cpu/{}", c.role);
                f.stat(&metric, &label, Unit::MsPerS, Stat::Median, c.ms_per_s);
                let label = format!(
                    "{n} waits deferred: {} CPU per second before the trigger, median of {k}",
                    c.role
                );
                let metric = format!("cpu_before/{}", c.role);
                f.stat(
                    &metric,
                    &label,
                    Unit::MsPerS,
                    Stat::Median,
                    c.baseline_ms_per_s,
                );
            }
            if let Some(running) = d.worker_running_max {
                let label = format!("{n} waits deferred: worker slots held (attempts running)");
                f.number("worker_slots", &label, Unit::Count, f64::from(running));
            }
            let label = format!("{n} waits deferred: waits run on a worker");
            f.number(
                "on_a_worker",
                &label,
                Unit::Count,
                d.waits_on_a_worker as f64,
            );
            let label = format!("one event → all {n} waits ended, store's clock, median of {k}");
            let resumed = d.event_to_all_resumed_ms;
            f.stat(
                "event_to_all_resumed",
                &label,
                Unit::Ms,
                Stat::Median,
                resumed,
            );
            let label = format!(
                "one event → all {n} waits ended, client: awaited run's trigger → waits' run \
                 seen succeeded, median of {k}"
            );
            let seen = d.trigger_to_all_seen_ms;
            f.stat("trigger_to_all_seen", &label, Unit::Ms, Stat::Median, seen);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_model::DagRunState;

    fn at(ms: i64) -> Option<Timestamp> {
        Timestamp::from_millisecond(1_800_000_000_000 + ms).ok()
    }

    fn wait(state: TaskState, deferred: i64, ended: Option<i64>) -> TaskInstance {
        TaskInstance::of(weft_protocol::TaskInstance {
            task_id: "t0".to_owned(),
            state,
            try_number: 1,
            max_tries: 1,
            ended_at: ended.and_then(at),
            sensor_started_at: at(deferred),
            ..weft_protocol::TaskInstance::default()
        })
    }

    #[test]
    fn waits_count_as_deferred_only_all_together() {
        let tis = [
            wait(TaskState::Deferred, 5, None),
            wait(TaskState::Deferred, 9, None),
        ];
        assert!(all_deferred(&tis, 2));
        assert!(!all_deferred(&tis, 3), "one not created yet");
        let some = [
            wait(TaskState::Deferred, 5, None),
            wait(TaskState::Scheduled, 9, None),
        ];
        assert!(!all_deferred(&some, 2));
    }

    #[test]
    fn times_come_from_the_stores_clock() {
        let run = RunDetail {
            run: crate::client::run_view(DagRunState::Running, at(0).expect("a time"), None),
            task_instances: vec![
                wait(TaskState::Deferred, 40, Some(70)),
                wait(TaskState::Deferred, 25, Some(90)),
            ],
        };
        assert_eq!(store_deferred_in_ms(&run), Some(40.0));
        assert_eq!(last_end(&run.task_instances), at(90));
        assert_eq!(last_end(&[wait(TaskState::Deferred, 1, None)]), None);
    }

    #[test]
    fn samples_are_summarized_per_process() {
        let sample = |cpu: [f64; 2], event: f64| Sample {
            deferred_in_ms: 100.0,
            deferred_in_store_ms: Some(50.0),
            idle_cpu_ms_per_s: cpu.to_vec(),
            baseline_cpu_ms_per_s: vec![1.0, 2.0],
            worker_running: Some(0),
            waits_on_a_worker: 0,
            event_to_all_resumed_ms: event,
            trigger_to_all_seen_ms: 2.0 * event,
        };
        let roles = ["scheduler".to_owned(), "worker".to_owned()];
        let samples = [sample([0.0, 5.0], 30.0), sample([10.0, 5.0], 50.0)];
        let figures =
            summarize(dags::WAITS1000, Duration::from_secs(2), &roles, &samples).expect("figures");
        assert_eq!(figures.waits, 1_000);
        assert_eq!(figures.idle_cpu[0].role, "scheduler");
        assert_eq!(figures.idle_cpu[0].ms_per_s.median, 5.0);
        assert_eq!(figures.idle_cpu[1].ms_per_s.max, 5.0);
        assert_eq!(figures.idle_cpu[1].baseline_ms_per_s.median, 2.0);
        assert_eq!(figures.worker_running_max, Some(0));
        assert_eq!(figures.event_to_all_resumed_ms.median, 40.0);
        assert_eq!(figures.deferred_in_store_ms.map(|s| s.median), Some(50.0));
        assert!(summarize(dags::WAITS1000, Duration::ZERO, &roles, &[]).is_err());
    }
}
