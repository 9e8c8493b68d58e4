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

            /// Insert the run row; the run as stored. The DAG must exist with the run's digest
            /// as one of its versions, and the run id must be new for the DAG.
            async fn insert_run(
                conn: &mut $conn,
                run: &$crate::NewRun,
            ) -> $crate::StoreResult<$crate::DagRun> {
                use $crate::rows::micros;
                let started_at =
                    (run.state == weft_model::DagRunState::Running).then_some(run.queued_at);
                let ended_at = run.state.is_finished().then_some(run.queued_at);
                let id: Option<i64> = sqlx::query_scalar($crate::common::sql::INSERT_RUN)
                    .bind(&run.tenant)
                    .bind(&run.dag_id)
                    .bind(&run.run_id)
                    .bind(run.run_type.as_str())
                    .bind(micros(run.logical_date))
                    .bind(micros(run.data_interval_start))
                    .bind(micros(run.data_interval_end))
                    .bind(run.conf.to_string())
                    .bind(&run.digest)
                    .bind(run.state.as_str())
                    .bind(micros(run.queued_at))
                    .bind($crate::rows::micros_opt(started_at))
                    .bind($crate::rows::micros_opt(ended_at))
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(|e| match $crate::StoreError::from(e) {
                        $crate::StoreError::Conflict(_) => {
                            $crate::common::assemble::duplicate_run(run)
                        }
                        other => other,
                    })?;
                let Some(id) = id else {
                    return Err(Self::missing_for_run(conn, run).await?);
                };
                // As a read would return it: times to the microsecond.
                use $crate::rows::as_stored;
                Ok($crate::DagRun {
                    id,
                    tenant: run.tenant.clone(),
                    dag_id: run.dag_id.clone(),
                    run_id: run.run_id.clone(),
                    run_type: run.run_type,
                    logical_date: as_stored(run.logical_date),
                    data_interval_start: as_stored(run.data_interval_start),
                    data_interval_end: as_stored(run.data_interval_end),
                    conf: run.conf.clone(),
                    digest: run.digest.clone(),
                    state: run.state,
                    queued_at: as_stored(run.queued_at),
                    started_at: started_at.map(as_stored),
                    ended_at: ended_at.map(as_stored),
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

            /// [`Store::create_run`](crate::Store::create_run), in one write transaction.
            async fn create_run_in_transaction(
                &self,
                run: $crate::NewRun,
            ) -> $crate::StoreResult<($crate::DagRun, Vec<$crate::TaskInstance>)> {
                $crate::validate::new_run(&run)?;
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                let dag_run = Self::insert_run(&mut tx, &run).await?;
                let ids =
                    $crate::apply::BatchSql::insert_task_instances(&mut *tx, &dag_run, &run.tasks)
                        .await?;
                let tis = $crate::common::assemble::new_task_instances(&dag_run, run.tasks, ids)?;
                tx.commit().await?;
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
