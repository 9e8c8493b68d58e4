//! How Weft's processes coordinate through the store: the worker registry and named
//! leadership leases, as inherent methods generated for each backend's store type by
//! [`impl_coordination!`] and called by the shared [`Store`](crate::Store) implementation.

macro_rules! impl_coordination {
    ($store:ty) => {
        impl $store {
            /// [`Store::record_worker`](crate::Store::record_worker).
            async fn upsert_worker(&self, worker: $crate::WorkerRecord) -> $crate::StoreResult<()> {
                use $crate::rows::{micros, micros_opt};
                $crate::validate::worker(&worker)?;
                let queues = serde_json::to_string(&worker.queues).map_err(|e| {
                    $crate::StoreError::Invalid(format!(
                        "queues of worker {}: {e}",
                        worker.worker_id
                    ))
                })?;
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                sqlx::query($crate::common::sql::RECORD_WORKER)
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
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            /// [`Store::workers`](crate::Store::workers).
            async fn worker_records(&self) -> $crate::StoreResult<Vec<$crate::WorkerRecord>> {
                sqlx::query_as::<_, $crate::rows::WorkerRow>($crate::common::sql::WORKERS)
                    .fetch_all(&mut *self.reader().await?)
                    .await?
                    .into_iter()
                    .map($crate::rows::WorkerRow::into_record)
                    .collect()
            }

            /// [`Store::try_lead`](crate::Store::try_lead), in one statement.
            async fn take_lease(
                &self,
                name: &str,
                holder: &str,
                now: jiff::Timestamp,
                ttl: std::time::Duration,
            ) -> $crate::StoreResult<Option<i64>> {
                $crate::validate::lease(name, holder)?;
                let now = $crate::rows::micros(now);
                let ttl = i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX);
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                let epoch: Option<i64> = sqlx::query_scalar($crate::common::sql::TRY_LEAD)
                    .bind(name)
                    .bind(holder)
                    .bind(now)
                    .bind(now.saturating_add(ttl))
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(epoch)
            }

            /// [`Store::resign`](crate::Store::resign).
            async fn end_lease(&self, name: &str, holder: &str) -> $crate::StoreResult<()> {
                $crate::validate::lease(name, holder)?;
                let mut conn = self.writer().await?;
                let mut tx = Self::begin_write(&mut conn).await?;
                sqlx::query($crate::common::sql::RESIGN)
                    .bind(name)
                    .bind(holder)
                    .bind(i64::MIN)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_coordination;
