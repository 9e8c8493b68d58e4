//! Queue depths and live logs: their SQL and operations, written once for both backends.

use super::statement::statement;
use crate::backend::{Backend, Sql};
use crate::both_backends::row_macro::row;
use crate::both_backends::sql_text::sql;
use crate::both_backends::state_sql::{TASK_IN_FLIGHT, TASK_IN_POOL};
use crate::error::StoreResult;
use crate::monitoring::{LogAppend, LogTail, PoolUsage, QueueDepth};
use crate::rows::{int, time_opt};

/// `$1` tenant: per queue, the task instances queued and running, and the oldest queued (a
/// mapped task's own instance, which only sums its instances up, left out).
const QUEUE_DEPTHS: &str = sql!(
    "SELECT queue, \
     SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) AS queued, \
     SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS running, \
     MIN(CASE WHEN state = 'queued' THEN queued_at END) AS oldest_queued_at \
     FROM task_instances WHERE tenant = $1 AND state IN ",
    TASK_IN_FLIGHT,
    " \
     AND map_count IS NULL GROUP BY queue ORDER BY queue"
);

/// `$1` tenant: per pool, the task instances holding its slots and those waiting for one.
const POOL_USAGE: &str = sql!(
    "SELECT pool, \
     SUM(CASE WHEN state IN ",
    TASK_IN_FLIGHT,
    " THEN 1 ELSE 0 END) AS used, \
     SUM(CASE WHEN state IN ",
    TASK_IN_FLIGHT,
    " THEN 0 ELSE 1 END) AS waiting \
     FROM task_instances WHERE tenant = $1 AND state IN ",
    TASK_IN_POOL,
    " \
     AND map_count IS NULL GROUP BY pool ORDER BY pool"
);

/// `$1` ti, `$2` try, `$3` first byte (from 0), `$4` the attempt (lease) wanted, or null
/// for any: the log from that byte (none when it is another attempt's), and what it is.
const LOG_TAIL: &str = "SELECT CASE WHEN $4 IS NULL OR lease = $4 \
     THEN substr(log, CAST($3 AS INTEGER) + 1) ELSE substr(log, 1, 0) END AS bytes, \
     CAST(length(log) AS BIGINT) AS size, lease, live \
     FROM task_logs WHERE ti = $1 AND try_number = $2";

/// `$1` ti, `$2` lease: whether that attempt is current (its state checked as a `CASE`, as
/// in [`crate::both_backends::sql`]).
pub(crate) const ATTEMPT_IS_CURRENT: &str = sql!(
    "SELECT COUNT(*) FROM task_instances \
     WHERE id = $1 AND lease = $2 AND CASE WHEN state IN ",
    TASK_IN_FLIGHT,
    " THEN TRUE END"
);

row! {
    /// A `QUEUE_DEPTHS` row.
    #[derive(Debug)]
    pub(crate) struct QueueRow {
        queue: String,
        queued: i64,
        running: i64,
        oldest_queued_at: Option<i64>,
    }
}

impl QueueRow {
    fn into_record(self) -> StoreResult<QueueDepth> {
        let row = format!("queue {}", self.queue);
        Ok(QueueDepth {
            queued: int(&row, "queued", self.queued)?,
            running: int(&row, "running", self.running)?,
            oldest_queued_at: time_opt(&row, "oldest_queued_at", self.oldest_queued_at)?,
            queue: self.queue,
        })
    }
}

row! {
    /// A `LOG_TAIL` row.
    #[derive(Debug)]
    pub(crate) struct LogTailRow {
        bytes: Vec<u8>,
        size: i64,
        lease: Option<i64>,
        live: bool,
    }
}

pub(crate) async fn task_log_tail<B: Backend>(
    backend: &B,
    ti: i64,
    try_number: u32,
    from: u64,
    lease: Option<i64>,
) -> StoreResult<Option<LogTail>> {
    let from = i64::try_from(from).unwrap_or(i64::MAX);
    let row = statement::<B::Db>(LOG_TAIL)
        .bind(ti)
        .bind(i64::from(try_number))
        .bind(from)
        .bind(lease)
        .fetch_optional::<LogTailRow>(&mut *backend.reader().await?)
        .await?;
    row.map(|row| {
        Ok(LogTail {
            size: int(&format!("log of {ti}"), "size", row.size)?,
            bytes: row.bytes,
            lease: row.lease,
            live: row.live,
        })
    })
    .transpose()
}

row! {
    /// A `POOL_USAGE` row.
    #[derive(Debug)]
    pub(crate) struct PoolUsageRow {
        pool: String,
        used: i64,
        waiting: i64,
    }
}

pub(crate) async fn pool_usage<B: Backend>(
    backend: &B,
    tenant: &str,
) -> StoreResult<Vec<PoolUsage>> {
    statement::<B::Db>(POOL_USAGE)
        .bind(tenant)
        .fetch_all::<PoolUsageRow>(&mut *backend.reader().await?)
        .await?
        .into_iter()
        .map(|row| {
            let at = format!("pool {}", row.pool);
            Ok(PoolUsage {
                used: int(&at, "used", row.used)?,
                waiting: int(&at, "waiting", row.waiting)?,
                pool: row.pool,
            })
        })
        .collect()
}

pub(crate) async fn queue_depths<B: Backend>(
    backend: &B,
    tenant: &str,
) -> StoreResult<Vec<QueueDepth>> {
    statement::<B::Db>(QUEUE_DEPTHS)
        .bind(tenant)
        .fetch_all::<QueueRow>(&mut *backend.reader().await?)
        .await?
        .into_iter()
        .map(QueueRow::into_record)
        .collect()
}

pub(crate) async fn append_task_log<B: Backend>(
    backend: &B,
    ti: i64,
    lease: i64,
    follows: bool,
    lines: Vec<u8>,
    max_bytes: u64,
) -> StoreResult<LogAppend> {
    let max_bytes = i64::try_from(max_bytes).unwrap_or(i64::MAX);
    let mut conn = backend.writer().await?;
    let appended = statement::<B::Db>(<B::Db as Sql>::APPEND_LOG)
        .bind(ti)
        .bind(lease)
        .bind(lines)
        .bind(max_bytes)
        .bind(follows)
        .execute(&mut *conn)
        .await?;
    if appended > 0 {
        return Ok(LogAppend::Appended);
    }
    let current: i64 = statement::<B::Db>(ATTEMPT_IS_CURRENT)
        .bind(ti)
        .bind(lease)
        .fetch_optional_scalar(&mut *conn)
        .await?
        .unwrap_or(0);
    Ok(if current > 0 {
        LogAppend::Full
    } else {
        LogAppend::Stale
    })
}
