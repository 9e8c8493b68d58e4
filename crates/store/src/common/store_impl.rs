//! The [`Store`](crate::Store) implementation both backends share, as a macro over the
//! backend's store type and connection type. The store type provides:
//!
//! - `async fn reader(&self)` and `async fn writer(&self)`: a connection (something that
//!   dereferences to the connection type) for reads, and one for a write transaction;
//! - `async fn begin_write(conn) -> Result<sqlx::Transaction<'_, DB>, sqlx::Error>` on a
//!   writer's connection;
//! - `async fn begin_fenced(writer, Option<&LeaderFence>) -> StoreResult<Transaction<'_, DB>>`:
//!   a write transaction that goes on only while the fence holds, failing with
//!   [`StoreError::Conflict`](crate::StoreError::Conflict) otherwise;
//! - `async fn begin_read(conn) -> Result<sqlx::Transaction<'_, DB>, sqlx::Error>`: a
//!   transaction that sees one snapshot across several reads;
//! - `async fn insert_run_and_tasks(&self, &NewRun) -> StoreResult<(DagRun, Vec<(i64, String)>)>`:
//!   a new run and its task instances, committed together;
//! - `fn task_instances_created(&self, count: usize)`: told after a run's task instances are
//!   committed;
//!
//! and the connection type implements [`BatchSql`](crate::apply::BatchSql).

macro_rules! impl_store {
    ($store:ty, $conn:ty) => {
        $crate::common::transactions::impl_transactions!($store, $conn);
        $crate::common::impl_coordination!($store);

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            #[tracing::instrument(level = "debug", skip_all, fields(tenant = %deploy.tenant, dag_id = %deploy.dag_id))]
            async fn deploy(&self, deploy: $crate::Deploy) -> $crate::StoreResult<$crate::DeployOutcome> {
                self.deploy_in_transaction(deploy).await
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn component(&self, tenant: &str, digest: &str) -> $crate::StoreResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar($crate::common::sql::COMPONENT_BYTES)
                    .bind(tenant)
                    .bind(digest)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?)
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn spec(&self, tenant: &str, digest: &str) -> $crate::StoreResult<Option<weft_model::DagSpec>> {
                let json: Option<String> = sqlx::query_scalar($crate::common::sql::COMPONENT_SPEC)
                    .bind(tenant)
                    .bind(digest)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                let name = $crate::rows::ComponentName(tenant, digest);
                json.map(|json| $crate::rows::spec(&name, &json)).transpose()
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn dags(&self, tenant: &str) -> $crate::StoreResult<Vec<$crate::DagRecord>> {
                sqlx::query_as::<_, $crate::rows::DagRow>($crate::common::sql::DAGS)
                    .bind(tenant)
                    .fetch_all(&mut *self.reader().await?)
                    .await?
                    .into_iter()
                    .map($crate::rows::DagRow::into_record)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn dag(&self, tenant: &str, dag_id: &str) -> $crate::StoreResult<Option<$crate::DagRecord>> {
                sqlx::query_as::<_, $crate::rows::DagRow>($crate::common::sql::DAG)
                    .bind(tenant)
                    .bind(dag_id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?
                    .map($crate::rows::DagRow::into_record)
                    .transpose()
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn dag_versions(&self, tenant: &str, dag_id: &str) -> $crate::StoreResult<Vec<$crate::DagVersion>> {
                sqlx::query_as::<_, $crate::rows::VersionRow>($crate::common::sql::DAG_VERSIONS)
                    .bind(tenant)
                    .bind(dag_id)
                    .fetch_all(&mut *self.reader().await?)
                    .await?
                    .into_iter()
                    .map($crate::rows::VersionRow::into_record)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn set_paused(
                &self,
                tenant: &str,
                dag_id: &str,
                paused: bool,
                at: jiff::Timestamp,
            ) -> $crate::StoreResult<bool> {
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                let done = sqlx::query($crate::common::sql::SET_PAUSED)
                    .bind(tenant)
                    .bind(dag_id)
                    .bind(paused)
                    .bind($crate::rows::micros(at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            #[tracing::instrument(level = "debug", skip_all, fields(dag_id = %run.dag_id, run_id = %run.run_id, tasks = run.tasks.len()))]
            async fn create_run(
                &self,
                run: $crate::NewRun,
            ) -> $crate::StoreResult<($crate::DagRun, Vec<$crate::TaskInstance>)> {
                self.create_run_in_transaction(run).await
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn run(
                &self,
                run: $crate::RunPk,
            ) -> $crate::StoreResult<Option<($crate::DagRun, Vec<$crate::TaskInstance>)>> {
                use $crate::common::sql;
                // One statement, so one snapshot, for a run and its task instances.
                let rows = sqlx::query_as::<_, $crate::rows::RunTiRow>(sql::RUN_WITH_TIS)
                    .bind(run)
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                if let Some(found) = $crate::rows::RunTiRow::into_records(rows)? {
                    return Ok(Some(found));
                }
                // No such run, or one without task instances (which are only ever written
                // with their run).
                sqlx::query_as::<_, $crate::rows::RunRow>(sql::RUN)
                    .bind(run)
                    .fetch_optional(&mut *self.reader().await?)
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
            ) -> $crate::StoreResult<Option<$crate::DagRun>> {
                sqlx::query_as::<_, $crate::rows::RunRow>($crate::common::sql::RUN_BY_ID)
                    .bind(tenant)
                    .bind(dag_id)
                    .bind(run_id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?
                    .map($crate::rows::RunRow::into_record)
                    .transpose()
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn runs(&self, tenant: &str, filter: &$crate::RunFilter) -> $crate::StoreResult<Vec<$crate::DagRun>> {
                let limit = i64::from(filter.limit.unwrap_or($crate::common::assemble::DEFAULT_RUN_LIMIT));
                sqlx::query_as::<_, $crate::rows::RunRow>($crate::common::sql::RUNS)
                    .bind(tenant)
                    .bind(filter.dag_id.as_deref())
                    .bind(filter.state.map(|s| s.as_str()))
                    .bind(limit)
                    .fetch_all(&mut *self.reader().await?)
                    .await?
                    .into_iter()
                    .map($crate::rows::RunRow::into_record)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn active_runs(&self) -> $crate::StoreResult<Vec<($crate::DagRun, Vec<$crate::TaskInstance>)>> {
                use $crate::common::sql;
                use $crate::rows::{RunRow, TiRow};
                let mut conn = self.reader().await?;
                let mut tx = Self::begin_read(&mut conn).await?;
                let runs = sqlx::query_as::<_, RunRow>(sql::ACTIVE_RUNS).fetch_all(&mut *tx).await?;
                let tis = sqlx::query_as::<_, TiRow>(sql::ACTIVE_TIS).fetch_all(&mut *tx).await?;
                tx.commit().await?;
                $crate::common::assemble::group_runs(runs, tis)
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn latest_scheduled_run(
                &self,
                tenant: &str,
                dag_id: &str,
            ) -> $crate::StoreResult<Option<$crate::DagRun>> {
                sqlx::query_as::<_, $crate::rows::RunRow>($crate::common::sql::LATEST_SCHEDULED_RUN)
                    .bind(tenant)
                    .bind(dag_id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?
                    .map($crate::rows::RunRow::into_record)
                    .transpose()
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn expired_leases(
                &self,
                now: jiff::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::TaskInstance>> {
                sqlx::query_as::<_, $crate::rows::TiRow>($crate::common::sql::EXPIRED_LEASES)
                    .bind($crate::rows::micros(now))
                    .bind(i64::from(limit))
                    .fetch_all(&mut *self.reader().await?)
                    .await?
                    .into_iter()
                    .map($crate::rows::TiRow::into_record)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip_all, fields(
                queue = batch.queue.len(), start = batch.start.len(), heartbeat = batch.heartbeat.len(),
                finish = batch.finish.len(), set_task = batch.set_task.len(), set_run = batch.set_run.len()))]
            async fn write(&self, batch: $crate::WriteBatch) -> $crate::StoreResult<$crate::WriteOutcome> {
                self.write_in_transaction(batch).await
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn xcom(&self, run: $crate::RunPk, task_id: &str, key: &str) -> $crate::StoreResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar($crate::common::sql::XCOM)
                    .bind(run)
                    .bind(task_id)
                    .bind(key)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?)
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn run_xcoms(&self, run: $crate::RunPk) -> $crate::StoreResult<Vec<$crate::Xcom>> {
                let rows = sqlx::query_as::<_, $crate::rows::XcomRow>($crate::common::sql::RUN_XCOMS)
                    .bind(run)
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                Ok(rows.into_iter().map($crate::Xcom::from).collect())
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn task_log(&self, ti: $crate::TiPk, try_number: u32) -> $crate::StoreResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar($crate::common::sql::TASK_LOG)
                    .bind(ti)
                    .bind(i64::from(try_number))
                    .fetch_optional(&mut *self.reader().await?)
                    .await?)
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn variable(&self, tenant: &str, key: &str) -> $crate::StoreResult<Option<$crate::Variable>> {
                sqlx::query_as::<_, $crate::rows::VariableRow>($crate::common::sql::VARIABLE)
                    .bind(tenant)
                    .bind(key)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?
                    .map($crate::rows::VariableRow::into_record)
                    .transpose()
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn variables(&self, tenant: &str) -> $crate::StoreResult<Vec<$crate::Variable>> {
                sqlx::query_as::<_, $crate::rows::VariableRow>($crate::common::sql::VARIABLES)
                    .bind(tenant)
                    .fetch_all(&mut *self.reader().await?)
                    .await?
                    .into_iter()
                    .map($crate::rows::VariableRow::into_record)
                    .collect()
            }

            #[tracing::instrument(level = "debug", skip(self, variable), fields(key = %variable.key))]
            async fn set_variable(&self, tenant: &str, variable: $crate::Variable) -> $crate::StoreResult<()> {
                $crate::validate::variable(tenant, &variable)?;
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                Self::ensure_tenant(&mut tx, tenant).await?;
                sqlx::query($crate::common::sql::SET_VARIABLE)
                    .bind(tenant)
                    .bind(variable.key)
                    .bind(variable.value)
                    .bind(variable.description)
                    .bind($crate::rows::micros(variable.updated_at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn delete_variable(&self, tenant: &str, key: &str) -> $crate::StoreResult<bool> {
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                let done = sqlx::query($crate::common::sql::DELETE_VARIABLE)
                    .bind(tenant)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn pools(&self, tenant: &str) -> $crate::StoreResult<Vec<$crate::Pool>> {
                let rows = sqlx::query_as::<_, $crate::rows::PoolRow>($crate::common::sql::POOLS)
                    .bind(tenant)
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                Ok($crate::common::assemble::with_default_pool(rows.into_iter().map($crate::Pool::from).collect()))
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn set_pool(&self, tenant: &str, pool: $crate::Pool) -> $crate::StoreResult<()> {
                $crate::validate::pool(tenant, &pool)?;
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                Self::ensure_tenant(&mut tx, tenant).await?;
                sqlx::query($crate::common::sql::SET_POOL)
                    .bind(tenant)
                    .bind(pool.name)
                    .bind(pool.slots)
                    .bind(pool.description)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(level = "debug", skip_all, fields(worker_id = %worker.worker_id))]
            async fn record_worker(&self, worker: $crate::WorkerRecord) -> $crate::StoreResult<()> {
                self.upsert_worker(worker).await
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn workers(&self) -> $crate::StoreResult<Vec<$crate::WorkerRecord>> {
                self.worker_records().await
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn try_lead(
                &self,
                name: &str,
                holder: &str,
                now: jiff::Timestamp,
                ttl: std::time::Duration,
            ) -> $crate::StoreResult<Option<i64>> {
                self.take_lease(name, holder, now, ttl).await
            }

            #[tracing::instrument(level = "debug", skip(self))]
            async fn resign(&self, name: &str, holder: &str) -> $crate::StoreResult<()> {
                self.end_lease(name, holder).await
            }
        }
    };
}

pub(crate) use impl_store;
