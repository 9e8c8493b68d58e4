//! Tenants and API tokens, generic over the [`Backend`] and called by the shared
//! [`Store`](crate::Store) implementation.

use jiff::Timestamp;
use weft_model::tenancy::{DEFAULT_TENANT, check_tenant_name, check_tenant_weight};

use super::sql;
use super::statement::{Statement, statement};
use super::transactions;
use crate::backend::Backend;
use crate::backend::Sql;
use crate::error::{StoreError, StoreResult};
use crate::rows::{TenantRow, TokenRow, micros, micros_opt};
use crate::tenancy::{
    ApiToken, DAGS_NAMED_ON_REFUSAL, Quotas, Tenant, TenantDeletion, TenantSandbox,
};
use crate::validate;

/// [`Store::tenants`](crate::Store::tenants).
pub(crate) async fn tenants<B: Backend>(store: &B) -> StoreResult<Vec<Tenant>> {
    statement::<B::Db>(sql::TENANTS)
        .fetch_all::<TenantRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(TenantRow::into_record)
        .collect()
}

/// [`Store::tenant`](crate::Store::tenant).
pub(crate) async fn tenant<B: Backend>(store: &B, name: &str) -> StoreResult<Option<Tenant>> {
    statement::<B::Db>(sql::TENANT)
        .bind(name)
        .fetch_optional::<TenantRow>(&mut *store.reader().await?)
        .await?
        .map(TenantRow::into_record)
        .transpose()
}

/// [`Store::create_tenant`](crate::Store::create_tenant): the tenant with its default pool.
pub(crate) async fn create_tenant<B: Backend>(store: &B, tenant: Tenant) -> StoreResult<()> {
    check_tenant_name(&tenant.name).map_err(|e| StoreError::Invalid(e.to_string()))?;
    check_tenant_weight(tenant.weight).map_err(StoreError::Invalid)?;
    crate::validate::text(
        "description of tenant",
        &format_args!("{:?}", tenant.name),
        &tenant.description,
    )?;
    tenant.quotas.check().map_err(StoreError::Invalid)?;
    tenant.sandbox.check().map_err(StoreError::Invalid)?;
    let sandbox = sandbox_json(&tenant.sandbox)?;
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let created = bind_quotas(
        statement::<B::Db>(sql::CREATE_TENANT)
            .bind(tenant.name.as_str())
            .bind(tenant.description)
            .bind(micros(tenant.created_at))
            .bind(i64::from(tenant.weight))
            .bind(sandbox),
        &tenant.quotas,
    )
    .execute(&mut tx)
    .await?;
    if created == 0 {
        return Err(StoreError::Conflict(format!(
            "tenant {} already exists",
            tenant.name
        )));
    }
    transactions::ensure_tenant::<B>(&mut tx, &tenant.name).await?;
    tx.commit().await?;
    Ok(())
}

/// [`Store::set_tenant_weight`](crate::Store::set_tenant_weight).
pub(crate) async fn set_tenant_weight<B: Backend>(
    store: &B,
    name: &str,
    weight: u32,
) -> StoreResult<bool> {
    check_tenant_weight(weight).map_err(StoreError::Invalid)?;
    let mut conn = store.writer().await?;
    let changed = statement::<B::Db>(sql::SET_TENANT_WEIGHT)
        .bind(name)
        .bind(i64::from(weight))
        .execute(&mut *conn)
        .await?;
    Ok(changed > 0)
}

/// [`Store::set_tenant_quotas`](crate::Store::set_tenant_quotas).
pub(crate) async fn set_tenant_quotas<B: Backend>(
    store: &B,
    name: &str,
    quotas: &Quotas,
) -> StoreResult<bool> {
    quotas.check().map_err(StoreError::Invalid)?;
    let mut conn = store.writer().await?;
    let changed = bind_quotas(
        statement::<B::Db>(sql::SET_TENANT_QUOTAS).bind(name),
        quotas,
    )
    .execute(&mut *conn)
    .await?;
    Ok(changed > 0)
}

/// [`Store::set_tenant_sandbox`](crate::Store::set_tenant_sandbox).
pub(crate) async fn set_tenant_sandbox<B: Backend>(
    store: &B,
    name: &str,
    sandbox: &TenantSandbox,
) -> StoreResult<bool> {
    sandbox.check().map_err(StoreError::Invalid)?;
    let json = sandbox_json(sandbox)?;
    let mut conn = store.writer().await?;
    let changed = statement::<B::Db>(sql::SET_TENANT_SANDBOX)
        .bind(name)
        .bind(json)
        .execute(&mut *conn)
        .await?;
    Ok(changed > 0)
}

/// A sandbox policy as its column holds it: JSON, or NULL when it sets nothing.
fn sandbox_json(sandbox: &TenantSandbox) -> StoreResult<Option<String>> {
    if *sandbox == TenantSandbox::default() {
        return Ok(None);
    }
    serde_json::to_string(sandbox)
        .map(Some)
        .map_err(|e| StoreError::Invalid(format!("sandbox policy: {e}")))
}

/// `statement` with the seven quotas bound next, in the order of
/// [`SET_TENANT_QUOTAS`](sql::SET_TENANT_QUOTAS).
fn bind_quotas<D: Sql>(statement: Statement<D>, quotas: &Quotas) -> Statement<D> {
    let count = |v: Option<u32>| v.map(i64::from);
    statement
        .bind(count(quotas.max_running_tasks))
        .bind(count(quotas.max_active_runs))
        .bind(count(quotas.max_queued_tasks))
        .bind(
            quotas
                .max_component_bytes
                .map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
        )
        .bind(count(quotas.max_components))
        .bind(count(quotas.api_requests_per_second))
        .bind(count(quotas.api_burst))
}

/// [`Store::delete_tenant`](crate::Store::delete_tenant): refused while the tenant has DAGs.
pub(crate) async fn delete_tenant<B: Backend>(
    store: &B,
    name: &str,
) -> StoreResult<TenantDeletion> {
    if name == DEFAULT_TENANT {
        return Err(StoreError::Invalid(format!(
            "tenant {DEFAULT_TENANT} is the installation's own and cannot be deleted"
        )));
    }
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let dags: Vec<(String,)> = statement::<B::Db>(sql::TENANT_DAG_IDS)
        .bind(name)
        .bind(i64::try_from(DAGS_NAMED_ON_REFUSAL).unwrap_or(i64::MAX))
        .fetch_all(&mut tx)
        .await?;
    if !dags.is_empty() {
        return Ok(TenantDeletion::HasDags(
            dags.into_iter().map(|(id,)| id).collect(),
        ));
    }
    for delete in sql::DELETE_TENANT_ROWS {
        statement::<B::Db>(delete)
            .bind(name)
            .execute(&mut tx)
            .await?;
    }
    let deleted = statement::<B::Db>(sql::DELETE_TENANT)
        .bind(name)
        .execute(&mut tx)
        .await?;
    if deleted == 0 {
        // Nothing was there to delete: the rollback on drop changes nothing either.
        return Ok(TenantDeletion::NotFound);
    }
    tx.commit().await?;
    Ok(TenantDeletion::Deleted)
}

/// [`Store::create_token`](crate::Store::create_token).
pub(crate) async fn create_token<B: Backend>(store: &B, token: ApiToken) -> StoreResult<()> {
    validate::token(&token)?;
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let exists: Option<TenantRow> = statement::<B::Db>(sql::TENANT)
        .bind(token.tenant.as_str())
        .fetch_optional(&mut tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("tenant {}", token.tenant)));
    }
    statement::<B::Db>(sql::CREATE_TOKEN)
        .bind(token.token_id)
        .bind(token.tenant)
        .bind(token.name)
        .bind(token.role.as_str())
        .bind(token.secret_digest)
        .bind(micros(token.created_at))
        .bind(micros_opt(token.expires_at))
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// [`Store::token`](crate::Store::token).
pub(crate) async fn token<B: Backend>(store: &B, token_id: &str) -> StoreResult<Option<ApiToken>> {
    statement::<B::Db>(sql::TOKEN)
        .bind(token_id)
        .fetch_optional::<TokenRow>(&mut *store.reader().await?)
        .await?
        .map(TokenRow::into_record)
        .transpose()
}

/// [`Store::tokens`](crate::Store::tokens).
pub(crate) async fn tokens<B: Backend>(store: &B, tenant: &str) -> StoreResult<Vec<ApiToken>> {
    statement::<B::Db>(sql::TOKENS)
        .bind(tenant)
        .fetch_all::<TokenRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(TokenRow::into_record)
        .collect()
}

/// [`Store::revoke_token`](crate::Store::revoke_token).
pub(crate) async fn revoke_token<B: Backend>(
    store: &B,
    tenant: &str,
    token_id: &str,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let revoked = statement::<B::Db>(sql::REVOKE_TOKEN)
        .bind(tenant)
        .bind(token_id)
        .bind(micros(at))
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(revoked > 0)
}
