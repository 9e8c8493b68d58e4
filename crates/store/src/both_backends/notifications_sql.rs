//! Notifications: their SQL, rows and operations, written once for both backends. New ones
//! are inserted by a write batch ([`insert`], through
//! [`BatchSql::insert_notifications`](crate::backend::batch::BatchSql::insert_notifications));
//! servers claim due ones, record each attempt's result, and list a run's.

use std::time::Duration;

use jiff::Timestamp;

use super::statement::statement;
use crate::backend::{Backend, Sql};
use crate::both_backends::row_macro::row;
use crate::error::{StoreError, StoreResult};
use crate::notifications::{DeliveryOutcome, DeliveryResult, NewNotification, NotificationRecord};
use crate::records::RunPk;
use crate::rows::{corrupt, int, micros, parse, time, time_opt};

/// The columns of [`NotificationRow`], in its order.
macro_rules! columns {
    () => {
        "id, tenant, dag_id, run_id, run, task_id, try_number, event, notifier, payload, \
         state, attempts, last_error, created_at, next_attempt_at, delivered_at, claimed_by"
    };
}

/// `$1` tenant, `$2` dag_id, `$3` run_id, `$4` run, `$5` task_id, `$6` try_number, `$7`
/// event, `$8` notifier, `$9` payload, `$10` at (created and first due).
const INSERT: &str = "INSERT INTO notifications (tenant, dag_id, run_id, run, task_id, \
     try_number, event, notifier, payload, state, attempts, created_at, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $10)";
/// `$1` holder, `$2` claim end, `$3` now, `$4` limit: claims the due pending notifications
/// nobody holds (or whose claim has expired), starting an attempt of each. The conditions
/// are repeated outside the subquery so that, on PostgreSQL, a row another server claimed
/// meanwhile is checked again as it now is, and skipped.
const CLAIM: &str = concat!(
    "UPDATE notifications SET claimed_by = $1, claim_expires_at = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM notifications WHERE state = 'pending' \
     AND next_attempt_at <= $3 AND (claim_expires_at IS NULL OR claim_expires_at <= $3) \
     ORDER BY next_attempt_at, id LIMIT $4) \
     AND state = 'pending' AND (claim_expires_at IS NULL OR claim_expires_at <= $3) \
     RETURNING ",
    columns!()
);
/// `$1` id, `$2` holder, `$3` attempt, `$4` at.
const DELIVERED: &str = "UPDATE notifications SET state = 'delivered', delivered_at = $4, \
     last_error = NULL, claimed_by = NULL, claim_expires_at = NULL \
     WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND state = 'pending'";
/// `$1` id, `$2` holder, `$3` attempt, `$4` error, `$5` next attempt.
const RETRY: &str = "UPDATE notifications SET last_error = $4, next_attempt_at = $5, \
     claimed_by = NULL, claim_expires_at = NULL \
     WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND state = 'pending'";
/// `$1` id, `$2` holder, `$3` attempt, `$4` error.
const FAILED: &str = "UPDATE notifications SET state = 'failed', last_error = $4, \
     claimed_by = NULL, claim_expires_at = NULL \
     WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND state = 'pending'";
/// `$1` run.
const OF_RUN: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM notifications WHERE run = $1 ORDER BY id"
);

row! {
    /// A `notifications` row.
    #[derive(Debug)]
    pub(crate) struct NotificationRow {
        id: i64,
        tenant: String,
        dag_id: String,
        run_id: String,
        run: i64,
        task_id: Option<String>,
        try_number: Option<i64>,
        event: String,
        notifier: String,
        payload: String,
        state: String,
        attempts: i64,
        last_error: Option<String>,
        created_at: i64,
        next_attempt_at: i64,
        delivered_at: Option<i64>,
        claimed_by: Option<String>,
    }
}

impl NotificationRow {
    fn into_record(self) -> StoreResult<NotificationRecord> {
        let row = format!("notification {}", self.id);
        Ok(NotificationRecord {
            try_number: self
                .try_number
                .map(|n| int(&row, "try_number", n))
                .transpose()?,
            event: parse(&row, "event", &self.event)?,
            notifier: serde_json::from_str(&self.notifier)
                .map_err(|e| corrupt(&row, "notifier", e))?,
            payload: serde_json::from_str(&self.payload)
                .map_err(|e| corrupt(&row, "payload", e))?,
            state: parse(&row, "state", &self.state)?,
            attempts: int(&row, "attempts", self.attempts)?,
            created_at: time(&row, "created_at", self.created_at)?,
            next_attempt_at: time(&row, "next_attempt_at", self.next_attempt_at)?,
            delivered_at: time_opt(&row, "delivered_at", self.delivered_at)?,
            id: self.id,
            tenant: self.tenant,
            dag_id: self.dag_id,
            run_id: self.run_id,
            run: self.run,
            task_id: self.task_id,
            last_error: self.last_error,
            claimed_by: self.claimed_by,
        })
    }
}

/// Insert `rows` on `conn`, inside a write batch's transaction.
pub(crate) async fn insert<D: Sql>(
    conn: &mut D::Connection,
    rows: &[&NewNotification],
) -> Result<(), sqlx::Error> {
    for n in rows {
        let notifier =
            serde_json::to_string(&n.notifier).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        statement::<D>(INSERT)
            .bind(n.tenant.as_str())
            .bind(n.dag_id.as_str())
            .bind(n.run_id.as_str())
            .bind(n.run)
            .bind(n.task_id.as_deref())
            .bind(n.try_number.map(i64::from))
            .bind(n.event.as_str())
            .bind(notifier)
            .bind(n.payload.to_string())
            .bind(micros(n.at))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// [`Store::claim_notifications`](crate::Store::claim_notifications).
pub(crate) async fn claim<B: Backend>(
    store: &B,
    holder: &str,
    now: Timestamp,
    lease: Duration,
    limit: u32,
) -> StoreResult<Vec<NotificationRecord>> {
    if holder.is_empty() {
        return Err(StoreError::Invalid(
            "a notification claim needs a holder".into(),
        ));
    }
    let now = micros(now);
    let lease = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let rows: Vec<NotificationRow> = statement::<B::Db>(CLAIM)
        .bind(holder)
        .bind(now.saturating_add(lease))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut tx)
        .await?;
    tx.commit().await?;
    let mut claimed: Vec<NotificationRecord> = rows
        .into_iter()
        .map(NotificationRow::into_record)
        .collect::<StoreResult<_>>()?;
    claimed.sort_by_key(|n| (n.next_attempt_at, n.id));
    Ok(claimed)
}

/// [`Store::record_notification`](crate::Store::record_notification).
pub(crate) async fn record<B: Backend>(store: &B, result: &DeliveryResult) -> StoreResult<bool> {
    let attempt = i64::from(result.attempt);
    // A delivery's error quotes the far server (an SMTP reply, say): kept as text it can hold.
    let kept = |error: &String| weft_model::message::storable(error.clone());
    let statement = match &result.outcome {
        DeliveryOutcome::Delivered => statement::<B::Db>(DELIVERED)
            .bind(result.id)
            .bind(result.holder.as_str())
            .bind(attempt)
            .bind(micros(result.at)),
        DeliveryOutcome::Retry {
            error,
            next_attempt_at,
        } => statement::<B::Db>(RETRY)
            .bind(result.id)
            .bind(result.holder.as_str())
            .bind(attempt)
            .bind(kept(error))
            .bind(micros(*next_attempt_at)),
        DeliveryOutcome::Failed { error } => statement::<B::Db>(FAILED)
            .bind(result.id)
            .bind(result.holder.as_str())
            .bind(attempt)
            .bind(kept(error)),
    };
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let changed = statement.execute(&mut tx).await?;
    tx.commit().await?;
    Ok(changed == 1)
}

/// [`Store::notifications`](crate::Store::notifications).
pub(crate) async fn of_run<B: Backend>(
    store: &B,
    run: RunPk,
) -> StoreResult<Vec<NotificationRecord>> {
    statement::<B::Db>(OF_RUN)
        .bind(run)
        .fetch_all::<NotificationRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(NotificationRow::into_record)
        .collect()
}
