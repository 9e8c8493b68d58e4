//! Scale-out: a distributed installation of its own (fresh PostgreSQL and Redis, one API
//! server, one scheduler) with many worker processes on one queue, each running one attempt
//! at a time, measured on two loads:
//! - the big fan on all the workers: tasks per second, every task's queue wait, and what
//!   each component (server, scheduler, workers, PostgreSQL, Redis) spends per task;
//! - many runs of a 6-task DAG started at a steady pace ([`backlog`]): how far the backlog
//!   of unfinished runs grows and how it drains.
//!
//! The per-task costs are what the benchmark's projection of one scheduler's ceiling is
//! made from.

pub mod backlog;
pub mod costs;
pub mod rows;

use std::time::{Duration, Instant};

use weft_testkit::{PostgresServer, RedisServer};

use crate::client::BenchApi;
use crate::dags::{self, Sizes};
use crate::error::BenchError;
use crate::figures::{Outcome, ScaleFan, ScaleOut, Throughput};
use crate::install::{Backends, InstallOptions, Installation};
use crate::scenarios::{deploy_and_warm_up, run_timeout, step};
use crate::stats::{Summary, median};
use crate::wait::Waiter;
use costs::Meter;

/// What the scenarios are called in what is printed.
const NAME: &str = "scale-out";

/// Start the installation under `options.dir/scale-out`, run both scenarios, stop it.
pub fn measure(options: &InstallOptions, sizes: &Sizes) -> ScaleOut {
    match start_and_measure(options, sizes) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("    cannot start: {e}");
            ScaleOut::missing(sizes.scale_workers, true, &format!("cannot start: {e}"))
        }
    }
}

fn start_and_measure(options: &InstallOptions, sizes: &Sizes) -> Result<ScaleOut, BenchError> {
    eprintln!("==> {NAME}: PostgreSQL and Redis of its own");
    // Its own servers, even in the quick configuration: their CPU is measured, and the test
    // suite's shared servers also serve other tests.
    // Statements are counted when PostgreSQL has `pg_stat_statements` (its view, in the
    // administrative database, counts every database's); the rest is measured without it.
    let postgres = match PostgresServer::start_with_statement_stats() {
        Ok(postgres) => match postgres.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements") {
            Ok(_) => postgres,
            Err(e) => {
                eprintln!("    statements are not counted: {e}");
                postgres
            }
        },
        Err(e) => {
            eprintln!("    statements are not counted (no pg_stat_statements: {e})");
            PostgresServer::start()?
        }
    };
    let redis = RedisServer::start()?;
    let backends = Backends {
        database_url: postgres.try_fresh_database()?,
        redis_url: redis.url().to_owned(),
        namespace: weft_testkit::unique_name("bench-scale"),
    };
    let options = InstallOptions {
        dir: options.dir.join(NAME),
        concurrency: 1,
        ..options.clone()
    };
    let workers = sizes.scale_workers;
    eprintln!("==> {NAME}: starting wfctl server, scheduler and {workers} workers");
    let mut installation =
        Installation::distributed_with_workers(&options, &backends, None, workers)?;
    let meter = Meter::new(installation.processes(), &postgres, &redis);
    let mut waiter = Waiter::new(&mut installation);
    let big = sizes.big_fan;
    let used = [dags::SINGLE, dags::CHAIN40, dags::FAN100, big, dags::ETL6];
    deploy_and_warm_up(&mut waiter, NAME, sizes, &used)?;
    // Every worker compiles each component before its first task of it (each has a cache of
    // its own): here, not in the measured runs. The big fan reaches every worker; two runs
    // of the small DAG per worker at once, in all, all but surely do too.
    waiter.trigger_and_wait(big.dag_id, run_timeout(big.tasks))?;
    let warm_runs = 2 * workers;
    let mut run_ids = Vec::with_capacity(warm_runs);
    for _ in 0..warm_runs {
        run_ids.push(waiter.api().trigger_now(dags::ETL6.dag_id)?);
    }
    waiter.wait_all(
        dags::ETL6.dag_id,
        &run_ids,
        run_timeout(warm_runs * dags::ETL6.tasks),
    )?;
    let fan = step(
        NAME,
        &format!("{} on {workers} workers", big.dag_id),
        || fan(&mut waiter, &meter, sizes),
    );
    let plan = backlog::Plan {
        dag: dags::ETL6,
        runs: sizes.scale_runs,
        window: Duration::from_millis(sizes.scale_window_ms),
        tick: Duration::from_millis(sizes.scale_tick_ms),
    };
    let backlog = step(
        NAME,
        &format!(
            "{} runs of {} within {:.0} s",
            plan.runs,
            plan.dag.dag_id,
            plan.window.as_secs_f64()
        ),
        || backlog::measure(waiter.api(), &backends.database_url, &meter, &plan),
    );
    if let Outcome::Measured(b) = &backlog {
        eprintln!(
            "    peak backlog {} runs at {:.1} s; drained {:.1} s after the last run was \
             created; {:.0} tasks/s",
            b.peak_backlog, b.peak_at_s, b.drain_s, b.tasks_per_s
        );
    }
    drop(waiter);
    eprintln!("==> {NAME}: stopping");
    installation.stop();
    Ok(ScaleOut {
        workers,
        fan,
        backlog,
    })
    // The servers stop here, when `redis` and `postgres` are dropped.
}

/// The big fan, `sizes.scale_fan_runs` times one after another on every worker; then
/// (outside the measured part) each task's queue wait from the store's timestamps.
fn fan(waiter: &mut Waiter<'_>, meter: &Meter<'_>, sizes: &Sizes) -> Result<ScaleFan, BenchError> {
    let dag = sizes.big_fan;
    let mut samples_s = Vec::with_capacity(sizes.scale_fan_runs);
    let mut run_ids = Vec::with_capacity(sizes.scale_fan_runs);
    let before = meter.read()?;
    for _ in 0..sizes.scale_fan_runs {
        let started = Instant::now();
        let run_id = waiter.api().trigger_now(dag.dag_id)?;
        waiter.wait_newest(dag.dag_id, &run_id, run_timeout(dag.tasks))?;
        samples_s.push(started.elapsed().as_secs_f64());
        run_ids.push(run_id);
    }
    let after = meter.read()?;
    let mut waits = Vec::with_capacity(dag.tasks * run_ids.len());
    for run_id in &run_ids {
        let detail = waiter.api().run_detail(dag.dag_id, run_id)?;
        waits.extend(detail.task_instances.iter().filter_map(|t| {
            let (queued, started) = (t.queued_at?, t.started_at?);
            Some((started.as_nanosecond() - queued.as_nanosecond()) as f64 / 1e6)
        }));
    }
    let none = |what: &str| BenchError::BadAnswer {
        what: dag.dag_id.to_owned(),
        reason: format!("no {what} was measured"),
    };
    let median_s = median(&samples_s).ok_or_else(|| none("run"))?;
    Ok(ScaleFan {
        throughput: Throughput {
            runs: 1,
            tasks_per_run: dag.tasks,
            samples_s,
            median_s,
            tasks_per_s: dag.tasks as f64 / median_s,
        },
        queue_wait_ms: Summary::of(&waits).ok_or_else(|| none("queue wait"))?,
        costs: meter.costs(&before, &after, dag.tasks * run_ids.len()),
    })
}
