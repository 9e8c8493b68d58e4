//! How Weft's processes coordinate through the store: the worker registry and named
//! leadership leases, generic over the [`Backend`] and called by the shared
//! [`Store`](crate::Store) implementation.

use std::time::Duration;

use jiff::Timestamp;

use super::sql;
use super::statement::statement;
use crate::backend::Backend;
use crate::error::{StoreError, StoreResult};
use crate::records::WorkerRecord;
use crate::rows::{WorkerRow, micros, micros_opt};
use crate::validate;

/// [`Store::record_worker`](crate::Store::record_worker).
pub(crate) async fn record_worker<B: Backend>(store: &B, worker: WorkerRecord) -> StoreResult<()> {
    validate::worker(&worker)?;
    let queues = serde_json::to_string(&worker.queues)
        .map_err(|e| StoreError::Invalid(format!("queues of worker {}: {e}", worker.worker_id)))?;
    let labels = serde_json::to_string(&worker.labels)
        .map_err(|e| StoreError::Invalid(format!("labels of worker {}: {e}", worker.worker_id)))?;
    let tenants = worker
        .tenants
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Invalid(format!("tenants of worker {}: {e}", worker.worker_id)))?;
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    statement::<B::Db>(sql::RECORD_WORKER)
        .bind(worker.worker_id)
        .bind(worker.hostname)
        .bind(queues)
        .bind(i64::from(worker.concurrency))
        .bind(i64::from(worker.running))
        .bind(worker.arch)
        .bind(worker.version)
        .bind(micros(worker.started_at))
        .bind(micros(worker.last_heartbeat))
        .bind(micros_opt(worker.stopped_at))
        .bind(i64::try_from(worker.finished).unwrap_or(i64::MAX))
        .bind(i64::try_from(worker.failed).unwrap_or(i64::MAX))
        .bind(labels)
        .bind(tenants)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// [`Store::workers`](crate::Store::workers).
pub(crate) async fn workers<B: Backend>(store: &B) -> StoreResult<Vec<WorkerRecord>> {
    statement::<B::Db>(sql::WORKERS)
        .fetch_all::<WorkerRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(WorkerRow::into_record)
        .collect()
}

/// [`Store::try_lead`](crate::Store::try_lead), in one statement.
pub(crate) async fn try_lead<B: Backend>(
    store: &B,
    name: &str,
    holder: &str,
    now: Timestamp,
    ttl: Duration,
) -> StoreResult<Option<i64>> {
    validate::lease(name, holder)?;
    let now = micros(now);
    let ttl = i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX);
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let epoch: Option<i64> = statement::<B::Db>(sql::TRY_LEAD)
        .bind(name)
        .bind(holder)
        .bind(now)
        .bind(now.saturating_add(ttl))
        .fetch_optional_scalar(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(epoch)
}

/// [`Store::resign`](crate::Store::resign).
pub(crate) async fn resign<B: Backend>(store: &B, name: &str, holder: &str) -> StoreResult<()> {
    validate::lease(name, holder)?;
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    statement::<B::Db>(sql::RESIGN)
        .bind(name)
        .bind(holder)
        .bind(i64::MIN)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
