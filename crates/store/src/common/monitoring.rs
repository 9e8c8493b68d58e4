//! Queue depths and live logs: their SQL and operations, written once for both backends.

use super::statement::statement;
use crate::backend::{Backend, Sql};
use crate::error::StoreResult;
use crate::monitoring::{LogAppend, QueueDepth};
use crate::rows::{int, time_opt};

/// `$1` tenant: per queue, the task instances queued and running, and the oldest queued.
const QUEUE_DEPTHS: &str = "SELECT queue, \
     SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) AS queued, \
     SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS running, \
     MIN(CASE WHEN state = 'queued' THEN queued_at END) AS oldest_queued_at \
     FROM task_instances WHERE tenant = $1 AND state IN ('queued', 'running') \
     GROUP BY queue ORDER BY queue";

/// `$1` ti, `$2` lease: whether that attempt is current.
const ATTEMPT_IS_CURRENT: &str = "SELECT COUNT(*) FROM task_instances \
     WHERE id = $1 AND lease = $2 AND state IN ('queued', 'running')";

/// A `QUEUE_DEPTHS` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct QueueRow {
    queue: String,
    queued: i64,
    running: i64,
    oldest_queued_at: Option<i64>,
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
