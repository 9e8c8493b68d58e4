//! Assets: their SQL, rows and operations, written once for both backends. Events are
//! inserted by a write batch ([`insert`]) or posted ([`post`]), each queued for the DAGs
//! scheduled on its asset; a consuming run takes its events off the queue ([`consume`]) in
//! the transaction that creates it.

use super::statement::statement;
use crate::assets::{AssetActivity, AssetEvent, AssetSource, NewAssetEvent};
use crate::backend::{Backend, Sql};
use crate::both_backends::row_macro::row;
use crate::error::{StoreError, StoreResult};
use crate::rows::{corrupt, int, micros, time};

/// The columns of [`EventRow`], in its order, of table alias `e`.
macro_rules! columns {
    () => {
        "e.id, e.tenant, e.uri, e.extra, e.source_dag_id, e.source_run_id, e.source_task_id, \
         e.source_map_index, e.created_at"
    };
}

/// `$1` tenant, `$2` uri, `$3` extra, `$4`-`$7` source dag, run, task and map index, `$8`
/// at: the new event's id.
const INSERT: &str = "INSERT INTO asset_events (tenant, uri, extra, source_dag_id, \
     source_run_id, source_task_id, source_map_index, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
/// `$1` tenant, `$2` uri, `$3` event: queue it for every unpaused DAG scheduled on the
/// asset (a paused DAG misses the updates made while it is paused, as in Airflow).
const QUEUE: &str = "INSERT INTO asset_queue (tenant, dag_id, uri, event) \
     SELECT c.tenant, c.dag_id, c.uri, $3 FROM asset_consumers c \
     JOIN dags d ON d.tenant = c.tenant AND d.dag_id = c.dag_id \
     WHERE c.tenant = $1 AND c.uri = $2 AND NOT d.paused";
/// `$1` tenant, `$2` limit: newest first.
const EVENTS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM asset_events e WHERE e.tenant = $1 ORDER BY e.id DESC LIMIT $2"
);
/// `$1` tenant, `$2` uri, `$3` limit: newest first.
const EVENTS_OF: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM asset_events e WHERE e.tenant = $1 AND e.uri = $2 ORDER BY e.id DESC LIMIT $3"
);
/// `$1` tenant, `$2` dag_id, `$3` limit: the events queued for it, oldest first.
const QUEUED: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM asset_queue q JOIN asset_events e ON e.id = q.event \
     WHERE q.tenant = $1 AND q.dag_id = $2 ORDER BY e.id LIMIT $3"
);
/// `$1` tenant, `$2` dag_id: the assets with queued events for it.
const QUEUED_ASSETS: &str =
    "SELECT DISTINCT uri FROM asset_queue WHERE tenant = $1 AND dag_id = $2 ORDER BY uri";
/// `$1` tenant, `$2` dag_id, `$3` uri: the oldest event of that asset queued for it.
const OLDEST_QUEUED_OF: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM asset_queue q JOIN asset_events e ON e.id = q.event \
     WHERE q.tenant = $1 AND q.dag_id = $2 AND q.uri = $3 ORDER BY e.id LIMIT 1"
);
/// `$1` tenant.
const ACTIVITY: &str = "SELECT uri, count(*) AS events, max(created_at) AS last_event_at \
     FROM asset_events WHERE tenant = $1 GROUP BY uri ORDER BY uri";
/// `$1` tenant, `$2` dag_id, `$3` event.
const CONSUME: &str = "DELETE FROM asset_queue WHERE tenant = $1 AND dag_id = $2 AND event = $3";
/// `$1` tenant, `$2` dag_id.
const FORGET_CONSUMER: &str = "DELETE FROM asset_consumers WHERE tenant = $1 AND dag_id = $2";
/// `$1` tenant, `$2` dag_id, `$3` uri.
const ADD_CONSUMER: &str = "INSERT INTO asset_consumers (tenant, dag_id, uri) VALUES ($1, $2, $3) \
     ON CONFLICT (tenant, dag_id, uri) DO NOTHING";
/// `$1` tenant, `$2` dag_id: drop queued events of assets the DAG no longer waits for.
const DROP_UNCONSUMED: &str = "DELETE FROM asset_queue WHERE tenant = $1 AND dag_id = $2 \
     AND uri NOT IN (SELECT uri FROM asset_consumers WHERE tenant = $1 AND dag_id = $2)";

row! {
    /// An `asset_events` row.
    #[derive(Debug)]
    pub(crate) struct EventRow {
        id: i64,
        tenant: String,
        uri: String,
        extra: String,
        source_dag_id: Option<String>,
        source_run_id: Option<String>,
        source_task_id: Option<String>,
        source_map_index: Option<i64>,
        created_at: i64,
    }
}

impl EventRow {
    fn into_event(self) -> StoreResult<AssetEvent> {
        let row = format!("asset event {}", self.id);
        let source = match (self.source_dag_id, self.source_run_id, self.source_task_id) {
            (Some(dag_id), Some(run_id), Some(task_id)) => Some(AssetSource {
                dag_id,
                run_id,
                task_id,
                map_index: self
                    .source_map_index
                    .map(|i| int(&row, "source_map_index", i))
                    .transpose()?,
            }),
            _ => None,
        };
        Ok(AssetEvent {
            extra: serde_json::from_str(&self.extra).map_err(|e| corrupt(&row, "extra", e))?,
            created_at: time(&row, "created_at", self.created_at)?,
            id: self.id,
            tenant: self.tenant,
            uri: self.uri,
            source,
        })
    }
}

row! {
    /// A row of [`ACTIVITY`].
    #[derive(Debug)]
    pub(crate) struct ActivityRow {
        uri: String,
        events: i64,
        last_event_at: i64,
    }
}

/// Insert `event` on `conn` and queue it for its consumers; its id.
async fn insert_one<D: Sql>(
    conn: &mut D::Connection,
    event: &NewAssetEvent,
) -> Result<i64, sqlx::Error> {
    let source = event.source.as_ref();
    let id: Option<i64> = statement::<D>(INSERT)
        .bind(event.tenant.as_str())
        .bind(event.uri.as_str())
        .bind(event.extra.to_string())
        .bind(source.map(|s| s.dag_id.as_str()))
        .bind(source.map(|s| s.run_id.as_str()))
        .bind(source.map(|s| s.task_id.as_str()))
        .bind(source.and_then(|s| s.map_index).map(i64::from))
        .bind(micros(event.at))
        .fetch_optional_scalar(&mut *conn)
        .await?;
    let id = id.ok_or(sqlx::Error::RowNotFound)?;
    statement::<D>(QUEUE)
        .bind(event.tenant.as_str())
        .bind(event.uri.as_str())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(id)
}

/// Insert `events` on `conn`, inside a write batch's transaction, each queued for the DAGs
/// scheduled on its asset.
pub(crate) async fn insert<D: Sql>(
    conn: &mut D::Connection,
    events: &[&NewAssetEvent],
) -> Result<(), sqlx::Error> {
    for event in events {
        insert_one::<D>(conn, event).await?;
    }
    Ok(())
}

/// Checks an event before it is written: a valid URI, and an object of at most
/// [`MAX_EXTRA_BYTES`](crate::assets::MAX_EXTRA_BYTES) as its extra.
pub(crate) fn check(event: &NewAssetEvent) -> StoreResult<()> {
    weft_model::asset::check_uri(&event.uri)
        .map_err(|issue| StoreError::Invalid(format!("asset {:?} {issue}", event.uri)))?;
    weft_model::asset::check_extra(&event.extra).map_err(StoreError::Invalid)
}

/// [`Store::post_asset_event`](crate::Store::post_asset_event).
pub(crate) async fn post<B: Backend>(store: &B, event: NewAssetEvent) -> StoreResult<AssetEvent> {
    check(&event)?;
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let id = insert_one::<B::Db>(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(AssetEvent {
        id,
        tenant: event.tenant,
        uri: event.uri,
        extra: event.extra,
        source: event.source,
        created_at: event.at,
    })
}

/// [`Store::asset_events`](crate::Store::asset_events).
pub(crate) async fn events<B: Backend>(
    store: &B,
    tenant: &str,
    uri: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<AssetEvent>> {
    let statement = match uri {
        Some(uri) => statement::<B::Db>(EVENTS_OF).bind(tenant).bind(uri),
        None => statement::<B::Db>(EVENTS).bind(tenant),
    };
    statement
        .bind(i64::from(limit))
        .fetch_all::<EventRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
}

/// [`Store::queued_asset_events`](crate::Store::queued_asset_events).
pub(crate) async fn queued<B: Backend>(
    store: &B,
    tenant: &str,
    dag_id: &str,
) -> StoreResult<Vec<AssetEvent>> {
    let mut conn = store.reader().await?;
    let mut rows: Vec<EventRow> = statement::<B::Db>(QUEUED)
        .bind(tenant)
        .bind(dag_id)
        .bind(i64::from(crate::assets::MAX_EVENTS_PER_RUN))
        .fetch_all(&mut *conn)
        .await?;
    // Past the limit, the oldest events may all be of one asset: add the oldest of each
    // other queued asset, so that a DAG waiting for several is seen due.
    if rows.len() >= crate::assets::MAX_EVENTS_PER_RUN as usize {
        let seen: std::collections::HashSet<String> = rows.iter().map(|r| r.uri.clone()).collect();
        let queued: Vec<(String,)> = statement::<B::Db>(QUEUED_ASSETS)
            .bind(tenant)
            .bind(dag_id)
            .fetch_all(&mut *conn)
            .await?;
        for (uri,) in queued.into_iter().filter(|(u,)| !seen.contains(u)) {
            let oldest: Vec<EventRow> = statement::<B::Db>(OLDEST_QUEUED_OF)
                .bind(tenant)
                .bind(dag_id)
                .bind(uri)
                .fetch_all(&mut *conn)
                .await?;
            rows.extend(oldest);
        }
        rows.sort_by_key(|r| r.id);
    }
    rows.into_iter().map(EventRow::into_event).collect()
}

/// [`Store::asset_activity`](crate::Store::asset_activity).
pub(crate) async fn activity<B: Backend>(
    store: &B,
    tenant: &str,
) -> StoreResult<Vec<AssetActivity>> {
    statement::<B::Db>(ACTIVITY)
        .bind(tenant)
        .fetch_all::<ActivityRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(|r| {
            let row = format!("asset {}", r.uri);
            Ok(AssetActivity {
                events: int(&row, "events", r.events)?,
                last_event_at: time(&row, "last_event_at", r.last_event_at)?,
                uri: r.uri,
            })
        })
        .collect()
}

/// Make DAG `dag_id` of `tenant` a consumer of exactly `uris` (on deploy, in its
/// transaction), dropping queued events of assets it no longer waits for.
pub(crate) async fn set_consumer<D: Sql>(
    conn: &mut D::Connection,
    tenant: &str,
    dag_id: &str,
    uris: &[String],
) -> Result<(), sqlx::Error> {
    statement::<D>(FORGET_CONSUMER)
        .bind(tenant)
        .bind(dag_id)
        .execute(&mut *conn)
        .await?;
    for uri in uris {
        statement::<D>(ADD_CONSUMER)
            .bind(tenant)
            .bind(dag_id)
            .bind(uri.as_str())
            .execute(&mut *conn)
            .await?;
    }
    statement::<D>(DROP_UNCONSUMED)
        .bind(tenant)
        .bind(dag_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The error of a run whose asset events another run consumed first.
pub(crate) fn already_consumed(run: &crate::records::NewRun) -> StoreError {
    StoreError::Conflict(format!(
        "the asset events that would start run {:?} of DAG {:?} started another run first",
        run.run_id, run.dag_id
    ))
}

/// Take `events` off DAG `dag_id`'s queue, inside the transaction creating the run they
/// start: false (and the caller rolls back) when one of them is no longer queued, because
/// another run consumed it.
pub(crate) async fn consume<D: Sql>(
    conn: &mut D::Connection,
    tenant: &str,
    dag_id: &str,
    events: &[i64],
) -> Result<bool, sqlx::Error> {
    for &event in events {
        let deleted = statement::<D>(CONSUME)
            .bind(tenant)
            .bind(dag_id)
            .bind(event)
            .execute(&mut *conn)
            .await?;
        if deleted != 1 {
            return Ok(false);
        }
    }
    Ok(true)
}
