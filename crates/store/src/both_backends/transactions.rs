//! The multi-statement transactions of the shared [`Store`](crate::Store) implementation:
//! deploying, creating a run and its task instances, writing a batch, and making sure a
//! tenant exists; generic over the [`Backend`].

use super::statement::statement;
use super::{assemble, sql};
use crate::apply;
use crate::backend::batch::{Applied, BatchSql};
use crate::backend::{Backend, Connection};
use crate::error::{StoreError, StoreResult};
use crate::records::{
    DEFAULT_POOL, DEFAULT_POOL_SLOTS, DagRun, Deploy, DeployOutcome, NewRun, TaskInstance,
};
use crate::rows;
use crate::rows::TiRow;
use crate::validate;
use crate::write::{ExpandTask, Expansion, WriteBatch, WriteOutcome};
use weft_model::quotas::{Quota, QuotaExceeded};

/// Make sure `tenant` exists and has its default pool.
pub(crate) async fn ensure_tenant<B: Backend>(
    conn: &mut Connection<B>,
    tenant: &str,
) -> StoreResult<()> {
    statement::<B::Db>(sql::ENSURE_TENANT)
        .bind(tenant)
        .execute(conn)
        .await?;
    statement::<B::Db>(sql::ENSURE_DEFAULT_POOL)
        .bind(tenant)
        .bind(DEFAULT_POOL)
        .bind(DEFAULT_POOL_SLOTS)
        .execute(conn)
        .await?;
    Ok(())
}

/// Why a run could not be inserted: it would take its tenant past `max_queued_tasks`, or its
/// DAG or the DAG's version is missing, or (for a run that asks for the current version) that
/// version is no longer the current one.
pub(crate) async fn missing_for_run<B: Backend>(
    conn: &mut Connection<B>,
    run: &NewRun,
) -> StoreResult<StoreError> {
    let adds = assemble::queued_task_count(run);
    let mut quota = None;
    if adds > 0 {
        let backlog: Option<(Option<i64>, i64)> = statement::<B::Db>(sql::TENANT_BACKLOG)
            .bind(run.tenant.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        if let Some((Some(limit), waiting)) = backlog {
            quota = Some((limit, waiting));
        }
    }
    let current: Option<String> = statement::<B::Db>(sql::DAG_DIGEST)
        .bind(run.tenant.as_str())
        .bind(run.dag_id.as_str())
        .fetch_optional_scalar(&mut *conn)
        .await?;
    // Past the quota now, or the run's version is the DAG's current one (so the insert was
    // refused for the quota, and the backlog fell since: runs went on in between).
    if let Some((limit, waiting)) = quota
        && (limit < adds.saturating_add(waiting) || current.as_deref() == Some(&run.digest))
    {
        return Ok(StoreError::Quota(QuotaExceeded {
            tenant: run.tenant.clone(),
            quota: Quota::MaxQueuedTasks,
            limit: u64::try_from(limit).unwrap_or_default(),
            detail: format!(
                "a run of DAG {} adds {adds} task instances to the {waiting} waiting; \
                     the run was not made; try again once runs have gone on",
                run.dag_id
            ),
        }));
    }
    Ok(match current {
        None => StoreError::NotFound(format!("DAG {} of tenant {}", run.dag_id, run.tenant)),
        Some(current) if run.current_only && current != run.digest => {
            StoreError::NotFound(format!(
                "version {} as the current one of DAG {} (it is {current})",
                run.digest, run.dag_id
            ))
        }
        Some(_) => StoreError::NotFound(format!("version {} of DAG {}", run.digest, run.dag_id)),
    })
}

/// [`Store::write`](crate::Store::write), in one write transaction. A fenced batch is
/// checked against its leadership even when it holds no change.
pub(crate) async fn write<B: Backend>(store: &B, batch: WriteBatch) -> StoreResult<WriteOutcome> {
    validate::batch(&batch)?;
    if batch.is_empty() && batch.leader.is_none() {
        return Ok(WriteOutcome::default());
    }
    if let Some(outcome) = store.write_at_once(&batch).await? {
        return Ok(outcome);
    }
    let mut conn = store.writer().await?;
    let mut tx = B::begin_fenced(&mut conn, batch.leader.as_ref()).await?;
    let outcome = apply::apply::<B::Db>(&mut *tx, batch).await?;
    if outcome.refused {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(outcome)
}

/// [`Store::expand`](crate::Store::expand), in one fenced write transaction: the mapped
/// task's own task instance first (which tells whether it still may expand), then its
/// instances' task instances, read back as stored.
pub(crate) async fn expand<B: Backend>(
    store: &B,
    expand: ExpandTask,
) -> StoreResult<Option<Vec<TaskInstance>>> {
    validate::expand(&expand)?;
    let ExpandTask {
        leader,
        ti,
        lease,
        from,
        at,
        into,
    } = expand;
    let (state, count, error) = match &into {
        Expansion::Instances(items) => (
            weft_model::TaskState::Running,
            Some(i64::try_from(items.len()).unwrap_or(i64::MAX)),
            None,
        ),
        Expansion::Empty => (weft_model::TaskState::Skipped, Some(0), None),
        Expansion::Failed(error) => (weft_model::TaskState::Failed, None, Some(error.as_str())),
    };
    let mut conn = store.writer().await?;
    let mut tx = B::begin_fenced(&mut conn, leader.as_ref()).await?;
    let parent: Option<Applied> = statement::<B::Db>(sql::EXPAND)
        .bind(ti)
        .bind(lease)
        .bind(from.as_str())
        .bind(state.as_str())
        .bind(count)
        .bind(rows::micros(at))
        .bind(state.is_finished())
        .bind(error.map(|_| "mapping"))
        .bind(error)
        .fetch_optional(&mut tx)
        .await?;
    let Some(parent) = parent else {
        tx.rollback().await?;
        return Ok(None);
    };
    let Expansion::Instances(items) = into else {
        tx.commit().await?;
        return Ok(Some(Vec::new()));
    };
    tx.insert_instances(parent.id, &parent.task_id, &items)
        .await?;
    let prefix = format!("{}[", parent.task_id);
    let tis = statement::<B::Db>(sql::MAPPED_INSTANCES)
        .bind(parent.run)
        .bind(prefix.as_str())
        .fetch_all::<TiRow>(&mut tx)
        .await?
        .into_iter()
        .map(TiRow::into_record)
        .collect::<StoreResult<Vec<_>>>()?;
    tx.commit().await?;
    store.task_instances_created(tis.len());
    Ok(Some(tis))
}

/// Refuse a new component of `size` bytes that would take `tenant` past its
/// `max_component_bytes` or `max_components`. The tenant's row stays locked to the end of the
/// transaction, so that two deploys racing cannot both take the last place.
async fn check_component_quotas<B: Backend>(
    conn: &mut Connection<B>,
    tenant: &str,
    size: i64,
) -> StoreResult<()> {
    statement::<B::Db>(sql::LOCK_TENANT)
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    let quotas: Option<(Option<i64>, Option<i64>, i64)> =
        statement::<B::Db>(sql::TENANT_COMPONENTS)
            .bind(tenant)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((max_bytes, max_components, stored)) = quotas else {
        return Ok(());
    };
    let refused = |quota, limit: i64, detail| {
        Err(StoreError::Quota(QuotaExceeded {
            tenant: tenant.to_owned(),
            quota,
            limit: u64::try_from(limit).unwrap_or_default(),
            detail,
        }))
    };
    if let Some(limit) = max_bytes.filter(|&limit| size > limit) {
        return refused(
            Quota::MaxComponentBytes,
            limit,
            format!("the component is {size} bytes; nothing was stored"),
        );
    }
    if let Some(limit) = max_components.filter(|&limit| stored >= limit) {
        return refused(
            Quota::MaxComponents,
            limit,
            format!(
                "it stores {stored} components and this one is new; nothing was stored \
                 (deploy a version already stored, or ask for a larger quota)"
            ),
        );
    }
    Ok(())
}

/// [`Store::create_run`](crate::Store::create_run): the run and its task instances, written
/// together (see [`Backend::insert_run_and_tasks`]).
pub(crate) async fn create_run<B: Backend>(
    store: &B,
    run: NewRun,
) -> StoreResult<(DagRun, Vec<TaskInstance>)> {
    validate::new_run(&run)?;
    let (dag_run, ids) = store.insert_run_and_tasks(&run, &[]).await?;
    let tis = assemble::new_task_instances(&dag_run, run.tasks, ids)?;
    store.task_instances_created(tis.len());
    Ok((dag_run, tis))
}

/// [`Store::create_asset_run`](crate::Store::create_asset_run): the run, its task instances
/// and the consumption of the asset events that start it, written together.
pub(crate) async fn create_asset_run<B: Backend>(
    store: &B,
    run: NewRun,
    consumed: &[i64],
) -> StoreResult<(DagRun, Vec<TaskInstance>)> {
    validate::new_run(&run)?;
    if consumed.is_empty() {
        return Err(StoreError::Invalid(format!(
            "run {:?} of DAG {:?} names no asset event it consumes",
            run.run_id, run.dag_id
        )));
    }
    let (dag_run, ids) = store.insert_run_and_tasks(&run, consumed).await?;
    let tis = assemble::new_task_instances(&dag_run, run.tasks, ids)?;
    store.task_instances_created(tis.len());
    Ok((dag_run, tis))
}

/// [`Store::deploy`](crate::Store::deploy), in one write transaction.
pub(crate) async fn deploy<B: Backend>(store: &B, deploy: Deploy) -> StoreResult<DeployOutcome> {
    validate::deploy(&deploy)?;
    let Deploy {
        tenant,
        digest,
        bytes,
        dag_id,
        spec,
        at,
    } = deploy;
    let spec_json = serde_json::to_string(&spec)
        .map_err(|e| StoreError::Invalid(format!("spec of DAG {dag_id}: {e}")))?;
    let assets = spec.assets.clone();
    let task_count = i64::try_from(spec.tasks.len()).unwrap_or(i64::MAX);
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let at = rows::micros(at);
    let (tenant, digest, dag_id) = (tenant.as_str(), digest.as_str(), dag_id.as_str());
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    ensure_tenant::<B>(&mut tx, tenant).await?;
    let stored: Option<i64> = statement::<B::Db>(sql::COMPONENT_SIZE)
        .bind(tenant)
        .bind(digest)
        .fetch_optional_scalar(&mut tx)
        .await?;
    if stored.is_none() {
        check_component_quotas::<B>(&mut tx, tenant, size).await?;
        statement::<B::Db>(sql::INSERT_COMPONENT)
            .bind(tenant)
            .bind(digest)
            .bind(size)
            .bind(spec_json)
            .bind(task_count)
            .bind(at)
            .execute(&mut tx)
            .await?;
        statement::<B::Db>(sql::INSERT_COMPONENT_BYTES)
            .bind(tenant)
            .bind(digest)
            .bind(bytes)
            .execute(&mut tx)
            .await?;
    }
    // Insert-if-absent, then update: safe when two deploys of a new DAG race.
    let created_dag = statement::<B::Db>(sql::INSERT_DAG)
        .bind(tenant)
        .bind(dag_id)
        .bind(digest)
        .bind(at)
        .execute(&mut tx)
        .await?
        == 1;
    if !created_dag {
        statement::<B::Db>(sql::UPDATE_DAG)
            .bind(tenant)
            .bind(dag_id)
            .bind(digest)
            .bind(at)
            .execute(&mut tx)
            .await?;
    }
    let new_version = statement::<B::Db>(sql::INSERT_VERSION)
        .bind(tenant)
        .bind(dag_id)
        .bind(digest)
        .bind(at)
        .execute(&mut tx)
        .await?
        == 1;
    // The deployed version is the DAG's current one: it waits for the assets it names.
    super::assets_sql::set_consumer::<B::Db>(&mut tx, tenant, dag_id, &assets).await?;
    tx.commit().await?;
    Ok(DeployOutcome {
        created_dag,
        new_version,
    })
}
