//! The multi-statement transactions of the shared [`Store`](crate::Store) implementation
//! (deploying, creating a run and its task instances, writing a batch, making sure a
//! tenant exists), as inherent methods generated for each backend's store type by
//! [`impl_transactions!`].

macro_rules! impl_transactions {
    ($store:ty, $conn:ty) => {
        impl $store {
            /// Make sure `tenant` exists and has its default pool.
            async fn ensure_tenant(conn: &mut $conn, tenant: &str) -> $crate::StoreResult<()> {
                use $crate::common::sql;
                sqlx::query(sql::ENSURE_TENANT)
                    .bind(tenant)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(sql::ENSURE_DEFAULT_POOL)
                    .bind(tenant)
                    .bind($crate::DEFAULT_POOL)
                    .bind($crate::DEFAULT_POOL_SLOTS)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Why a run could not be inserted: its DAG or the DAG's version is missing.
            async fn missing_for_run(
                conn: &mut $conn,
                run: &$crate::NewRun,
            ) -> $crate::StoreResult<$crate::StoreError> {
                use $crate::StoreError;
                use $crate::common::sql;
                let current: Option<String> = sqlx::query_scalar(sql::DAG_DIGEST)
                    .bind(&run.tenant)
                    .bind(&run.dag_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                Ok(match current {
                    None => {
                        StoreError::NotFound(format!("DAG {} of tenant {}", run.dag_id, run.tenant))
                    }
                    Some(_) => StoreError::NotFound(format!(
                        "version {} of DAG {}",
                        run.digest, run.dag_id
                    )),
                })
            }

            /// [`Store::write`](crate::Store::write), in one write transaction. A fenced
            /// batch is checked against its leadership even when it holds no change.
            async fn write_in_transaction(
                &self,
                batch: $crate::WriteBatch,
            ) -> $crate::StoreResult<$crate::WriteOutcome> {
                $crate::validate::batch(&batch)?;
                if batch.is_empty() && batch.leader.is_none() {
                    return Ok($crate::WriteOutcome::default());
                }
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_fenced(&mut conn, batch.leader.as_ref()).await?;
                let outcome = $crate::apply::apply(&mut *tx, batch).await?;
                if outcome.refused {
                    tx.rollback().await?;
                } else {
                    tx.commit().await?;
                }
                Ok(outcome)
            }

            /// [`Store::create_run`](crate::Store::create_run): the run and its task instances,
            /// written together (see the backend's `insert_run_and_tasks`).
            async fn create_run_in_transaction(
                &self,
                run: $crate::NewRun,
            ) -> $crate::StoreResult<($crate::DagRun, Vec<$crate::TaskInstance>)> {
                $crate::validate::new_run(&run)?;
                let (dag_run, ids) = self.insert_run_and_tasks(&run).await?;
                let tis = $crate::common::assemble::new_task_instances(&dag_run, run.tasks, ids)?;
                self.task_instances_created(tis.len());
                Ok((dag_run, tis))
            }

            /// [`Store::deploy`](crate::Store::deploy), in one write transaction.
            async fn deploy_in_transaction(
                &self,
                deploy: $crate::Deploy,
            ) -> $crate::StoreResult<$crate::DeployOutcome> {
                use $crate::common::sql;
                $crate::validate::deploy(&deploy)?;
                let $crate::Deploy {
                    tenant,
                    digest,
                    bytes,
                    dag_id,
                    spec,
                    at,
                } = deploy;
                let spec_json = serde_json::to_string(&spec).map_err(|e| {
                    $crate::StoreError::Invalid(format!("spec of DAG {dag_id}: {e}"))
                })?;
                let task_count = i64::try_from(spec.tasks.len()).unwrap_or(i64::MAX);
                let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                let at = $crate::rows::micros(at);
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                Self::ensure_tenant(&mut tx, &tenant).await?;
                let stored: Option<i64> = sqlx::query_scalar(sql::COMPONENT_SIZE)
                    .bind(&tenant)
                    .bind(&digest)
                    .fetch_optional(&mut *tx)
                    .await?;
                if stored.is_none() {
                    sqlx::query(sql::INSERT_COMPONENT)
                        .bind(&tenant)
                        .bind(&digest)
                        .bind(size)
                        .bind(spec_json)
                        .bind(task_count)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(sql::INSERT_COMPONENT_BYTES)
                        .bind(&tenant)
                        .bind(&digest)
                        .bind(bytes)
                        .execute(&mut *tx)
                        .await?;
                }
                // Insert-if-absent, then update: safe when two deploys of a new DAG race.
                let created_dag = sqlx::query(sql::INSERT_DAG)
                    .bind(&tenant)
                    .bind(&dag_id)
                    .bind(&digest)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if !created_dag {
                    sqlx::query(sql::UPDATE_DAG)
                        .bind(&tenant)
                        .bind(&dag_id)
                        .bind(&digest)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                }
                let new_version = sqlx::query(sql::INSERT_VERSION)
                    .bind(&tenant)
                    .bind(&dag_id)
                    .bind(&digest)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                tx.commit().await?;
                Ok($crate::DeployOutcome {
                    created_dag,
                    new_version,
                })
            }
        }
    };
}

pub(crate) use impl_transactions;
