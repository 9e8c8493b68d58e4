//! Rows as the database returns them, and their conversion into [records](crate::records).
//! A row whose content cannot be converted (a state name Weft does not know, a time out of
//! range, a spec that is not JSON) becomes a [`StoreError::Database`] naming the row.

use std::fmt::Display;
use std::str::FromStr;

use jiff::Timestamp;
use weft_model::DagSpec;

use crate::both_backends::row_macro::row;
use crate::error::{StoreError, StoreResult};
use crate::records::{
    DagRecord, DagRun, DagVersion, Pool, TaskInstance, Variable, WorkerRecord, Xcom,
};

/// Microseconds since the Unix epoch, as stored.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// Optional microseconds, as stored.
pub(crate) fn micros_opt(t: Option<Timestamp>) -> Option<i64> {
    t.map(micros)
}

/// `t` as it reads back once stored: to the microsecond.
pub(crate) fn as_stored(t: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(micros(t)).unwrap_or(t)
}

/// A stored time back as a timestamp.
pub(crate) fn time(row: &dyn Display, column: &str, us: i64) -> StoreResult<Timestamp> {
    Timestamp::from_microsecond(us).map_err(|e| corrupt(row, column, e))
}

pub(crate) fn time_opt(
    row: &dyn Display,
    column: &str,
    us: Option<i64>,
) -> StoreResult<Option<Timestamp>> {
    us.map(|us| time(row, column, us)).transpose()
}

pub(crate) fn parse<T: FromStr<Err: Display>>(
    row: &dyn Display,
    column: &str,
    text: &str,
) -> StoreResult<T> {
    text.parse().map_err(|e| corrupt(row, column, e))
}

pub(crate) fn int<T: TryFrom<i64>>(row: &dyn Display, column: &str, value: i64) -> StoreResult<T> {
    T::try_from(value).map_err(|_| corrupt(row, column, format!("{value} is out of range")))
}

pub(crate) fn corrupt(row: &dyn Display, column: &str, error: impl Display) -> StoreError {
    StoreError::Database(format!("{row}: bad {column}: {error}"))
}

/// A stored spec back as a [`DagSpec`].
pub(crate) fn spec(row: &dyn Display, json: &str) -> StoreResult<DagSpec> {
    serde_json::from_str(json).map_err(|e| corrupt(row, "spec", e))
}

/// A component's row names: `component <digest> of tenant <tenant>`.
pub(crate) struct ComponentName<'a>(pub &'a str, pub &'a str);

impl Display for ComponentName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "component {} of tenant {}", self.1, self.0)
    }
}

/// A record's field as a column stores it: what lets a record type declare its row (the
/// task instance's, in `both_backends::ti_columns`) instead of a row type repeating its fields.
pub(crate) trait Stored: Sized {
    /// The column's type as sqlx reads it.
    type Column;
    /// The field from the column, or a `Database` error naming `row` and `column`.
    fn from_column(row: &dyn Display, column: &str, value: Self::Column) -> StoreResult<Self>;
}

/// Columns read as they are.
macro_rules! stored_as_is {
    ($($ty:ty),*) => {$(
        impl Stored for $ty {
            type Column = $ty;
            fn from_column(_: &dyn Display, _: &str, value: $ty) -> StoreResult<Self> {
                Ok(value)
            }
        }
    )*};
}
stored_as_is!(i64, String);

/// Numbers stored as `i64`.
macro_rules! stored_as_int {
    ($($ty:ty),*) => {$(
        impl Stored for $ty {
            type Column = i64;
            fn from_column(row: &dyn Display, column: &str, value: i64) -> StoreResult<Self> {
                int(row, column, value)
            }
        }
    )*};
}
stored_as_int!(u32, i32);

impl Stored for Timestamp {
    type Column = i64;
    fn from_column(row: &dyn Display, column: &str, us: i64) -> StoreResult<Self> {
        time(row, column, us)
    }
}

impl Stored for weft_model::TaskState {
    type Column = String;
    fn from_column(row: &dyn Display, column: &str, name: String) -> StoreResult<Self> {
        parse(row, column, &name)
    }
}

impl Stored for weft_model::Deferral {
    type Column = String;
    fn from_column(row: &dyn Display, column: &str, json: String) -> StoreResult<Self> {
        serde_json::from_str(&json).map_err(|e| corrupt(row, column, e))
    }
}

impl<T: Stored> Stored for Option<T> {
    type Column = Option<T::Column>;
    fn from_column(row: &dyn Display, column: &str, value: Self::Column) -> StoreResult<Self> {
        value.map(|v| T::from_column(row, column, v)).transpose()
    }
}

/// A value as a statement binds it, for the columns a write of many rows makes from a
/// declaration (the task instance's finish, in `both_backends::ti_columns`): the value and its SQL
/// type (as PostgreSQL names it, for its arrays).
pub(crate) trait Bind {
    /// The value bound.
    type Bound<'a>
    where
        Self: 'a;
    /// The column's SQL type.
    const SQL_TYPE: &'static str;
    /// The value to bind.
    fn bound(&self) -> Self::Bound<'_>;
    /// The value as text, for the checks text must pass to be stored; none for others.
    fn text(&self) -> Option<&str> {
        None
    }
}

impl Bind for i64 {
    type Bound<'a> = i64;
    const SQL_TYPE: &'static str = "bigint";
    fn bound(&self) -> i64 {
        *self
    }
}

impl Bind for u32 {
    type Bound<'a> = i64;
    const SQL_TYPE: &'static str = "bigint";
    fn bound(&self) -> i64 {
        i64::from(*self)
    }
}

impl Bind for i32 {
    type Bound<'a> = i64;
    const SQL_TYPE: &'static str = "bigint";
    fn bound(&self) -> i64 {
        i64::from(*self)
    }
}

impl Bind for String {
    type Bound<'a> = &'a str;
    const SQL_TYPE: &'static str = "text";
    fn bound(&self) -> &str {
        self
    }
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl Bind for Timestamp {
    type Bound<'a> = i64;
    const SQL_TYPE: &'static str = "bigint";
    fn bound(&self) -> i64 {
        micros(*self)
    }
}

impl<T: Bind> Bind for Option<T> {
    type Bound<'a>
        = Option<T::Bound<'a>>
    where
        T: 'a;
    const SQL_TYPE: &'static str = T::SQL_TYPE;
    fn bound(&self) -> Self::Bound<'_> {
        self.as_ref().map(T::bound)
    }
    fn text(&self) -> Option<&str> {
        self.as_ref().and_then(T::text)
    }
}

/// A `task_instances` row joined with its run's `run_id`: made from the task instance's
/// declaration (see `both_backends::ti_columns`).
pub(crate) use crate::both_backends::ti_columns::TiRow;

row! {
    /// A `dag_runs` row.
    #[derive(Debug)]
    pub(crate) struct RunRow {
        id: i64,
        tenant: String,
        dag_id: String,
        run_id: String,
        run_type: String,
        logical_date: i64,
        data_interval_start: i64,
        data_interval_end: i64,
        conf: String,
        digest: String,
        state: String,
        queued_at: i64,
        started_at: Option<i64>,
        ended_at: Option<i64>,
    }
}

impl RunRow {
    /// The record, or a `Database` error naming the run.
    pub(crate) fn into_record(self) -> StoreResult<DagRun> {
        let row = format!(
            "DAG run {} ({} of DAG {})",
            self.id, self.run_id, self.dag_id
        );
        let row: &dyn Display = &row;
        Ok(DagRun {
            id: self.id,
            run_type: parse(row, "run_type", &self.run_type)?,
            logical_date: time(row, "logical_date", self.logical_date)?,
            data_interval_start: time(row, "data_interval_start", self.data_interval_start)?,
            data_interval_end: time(row, "data_interval_end", self.data_interval_end)?,
            conf: serde_json::from_str(&self.conf).map_err(|e| corrupt(row, "conf", e))?,
            state: parse(row, "state", &self.state)?,
            queued_at: time(row, "queued_at", self.queued_at)?,
            started_at: time_opt(row, "started_at", self.started_at)?,
            ended_at: time_opt(row, "ended_at", self.ended_at)?,
            tenant: self.tenant,
            dag_id: self.dag_id,
            run_id: self.run_id,
            digest: self.digest,
        })
    }
}

/// A row of [`RUN_WITH_TIS`](crate::both_backends::sql::RUN_WITH_TIS): a task instance with its
/// run's columns.
#[derive(Debug)]
pub(crate) struct RunTiRow {
    /// The task instance's columns.
    ti: TiRow,
    run_type: String,
    logical_date: i64,
    data_interval_start: i64,
    data_interval_end: i64,
    /// On the first row only.
    run_conf: Option<String>,
    digest: String,
    run_state: String,
    run_queued_at: i64,
    run_started_at: Option<i64>,
    run_ended_at: Option<i64>,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for RunTiRow
where
    &'r str: sqlx::ColumnIndex<R>,
    TiRow: sqlx::FromRow<'r, R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            ti: TiRow::from_row(row)?,
            run_type: row.try_get("run_type")?,
            logical_date: row.try_get("logical_date")?,
            data_interval_start: row.try_get("data_interval_start")?,
            data_interval_end: row.try_get("data_interval_end")?,
            run_conf: row.try_get("run_conf")?,
            digest: row.try_get("digest")?,
            run_state: row.try_get("run_state")?,
            run_queued_at: row.try_get("run_queued_at")?,
            run_started_at: row.try_get("run_started_at")?,
            run_ended_at: row.try_get("run_ended_at")?,
        })
    }
}

impl RunTiRow {
    /// The run and its task instances, from all the rows of one run in order; `None` when
    /// there are none.
    pub(crate) fn into_records(
        rows: Vec<RunTiRow>,
    ) -> StoreResult<Option<(DagRun, Vec<TaskInstance>)>> {
        let mut rows = rows.into_iter();
        let Some(first) = rows.next() else {
            return Ok(None);
        };
        let run = RunRow {
            id: first.ti.run,
            tenant: first.ti.tenant.clone(),
            dag_id: first.ti.dag_id.clone(),
            run_id: first.ti.run_id.clone(),
            run_type: first.run_type,
            logical_date: first.logical_date,
            data_interval_start: first.data_interval_start,
            data_interval_end: first.data_interval_end,
            conf: first.run_conf.ok_or_else(|| {
                StoreError::Database(format!(
                    "DAG run {}: conf missing from its first row",
                    first.ti.run
                ))
            })?,
            digest: first.digest,
            state: first.run_state,
            queued_at: first.run_queued_at,
            started_at: first.run_started_at,
            ended_at: first.run_ended_at,
        }
        .into_record()?;
        let tis = std::iter::once(first.ti)
            .chain(rows.map(|row| row.ti))
            .map(TiRow::into_record)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some((run, tis)))
    }
}

row! {
    /// A `dags` row joined with its current component's spec.
    #[derive(Debug)]
    pub(crate) struct DagRow {
        tenant: String,
        dag_id: String,
        paused: bool,
        digest: String,
        spec: String,
        created_at: i64,
        updated_at: i64,
    }
}

impl DagRow {
    /// The record, or a `Database` error naming the DAG.
    pub(crate) fn into_record(self) -> StoreResult<DagRecord> {
        let row = format!("DAG {} of tenant {}", self.dag_id, self.tenant);
        let row: &dyn Display = &row;
        Ok(DagRecord {
            paused: self.paused,
            spec: spec(row, &self.spec)?,
            created_at: time(row, "created_at", self.created_at)?,
            updated_at: time(row, "updated_at", self.updated_at)?,
            tenant: self.tenant,
            dag_id: self.dag_id,
            digest: self.digest,
        })
    }
}

row! {
    /// A `dag_versions` row joined with its component's size and task count.
    #[derive(Debug)]
    pub(crate) struct VersionRow {
        digest: String,
        size: i64,
        task_count: i64,
        created_at: i64,
    }
}

impl VersionRow {
    /// The record, or a `Database` error naming the version.
    pub(crate) fn into_record(self) -> StoreResult<DagVersion> {
        let row = format!("DAG version {}", self.digest);
        let created_at = time(&row, "created_at", self.created_at)?;
        Ok(DagVersion {
            digest: self.digest,
            size: self.size,
            task_count: self.task_count,
            created_at,
        })
    }
}

row! {
    /// A `variables` row.
    #[derive(Debug)]
    pub(crate) struct VariableRow {
        key: String,
        value: String,
        description: String,
        updated_at: i64,
    }
}

impl VariableRow {
    /// The record, or a `Database` error naming the variable.
    pub(crate) fn into_record(self) -> StoreResult<Variable> {
        let row = format!("variable {}", self.key);
        let updated_at = time(&row, "updated_at", self.updated_at)?;
        Ok(Variable {
            key: self.key,
            value: self.value,
            description: self.description,
            updated_at,
        })
    }
}

row! {
    /// A `pools` row.
    #[derive(Debug)]
    pub(crate) struct PoolRow {
        name: String,
        slots: i64,
        description: String,
    }
}

impl From<PoolRow> for Pool {
    fn from(row: PoolRow) -> Self {
        Pool {
            name: row.name,
            slots: row.slots,
            description: row.description,
        }
    }
}

row! {
    /// An `xcom` row.
    #[derive(Debug)]
    pub(crate) struct XcomRow {
        task_id: String,
        key: String,
        value: Vec<u8>,
    }
}

impl From<XcomRow> for Xcom {
    fn from(row: XcomRow) -> Self {
        Xcom {
            task_id: row.task_id,
            key: row.key,
            value: row.value,
        }
    }
}

row! {
    /// A `workers` row.
    #[derive(Debug)]
    pub(crate) struct WorkerRow {
        worker_id: String,
        hostname: String,
        queues: String,
        concurrency: i64,
        running: i64,
        finished: i64,
        failed: i64,
        arch: String,
        labels: String,
        version: String,
        started_at: i64,
        last_heartbeat: i64,
        stopped_at: Option<i64>,
        tenants: Option<String>,
    }
}

impl WorkerRow {
    /// The record, or a `Database` error naming the worker.
    pub(crate) fn into_record(self) -> StoreResult<WorkerRecord> {
        let row = format!("worker {}", self.worker_id);
        let row: &dyn Display = &row;
        Ok(WorkerRecord {
            queues: serde_json::from_str(&self.queues).map_err(|e| corrupt(row, "queues", e))?,
            labels: serde_json::from_str(&self.labels).map_err(|e| corrupt(row, "labels", e))?,
            tenants: self
                .tenants
                .map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(|e| corrupt(row, "tenants", e))?,
            concurrency: int(row, "concurrency", self.concurrency)?,
            running: int(row, "running", self.running)?,
            finished: int(row, "finished", self.finished)?,
            failed: int(row, "failed", self.failed)?,
            started_at: time(row, "started_at", self.started_at)?,
            last_heartbeat: time(row, "last_heartbeat", self.last_heartbeat)?,
            stopped_at: time_opt(row, "stopped_at", self.stopped_at)?,
            worker_id: self.worker_id,
            hostname: self.hostname,
            arch: self.arch,
            version: self.version,
        })
    }
}

row! {
    /// A `tenants` row.
    #[derive(Debug)]
    pub(crate) struct TenantRow {
        name: String,
        description: String,
        created_at: i64,
        weight: i64,
        max_running_tasks: Option<i64>,
        max_active_runs: Option<i64>,
        max_queued_tasks: Option<i64>,
        max_component_bytes: Option<i64>,
        max_components: Option<i64>,
        api_requests_per_second: Option<i64>,
        api_burst: Option<i64>,
        sandbox: Option<String>,
    }
}

impl TenantRow {
    /// The record, or a `Database` error naming the tenant.
    pub(crate) fn into_record(self) -> StoreResult<crate::tenancy::Tenant> {
        let row = format!("tenant {}", self.name);
        let created_at = time(&row, "created_at", self.created_at)?;
        let weight = u32::try_from(self.weight).map_err(|_| {
            StoreError::Database(format!("{row}: weight {} is out of range", self.weight))
        })?;
        let limit = |quota: &str, value: Option<i64>| {
            value
                .map(|v| {
                    u32::try_from(v).map_err(|_| {
                        StoreError::Database(format!("{row}: quota {quota} {v} is out of range"))
                    })
                })
                .transpose()
        };
        let quotas = crate::tenancy::Quotas {
            max_running_tasks: limit("max_running_tasks", self.max_running_tasks)?,
            max_active_runs: limit("max_active_runs", self.max_active_runs)?,
            max_queued_tasks: limit("max_queued_tasks", self.max_queued_tasks)?,
            max_component_bytes: self
                .max_component_bytes
                .map(|v| {
                    u64::try_from(v).map_err(|_| {
                        StoreError::Database(format!(
                            "{row}: quota max_component_bytes {v} is out of range"
                        ))
                    })
                })
                .transpose()?,
            max_components: limit("max_components", self.max_components)?,
            api_requests_per_second: limit(
                "api_requests_per_second",
                self.api_requests_per_second,
            )?,
            api_burst: limit("api_burst", self.api_burst)?,
        };
        let sandbox = match &self.sandbox {
            Some(json) => serde_json::from_str(json).unwrap_or_else(|e| {
                // One unreadable policy (a newer release's, say) must not stop every tenant
                // from loading; it allows its tenant nowhere rather than everywhere.
                tracing::error!(%row, error = %e, "sandbox policy unreadable; its tenant's tasks may reach nowhere");
                crate::tenancy::TenantSandbox {
                    egress_allow: Some(Vec::new()),
                    ..crate::tenancy::TenantSandbox::default()
                }
            }),
            None => crate::tenancy::TenantSandbox::default(),
        };
        Ok(crate::tenancy::Tenant {
            name: self.name,
            description: self.description,
            created_at,
            weight,
            quotas,
            sandbox,
        })
    }
}

row! {
    /// An `api_tokens` row.
    #[derive(Debug)]
    pub(crate) struct TokenRow {
        token_id: String,
        tenant: String,
        name: String,
        role: String,
        secret_digest: String,
        created_at: i64,
        expires_at: Option<i64>,
        revoked_at: Option<i64>,
    }
}

impl TokenRow {
    /// The record, or a `Database` error naming the token.
    pub(crate) fn into_record(self) -> StoreResult<crate::tenancy::ApiToken> {
        let row = format!("API token {}", self.token_id);
        Ok(crate::tenancy::ApiToken {
            role: parse(&row, "role", &self.role)?,
            created_at: time(&row, "created_at", self.created_at)?,
            expires_at: time_opt(&row, "expires_at", self.expires_at)?,
            revoked_at: time_opt(&row, "revoked_at", self.revoked_at)?,
            token_id: self.token_id,
            tenant: self.tenant,
            name: self.name,
            secret_digest: self.secret_digest,
        })
    }
}
