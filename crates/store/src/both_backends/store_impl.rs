//! The [`Store`] implementation of every [`Backend`]: written once, compiled for each
//! backend. The reads and one-statement writes are here; the multi-statement transactions
//! are in [`transactions`](super::transactions), the worker registry and leadership leases
//! in [`coordination`](super::coordination).

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use weft_model::DagSpec;

use super::statement::statement;
use super::{
    assemble, assets_sql, coordination, monitoring_sql, notifications_sql, retention_sql,
    sealed_sql, sql, tenancy_sql, transactions,
};
use crate::backend::Backend;
use crate::error::{StoreError, StoreResult};
use crate::records::{
    DagRecord, DagRun, DagVersion, Deploy, DeployOutcome, NewRun, Pool, RunFilter, RunPk,
    TaskInstance, TiPk, Variable, WorkerRecord, Xcom,
};
use crate::rows::{
    self, ComponentName, DagRow, PoolRow, RunRow, RunTiRow, TiRow, VariableRow, VersionRow, XcomRow,
};
use crate::sealed::{
    AttemptInfo, KeyMarker, ResealOutcome, Resealer, SealedConnection, SealedSecret,
};
use crate::store::Store;
use crate::validate;
use crate::write::{ExpandTask, WriteBatch, WriteOutcome};

#[async_trait]
impl<B: Backend> Store for B {
    #[tracing::instrument(level = "debug", skip(self))]
    async fn claim_notifications(
        &self,
        holder: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<crate::NotificationRecord>> {
        notifications_sql::claim(self, holder, now, lease, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = result.id))]
    async fn record_notification(&self, result: &crate::DeliveryResult) -> StoreResult<bool> {
        notifications_sql::record(self, result).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn notifications(&self, run: RunPk) -> StoreResult<Vec<crate::NotificationRecord>> {
        notifications_sql::of_run(self, run).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %deploy.tenant, dag_id = %deploy.dag_id))]
    async fn deploy(&self, deploy: Deploy) -> StoreResult<DeployOutcome> {
        transactions::deploy(self, deploy).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn component(&self, tenant: &str, digest: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(statement::<B::Db>(sql::COMPONENT_BYTES)
            .bind(tenant)
            .bind(digest)
            .fetch_optional_scalar(&mut *self.reader().await?)
            .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn spec(&self, tenant: &str, digest: &str) -> StoreResult<Option<DagSpec>> {
        let json: Option<String> = statement::<B::Db>(sql::COMPONENT_SPEC)
            .bind(tenant)
            .bind(digest)
            .fetch_optional_scalar(&mut *self.reader().await?)
            .await?;
        let name = ComponentName(tenant, digest);
        json.map(|json| rows::spec(&name, &json)).transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn dags(&self, tenant: &str) -> StoreResult<Vec<DagRecord>> {
        statement::<B::Db>(sql::DAGS)
            .bind(tenant)
            .fetch_all::<DagRow>(&mut *self.reader().await?)
            .await?
            .into_iter()
            .map(DagRow::into_record)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn dag(&self, tenant: &str, dag_id: &str) -> StoreResult<Option<DagRecord>> {
        statement::<B::Db>(sql::DAG)
            .bind(tenant)
            .bind(dag_id)
            .fetch_optional::<DagRow>(&mut *self.reader().await?)
            .await?
            .map(DagRow::into_record)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn dag_versions(&self, tenant: &str, dag_id: &str) -> StoreResult<Vec<DagVersion>> {
        statement::<B::Db>(sql::DAG_VERSIONS)
            .bind(tenant)
            .bind(dag_id)
            .fetch_all::<VersionRow>(&mut *self.reader().await?)
            .await?
            .into_iter()
            .map(VersionRow::into_record)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn set_paused(
        &self,
        tenant: &str,
        dag_id: &str,
        paused: bool,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let mut conn = self.writer().await?;
        let mut tx = B::begin_write(&mut conn).await?;
        let changed = statement::<B::Db>(sql::SET_PAUSED)
            .bind(tenant)
            .bind(dag_id)
            .bind(paused)
            .bind(rows::micros(at))
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(changed > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(dag_id = %run.dag_id, run_id = %run.run_id, tasks = run.tasks.len()))]
    async fn create_run(&self, run: NewRun) -> StoreResult<(DagRun, Vec<TaskInstance>)> {
        transactions::create_run(self, run).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(dag_id = %run.dag_id, run_id = %run.run_id))]
    async fn create_asset_run(
        &self,
        run: NewRun,
        consumed: &[i64],
    ) -> StoreResult<(DagRun, Vec<TaskInstance>)> {
        transactions::create_asset_run(self, run, consumed).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %event.tenant, uri = %event.uri))]
    async fn post_asset_event(
        &self,
        event: crate::NewAssetEvent,
    ) -> StoreResult<crate::AssetEvent> {
        assets_sql::post(self, event).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn asset_events(
        &self,
        tenant: &str,
        uri: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<crate::AssetEvent>> {
        assets_sql::events(self, tenant, uri, limit).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn queued_asset_events(
        &self,
        tenant: &str,
        dag_id: &str,
    ) -> StoreResult<Vec<crate::AssetEvent>> {
        assets_sql::queued(self, tenant, dag_id).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn asset_activity(&self, tenant: &str) -> StoreResult<Vec<crate::AssetActivity>> {
        assets_sql::activity(self, tenant).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn run(&self, run: RunPk) -> StoreResult<Option<(DagRun, Vec<TaskInstance>)>> {
        // One statement, so one snapshot, for a run and its task instances.
        let found = statement::<B::Db>(sql::RUN_WITH_TIS)
            .bind(run)
            .fetch_all::<RunTiRow>(&mut *self.reader().await?)
            .await?;
        if let Some(found) = RunTiRow::into_records(found)? {
            return Ok(Some(found));
        }
        // No such run, or one without task instances (which are only ever written with
        // their run).
        statement::<B::Db>(sql::RUN)
            .bind(run)
            .fetch_optional::<RunRow>(&mut *self.reader().await?)
            .await?
            .map(|row| Ok((row.into_record()?, Vec::new())))
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn run_by_id(
        &self,
        tenant: &str,
        dag_id: &str,
        run_id: &str,
    ) -> StoreResult<Option<DagRun>> {
        statement::<B::Db>(sql::RUN_BY_ID)
            .bind(tenant)
            .bind(dag_id)
            .bind(run_id)
            .fetch_optional::<RunRow>(&mut *self.reader().await?)
            .await?
            .map(RunRow::into_record)
            .transpose()
    }

    async fn run_by_logical_date(
        &self,
        tenant: &str,
        dag_id: &str,
        logical_date: Timestamp,
    ) -> StoreResult<Option<DagRun>> {
        statement::<B::Db>(sql::RUN_BY_LOGICAL_DATE)
            .bind(tenant)
            .bind(dag_id)
            .bind(crate::rows::micros(logical_date))
            .fetch_optional::<RunRow>(&mut *self.reader().await?)
            .await?
            .map(RunRow::into_record)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn runs(&self, tenant: &str, filter: &RunFilter) -> StoreResult<Vec<DagRun>> {
        let limit = i64::from(filter.limit.unwrap_or(assemble::DEFAULT_RUN_LIMIT));
        statement::<B::Db>(sql::RUNS)
            .bind(tenant)
            .bind(filter.dag_id.as_deref())
            .bind(filter.state.map(|s| s.as_str()))
            .bind(limit)
            .fetch_all::<RunRow>(&mut *self.reader().await?)
            .await?
            .into_iter()
            .map(RunRow::into_record)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn active_runs(&self) -> StoreResult<Vec<(DagRun, Vec<TaskInstance>)>> {
        let mut conn = self.reader().await?;
        let mut tx = B::begin_read(&mut conn).await?;
        let runs = statement::<B::Db>(sql::ACTIVE_RUNS)
            .fetch_all::<RunRow>(&mut tx)
            .await?;
        let tis = statement::<B::Db>(sql::ACTIVE_TIS)
            .fetch_all::<TiRow>(&mut tx)
            .await?;
        tx.commit().await?;
        assemble::group_runs(runs, tis)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn latest_scheduled_run(
        &self,
        tenant: &str,
        dag_id: &str,
    ) -> StoreResult<Option<DagRun>> {
        statement::<B::Db>(sql::LATEST_SCHEDULED_RUN)
            .bind(tenant)
            .bind(dag_id)
            .fetch_optional::<RunRow>(&mut *self.reader().await?)
            .await?
            .map(RunRow::into_record)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn expired_leases(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TaskInstance>> {
        statement::<B::Db>(sql::EXPIRED_LEASES)
            .bind(rows::micros(now))
            .bind(i64::from(limit))
            .fetch_all::<TiRow>(&mut *self.reader().await?)
            .await?
            .into_iter()
            .map(TiRow::into_record)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn queued_before(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<TaskInstance>> {
        statement::<B::Db>(sql::QUEUED_BEFORE)
            .bind(rows::micros(before))
            .bind(i64::from(limit))
            .fetch_all::<TiRow>(&mut *self.reader().await?)
            .await?
            .into_iter()
            .map(TiRow::into_record)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(
        queue = batch.queue.len(), start = batch.start.len(), heartbeat = batch.heartbeat.len(),
        finish = batch.finish.len(), set_task = batch.set_task.len(), set_run = batch.set_run.len()))]
    async fn write(&self, batch: WriteBatch) -> StoreResult<WriteOutcome> {
        #[cfg(any(test, feature = "testing"))]
        Backend::held_writes(self).pass(&batch).await?;
        transactions::write(self, batch).await
    }

    #[cfg(any(test, feature = "testing"))]
    fn held_writes(&self) -> std::sync::Arc<crate::held_writes::HeldWrites> {
        Backend::held_writes(self).clone()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ti = expand.ti))]
    async fn expand(&self, expand: ExpandTask) -> StoreResult<Option<Vec<TaskInstance>>> {
        transactions::expand(self, expand).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn xcom(&self, run: RunPk, task_id: &str, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(statement::<B::Db>(sql::XCOM)
            .bind(run)
            .bind(task_id)
            .bind(key)
            .fetch_optional_scalar(&mut *self.reader().await?)
            .await?)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn run_xcoms(&self, run: RunPk) -> StoreResult<Vec<Xcom>> {
        let rows = statement::<B::Db>(sql::RUN_XCOMS)
            .bind(run)
            .fetch_all::<XcomRow>(&mut *self.reader().await?)
            .await?;
        Ok(rows.into_iter().map(Xcom::from).collect())
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn task_log(&self, ti: TiPk, try_number: u32) -> StoreResult<Option<Vec<u8>>> {
        Ok(statement::<B::Db>(sql::TASK_LOG)
            .bind(ti)
            .bind(i64::from(try_number))
            .fetch_optional_scalar(&mut *self.reader().await?)
            .await?)
    }

    #[tracing::instrument(level = "debug", skip(self, lines), fields(bytes = lines.len()))]
    async fn append_task_log(
        &self,
        ti: TiPk,
        lease: i64,
        follows: bool,
        lines: Vec<u8>,
        max_bytes: u64,
    ) -> StoreResult<crate::LogAppend> {
        monitoring_sql::append_task_log(self, ti, lease, follows, lines, max_bytes).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn task_log_tail(
        &self,
        ti: TiPk,
        try_number: u32,
        from: u64,
        lease: Option<i64>,
    ) -> StoreResult<Option<crate::LogTail>> {
        monitoring_sql::task_log_tail(self, ti, try_number, from, lease).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn clean(&self, request: &crate::Clean) -> StoreResult<crate::Cleaned> {
        retention_sql::clean(self, request).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn queue_depths(&self, tenant: &str) -> StoreResult<Vec<crate::QueueDepth>> {
        monitoring_sql::queue_depths(self, tenant).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn pool_usage(&self, tenant: &str) -> StoreResult<Vec<crate::PoolUsage>> {
        monitoring_sql::pool_usage(self, tenant).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn variable(&self, tenant: &str, key: &str) -> StoreResult<Option<Variable>> {
        statement::<B::Db>(sql::VARIABLE)
            .bind(tenant)
            .bind(key)
            .fetch_optional::<VariableRow>(&mut *self.reader().await?)
            .await?
            .map(VariableRow::into_record)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn variables(&self, tenant: &str) -> StoreResult<Vec<Variable>> {
        statement::<B::Db>(sql::VARIABLES)
            .bind(tenant)
            .fetch_all::<VariableRow>(&mut *self.reader().await?)
            .await?
            .into_iter()
            .map(VariableRow::into_record)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip(self, variable), fields(key = %variable.key))]
    async fn set_variable(&self, tenant: &str, variable: Variable) -> StoreResult<()> {
        validate::variable(tenant, &variable)?;
        let mut conn = self.writer().await?;
        let mut tx = B::begin_write(&mut conn).await?;
        transactions::ensure_tenant::<B>(&mut tx, tenant).await?;
        statement::<B::Db>(sql::SET_VARIABLE)
            .bind(tenant)
            .bind(variable.key)
            .bind(variable.value)
            .bind(variable.description)
            .bind(rows::micros(variable.updated_at))
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn delete_variable(&self, tenant: &str, key: &str) -> StoreResult<bool> {
        let mut conn = self.writer().await?;
        let mut tx = B::begin_write(&mut conn).await?;
        let deleted = statement::<B::Db>(sql::DELETE_VARIABLE)
            .bind(tenant)
            .bind(key)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn connection(
        &self,
        tenant: &str,
        conn_id: &str,
    ) -> StoreResult<Option<SealedConnection>> {
        sealed_sql::connection(self, tenant, conn_id).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn connections(&self, tenant: &str) -> StoreResult<Vec<SealedConnection>> {
        sealed_sql::connections(self, tenant).await
    }

    #[tracing::instrument(level = "debug", skip(self, connection), fields(conn_id = %connection.conn_id))]
    async fn put_connection(&self, tenant: &str, connection: SealedConnection) -> StoreResult<()> {
        sealed_sql::put_connection(self, tenant, connection).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn delete_connection(&self, tenant: &str, conn_id: &str) -> StoreResult<bool> {
        sealed_sql::delete(self, true, tenant, conn_id).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn secret(&self, tenant: &str, name: &str) -> StoreResult<Option<SealedSecret>> {
        sealed_sql::secret(self, tenant, name).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn secrets(&self, tenant: &str) -> StoreResult<Vec<SealedSecret>> {
        sealed_sql::secrets(self, tenant).await
    }

    #[tracing::instrument(level = "debug", skip(self, secret), fields(name = %secret.name))]
    async fn put_secret(&self, tenant: &str, secret: SealedSecret) -> StoreResult<()> {
        sealed_sql::put_secret(self, tenant, secret).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn delete_secret(&self, tenant: &str, name: &str) -> StoreResult<bool> {
        sealed_sql::delete(self, false, tenant, name).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn key_markers(&self) -> StoreResult<Vec<KeyMarker>> {
        sealed_sql::key_markers(self).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(key_id = %marker.key_id))]
    async fn add_key_marker(&self, marker: KeyMarker) -> StoreResult<()> {
        sealed_sql::add_key_marker(self, marker).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn sealing_key_ids(&self) -> StoreResult<Vec<String>> {
        sealed_sql::sealing_key_ids(self).await
    }

    #[tracing::instrument(level = "info", skip_all, fields(key_id = %marker.key_id))]
    async fn reseal(&self, reseal: &Resealer, marker: KeyMarker) -> StoreResult<ResealOutcome> {
        sealed_sql::reseal(self, reseal, marker).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn attempt(&self, ti: TiPk) -> StoreResult<Option<AttemptInfo>> {
        sealed_sql::attempt(self, ti).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn pools(&self, tenant: &str) -> StoreResult<Vec<Pool>> {
        let rows = statement::<B::Db>(sql::POOLS)
            .bind(tenant)
            .fetch_all::<PoolRow>(&mut *self.reader().await?)
            .await?;
        Ok(assemble::with_default_pool(
            rows.into_iter().map(Pool::from).collect(),
        ))
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn set_pool(&self, tenant: &str, pool: Pool) -> StoreResult<()> {
        validate::pool(tenant, &pool)?;
        let mut conn = self.writer().await?;
        let mut tx = B::begin_write(&mut conn).await?;
        transactions::ensure_tenant::<B>(&mut tx, tenant).await?;
        statement::<B::Db>(sql::SET_POOL)
            .bind(tenant)
            .bind(pool.name)
            .bind(pool.slots)
            .bind(pool.description)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn delete_pool(&self, tenant: &str, name: &str) -> StoreResult<bool> {
        if name == crate::records::DEFAULT_POOL {
            return Err(StoreError::Invalid(format!(
                "{name} is the pool of every task that names none; it cannot be deleted \
                 (resize it instead)"
            )));
        }
        let mut conn = self.writer().await?;
        let mut tx = B::begin_write(&mut conn).await?;
        let in_use: Option<i64> = statement::<B::Db>(sql::POOL_IN_USE)
            .bind(tenant)
            .bind(name)
            .fetch_optional_scalar(&mut tx)
            .await?;
        if let Some(n @ 1..) = in_use {
            return Err(StoreError::Conflict(format!(
                "pool {name} has {n} task instances waiting for or holding its slots; \
                 delete it once they are done"
            )));
        }
        let deleted = statement::<B::Db>(sql::DELETE_POOL)
            .bind(tenant)
            .bind(name)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn tenants(&self) -> StoreResult<Vec<crate::Tenant>> {
        tenancy_sql::tenants(self).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn tenant(&self, name: &str) -> StoreResult<Option<crate::Tenant>> {
        tenancy_sql::tenant(self, name).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant.name))]
    async fn create_tenant(&self, tenant: crate::Tenant) -> StoreResult<()> {
        tenancy_sql::create_tenant(self, tenant).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn set_tenant_quotas(&self, name: &str, quotas: &crate::Quotas) -> StoreResult<bool> {
        tenancy_sql::set_tenant_quotas(self, name, quotas).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn set_tenant_sandbox(
        &self,
        name: &str,
        sandbox: &crate::TenantSandbox,
    ) -> StoreResult<bool> {
        tenancy_sql::set_tenant_sandbox(self, name, sandbox).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn set_tenant_weight(&self, name: &str, weight: u32) -> StoreResult<bool> {
        tenancy_sql::set_tenant_weight(self, name, weight).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn delete_tenant(&self, name: &str) -> StoreResult<crate::TenantDeletion> {
        tenancy_sql::delete_tenant(self, name).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %token.tenant, token_id = %token.token_id))]
    async fn create_token(&self, token: crate::ApiToken) -> StoreResult<()> {
        tenancy_sql::create_token(self, token).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn token(&self, token_id: &str) -> StoreResult<Option<crate::ApiToken>> {
        tenancy_sql::token(self, token_id).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn tokens(&self, tenant: &str) -> StoreResult<Vec<crate::ApiToken>> {
        tenancy_sql::tokens(self, tenant).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn revoke_token(&self, tenant: &str, token_id: &str, at: Timestamp) -> StoreResult<bool> {
        tenancy_sql::revoke_token(self, tenant, token_id, at).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(worker_id = %worker.worker_id))]
    async fn record_worker(&self, worker: WorkerRecord) -> StoreResult<()> {
        coordination::record_worker(self, worker).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn workers(&self) -> StoreResult<Vec<WorkerRecord>> {
        coordination::workers(self).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn try_lead(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> StoreResult<Option<i64>> {
        coordination::try_lead(self, name, holder, now, ttl).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn resign(&self, name: &str, holder: &str) -> StoreResult<()> {
        coordination::resign(self, name, holder).await
    }
}
