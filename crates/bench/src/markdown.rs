//! `BENCHMARKS.md`: machine, versions, date, the tables with each goal beside its figure,
//! how the figures were taken, and notes on every goal missed.

use std::fmt::Write as _;

use crate::figures::{ModeResults, Outcome};
use crate::format;
use crate::goals::{self, Goal};
use crate::install::Mode;
use crate::report::BenchReport;
use crate::tables;
use crate::wait::WAIT_SLICE;

/// What the profiles show about the missed goals: written by hand, copied in as it is.
const ANALYSIS: &str = include_str!("../ANALYSIS.md");

/// The whole document.
pub fn document(report: &BenchReport) -> String {
    let mut md = String::new();
    let m = &report.machine;
    let v = &report.versions;
    let _ = writeln!(md, "# Weft benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `scripts/bench.sh` (the `weft-bench` tool) on {}. Every figure below comes \
         from one run on one machine: Weft and its peers side by side, with real services.",
        report.date
    );
    if report.quick {
        let _ = writeln!(
            md,
            "\n**Quick configuration** (the test suite's tiny run, debug build): the figures \
             only show that the benchmark works; they say nothing about Weft's speed."
        );
    }
    let _ = writeln!(md, "\n## Machine and versions\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let rows = [
        ("CPU", format!("{} ({} cores)", m.cpu_model, m.cores)),
        ("Memory", format!("{:.1} GiB", m.memory_gib)),
        ("Kernel", m.kernel.clone()),
        (
            "Load average at the start (1, 5, 15 min)",
            m.load_average.clone(),
        ),
        ("Weft", v.weft.clone()),
        ("rustc", v.rustc.clone()),
        ("Redis", v.redis.clone()),
        ("PostgreSQL", v.postgres.clone()),
        ("Celery", v.celery.clone()),
        ("Airflow", v.airflow.clone()),
    ];
    for (k, val) in rows {
        let _ = writeln!(md, "| {k} | {} |", val.replace('|', "\\|"));
    }
    let _ = writeln!(md, "\n## Weft\n");
    md.push_str(&tables::results(report).markdown());
    md.push('\n');
    md.push_str(&tables::sandbox(report).markdown());
    md.push('\n');
    md.push_str(&tables::guests(report).markdown());
    md.push('\n');
    md.push_str(&tables::egress(report).markdown());
    md.push('\n');
    md.push_str(&tables::sql(report).markdown());
    md.push('\n');
    md.push_str(&tables::tls(report).markdown());
    let _ = writeln!(md, "\n## Scale-out\n");
    let _ = writeln!(
        md,
        "A distributed installation of its own: one API server and one scheduler on fresh \
         PostgreSQL and Redis, {} worker processes on one queue, each running one attempt at a \
         time. The first table and the CPU columns are measured (`/proc` for Weft's processes \
         and PostgreSQL's whole process tree, Redis's `INFO`), on this machine's {} cores \
         shared by every process; the ceilings are projected from those costs: the tasks per \
         second one core of a component would sustain if it spent the same CPU per task, and \
         the central components' lowest ceiling bounds one installation.\n",
        report.scale_out.workers, report.machine.cores
    );
    md.push_str(&tables::scale_out(report).markdown());
    md.push('\n');
    md.push_str(&tables::scale_out_costs(report).markdown());
    md.push('\n');
    md.push_str(&tables::scale_out_projection(report).markdown());
    md.push('\n');
    md.push_str(&tables::scale_out_frequent(report).markdown());
    let _ = writeln!(md, "\n## The S3 homework\n");
    let _ = writeln!(
        md,
        "The `mall_customers` example (`examples/mall-customers`) on `wfctl standalone`: \
         `extract` downloads a generated Mall Customers CSV from `weft-test-s3` with signed \
         requests from inside the sandbox, the rows are sorted and aggregated, and `upload` \
         writes Parquet and JSON back.\n"
    );
    md.push_str(&tables::s3(report).markdown());
    let _ = writeln!(md, "\n## Side by side with the peers\n");
    md.push_str(&tables::peers(report).markdown());
    let _ = writeln!(md, "\n## Where a chain40 hop's time goes\n");
    let _ = writeln!(
        md,
        "Medians over every task of the measured chain40 runs, from the timestamps the \
         metadata store records (no extra instrumentation).\n"
    );
    md.push_str(&tables::breakdown(report).markdown());
    let _ = writeln!(md);
    md.push_str(ANALYSIS);
    let _ = writeln!(md, "\n## How the figures were taken\n");
    for line in method(report) {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(md, "\n## Notes\n");
    let notes = notes(report);
    if notes.is_empty() {
        let _ = writeln!(md, "- Every goal was met.");
    }
    for line in notes {
        let _ = writeln!(md, "- {line}");
    }
    md
}

/// How the figures were taken, one sentence each.
pub fn method(report: &BenchReport) -> Vec<String> {
    let s = &report.settings;
    vec![
        format!(
            "Embedded: one `wfctl standalone` process (`{}`) with a fresh `--home` (SQLite, \
             in-process queue), `--concurrency {}`, `--parallelism {}`.",
            s.wfctl, s.worker_concurrency, s.parallelism
        ),
        format!(
            "Distributed: `wfctl server`, `wfctl scheduler --parallelism {}` and one \
             `wfctl worker --concurrency {}`, each a process with a fresh home, on a fresh \
             PostgreSQL database and a Redis namespace of their own; PostgreSQL and Redis \
             run on this machine on loopback ports.",
            s.parallelism, s.worker_concurrency
        ),
        format!(
            "Both are driven through the HTTP API exactly like a user: deploy, trigger, then \
             wait for the run to end with `GET /api/v1/dags/DAG/runs/RUN?wait_ms=N` (the \
             server holds the answer until the scheduler announces the end; at most {} ms per \
             request; for many runs at once, one list of the DAG's runs, then a wait on any \
             still going). A figure runs from just before the trigger request to the answer \
             that showed success, so it includes the HTTP round trips.",
            WAIT_SLICE.as_secs_f64() * 1e3
        ),
        "Bench DAGs are test guests of `crates/test-guests` (`bench_*`): no-op Rust tasks \
         returning empty output, no retries, `max_active_tasks` and `max_active_runs` high \
         enough never to bind. Each is deployed and run once (and `bench_single` a few \
         times) before anything is measured; the big fan's first run pays the worker's \
         compile of its component."
            .to_owned(),
        "Medians are stated everywhere (the median of an even number of samples is the mean \
         of the middle two); p99 is the nearest-rank 99th percentile. Throughput is the tasks \
         of one sample divided by the median sample's time, first trigger to the last \
         success seen."
            .to_owned(),
        "Resources: peak RSS is `VmHWM` of `/proc/PID/status` at the end; CPU is \
         `utime + stime` of `/proc/PID/stat` over the fan-out scenarios, scaled to 10,000 tasks."
            .to_owned(),
        format!(
            "Deferred waits: `{dag}` ({n} wait tasks, each waiting for the run of \
             `bench_single` with the same logical date) is triggered for a logical date of its \
             own (an hour back, a second apart per sample) and its run read every 20 ms until \
             every wait is `deferred` (in parentheses: run created → last wait deferred, by \
             the store's clock). Then each process's CPU (`/proc/PID/stat`) is read over {idle} \
             ms while they wait and nothing else runs (in parentheses: over as long just before \
             the trigger), and the workers' running attempts in their first heartbeats after \
             every wait was deferred (`GET /api/v1/workers`). Then `bench_single` is triggered for the same \
             logical date: the figure runs from that run's `ended_at` to the latest `ended_at` \
             of the waits, both written by the scheduler (in parentheses: from just before that \
             trigger to the answer that showed the waits' run succeeded). Medians of {k} \
             samples.",
            dag = s.sizes.waits.dag_id,
            n = format::number(s.sizes.waits.tasks as f64),
            idle = s.sizes.waits_idle_ms,
            k = s.sizes.waits_runs,
        ),
        "The new-component figure deploys a copy of the `noop` guest with a unique custom \
         section (a new digest, so neither the server nor the worker has compiled it) with \
         `wfctl deploy`, then triggers it: from the start of `wfctl deploy` to the run's \
         success. The worker's home is fresh for this benchmark run."
            .to_owned(),
        "Egress, in process: the `egress_probe` guest's task `probe` sends GETs through \
         `wasi:http` to a small HTTP/1.1 server in the benchmark's process on a loopback port \
         (a fixed body of a few dozen bytes with its `Content-Length`), under a policy \
         allowing `GET http://127.0.0.1:*` and the range 127.0.0.0/8. A task's cost per \
         request is (median run with K GETs − median run with none) / K; the host's is the \
         median of rounds of K GETs sent as the runtime sends them (a new TCP connection \
         each, hyper's HTTP/1.1 client on a multi-threaded tokio runtime, the whole body \
         read) / K. The overhead is the difference."
            .to_owned(),
        "SQL, in process: a PostgreSQL server on a loopback port (the test suite's in the \
         quick configuration), the connection declared by the `sql_probe` guest's task \
         `probe` and allowed by a policy of its `tcp://HOST:PORT` and the range 127.0.0.0/8. \
         A task's cost per query is (median run opening a session and running \
         `SELECT $1::int` K times − median run opening it and running none) / K; the host's \
         is the median of rounds of K of the same query through sqlx on one connection / K. \
         The overhead is the difference. Streaming: a table of N rows `(id bigint, name text, \
         score int)` made with `generate_series`, read whole by the task through \
         `query-stream` in batches (rows/s = N / (median read − median run with no query)) \
         and by the host through sqlx's `fetch`, every value decoded (N / median read)."
            .to_owned(),
        "The S3 homework: `weft-test-s3` (s3s-fs, checking SigV4 signatures) on a free \
         loopback port with the CSVs written as files of its bucket's directory; the example \
         built for that endpoint (`wfctl build examples/mall-customers` with \
         `WEFT_MALL_S3_EGRESS`); a fresh `wfctl standalone` started with `--egress-allow` for \
         it and `--egress-allow-net 127.0.0.1`, the connection `aws_default` registered \
         through the API. Each CSV gets one unmeasured run, then its measured runs, each from \
         the trigger (conf `{\"s3\": {\"input_key\": …, \"output_prefix\": …}}`) to the \
         answer that showed success. A run whose task fails ends the measurement at once, \
         even when the task would be retried; the failure's class and message are recorded."
            .to_owned(),
        "TLS on every link: after the plain distributed installation stops, a second one \
         on a CA made for the run: `wfctl server --tls-cert --tls-key` (HTTPS for the \
         clients and the worker), a Redis that speaks TLS only (`rediss://`) and a \
         PostgreSQL that refuses connections without TLS (`sslmode=verify-full`), every \
         process trusting the CA through `WEFT_CA_FILE`. `bench_single`, `bench_chain40` and \
         `bench_fan100` are deployed and warmed up as on the plain installation, then the \
         same round trips and chain40 runs; the cost is the difference of the medians (and \
         p99s) of the two."
            .to_owned(),
        "Scale-out: after the TLS installation stops, fresh PostgreSQL and Redis, one \
         `wfctl server`, one `wfctl scheduler` and N `wfctl worker --concurrency 1` on the \
         queue `default`. After the warm-up (see the end), the big fan runs alone K times; \
         each task's queue wait is its `started_at − queued_at` as the store records them. Then runs of \
         `bench_etl6` (`extract >> [clean, enrich, score, audit] >> load`, no-op tasks) are \
         triggered by four client threads, run i due at i × window / runs after the start, \
         while the benchmark counts the DAG's runs in PostgreSQL every tick; the drain and \
         run times come from the runs' `queued_at` and `ended_at`. CPU is read before and \
         after each load: `utime + stime` of Weft's processes, the same plus the exited \
         children's of PostgreSQL's postmaster and every process it forked, and Redis's \
         `used_cpu_sys + used_cpu_user`; Redis's commands are `total_commands_processed` and \
         `INFO commandstats` (commands inside scripts counted), PostgreSQL's statements \
         `pg_stat_statements` (the benchmark's own left out; its reads of the runs, one per \
         tick, are in PostgreSQL's CPU). The warm-up runs the big fan once and `bench_etl6` \
         twice per worker at once, so that the workers, each with a compile cache of its own, \
         have compiled both."
            .to_owned(),
        "Peers: `celery_bench.sh` (Celery with Redis, prefork worker of 2) and \
         `airflow_bench.sh` (`airflow standalone`, LocalExecutor, SQLite) run after Weft's \
         services are stopped, on the same machine. Airflow's times are its own records of \
         each run (start to end), which leave out the trigger and the client's wait: the comparison \
         favours Airflow."
            .to_owned(),
    ]
}

/// Goals missed, scenarios failed and what the figures point at.
pub fn notes(report: &BenchReport) -> Vec<String> {
    let mut notes = Vec::new();
    for mode in [Mode::Embedded, Mode::Distributed] {
        mode_notes(mode, report.mode(mode), report.machine.cores, &mut notes);
    }
    if let Some(s) = report.sandbox.measured() {
        judge(
            &mut notes,
            "sandbox per task (mean)",
            s.per_task_us.mean,
            goals::SANDBOX_PER_TASK_US,
            "µs",
        );
    }
    failures(&mut notes, "sandbox", &report.sandbox);
    failures(&mut notes, "guest languages", &report.guests);
    for language in report.guests.measured().map_or(&[][..], |g| &g.languages) {
        failures(
            &mut notes,
            &format!("{}'s hello t1", language.language),
            &language.task,
        );
    }
    if let Some(e) = report.egress.measured() {
        judge(
            &mut notes,
            "egress overhead per request",
            e.overhead_per_request_us,
            goals::EGRESS_OVERHEAD_US,
            "µs",
        );
    }
    failures(&mut notes, "egress", &report.egress);
    if let Some(s) = report.sql.measured() {
        judge(
            &mut notes,
            "SQL overhead per query",
            s.overhead_per_query_us,
            goals::SQL_OVERHEAD_US,
            "µs",
        );
    }
    failures(&mut notes, "sql", &report.sql);
    failures(&mut notes, "TLS round trip", &report.tls.round_trip);
    failures(&mut notes, "TLS chain40", &report.tls.chain40);
    failures(&mut notes, "scale-out fan", &report.scale_out.fan);
    failures(&mut notes, "scale-out backlog", &report.scale_out.backlog);
    s3_notes(report, &mut notes);
    notes
}

/// What the S3 homework's failures say.
fn s3_notes(report: &BenchReport, notes: &mut Vec<String>) {
    for case in &report.s3 {
        let what = format!(
            "S3 homework with the {} CSV ({} rows)",
            format::bytes(case.csv_bytes as f64),
            format::number(case.rows as f64)
        );
        if let Outcome::Failed(e) = &case.times {
            notes.push(format!("{what} failed: {}", e.replace('\n', " ")));
        }
    }
}

fn judge(notes: &mut Vec<String>, what: &str, figure: f64, goal: Goal, unit: &str) {
    if !goal.met(figure) {
        let factor = match goal.bound {
            goals::Bound::AtMost => figure / goal.limit,
            goals::Bound::AtLeast => goal.limit / figure.max(f64::MIN_POSITIVE),
        };
        notes.push(format!(
            "Goal missed: {what} is {} {unit}, goal {} ({} off).",
            format::number(figure),
            goal.label(),
            format::ratio(factor)
        ));
    }
}

fn failures<T>(notes: &mut Vec<String>, what: &str, outcome: &Outcome<T>) {
    if let Outcome::Failed(e) = outcome {
        notes.push(format!("{what} failed: {}", e.replace('\n', " ")));
    }
}

fn mode_notes(mode: Mode, m: &ModeResults, cores: usize, notes: &mut Vec<String>) {
    let name = mode.name();
    let g = mode.goals();
    if let Some(c) = m.chain40.measured() {
        judge(
            notes,
            &format!("{name} chain40"),
            c.times.summary.median,
            g.chain40_ms,
            "ms",
        );
        if !g.chain40_ms.met(c.times.summary.median)
            && let Some(b) = &c.breakdown
        {
            let steps = [
                ("scheduling the next task", b.upstream_end_to_queued_ms),
                ("queue delivery and pick-up", b.queued_to_started_ms),
                (
                    "running the attempt and reporting it",
                    b.started_to_ended_ms,
                ),
            ];
            let (step, ms) = steps
                .into_iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or(("", 0.0));
            let hop = b.upstream_end_to_queued_ms + b.queued_to_started_ms + b.started_to_ended_ms;
            notes.push(format!(
                "In {name} chain40 a hop's median steps add up to {}, the largest being \
                 {step} ({}); the goal needs hops of {}.",
                format::ms(hop),
                format::ms(ms),
                format::ms(g.chain40_ms.limit / c.times.tasks as f64)
            ));
        }
    }
    for (what, outcome) in [
        ("one big run", &m.fan_one_run),
        ("many runs", &m.fan_many_runs),
    ] {
        if let Some(t) = outcome.measured() {
            judge(
                notes,
                &format!("{name} fan-out ({what})"),
                t.tasks_per_s,
                g.tasks_per_s,
                "tasks/s",
            );
        }
    }
    if let Some(r) = m.round_trip.measured() {
        judge(
            notes,
            &format!("{name} round trip p50"),
            r.ms.median,
            g.round_trip_p50_ms,
            "ms",
        );
        if !g.round_trip_p50_ms.met(r.ms.median)
            && let Some(store) = r.in_store_ms
        {
            notes.push(format!(
                "Of the {name} round trip (p50 {}), the trigger request alone takes {}, and the \
                 run, from its creation during that request to its end, {} by the store's \
                 clock (p50s); the rest is the client seeing it: the scheduler's announcement of \
                 the end and the waiting request's answer.",
                format::ms(r.ms.median),
                format::ms(r.trigger_ms.median),
                format::ms(store.median)
            ));
        }
    }
    if let Some(usage) = m.resources.measured()
        && let Some(top) = usage
            .iter()
            .max_by(|a, b| a.cpu_s_per_10k_tasks.total_cmp(&b.cpu_s_per_10k_tasks))
    {
        let total: f64 = usage.iter().map(|u| u.cpu_s_per_10k_tasks).sum();
        let bound = if total > 0.0 {
            format!(
                "; on {cores} cores that alone caps throughput near {}",
                format::rate(cores as f64 * 10_000.0 / total)
            )
        } else {
            String::new()
        };
        notes.push(format!(
            "{name}: 10,000 tasks cost {} of CPU in all, most of it in the {} process \
             ({}){bound}.",
            format::secs(total),
            top.role,
            format::secs(top.cpu_s_per_10k_tasks)
        ));
    }
    failures(notes, &format!("{name} chain40"), &m.chain40);
    failures(notes, &format!("{name} fan100"), &m.fan100);
    failures(
        notes,
        &format!("{name} fan-out (one big run)"),
        &m.fan_one_run,
    );
    failures(
        notes,
        &format!("{name} fan-out (many runs)"),
        &m.fan_many_runs,
    );
    failures(notes, &format!("{name} mapped task"), &m.map_one_run);
    failures(notes, &format!("{name} round trip"), &m.round_trip);
    failures(notes, &format!("{name} new component"), &m.cold_deploy);
    failures(notes, &format!("{name} new Python DAGs"), &m.python_deploys);
    failures(notes, &format!("{name} resources"), &m.resources);
    if let Some(d) = m.deferred_waits.measured()
        && (d.worker_running_max.unwrap_or(0) > 0 || d.waits_on_a_worker > 0)
    {
        notes.push(format!(
            "{name}: while {} waits were deferred the workers ran {} attempts, and {} waits \
             ran on a worker: a wait should hold no worker slot.",
            format::number(d.waits as f64),
            d.worker_running_max.unwrap_or(0),
            d.waits_on_a_worker
        ));
    }
    failures(notes, &format!("{name} deferred waits"), &m.deferred_waits);
    failures(notes, &format!("{name} fair share"), &m.fair_share);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn the_document_has_machine_versions_tables_and_notes() {
        let md = document(&sample::report());
        for part in [
            "Test CPU @ 2.2GHz (2 cores)",
            "| Redis | 7.0.15 |",
            "2026-11-21T14:00:00Z",
            "| chain40: trigger → success, median of 10 | 14 ms | ≤ 10 ms: MISSED |",
            "≥ 15,000 tasks/s: MISSED",
            "failed: cannot start: no PostgreSQL",
            "not run: celery_bench.sh not found",
            "Airflow: the run did not succeed",
            "Airflow 15 s",
            "at most 5000 ms per request",
            "## What stands in the way of the missed goals",
            "| overhead per request (task − host) | 110 µs | ≤ 100 µs: MISSED |",
            "| overhead per query (task − host) | 20 µs | ≤ 50 µs: met |",
            "| 1,000,000 rows streamed into a task (1000 a batch), median of 3 | 500,000 rows/s | — |",
            "## The S3 homework",
            "| round trip p50 (3 runs) | failed: cannot start: no PostgreSQL | 0.90 ms | — |",
            "TLS on every link: after the plain distributed installation stops",
            "| 1 MB CSV (47,610 rows) | 850 ms | 3: 800 ms – 900 ms |",
            "`WEFT_MALL_S3_EGRESS`",
            "| 1,000 waits deferred: CPU per second (before the trigger), median of 3 | standalone 5.0 ms/s (before 4.0) |",
            "waits' run seen succeeded), median of 3 | 45 ms (70 ms) | — |",
            "Deferred waits: `bench_waits1000` (1,000 wait tasks",
        ] {
            assert!(md.contains(part), "{part:?} missing from:\n{md}");
        }
        assert!(!md.contains("Quick configuration"));
    }

    #[test]
    fn notes_name_every_missed_goal_and_failure() {
        let mut report = sample::report();
        // Within the embedded chain40 goal, so that goal has no note.
        if let Outcome::Measured(c) = &mut report.embedded.chain40 {
            c.times.summary.median = 9.0;
        }
        let notes = notes(&report);
        let all = notes.join("\n");
        assert!(all.contains("Goal missed: embedded fan-out (one big run) is 5,000 tasks/s, goal ≥ 15,000 tasks/s (3× off)."), "{all}");
        assert!(
            all.contains("TypeScript's hello t1 failed: wfctl build examples/hello-ts"),
            "{all}"
        );
        assert!(
            all.contains("Goal missed: sandbox per task (mean) is 35 µs"),
            "{all}"
        );
        assert!(
            all.contains("embedded fan-out (many runs) failed: timed out"),
            "{all}"
        );
        assert!(
            all.contains("distributed chain40 failed: cannot start"),
            "{all}"
        );
        assert!(
            all.contains("distributed deferred waits failed: cannot start"),
            "{all}"
        );
        assert!(!all.contains("should hold no worker slot"), "{all}");
        assert!(all.contains("caps throughput near 10,000 tasks/s"), "{all}");
        assert!(
            all.contains("Goal missed: egress overhead per request is 110 µs, goal ≤ 100 µs"),
            "{all}"
        );
        assert!(
            all.contains(
                "S3 homework with the 100 MB CSV (4,761,000 rows) failed: task extract is \
                 up_for_retry after try 1 of 2 (trap): out of memory"
            ),
            "{all}"
        );
        assert!(!all.contains("SQL overhead"), "the goal is met: {all}");
        assert!(
            !all.contains("1 MB CSV"),
            "the measured CSV has no note: {all}"
        );
        assert!(
            !all.contains("embedded chain40 is"),
            "chain40 met its goal: {all}"
        );
    }

    #[test]
    fn a_wait_on_a_worker_is_noted() {
        let mut report = sample::report();
        if let Outcome::Measured(d) = &mut report.embedded.deferred_waits {
            d.waits_on_a_worker = 3;
        }
        let all = notes(&report).join("\n");
        assert!(
            all.contains("the workers ran 0 attempts, and 3 waits ran on a worker"),
            "{all}"
        );
    }

    #[test]
    fn quick_runs_say_their_figures_mean_nothing() {
        let mut report = sample::report();
        report.quick = true;
        assert!(document(&report).contains("Quick configuration"));
    }

    #[test]
    fn a_missed_chain_goal_points_at_the_largest_step() {
        let mut report = sample::report();
        if let Outcome::Measured(c) = &mut report.embedded.chain40 {
            c.times.summary.median = 30.0;
        }
        let all = notes(&report).join("\n");
        assert!(
            all.contains("the largest being running the attempt and reporting it (0.15 ms)"),
            "{all}"
        );
        assert!(all.contains("the goal needs hops of 0.25 ms"), "{all}");
    }
}
