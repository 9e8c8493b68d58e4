//! The [`Store`] trait: everything Weft keeps, behind one interface with a SQLite and a
//! PostgreSQL implementation.

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use weft_model::DagSpec;

use crate::error::StoreResult;
use crate::records::{
    DagRecord, DagRun, DagVersion, Deploy, DeployOutcome, NewRun, Pool, RunFilter, RunPk,
    TaskInstance, TiPk, Variable, WorkerRecord, Xcom,
};
use crate::sealed::{
    AttemptInfo, KeyMarker, ResealOutcome, Resealer, SealedConnection, SealedSecret,
};
use crate::write::{ExpandTask, WriteBatch, WriteOutcome};

/// Weft's metadata store. Every operation is one transaction; every row belongs to a tenant.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- components and DAGs ---

    /// Store a component and make it the DAG's current version (creating the DAG, unpaused,
    /// if new). Storing the same digest again changes nothing but `updated_at`.
    async fn deploy(&self, deploy: Deploy) -> StoreResult<DeployOutcome>;

    /// A component's bytes, by digest, if this tenant deployed it.
    async fn component(&self, tenant: &str, digest: &str) -> StoreResult<Option<Vec<u8>>>;

    /// The spec a component describes, by digest.
    async fn spec(&self, tenant: &str, digest: &str) -> StoreResult<Option<DagSpec>>;

    /// The tenant's DAGs, by id.
    async fn dags(&self, tenant: &str) -> StoreResult<Vec<DagRecord>>;

    /// One DAG.
    async fn dag(&self, tenant: &str, dag_id: &str) -> StoreResult<Option<DagRecord>>;

    /// A DAG's versions, newest first.
    async fn dag_versions(&self, tenant: &str, dag_id: &str) -> StoreResult<Vec<DagVersion>>;

    /// Pause or unpause a DAG; false when there is no such DAG.
    async fn set_paused(
        &self,
        tenant: &str,
        dag_id: &str,
        paused: bool,
        at: Timestamp,
    ) -> StoreResult<bool>;

    // --- runs and task instances ---

    /// Create a run and its task instances. [`StoreError::Conflict`](crate::StoreError::Conflict)
    /// when the DAG already has a run with this `run_id`; `NotFound` when the DAG or its
    /// version `run.digest` is unknown, or, with `run.current_only`, that version is no longer
    /// the DAG's current one; `Quota` past the tenant's `max_queued_tasks`.
    async fn create_run(&self, run: NewRun) -> StoreResult<(DagRun, Vec<TaskInstance>)>;

    /// Create a run started by asset events, taking them off its DAG's queue in the same
    /// transaction: `Conflict` when one of them is no longer queued (another run consumed
    /// it), or when the run id is taken; nothing is written then.
    async fn create_asset_run(
        &self,
        run: NewRun,
        consumed: &[i64],
    ) -> StoreResult<(DagRun, Vec<TaskInstance>)>;

    /// Write an asset event posted through the API, queued for the DAGs scheduled on its
    /// asset. `Invalid` when the URI is not one or the extra is not a JSON object.
    async fn post_asset_event(&self, event: crate::NewAssetEvent)
    -> StoreResult<crate::AssetEvent>;

    /// A tenant's asset events, newest first, of one asset or all, at most `limit`.
    async fn asset_events(
        &self,
        tenant: &str,
        uri: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<crate::AssetEvent>>;

    /// The asset events queued for DAG `dag_id`, oldest first: those no run of it consumed,
    /// the oldest [`MAX_EVENTS_PER_RUN`](crate::assets::MAX_EVENTS_PER_RUN), and past them the
    /// oldest of each other asset with events queued.
    async fn queued_asset_events(
        &self,
        tenant: &str,
        dag_id: &str,
    ) -> StoreResult<Vec<crate::AssetEvent>>;

    /// A tenant's assets that have events, by URI, with their count and latest time.
    async fn asset_activity(&self, tenant: &str) -> StoreResult<Vec<crate::AssetActivity>>;

    /// A run by primary key, with its task instances.
    async fn run(&self, run: RunPk) -> StoreResult<Option<(DagRun, Vec<TaskInstance>)>>;

    /// A run by DAG and textual run id.
    async fn run_by_id(
        &self,
        tenant: &str,
        dag_id: &str,
        run_id: &str,
    ) -> StoreResult<Option<DagRun>>;

    /// A DAG's run with this logical date (the newest, should there be more than one).
    async fn run_by_logical_date(
        &self,
        tenant: &str,
        dag_id: &str,
        logical_date: Timestamp,
    ) -> StoreResult<Option<DagRun>>;

    /// Runs, newest logical date first.
    async fn runs(&self, tenant: &str, filter: &RunFilter) -> StoreResult<Vec<DagRun>>;

    /// Every queued or running run of every tenant, with its task instances: what a
    /// scheduler loads when it starts.
    async fn active_runs(&self) -> StoreResult<Vec<(DagRun, Vec<TaskInstance>)>>;

    /// The latest scheduled or backfill run of a DAG by logical date, if any.
    async fn latest_scheduled_run(&self, tenant: &str, dag_id: &str)
    -> StoreResult<Option<DagRun>>;

    /// Task instances whose running attempt's lease ended before `now`, at most `limit`.
    async fn expired_leases(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TaskInstance>>;

    /// Task instances queued before `before` and queued still, oldest first, at most
    /// `limit`: attempts no worker has reported starting for that long.
    async fn queued_before(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<TaskInstance>>;

    /// Apply a batch of changes in one transaction; see [`WriteBatch`].
    async fn write(&self, batch: WriteBatch) -> StoreResult<WriteOutcome>;

    /// The gate this store's batches pass: a test holds batches back there.
    #[cfg(any(test, feature = "testing"))]
    fn held_writes(&self) -> std::sync::Arc<crate::held_writes::HeldWrites>;

    /// Expand a mapped task, in one transaction; see [`ExpandTask`]. Its new instances'
    /// task instances in map index order, or `None` when the mapped task's task instance is
    /// no longer as the scheduler saw it (nothing is written then).
    async fn expand(&self, expand: ExpandTask) -> StoreResult<Option<Vec<TaskInstance>>>;

    // --- XCom and logs ---

    /// An XCom value of task `task_id` in run `run`.
    async fn xcom(&self, run: RunPk, task_id: &str, key: &str) -> StoreResult<Option<Vec<u8>>>;

    /// All XCom values of a run.
    async fn run_xcoms(&self, run: RunPk) -> StoreResult<Vec<Xcom>>;

    /// The log of one attempt (JSON lines), if stored.
    async fn task_log(&self, ti: TiPk, try_number: u32) -> StoreResult<Option<Vec<u8>>>;

    /// Add `lines` (JSON lines, as a worker sends them while its attempt runs) to the stored
    /// log of the current try of `ti`, while attempt `lease` is current (queued or running
    /// with that lease) and the stored log stays within `max_bytes`. The log sent with the
    /// attempt's result later replaces it whole.
    async fn append_task_log(
        &self,
        ti: TiPk,
        lease: i64,
        follows: bool,
        lines: Vec<u8>,
        max_bytes: u64,
    ) -> StoreResult<crate::LogAppend>;

    /// The log of try `try_number` of `ti` from byte `from` (counted from 0) on, with its
    /// length and the attempt it is from; `None` when none is stored. With `lease`, the
    /// bytes come only if the log is that attempt's.
    async fn task_log_tail(
        &self,
        ti: TiPk,
        try_number: u32,
        from: u64,
        lease: Option<i64>,
    ) -> StoreResult<Option<crate::LogTail>>;

    /// Remove what is old enough to go (see [`Clean`](crate::Clean)), in short
    /// transactions; with `dry_run`, count it only.
    async fn clean(&self, request: &crate::Clean) -> StoreResult<crate::Cleaned>;

    /// Per queue of `tenant`, its task instances queued and running, and the oldest queued.
    async fn queue_depths(&self, tenant: &str) -> StoreResult<Vec<crate::QueueDepth>>;

    /// Per pool of `tenant` with work in it, the slots taken and the task instances waiting.
    async fn pool_usage(&self, tenant: &str) -> StoreResult<Vec<crate::PoolUsage>>;

    // --- variables and pools ---

    /// A variable.
    async fn variable(&self, tenant: &str, key: &str) -> StoreResult<Option<Variable>>;

    /// All variables, by key.
    async fn variables(&self, tenant: &str) -> StoreResult<Vec<Variable>>;

    /// Create or replace a variable.
    async fn set_variable(&self, tenant: &str, variable: Variable) -> StoreResult<()>;

    /// Delete a variable; false when it did not exist.
    async fn delete_variable(&self, tenant: &str, key: &str) -> StoreResult<bool>;

    /// All pools, by name (`default_pool` always exists).
    async fn pools(&self, tenant: &str) -> StoreResult<Vec<Pool>>;

    /// Create or resize a pool.
    async fn set_pool(&self, tenant: &str, pool: Pool) -> StoreResult<()>;

    /// Delete a pool; `false` when there is none of that name. `Invalid` for the default
    /// pool, and `Conflict` while task instances wait for or hold its slots (they would wait
    /// for ever): nothing is deleted then.
    async fn delete_pool(&self, tenant: &str, name: &str) -> StoreResult<bool>;

    // --- connections and secrets (sealed; see `sealed` and `credentials`) ---

    /// A connection, sealed.
    async fn connection(
        &self,
        tenant: &str,
        conn_id: &str,
    ) -> StoreResult<Option<SealedConnection>>;

    /// All connections, by id, sealed.
    async fn connections(&self, tenant: &str) -> StoreResult<Vec<SealedConnection>>;

    /// Create or replace a connection (an existing one keeps its `created_at`).
    /// [`StoreError::Invalid`](crate::StoreError::Invalid) when a value is not sealed with
    /// the key its `key_id` names.
    async fn put_connection(&self, tenant: &str, connection: SealedConnection) -> StoreResult<()>;

    /// Delete a connection; false when it did not exist.
    async fn delete_connection(&self, tenant: &str, conn_id: &str) -> StoreResult<bool>;

    /// A secret, sealed.
    async fn secret(&self, tenant: &str, name: &str) -> StoreResult<Option<SealedSecret>>;

    /// All secrets, by name, sealed.
    async fn secrets(&self, tenant: &str) -> StoreResult<Vec<SealedSecret>>;

    /// Create or replace a secret (an existing one keeps its `created_at`).
    async fn put_secret(&self, tenant: &str, secret: SealedSecret) -> StoreResult<()>;

    /// Delete a secret; false when it did not exist.
    async fn delete_secret(&self, tenant: &str, name: &str) -> StoreResult<bool>;

    /// The key markers recorded, by key id.
    async fn key_markers(&self) -> StoreResult<Vec<KeyMarker>>;

    /// Record a key marker, unless one is recorded for its key already.
    async fn add_key_marker(&self, marker: KeyMarker) -> StoreResult<()>;

    /// Ids of the keys stored connections and secrets are sealed with, of every tenant.
    async fn sealing_key_ids(&self) -> StoreResult<Vec<String>>;

    /// Seal every stored value of every tenant again with `reseal` (which returns `None`
    /// for a value to keep as it is) under the key of `marker`, record `marker`, and drop
    /// the markers of keys no value needs any more. A value `reseal` fails on stops it with
    /// nothing changed ([`StoreError::Sealing`](crate::StoreError::Sealing)).
    async fn reseal(&self, reseal: &Resealer, marker: KeyMarker) -> StoreResult<ResealOutcome>;

    /// Task instance `ti`'s current attempt and its run's digest, if it exists.
    async fn attempt(&self, ti: TiPk) -> StoreResult<Option<AttemptInfo>>;

    // --- notifications (see `notifications`) ---

    /// Claim up to `limit` due notifications for `holder` until `now + lease`, starting an
    /// attempt of each (their [`attempts`](crate::NotificationRecord::attempts) count it):
    /// pending ones whose next attempt is due and that nobody else holds (or whose holder's
    /// claim has expired). Of two callers at once, at most one gets each notification.
    async fn claim_notifications(
        &self,
        holder: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<crate::NotificationRecord>>;

    /// Record how the attempt a claim started ended; false (and nothing written) when the
    /// claim is no longer current (it expired and someone else claimed the notification).
    async fn record_notification(&self, result: &crate::DeliveryResult) -> StoreResult<bool>;

    /// A run's notifications, oldest first.
    async fn notifications(&self, run: RunPk) -> StoreResult<Vec<crate::NotificationRecord>>;

    // --- tenants and tokens ---

    /// Every tenant, by name (`default` included).
    async fn tenants(&self) -> StoreResult<Vec<crate::Tenant>>;

    /// A tenant, by name.
    async fn tenant(&self, name: &str) -> StoreResult<Option<crate::Tenant>>;

    /// Create a tenant, with its default pool. `Conflict` when the name is taken, `Invalid`
    /// when it is not a tenant name.
    async fn create_tenant(&self, tenant: crate::Tenant) -> StoreResult<()>;

    /// Set a tenant's weight in the fair sharing of slots; false when there is no such
    /// tenant, `Invalid` when the weight is out of range.
    async fn set_tenant_weight(&self, name: &str, weight: u32) -> StoreResult<bool>;

    /// Set tenant `name`'s quotas (checked first); whether it exists.
    async fn set_tenant_quotas(&self, name: &str, quotas: &crate::Quotas) -> StoreResult<bool>;

    /// Set tenant `name`'s sandbox policy (checked first); whether it exists.
    async fn set_tenant_sandbox(
        &self,
        name: &str,
        sandbox: &crate::TenantSandbox,
    ) -> StoreResult<bool>;

    /// Delete a tenant with its tokens, variables, pools, connections and secrets, in one
    /// transaction; refused (nothing deleted) while it has DAGs. `Invalid` for `default`.
    async fn delete_tenant(&self, name: &str) -> StoreResult<crate::TenantDeletion>;

    /// Store a new API token (its digest, never the token). `NotFound` when its tenant does
    /// not exist, `Conflict` when the id is taken.
    async fn create_token(&self, token: crate::ApiToken) -> StoreResult<()>;

    /// A token, by id, revoked and expired ones included.
    async fn token(&self, token_id: &str) -> StoreResult<Option<crate::ApiToken>>;

    /// A tenant's tokens, oldest first, revoked and expired ones included.
    async fn tokens(&self, tenant: &str) -> StoreResult<Vec<crate::ApiToken>>;

    /// Revoke a tenant's token at `at`; false when the tenant has no such live-or-expired
    /// token (unknown, another tenant's, or revoked already).
    async fn revoke_token(&self, tenant: &str, token_id: &str, at: Timestamp) -> StoreResult<bool>;

    // --- workers ---

    /// Record a worker's registration or heartbeat: insert it, or replace every field of the
    /// worker with the same `worker_id`.
    async fn record_worker(&self, worker: WorkerRecord) -> StoreResult<()>;

    /// Every worker recorded, by id, stopped and silent ones included.
    async fn workers(&self) -> StoreResult<Vec<WorkerRecord>>;

    // --- leadership ---

    /// Try to lead `name` (a scheduler, say) as `holder` until `now + ttl`. Succeeds when
    /// nobody holds it, when the holder's lease has expired (`expires_at <= now`), or when
    /// `holder` holds it already (a renewal); then returns `Some(epoch)`. The epoch grows by
    /// one each time the holder changes and stays the same on renewal, so a leader's writes
    /// can be fenced by it (see [`LeaderFence`](crate::LeaderFence)). `None` while another
    /// holder's lease runs. Race-free: of two callers at once, at most one gets the lease.
    async fn try_lead(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> StoreResult<Option<i64>>;

    /// Give up `name` if `holder` holds it, so another may take over at once (with the next
    /// epoch). Does nothing when `holder` does not hold it.
    async fn resign(&self, name: &str, holder: &str) -> StoreResult<()>;
}
