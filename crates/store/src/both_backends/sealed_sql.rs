//! Connections, secrets and key markers: their SQL, rows and operations, written once for
//! both backends. Every value bound here is sealed already (checked by
//! [`validate`](crate::validate) before anything is written).

use super::statement::statement;
use super::transactions;
use crate::backend::Backend;
use crate::both_backends::row_macro::row;
use crate::error::{StoreError, StoreResult};
use crate::records::TiPk;
use crate::rows::{self, int, parse, time, time_opt};
use crate::sealed::{
    AttemptInfo, KeyMarker, ResealOutcome, Resealer, SealedConnection, SealedField, SealedSecret,
};
use crate::validate;

/// `$1` tenant, `$2` conn_id.
const CONNECTION: &str = "SELECT conn_id, conn_type, host, port, schema_name, login, password, \
     extra, key_id, description, created_at, updated_at FROM connections \
     WHERE tenant = $1 AND conn_id = $2";
/// `$1` tenant.
const CONNECTIONS: &str = "SELECT conn_id, conn_type, host, port, schema_name, login, password, \
     extra, key_id, description, created_at, updated_at FROM connections \
     WHERE tenant = $1 ORDER BY conn_id";
/// `$1` tenant .. `$13` updated_at; an existing row keeps its `created_at`.
const PUT_CONNECTION: &str = "INSERT INTO connections (tenant, conn_id, conn_type, host, port, \
     schema_name, login, password, extra, key_id, description, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
     ON CONFLICT (tenant, conn_id) DO UPDATE SET conn_type = excluded.conn_type, \
     host = excluded.host, port = excluded.port, schema_name = excluded.schema_name, \
     login = excluded.login, password = excluded.password, extra = excluded.extra, \
     key_id = excluded.key_id, description = excluded.description, \
     updated_at = excluded.updated_at";
/// `$1` tenant, `$2` conn_id.
const DELETE_CONNECTION: &str = "DELETE FROM connections WHERE tenant = $1 AND conn_id = $2";

/// `$1` tenant, `$2` name.
const SECRET: &str = "SELECT name, value, key_id, description, created_at, updated_at \
     FROM secrets WHERE tenant = $1 AND name = $2";
/// `$1` tenant.
const SECRETS: &str = "SELECT name, value, key_id, description, created_at, updated_at \
     FROM secrets WHERE tenant = $1 ORDER BY name";
/// `$1` tenant .. `$7` updated_at; an existing row keeps its `created_at`.
const PUT_SECRET: &str = "INSERT INTO secrets (tenant, name, value, key_id, description, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value, key_id = excluded.key_id, \
     description = excluded.description, updated_at = excluded.updated_at";
/// `$1` tenant, `$2` name.
const DELETE_SECRET: &str = "DELETE FROM secrets WHERE tenant = $1 AND name = $2";

const KEY_MARKERS: &str = "SELECT key_id, marker, created_at FROM sealing_keys ORDER BY key_id";
/// `$1` key_id, `$2` marker, `$3` created_at.
const ADD_KEY_MARKER: &str = "INSERT INTO sealing_keys (key_id, marker, created_at) \
     VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING";
/// Every key id stored values are sealed with.
const SEALING_KEY_IDS: &str = "SELECT key_id FROM connections UNION SELECT key_id FROM secrets \
     ORDER BY key_id";
/// `$1` the key to keep: markers of keys no stored value needs any more.
const PRUNE_KEY_MARKERS: &str = "DELETE FROM sealing_keys WHERE key_id <> $1 AND key_id NOT IN \
     (SELECT key_id FROM connections UNION SELECT key_id FROM secrets)";

const ALL_SEALED_CONNECTIONS: &str =
    "SELECT tenant, conn_id, password, extra, key_id FROM connections ORDER BY tenant, conn_id";
/// Compare-and-set: `$1` password, `$2` extra, `$3` key_id, where the row still holds
/// `$6` password and `$7` extra.
const RESEAL_CONNECTION: &str = "UPDATE connections SET password = $1, extra = $2, key_id = $3 \
     WHERE tenant = $4 AND conn_id = $5 AND password IS NOT DISTINCT FROM $6 AND extra = $7";
const ALL_SEALED_SECRETS: &str =
    "SELECT tenant, name, value, key_id FROM secrets ORDER BY tenant, name";
/// Compare-and-set: `$1` value, `$2` key_id, where the row still holds `$5`.
const RESEAL_SECRET: &str = "UPDATE secrets SET value = $1, key_id = $2 \
     WHERE tenant = $3 AND name = $4 AND value = $5";

/// `$1` ti.
const ATTEMPT: &str = "SELECT ti.tenant, ti.run, ti.task_id, ti.state, ti.lease, \
     ti.lease_expires_at, r.digest, r.dag_id, r.run_id FROM task_instances ti JOIN dag_runs r ON r.id = ti.run WHERE ti.id = $1";

row! {
    /// A `connections` row.
    pub(crate) struct ConnectionRow {
        conn_id: String,
        conn_type: String,
        host: Option<String>,
        port: Option<i64>,
        schema_name: Option<String>,
        login: Option<String>,
        password: Option<Vec<u8>>,
        extra: Vec<u8>,
        key_id: String,
        description: String,
        created_at: i64,
        updated_at: i64,
    }
}

impl ConnectionRow {
    fn into_record(self) -> StoreResult<SealedConnection> {
        let row = format!("connection {}", self.conn_id);
        Ok(SealedConnection {
            port: self.port.map(|p| int(&row, "port", p)).transpose()?,
            created_at: time(&row, "created_at", self.created_at)?,
            updated_at: time(&row, "updated_at", self.updated_at)?,
            conn_id: self.conn_id,
            conn_type: self.conn_type,
            host: self.host,
            schema: self.schema_name,
            login: self.login,
            password: self.password,
            extra: self.extra,
            key_id: self.key_id,
            description: self.description,
        })
    }
}

row! {
    /// A `secrets` row.
    pub(crate) struct SecretRow {
        name: String,
        value: Vec<u8>,
        key_id: String,
        description: String,
        created_at: i64,
        updated_at: i64,
    }
}

impl SecretRow {
    fn into_record(self) -> StoreResult<SealedSecret> {
        let row = format!("secret {}", self.name);
        Ok(SealedSecret {
            created_at: time(&row, "created_at", self.created_at)?,
            updated_at: time(&row, "updated_at", self.updated_at)?,
            name: self.name,
            value: self.value,
            key_id: self.key_id,
            description: self.description,
        })
    }
}

row! {
    /// A `sealing_keys` row.
    pub(crate) struct MarkerRow {
        key_id: String,
        marker: Vec<u8>,
        created_at: i64,
    }
}

row! {
    /// A connection's sealed values, for resealing.
    pub(crate) struct SealedConnectionRow {
        tenant: String,
        conn_id: String,
        password: Option<Vec<u8>>,
        extra: Vec<u8>,
        key_id: String,
    }
}

row! {
    /// A secret's sealed value, for resealing.
    pub(crate) struct SealedSecretRow {
        tenant: String,
        name: String,
        value: Vec<u8>,
        key_id: String,
    }
}

row! {
    /// A task instance's attempt and its run's digest.
    pub(crate) struct AttemptRow {
        tenant: String,
        run: i64,
        task_id: String,
        state: String,
        lease: i64,
        lease_expires_at: Option<i64>,
        digest: String,
        dag_id: String,
        run_id: String,
    }
}

pub(crate) async fn connection<B: Backend>(
    store: &B,
    tenant: &str,
    conn_id: &str,
) -> StoreResult<Option<SealedConnection>> {
    statement::<B::Db>(CONNECTION)
        .bind(tenant)
        .bind(conn_id)
        .fetch_optional::<ConnectionRow>(&mut *store.reader().await?)
        .await?
        .map(ConnectionRow::into_record)
        .transpose()
}

pub(crate) async fn connections<B: Backend>(
    store: &B,
    tenant: &str,
) -> StoreResult<Vec<SealedConnection>> {
    statement::<B::Db>(CONNECTIONS)
        .bind(tenant)
        .fetch_all::<ConnectionRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(ConnectionRow::into_record)
        .collect()
}

pub(crate) async fn put_connection<B: Backend>(
    store: &B,
    tenant: &str,
    c: SealedConnection,
) -> StoreResult<()> {
    validate::connection(tenant, &c)?;
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    transactions::ensure_tenant::<B>(&mut tx, tenant).await?;
    statement::<B::Db>(PUT_CONNECTION)
        .bind(tenant)
        .bind(c.conn_id)
        .bind(c.conn_type)
        .bind(c.host)
        .bind(c.port.map(i64::from))
        .bind(c.schema)
        .bind(c.login)
        .bind(c.password)
        .bind(c.extra)
        .bind(c.key_id)
        .bind(c.description)
        .bind(rows::micros(c.created_at))
        .bind(rows::micros(c.updated_at))
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn secret<B: Backend>(
    store: &B,
    tenant: &str,
    name: &str,
) -> StoreResult<Option<SealedSecret>> {
    statement::<B::Db>(SECRET)
        .bind(tenant)
        .bind(name)
        .fetch_optional::<SecretRow>(&mut *store.reader().await?)
        .await?
        .map(SecretRow::into_record)
        .transpose()
}

pub(crate) async fn secrets<B: Backend>(store: &B, tenant: &str) -> StoreResult<Vec<SealedSecret>> {
    statement::<B::Db>(SECRETS)
        .bind(tenant)
        .fetch_all::<SecretRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(SecretRow::into_record)
        .collect()
}

pub(crate) async fn put_secret<B: Backend>(
    store: &B,
    tenant: &str,
    s: SealedSecret,
) -> StoreResult<()> {
    validate::secret(tenant, &s)?;
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    transactions::ensure_tenant::<B>(&mut tx, tenant).await?;
    statement::<B::Db>(PUT_SECRET)
        .bind(tenant)
        .bind(s.name)
        .bind(s.value)
        .bind(s.key_id)
        .bind(s.description)
        .bind(rows::micros(s.created_at))
        .bind(rows::micros(s.updated_at))
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Delete connection (`connection == true`) or secret `name`; false when it did not exist.
pub(crate) async fn delete<B: Backend>(
    store: &B,
    connection: bool,
    tenant: &str,
    name: &str,
) -> StoreResult<bool> {
    let sql = if connection {
        DELETE_CONNECTION
    } else {
        DELETE_SECRET
    };
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    let deleted = statement::<B::Db>(sql)
        .bind(tenant)
        .bind(name)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(deleted > 0)
}

pub(crate) async fn key_markers<B: Backend>(store: &B) -> StoreResult<Vec<KeyMarker>> {
    statement::<B::Db>(KEY_MARKERS)
        .fetch_all::<MarkerRow>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(|row| {
            let name = format!("key marker {}", row.key_id);
            Ok(KeyMarker {
                created_at: time(&name, "created_at", row.created_at)?,
                key_id: row.key_id,
                marker: row.marker,
            })
        })
        .collect()
}

pub(crate) async fn add_key_marker<B: Backend>(store: &B, marker: KeyMarker) -> StoreResult<()> {
    validate::key_marker(&marker)?;
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    statement::<B::Db>(ADD_KEY_MARKER)
        .bind(marker.key_id)
        .bind(marker.marker)
        .bind(rows::micros(marker.created_at))
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn sealing_key_ids<B: Backend>(store: &B) -> StoreResult<Vec<String>> {
    Ok(statement::<B::Db>(SEALING_KEY_IDS)
        .fetch_all::<(String,)>(&mut *store.reader().await?)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

/// A resealer's failure, naming the value.
fn reseal_failed(field: &SealedField<'_>, source: crate::sealed::ResealError) -> StoreError {
    StoreError::Sealing {
        what: format!(
            "{} {:?} ({}) of tenant {}",
            field.kind, field.name, field.field, field.tenant
        ),
        source,
    }
}

/// Reseal every stored value with `reseal`, record `marker`, and drop the markers of keys
/// no value needs any more. Each row is changed only if it still holds what was read (a
/// concurrent writer seals with the current key anyway), so no lock is held across rows.
pub(crate) async fn reseal<B: Backend>(
    store: &B,
    reseal: &Resealer,
    marker: KeyMarker,
) -> StoreResult<ResealOutcome> {
    validate::key_marker(&marker)?;
    let mut outcome = ResealOutcome::default();
    let connections = statement::<B::Db>(ALL_SEALED_CONNECTIONS)
        .fetch_all::<SealedConnectionRow>(&mut *store.reader().await?)
        .await?;
    let secrets = statement::<B::Db>(ALL_SEALED_SECRETS)
        .fetch_all::<SealedSecretRow>(&mut *store.reader().await?)
        .await?;
    // Every value is resealed before anything is written: one that does not open stops the
    // rotation with nothing changed.
    let mut connection_updates = Vec::new();
    for row in &connections {
        let field = |field, sealed| SealedField {
            tenant: &row.tenant,
            kind: "connection",
            name: &row.conn_id,
            field,
            sealed,
        };
        let password = match &row.password {
            Some(p) => {
                let f = field("password", p);
                reseal(f).map_err(|e| reseal_failed(&f, e))?
            }
            None => None,
        };
        let f = field("extra", &row.extra);
        let extra = reseal(f).map_err(|e| reseal_failed(&f, e))?;
        if password.is_some() || extra.is_some() || row.key_id != marker.key_id {
            connection_updates.push((row, password, extra));
        }
    }
    let mut secret_updates = Vec::new();
    for row in &secrets {
        let f = SealedField {
            tenant: &row.tenant,
            kind: "secret",
            name: &row.name,
            field: "value",
            sealed: &row.value,
        };
        if let Some(value) = reseal(f).map_err(|e| reseal_failed(&f, e))? {
            secret_updates.push((row, value));
        } else if row.key_id != marker.key_id {
            secret_updates.push((row, row.value.clone()));
        }
    }
    let mut conn = store.writer().await?;
    let mut tx = B::begin_write(&mut conn).await?;
    statement::<B::Db>(ADD_KEY_MARKER)
        .bind(marker.key_id.as_str())
        .bind(marker.marker)
        .bind(rows::micros(marker.created_at))
        .execute(&mut tx)
        .await?;
    for (row, password, extra) in connection_updates {
        let changed = statement::<B::Db>(RESEAL_CONNECTION)
            .bind(password.or_else(|| row.password.clone()))
            .bind(extra.unwrap_or_else(|| row.extra.clone()))
            .bind(marker.key_id.as_str())
            .bind(row.tenant.as_str())
            .bind(row.conn_id.as_str())
            .bind(row.password.clone())
            .bind(row.extra.clone())
            .execute(&mut tx)
            .await?;
        if changed > 0 {
            outcome.resealed += 1;
        } else {
            outcome.skipped += 1;
        }
    }
    for (row, value) in secret_updates {
        let changed = statement::<B::Db>(RESEAL_SECRET)
            .bind(value)
            .bind(marker.key_id.as_str())
            .bind(row.tenant.as_str())
            .bind(row.name.as_str())
            .bind(row.value.clone())
            .execute(&mut tx)
            .await?;
        if changed > 0 {
            outcome.resealed += 1;
        } else {
            outcome.skipped += 1;
        }
    }
    statement::<B::Db>(PRUNE_KEY_MARKERS)
        .bind(marker.key_id.as_str())
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    outcome.key_ids = sealing_key_ids(store).await?;
    Ok(outcome)
}

pub(crate) async fn attempt<B: Backend>(store: &B, ti: TiPk) -> StoreResult<Option<AttemptInfo>> {
    let Some(row) = statement::<B::Db>(ATTEMPT)
        .bind(ti)
        .fetch_optional::<AttemptRow>(&mut *store.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let name = format!("task instance {ti}");
    Ok(Some(AttemptInfo {
        state: parse(&name, "state", &row.state)?,
        lease_expires_at: time_opt(&name, "lease_expires_at", row.lease_expires_at)?,
        tenant: row.tenant,
        run: row.run,
        task_id: row.task_id,
        lease: row.lease,
        digest: row.digest,
        dag_id: row.dag_id,
        run_id: row.run_id,
    }))
}
