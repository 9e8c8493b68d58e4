//! The SQL figures, in process against a PostgreSQL server on loopback: what a one-row query
//! costs a task (`weft:dag/sql` under the egress policy) beyond what the same query costs
//! the host, and how fast rows stream into a task.
//!
//! The `sql_probe` guest's task `probe` opens a session and runs `SELECT $1::int` K times,
//! and the same task opens its session and runs nothing; the task's cost per query is the
//! difference of the two medians over K. The host runs the same query K times through sqlx
//! on one connection; its cost per query is the median round over K. The overhead is the
//! task's cost minus the host's. Then the task reads a table of N rows (created once with
//! `generate_series`) through `query-stream` in batches, and the host reads it through
//! sqlx's `fetch`, decoding every value: rows per second of each.
//!
//! The server is a new one on a free port ([`PostgresServer::start`]), or in the quick
//! configuration the test suite's (`WEFT_TEST_POSTGRES_URL`); the table is created in a
//! fresh database of it.

use std::sync::Arc;
use std::time::Instant;

use futures_util::TryStreamExt as _;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection as _, Row as _};
use weft_protocol::Connection;
use weft_runtime::{
    AllowedEgress, DagComponent, EgressPolicy, Limits, MemoryHost, Runtime, RuntimeConfig,
    TaskContext, TaskOutcome, TaskRequest,
};
use weft_testkit::PostgresServer;

use crate::dags::Sizes;
use crate::egress::{host_per_request_us, task_per_request_us};
use crate::error::BenchError;
use crate::figure::{Figure, Figures, IN_PROCESS, Unit};
use crate::figures::{Outcome, SqlFigures};
use crate::stats::{Summary, median};
use crate::{format, goals};

/// The one-row query, with the integer parameter 1.
const QUERY: &str = "SELECT $1::int";
/// The table the stream figures read.
const CREATE: &str = "CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text, score int)";
const FILL: &str = "INSERT INTO bench_rows \
     SELECT i, 'name-' || i, (i % 100)::int FROM generate_series(1::bigint, $1) AS i";
const STREAM: &str = "SELECT id, name, score FROM bench_rows";
/// Rows a task asks for at a time.
pub const STREAM_BATCH: u32 = 1_000;
/// The connection's id, one that `sql_probe`'s task `probe` declares.
const CONN_ID: &str = "pg";
/// The range of the loopback server, which is not public.
const ALLOW_NET: &str = "127.0.0.0/8";

/// Measure the query and stream figures at `sizes`, on the test suite's server when `quick`
/// and it is set, else on a new one.
pub fn measure(sizes: &Sizes, quick: bool) -> Result<SqlFigures, BenchError> {
    let (queries, rounds) = (sizes.sql_queries, sizes.sql_rounds);
    if queries == 0 || rounds == 0 || sizes.sql_stream_rows == 0 || sizes.sql_stream_rounds == 0 {
        return Err(BenchError::Sql(
            "queries, rows and rounds must be at least 1".to_owned(),
        ));
    }
    let server = if quick {
        PostgresServer::from_env_or_start()?
    } else {
        PostgresServer::start()?
    };
    let url = server.try_fresh_database()?;
    let options: PgConnectOptions = url.parse().map_err(host_sql("URL"))?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::io("a tokio runtime", e))?;
    let mut conn = tokio
        .block_on(PgConnection::connect_with(&options))
        .map_err(host_sql("connect"))?;
    tokio.block_on(create_table(&mut conn, sizes.sql_stream_rows))?;

    let runtime = Runtime::new(RuntimeConfig {
        egress: policy(&options)?,
        ..RuntimeConfig::default()
    })
    .map_err(sql)?;
    let path = weft_test_guests_artifacts::SQL_PROBE;
    let bytes = std::fs::read(path).map_err(|e| BenchError::io(path, e))?;
    let probe = Probe {
        component: runtime.load(&bytes).map_err(sql)?,
        runtime: &runtime,
        host: Arc::new(MemoryHost::default().with_access([connection(&options)], [])),
    };
    probe.queries_ms(queries)?;
    probe.queries_ms(0)?;
    let mut with = Vec::with_capacity(rounds);
    let mut without = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        with.push(probe.queries_ms(queries)?);
        without.push(probe.queries_ms(0)?);
    }
    let host = tokio.block_on(host_rounds_ms(&mut conn, queries, rounds))?;

    let rows = sizes.sql_stream_rows;
    let mut task_stream = Vec::with_capacity(sizes.sql_stream_rounds);
    for _ in 0..sizes.sql_stream_rounds {
        task_stream.push(probe.stream_ms(rows)?);
    }
    let host_stream = tokio.block_on(host_stream_ms(&mut conn, rows, sizes.sql_stream_rounds))?;
    figures(
        Queries {
            queries,
            with_ms: &with,
            without_ms: &without,
            host_ms: &host,
        },
        Stream {
            rows,
            task_ms: &task_stream,
            host_ms: &host_stream,
        },
    )
    // The server stops here, when `server` is dropped (unless it is the test suite's).
}

/// The query samples (all in ms).
pub struct Queries<'a> {
    /// Queries per task run and per host round.
    pub queries: usize,
    /// The task running them.
    pub with_ms: &'a [f64],
    /// The task running none.
    pub without_ms: &'a [f64],
    /// The host's rounds.
    pub host_ms: &'a [f64],
}

/// The stream samples (all in ms).
pub struct Stream<'a> {
    /// Rows of the table.
    pub rows: u64,
    /// The task reading them.
    pub task_ms: &'a [f64],
    /// The host reading them.
    pub host_ms: &'a [f64],
}

/// The figures of the samples.
pub fn figures(q: Queries<'_>, s: Stream<'_>) -> Result<SqlFigures, BenchError> {
    let none = || BenchError::Sql("no run was measured".to_owned());
    let task_per_query_us =
        task_per_request_us(q.with_ms, q.without_ms, q.queries).ok_or_else(none)?;
    let host_per_query_us = host_per_request_us(q.host_ms, q.queries).ok_or_else(none)?;
    let task_stream_ms = Summary::of(s.task_ms).ok_or_else(none)?;
    let host_stream_ms = Summary::of(s.host_ms).ok_or_else(none)?;
    let baseline_ms = median(q.without_ms).ok_or_else(none)?;
    Ok(SqlFigures {
        queries: q.queries,
        task_with_queries_ms: Summary::of(q.with_ms).ok_or_else(none)?,
        task_without_queries_ms: Summary::of(q.without_ms).ok_or_else(none)?,
        host_rounds_ms: Summary::of(q.host_ms).ok_or_else(none)?,
        task_per_query_us,
        host_per_query_us,
        overhead_per_query_us: task_per_query_us - host_per_query_us,
        stream_rows: s.rows,
        stream_batch: STREAM_BATCH,
        task_rows_per_s: rows_per_s(s.rows, task_stream_ms.median - baseline_ms)
            .ok_or_else(none)?,
        host_rows_per_s: rows_per_s(s.rows, host_stream_ms.median).ok_or_else(none)?,
        task_stream_ms,
        host_stream_ms,
    })
}

/// `rows` over `ms` milliseconds, per second; `None` unless `ms` is positive.
pub fn rows_per_s(rows: u64, ms: f64) -> Option<f64> {
    (ms > 0.0).then(|| rows as f64 * 1e3 / ms)
}

/// The table of `rows` rows the stream figures read.
async fn create_table(conn: &mut PgConnection, rows: u64) -> Result<(), BenchError> {
    let rows = i64::try_from(rows).map_err(|_| BenchError::Sql(format!("{rows} rows")))?;
    sqlx::query(CREATE)
        .execute(&mut *conn)
        .await
        .map_err(host_sql("CREATE TABLE"))?;
    sqlx::query(FILL)
        .bind(rows)
        .execute(&mut *conn)
        .await
        .map_err(host_sql("INSERT"))?;
    sqlx::query("ANALYZE bench_rows")
        .execute(&mut *conn)
        .await
        .map_err(host_sql("ANALYZE"))?;
    Ok(())
}

/// What the operator allows: the server's `tcp://HOST:PORT`, and the loopback range.
fn policy(options: &PgConnectOptions) -> Result<EgressPolicy, BenchError> {
    let rule = format!("tcp://{}:{}", options.get_host(), options.get_port());
    Ok(EgressPolicy {
        allowed: AllowedEgress {
            rules: vec![
                rule.parse()
                    .map_err(|e| BenchError::Sql(format!("rule {rule:?}: {e}")))?,
            ],
            nets: vec![
                ALLOW_NET
                    .parse()
                    .map_err(|e| BenchError::Sql(format!("range {ALLOW_NET:?}: {e}")))?,
            ],
        },
        ..EgressPolicy::default()
    })
}

/// The connection `pg` to the benchmark's database.
fn connection(options: &PgConnectOptions) -> Connection {
    Connection {
        conn_id: CONN_ID.to_owned(),
        conn_type: "postgres".to_owned(),
        host: Some(options.get_host().to_owned()),
        port: Some(options.get_port()),
        schema: options.get_database().map(str::to_owned),
        login: Some(options.get_username().to_owned()),
        password: None,
        extra: json!({"sslmode": "disable"}),
    }
}

fn sql(e: impl std::fmt::Display) -> BenchError {
    BenchError::Sql(e.to_string())
}

fn host_sql(what: &'static str) -> impl FnOnce(sqlx::Error) -> BenchError {
    move |source| BenchError::HostSql { what, source }
}

/// The `probe` task of `sql_probe`, on the benchmark's database.
struct Probe<'a> {
    runtime: &'a Runtime,
    component: Arc<DagComponent>,
    host: Arc<MemoryHost>,
}

impl Probe<'_> {
    /// Run the task with `queries` one-row queries; its time in ms, once the last answer
    /// is checked.
    fn queries_ms(&self, queries: usize) -> Result<f64, BenchError> {
        let steps = if queries == 0 {
            json!([])
        } else {
            json!([{"op": "query", "sql": QUERY, "params": [{"int": 1}], "repeat": queries}])
        };
        let (ms, output) = self.run(json!({"conn": CONN_ID, "steps": steps}))?;
        match output["results"].as_array().map(Vec::as_slice) {
            Some([]) if queries == 0 => Ok(ms),
            Some([one]) if one["ok"]["rows"] == json!([[{"int": 1}]]) => Ok(ms),
            _ => Err(BenchError::Sql(format!("the query went wrong: {output}"))),
        }
    }

    /// Run the task reading the whole table; its time in ms, once the count is checked.
    fn stream_ms(&self, rows: u64) -> Result<f64, BenchError> {
        let step = json!({"op": "stream", "sql": STREAM, "batch": STREAM_BATCH});
        let (ms, output) = self.run(json!({"conn": CONN_ID, "steps": [step]}))?;
        if output["results"][0]["ok"]["rows"] != rows {
            return Err(BenchError::Sql(format!(
                "the stream did not read {rows} rows: {output}"
            )));
        }
        Ok(ms)
    }

    /// Run the task with `conf`; its time in ms and its output, once the session opened.
    fn run(&self, conf: Value) -> Result<(f64, Value), BenchError> {
        let mut context = TaskContext::local("sql_probe", "probe", 1, 1);
        context.conf = conf.to_string();
        let request = TaskRequest {
            limits: Limits {
                timeout: std::time::Duration::from_secs(600),
                ..Limits::default()
            },
            host: self.host.clone(),
            ..TaskRequest::local(context)
        };
        let started = Instant::now();
        let report = self.runtime.run_task(&self.component, request);
        let ms = started.elapsed().as_secs_f64() * 1e3;
        let TaskOutcome::Success(output) = &report.outcome else {
            return Err(BenchError::Sql(format!(
                "the probe task did not succeed: {:?}",
                report.outcome
            )));
        };
        let output: Value = serde_json::from_slice(output)
            .map_err(|e| BenchError::Sql(format!("the probe's output is not JSON: {e}")))?;
        if output["open"]["ok"] != true {
            return Err(BenchError::Sql(format!(
                "the session did not open: {output}"
            )));
        }
        Ok((ms, output))
    }
}

/// `rounds` rounds (after one to warm up) of `queries` queries from the host on `conn`;
/// each round's time in ms.
async fn host_rounds_ms(
    conn: &mut PgConnection,
    queries: usize,
    rounds: usize,
) -> Result<Vec<f64>, BenchError> {
    let mut samples = Vec::with_capacity(rounds);
    for round in 0..=rounds {
        let started = Instant::now();
        for _ in 0..queries {
            let answer: i32 = sqlx::query_scalar(QUERY)
                .bind(1_i64)
                .fetch_one(&mut *conn)
                .await
                .map_err(host_sql("query"))?;
            if answer != 1 {
                return Err(BenchError::Sql(format!("the host's query gave {answer}")));
            }
        }
        if round > 0 {
            samples.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(samples)
}

/// `rounds` reads of the whole table from the host on `conn`, every value decoded; each
/// read's time in ms.
async fn host_stream_ms(
    conn: &mut PgConnection,
    rows: u64,
    rounds: usize,
) -> Result<Vec<f64>, BenchError> {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let mut stream = sqlx::query(STREAM).fetch(&mut *conn);
        let mut count = 0_u64;
        while let Some(row) = stream.try_next().await.map_err(host_sql("stream"))? {
            let decoded: Result<(i64, String, i32), _> =
                (|| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))();
            decoded.map_err(host_sql("decode"))?;
            count += 1;
        }
        samples.push(started.elapsed().as_secs_f64() * 1e3);
        if count != rows {
            return Err(BenchError::Sql(format!(
                "the host read {count} of {rows} rows"
            )));
        }
    }
    Ok(samples)
}

/// The SQL figures: a task's cost per query, the host's, the overhead (judged by the goal),
/// and rows per second streamed into a task and read by the host.
pub fn rows(outcome: &Outcome<SqlFigures>) -> Vec<Figure> {
    let overhead = "overhead per query (task − host)";
    let goal = Some(goals::SQL_OVERHEAD_US);
    Figures::new("sql", IN_PROCESS).of(
        outcome,
        ("overhead_per_query", overhead, Unit::Us, goal),
        |f, s| {
            let k = s.queries;
            let label = format!(
                "per query in a task: (task with {k} queries − with none) / {k}, medians of {}",
                s.task_with_queries_ms.count
            );
            f.number("task_per_query", &label, Unit::Us, s.task_per_query_us);
            let label = format!(
                "per query from the host (sqlx, one connection), median of {} rounds",
                s.host_rounds_ms.count
            );
            f.number("host_per_query", &label, Unit::Us, s.host_per_query_us);
            f.number(
                "overhead_per_query",
                overhead,
                Unit::Us,
                s.overhead_per_query_us,
            )
            .with_goal(goals::SQL_OVERHEAD_US);
            let label = format!(
                "{} rows streamed into a task ({} a batch), median of {}",
                format::number(s.stream_rows as f64),
                s.stream_batch,
                s.task_stream_ms.count
            );
            f.number("task_rows_per_s", &label, Unit::RowsPerS, s.task_rows_per_s);
            let label = format!(
                "the same rows read by the host (sqlx fetch), median of {}",
                s.host_stream_ms.count
            );
            f.number("host_rows_per_s", &label, Unit::RowsPerS, s.host_rows_per_s);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_querys_cost_is_the_difference_of_medians_over_the_count() {
        let f = figures(
            Queries {
                queries: 100,
                with_ms: &[8.0, 7.0, 30.0],
                without_ms: &[2.0, 1.0, 3.0],
                host_ms: &[3.0, 4.0, 5.0],
            },
            Stream {
                rows: 1_000_000,
                task_ms: &[2_002.0, 1_002.0, 3_002.0],
                host_ms: &[500.0, 400.0, 600.0],
            },
        )
        .expect("figures");
        assert_eq!(f.task_per_query_us, 60.0);
        assert_eq!(f.host_per_query_us, 40.0);
        assert_eq!(f.overhead_per_query_us, 20.0);
        // (2,002 − 2) ms for a million rows; 500 ms on the host.
        assert_eq!(f.task_rows_per_s, 500_000.0);
        assert_eq!(f.host_rows_per_s, 2_000_000.0);
        assert_eq!(f.stream_batch, STREAM_BATCH);
    }

    #[test]
    fn rates_need_a_positive_time() {
        assert_eq!(rows_per_s(10, 0.0), None);
        assert_eq!(rows_per_s(10, -1.0), None);
        assert_eq!(rows_per_s(10, 20.0), Some(500.0));
        let empty = figures(
            Queries {
                queries: 1,
                with_ms: &[],
                without_ms: &[],
                host_ms: &[],
            },
            Stream {
                rows: 1,
                task_ms: &[],
                host_ms: &[],
            },
        );
        assert!(empty.is_err());
    }

    #[test]
    fn a_few_queries_and_rows_give_every_figure() {
        let sizes = Sizes {
            sql_queries: 3,
            sql_rounds: 2,
            sql_stream_rows: 2_500,
            sql_stream_rounds: 1,
            ..Sizes::QUICK
        };
        let f = measure(&sizes, true).expect("sql figures");
        assert_eq!(f.queries, 3);
        assert_eq!(f.host_rounds_ms.count, 2);
        assert_eq!(f.stream_rows, 2_500);
        assert!(f.task_per_query_us.is_finite());
        assert!(f.host_per_query_us > 0.0 && f.host_rows_per_s > 0.0);
    }
}
