//! A store that holds back the batches a test picks until the test lets them go (feature
//! `testing`), and forwards everything else to the store it wraps: to see what goes on
//! while a write is still under way, and what follows when it fails.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use tokio::sync::{Notify, oneshot};
use weft_model::DagSpec;

use crate::error::{StoreError, StoreResult};
use crate::records::{
    DagRecord, DagRun, DagVersion, Deploy, DeployOutcome, NewRun, Pool, RunFilter, RunPk,
    TaskInstance, TiPk, Variable, WorkerRecord, Xcom,
};
use crate::sealed::{
    AttemptInfo, KeyMarker, ResealOutcome, Resealer, SealedConnection, SealedSecret,
};
use crate::store::Store;
use crate::write::{ExpandTask, WriteBatch, WriteOutcome};

/// Which batches a [`HeldWrites`] holds back.
type Pick = Box<dyn Fn(&WriteBatch) -> bool + Send + Sync>;

/// What becomes of the batches held when they are let go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Written, as if never held.
    Write,
    /// Not written: the write fails as when the database cannot be reached.
    Fail,
}

/// A store over `inner` that holds back the batches its pick chooses (none until
/// [`hold`](HeldWrites::hold) gives one) until [`release`](HeldWrites::release).
pub struct HeldWrites {
    inner: Arc<dyn Store>,
    pick: Mutex<Option<Pick>>,
    held: Mutex<Vec<oneshot::Sender<Release>>>,
    changed: Notify,
}

impl HeldWrites {
    /// Forward everything to `inner`; hold nothing yet.
    pub fn new(inner: Arc<dyn Store>) -> HeldWrites {
        HeldWrites {
            inner,
            pick: Mutex::new(None),
            held: Mutex::new(Vec::new()),
            changed: Notify::new(),
        }
    }

    /// From now on, hold back every batch `pick` chooses (none: hold nothing more).
    pub fn hold(&self, pick: Option<Pick>) {
        *self.pick.lock().unwrap_or_else(PoisonError::into_inner) = pick;
    }

    /// How many batches are held now.
    pub fn held(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Wait until at least `n` batches are held.
    pub async fn until_held(&self, n: usize) {
        loop {
            let changed = self.changed.notified();
            if self.held() >= n {
                return;
            }
            changed.await;
        }
    }

    /// Let every batch held go, written or failed as `how` says; how many there were.
    pub fn release(&self, how: Release) -> usize {
        let held = std::mem::take(&mut *self.held.lock().unwrap_or_else(PoisonError::into_inner));
        let count = held.len();
        for batch in held {
            // A writer that gave up waiting has nothing to be told.
            let _ = batch.send(how);
        }
        count
    }

    /// Whether the pick chooses `batch`.
    fn picks(&self, batch: &WriteBatch) -> bool {
        self.pick
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|pick| pick(batch))
    }
}

#[async_trait]
impl Store for HeldWrites {
    async fn deploy(&self, deploy: Deploy) -> StoreResult<DeployOutcome> {
        self.inner.deploy(deploy).await
    }

    async fn component(&self, tenant: &str, digest: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.component(tenant, digest).await
    }

    async fn spec(&self, tenant: &str, digest: &str) -> StoreResult<Option<DagSpec>> {
        self.inner.spec(tenant, digest).await
    }

    async fn dags(&self, tenant: &str) -> StoreResult<Vec<DagRecord>> {
        self.inner.dags(tenant).await
    }

    async fn dag(&self, tenant: &str, dag_id: &str) -> StoreResult<Option<DagRecord>> {
        self.inner.dag(tenant, dag_id).await
    }

    async fn dag_versions(&self, tenant: &str, dag_id: &str) -> StoreResult<Vec<DagVersion>> {
        self.inner.dag_versions(tenant, dag_id).await
    }

    async fn set_paused(
        &self,
        tenant: &str,
        dag_id: &str,
        paused: bool,
        at: Timestamp,
    ) -> StoreResult<bool> {
        self.inner.set_paused(tenant, dag_id, paused, at).await
    }

    async fn create_run(&self, run: NewRun) -> StoreResult<(DagRun, Vec<TaskInstance>)> {
        self.inner.create_run(run).await
    }

    async fn create_asset_run(
        &self,
        run: NewRun,
        consumed: &[i64],
    ) -> StoreResult<(DagRun, Vec<TaskInstance>)> {
        self.inner.create_asset_run(run, consumed).await
    }

    async fn post_asset_event(
        &self,
        event: crate::NewAssetEvent,
    ) -> StoreResult<crate::AssetEvent> {
        self.inner.post_asset_event(event).await
    }

    async fn asset_events(
        &self,
        tenant: &str,
        uri: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<crate::AssetEvent>> {
        self.inner.asset_events(tenant, uri, limit).await
    }

    async fn queued_asset_events(
        &self,
        tenant: &str,
        dag_id: &str,
    ) -> StoreResult<Vec<crate::AssetEvent>> {
        self.inner.queued_asset_events(tenant, dag_id).await
    }

    async fn asset_activity(&self, tenant: &str) -> StoreResult<Vec<crate::AssetActivity>> {
        self.inner.asset_activity(tenant).await
    }

    async fn run(&self, run: RunPk) -> StoreResult<Option<(DagRun, Vec<TaskInstance>)>> {
        self.inner.run(run).await
    }

    async fn run_by_id(
        &self,
        tenant: &str,
        dag_id: &str,
        run_id: &str,
    ) -> StoreResult<Option<DagRun>> {
        self.inner.run_by_id(tenant, dag_id, run_id).await
    }

    async fn run_by_logical_date(
        &self,
        tenant: &str,
        dag_id: &str,
        logical_date: Timestamp,
    ) -> StoreResult<Option<DagRun>> {
        self.inner
            .run_by_logical_date(tenant, dag_id, logical_date)
            .await
    }

    async fn runs(&self, tenant: &str, filter: &RunFilter) -> StoreResult<Vec<DagRun>> {
        self.inner.runs(tenant, filter).await
    }

    async fn active_runs(&self) -> StoreResult<Vec<(DagRun, Vec<TaskInstance>)>> {
        self.inner.active_runs().await
    }

    async fn latest_scheduled_run(
        &self,
        tenant: &str,
        dag_id: &str,
    ) -> StoreResult<Option<DagRun>> {
        self.inner.latest_scheduled_run(tenant, dag_id).await
    }

    async fn expired_leases(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TaskInstance>> {
        self.inner.expired_leases(now, limit).await
    }

    async fn queued_before(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<TaskInstance>> {
        self.inner.queued_before(before, limit).await
    }

    async fn write(&self, batch: WriteBatch) -> StoreResult<WriteOutcome> {
        if self.picks(&batch) {
            let (release, released) = oneshot::channel();
            self.held
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(release);
            self.changed.notify_waiters();
            match released.await {
                Ok(Release::Write) => {}
                Ok(Release::Fail) | Err(_) => {
                    return Err(StoreError::Unavailable(
                        "a held write was let go as failed".into(),
                    ));
                }
            }
        }
        self.inner.write(batch).await
    }

    async fn expand(&self, expand: ExpandTask) -> StoreResult<Option<Vec<TaskInstance>>> {
        self.inner.expand(expand).await
    }

    async fn xcom(&self, run: RunPk, task_id: &str, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.xcom(run, task_id, key).await
    }

    async fn run_xcoms(&self, run: RunPk) -> StoreResult<Vec<Xcom>> {
        self.inner.run_xcoms(run).await
    }

    async fn task_log(&self, ti: TiPk, try_number: u32) -> StoreResult<Option<Vec<u8>>> {
        self.inner.task_log(ti, try_number).await
    }

    async fn append_task_log(
        &self,
        ti: TiPk,
        lease: i64,
        follows: bool,
        lines: Vec<u8>,
        max_bytes: u64,
    ) -> StoreResult<crate::LogAppend> {
        self.inner
            .append_task_log(ti, lease, follows, lines, max_bytes)
            .await
    }

    async fn task_log_tail(
        &self,
        ti: TiPk,
        try_number: u32,
        from: u64,
        lease: Option<i64>,
    ) -> StoreResult<Option<crate::LogTail>> {
        self.inner.task_log_tail(ti, try_number, from, lease).await
    }

    async fn clean(&self, request: &crate::Clean) -> StoreResult<crate::Cleaned> {
        self.inner.clean(request).await
    }

    async fn queue_depths(&self, tenant: &str) -> StoreResult<Vec<crate::QueueDepth>> {
        self.inner.queue_depths(tenant).await
    }

    async fn pool_usage(&self, tenant: &str) -> StoreResult<Vec<crate::PoolUsage>> {
        self.inner.pool_usage(tenant).await
    }

    async fn variable(&self, tenant: &str, key: &str) -> StoreResult<Option<Variable>> {
        self.inner.variable(tenant, key).await
    }

    async fn variables(&self, tenant: &str) -> StoreResult<Vec<Variable>> {
        self.inner.variables(tenant).await
    }

    async fn set_variable(&self, tenant: &str, variable: Variable) -> StoreResult<()> {
        self.inner.set_variable(tenant, variable).await
    }

    async fn delete_variable(&self, tenant: &str, key: &str) -> StoreResult<bool> {
        self.inner.delete_variable(tenant, key).await
    }

    async fn pools(&self, tenant: &str) -> StoreResult<Vec<Pool>> {
        self.inner.pools(tenant).await
    }

    async fn set_pool(&self, tenant: &str, pool: Pool) -> StoreResult<()> {
        self.inner.set_pool(tenant, pool).await
    }

    async fn delete_pool(&self, tenant: &str, name: &str) -> StoreResult<bool> {
        self.inner.delete_pool(tenant, name).await
    }

    async fn connection(
        &self,
        tenant: &str,
        conn_id: &str,
    ) -> StoreResult<Option<SealedConnection>> {
        self.inner.connection(tenant, conn_id).await
    }

    async fn connections(&self, tenant: &str) -> StoreResult<Vec<SealedConnection>> {
        self.inner.connections(tenant).await
    }

    async fn put_connection(&self, tenant: &str, connection: SealedConnection) -> StoreResult<()> {
        self.inner.put_connection(tenant, connection).await
    }

    async fn delete_connection(&self, tenant: &str, conn_id: &str) -> StoreResult<bool> {
        self.inner.delete_connection(tenant, conn_id).await
    }

    async fn secret(&self, tenant: &str, name: &str) -> StoreResult<Option<SealedSecret>> {
        self.inner.secret(tenant, name).await
    }

    async fn secrets(&self, tenant: &str) -> StoreResult<Vec<SealedSecret>> {
        self.inner.secrets(tenant).await
    }

    async fn put_secret(&self, tenant: &str, secret: SealedSecret) -> StoreResult<()> {
        self.inner.put_secret(tenant, secret).await
    }

    async fn delete_secret(&self, tenant: &str, name: &str) -> StoreResult<bool> {
        self.inner.delete_secret(tenant, name).await
    }

    async fn key_markers(&self) -> StoreResult<Vec<KeyMarker>> {
        self.inner.key_markers().await
    }

    async fn add_key_marker(&self, marker: KeyMarker) -> StoreResult<()> {
        self.inner.add_key_marker(marker).await
    }

    async fn sealing_key_ids(&self) -> StoreResult<Vec<String>> {
        self.inner.sealing_key_ids().await
    }

    async fn reseal(&self, reseal: &Resealer, marker: KeyMarker) -> StoreResult<ResealOutcome> {
        self.inner.reseal(reseal, marker).await
    }

    async fn attempt(&self, ti: TiPk) -> StoreResult<Option<AttemptInfo>> {
        self.inner.attempt(ti).await
    }

    async fn claim_notifications(
        &self,
        holder: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<crate::NotificationRecord>> {
        self.inner
            .claim_notifications(holder, now, lease, limit)
            .await
    }

    async fn record_notification(&self, result: &crate::DeliveryResult) -> StoreResult<bool> {
        self.inner.record_notification(result).await
    }

    async fn notifications(&self, run: RunPk) -> StoreResult<Vec<crate::NotificationRecord>> {
        self.inner.notifications(run).await
    }

    async fn tenants(&self) -> StoreResult<Vec<crate::Tenant>> {
        self.inner.tenants().await
    }

    async fn tenant(&self, name: &str) -> StoreResult<Option<crate::Tenant>> {
        self.inner.tenant(name).await
    }

    async fn create_tenant(&self, tenant: crate::Tenant) -> StoreResult<()> {
        self.inner.create_tenant(tenant).await
    }

    async fn set_tenant_weight(&self, name: &str, weight: u32) -> StoreResult<bool> {
        self.inner.set_tenant_weight(name, weight).await
    }

    async fn set_tenant_quotas(&self, name: &str, quotas: &crate::Quotas) -> StoreResult<bool> {
        self.inner.set_tenant_quotas(name, quotas).await
    }

    async fn set_tenant_sandbox(
        &self,
        name: &str,
        sandbox: &crate::TenantSandbox,
    ) -> StoreResult<bool> {
        self.inner.set_tenant_sandbox(name, sandbox).await
    }

    async fn delete_tenant(&self, name: &str) -> StoreResult<crate::TenantDeletion> {
        self.inner.delete_tenant(name).await
    }

    async fn create_token(&self, token: crate::ApiToken) -> StoreResult<()> {
        self.inner.create_token(token).await
    }

    async fn token(&self, token_id: &str) -> StoreResult<Option<crate::ApiToken>> {
        self.inner.token(token_id).await
    }

    async fn tokens(&self, tenant: &str) -> StoreResult<Vec<crate::ApiToken>> {
        self.inner.tokens(tenant).await
    }

    async fn revoke_token(&self, tenant: &str, token_id: &str, at: Timestamp) -> StoreResult<bool> {
        self.inner.revoke_token(tenant, token_id, at).await
    }

    async fn record_worker(&self, worker: WorkerRecord) -> StoreResult<()> {
        self.inner.record_worker(worker).await
    }

    async fn workers(&self) -> StoreResult<Vec<WorkerRecord>> {
        self.inner.workers().await
    }

    async fn try_lead(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> StoreResult<Option<i64>> {
        self.inner.try_lead(name, holder, now, ttl).await
    }

    async fn resign(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.inner.resign(name, holder).await
    }
}
