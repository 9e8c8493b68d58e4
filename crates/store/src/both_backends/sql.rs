//! SQL both backends run as is: standard SQL with `$n` parameters, which SQLite and
//! PostgreSQL both accept. Literal values here are never selected as integers (SQLite and
//! PostgreSQL type them differently); columns are. Each statement is one string, so a search
//! for its text finds it, but for the pieces joined in by [`sql!`]: the runs' and task
//! instances' reads select [`RUN_COLUMNS`] and [`TI_COLUMNS`], made from the fields of the
//! rows they are read into. A state that a task instance
//! found by its id must be in is checked as `CASE WHEN state ... THEN TRUE END`, which keeps
//! PostgreSQL's planner off the partial index on `state` (see `postgres::statements`), also
//! when the state is a parameter: the first plans of a prepared statement are made for its
//! values. Which states a statement lists by class (`IN ('queued', 'running')`) comes from
//! the model's table of state classes, joined in by [`sql!`] (see [`super::state_sql`]).

use super::sql_text::{column_list, sql};
use super::state_sql::{RUN_ACTIVE, TASK_BACKLOG, TASK_IN_POOL};
use super::ti_columns::{ATTEMPT, each};
use crate::rows::{RunRow, TiRow};

// --- tenants ---

/// Create a tenant if new: `$1` name.
pub(crate) const ENSURE_TENANT: &str =
    "INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";
/// Give a tenant its default pool if it has none: `$1` tenant, `$2` name, `$3` slots.
pub(crate) const ENSURE_DEFAULT_POOL: &str = "INSERT INTO pools (tenant, name, slots, description) \
     VALUES ($1, $2, $3, 'Default pool') ON CONFLICT (tenant, name) DO NOTHING";

// --- components and DAGs ---

/// `$1` tenant, `$2` digest.
pub(crate) const COMPONENT_SIZE: &str =
    "SELECT size FROM components WHERE tenant = $1 AND digest = $2";
/// `$1` tenant, `$2` digest.
pub(crate) const COMPONENT_BYTES: &str =
    "SELECT bytes FROM component_bytes WHERE tenant = $1 AND digest = $2";
/// `$1` tenant, `$2` digest.
pub(crate) const COMPONENT_SPEC: &str =
    "SELECT spec FROM components WHERE tenant = $1 AND digest = $2";
/// `$1` tenant, `$2` digest, `$3` size, `$4` spec, `$5` task count, `$6` at.
pub(crate) const INSERT_COMPONENT: &str = "INSERT INTO components \
     (tenant, digest, size, spec, task_count, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (tenant, digest) DO NOTHING";
/// `$1` tenant, `$2` digest, `$3` bytes.
pub(crate) const INSERT_COMPONENT_BYTES: &str = "INSERT INTO component_bytes \
     (tenant, digest, bytes) VALUES ($1, $2, $3) ON CONFLICT (tenant, digest) DO NOTHING";
/// `$1` tenant, `$2` dag_id: the current digest.
pub(crate) const DAG_DIGEST: &str = "SELECT digest FROM dags WHERE tenant = $1 AND dag_id = $2";
/// `$1` tenant, `$2` dag_id, `$3` digest, `$4` at (a new DAG is unpaused); affects no row
/// when the DAG exists.
pub(crate) const INSERT_DAG: &str = "INSERT INTO dags (tenant, dag_id, paused, digest, created_at, updated_at) \
     VALUES ($1, $2, FALSE, $3, $4, $4) ON CONFLICT (tenant, dag_id) DO NOTHING";
/// `$1` tenant, `$2` dag_id, `$3` digest, `$4` at.
pub(crate) const UPDATE_DAG: &str =
    "UPDATE dags SET digest = $3, updated_at = $4 WHERE tenant = $1 AND dag_id = $2";
/// `$1` tenant, `$2` dag_id, `$3` digest, `$4` at; affects no row when the version exists.
pub(crate) const INSERT_VERSION: &str = "INSERT INTO dag_versions (tenant, dag_id, digest, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, dag_id, digest) DO NOTHING";
/// `$1` tenant.
pub(crate) const DAGS: &str = "SELECT d.tenant, d.dag_id, d.paused, d.digest, c.spec, \
     d.created_at, d.updated_at \
     FROM dags d JOIN components c ON c.tenant = d.tenant AND c.digest = d.digest \
     WHERE d.tenant = $1 ORDER BY d.dag_id";
/// `$1` tenant, `$2` dag_id.
pub(crate) const DAG: &str = "SELECT d.tenant, d.dag_id, d.paused, d.digest, c.spec, \
     d.created_at, d.updated_at \
     FROM dags d JOIN components c ON c.tenant = d.tenant AND c.digest = d.digest \
     WHERE d.tenant = $1 AND d.dag_id = $2";
/// `$1` tenant, `$2` dag_id.
pub(crate) const DAG_VERSIONS: &str = "SELECT v.digest, c.size, c.task_count, v.created_at FROM dag_versions v \
     JOIN components c ON c.tenant = v.tenant AND c.digest = v.digest \
     WHERE v.tenant = $1 AND v.dag_id = $2 ORDER BY v.id DESC";
/// `$1` tenant, `$2` dag_id, `$3` paused, `$4` at.
pub(crate) const SET_PAUSED: &str =
    "UPDATE dags SET paused = $3, updated_at = $4 WHERE tenant = $1 AND dag_id = $2";

// --- runs and task instances ---

/// `$1` tenant, `$2` dag_id, `$3` run_id, `$4` run_type, `$5` logical_date, `$6`/`$7` data
/// interval, `$8` conf, `$9` digest, `$10` state, `$11` queued_at, `$12` started_at, `$13` ended_at,
/// `$14` the task instances it adds to the tenant's waiting ones under `max_queued_tasks` (0:
/// not counted), `$15` 1 when `$9` must be the DAG's current version (0: any of its versions).
/// Inserts only when the DAG has version `$9` (as its current one, for `$15` = 1) and the run
/// keeps the tenant within its `max_queued_tasks` ([`TENANT_BACKLOG`] counts the same; no row
/// otherwise); a run id already used is a unique violation. PostgreSQL runs it as the first
/// part of its run-and-tasks insert.
pub(crate) const INSERT_RUN: &str = sql!(
    "INSERT INTO dag_runs (tenant, dag_id, run_id, run_type, \
     logical_date, data_interval_start, data_interval_end, conf, digest, state, queued_at, \
     started_at, ended_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
     WHERE EXISTS (SELECT 1 FROM dag_versions WHERE tenant = $1 AND dag_id = $2 AND digest = $9) \
     AND ($15 = 0 OR EXISTS (SELECT 1 FROM dags WHERE tenant = $1 AND dag_id = $2 AND digest = $9)) \
     AND NOT EXISTS (SELECT 1 FROM tenants q WHERE q.name = $1 AND $14 > 0 \
     AND q.max_queued_tasks IS NOT NULL AND q.max_queued_tasks < $14 + (SELECT count(*) \
     FROM task_instances b JOIN dag_runs w ON w.id = b.run WHERE w.tenant = $1 \
     AND w.state IN ",
    RUN_ACTIVE,
    " AND b.state IN ",
    TASK_BACKLOG,
    ")) \
     RETURNING id"
);

/// The columns of `RunRow`: what every read of runs selects first.
const RUN_COLUMNS: &str = column_list!(RunRow::COLUMNS, "", &[]);

/// `$1` run pk.
pub(crate) const RUN: &str = sql!("SELECT ", RUN_COLUMNS, " FROM dag_runs WHERE id = $1");
/// `$1` tenant, `$2` dag_id, `$3` run_id.
pub(crate) const RUN_BY_ID: &str = sql!(
    "SELECT ",
    RUN_COLUMNS,
    " FROM dag_runs WHERE tenant = $1 AND dag_id = $2 AND run_id = $3"
);
/// `$1` tenant, `$2` dag_id or NULL, `$3` state or NULL, `$4` limit.
pub(crate) const RUNS: &str = sql!(
    "SELECT ",
    RUN_COLUMNS,
    " FROM dag_runs WHERE tenant = $1 AND ($2 IS NULL OR dag_id = $2) AND ($3 IS NULL OR state = $3) \
     ORDER BY logical_date DESC, id DESC LIMIT $4"
);
/// Every queued or running run.
pub(crate) const ACTIVE_RUNS: &str = sql!(
    "SELECT ",
    RUN_COLUMNS,
    " FROM dag_runs WHERE state IN ",
    RUN_ACTIVE,
    " ORDER BY id"
);
/// `$1` tenant, `$2` dag_id.
pub(crate) const LATEST_SCHEDULED_RUN: &str = sql!(
    "SELECT ",
    RUN_COLUMNS,
    " FROM dag_runs WHERE tenant = $1 AND dag_id = $2 AND run_type IN ('scheduled', 'backfill') \
     ORDER BY logical_date DESC, id DESC LIMIT 1"
);

/// The columns of `TiRow` (`task_instances ti` joined with its run, `dag_runs r`): what every
/// read of task instances selects first.
const TI_COLUMNS: &str = column_list!(TiRow::COLUMNS, "ti", &[("run_id", "r")]);

/// `$1` run pk: its task instances, each row with the run's own columns (`conf` on the
/// first row only, so that a big run does not repeat it): a run and its task instances
/// from one snapshot in one statement. No rows for a run without task instances.
pub(crate) const RUN_WITH_TIS: &str = sql!(
    "SELECT ",
    TI_COLUMNS,
    ", r.run_type, r.logical_date, r.data_interval_start, r.data_interval_end, \
     CASE WHEN ti.id = (SELECT min(id) FROM task_instances WHERE run = $1) THEN r.conf END AS run_conf, \
     r.digest, r.state AS run_state, r.queued_at AS run_queued_at, r.started_at AS run_started_at, \
     r.ended_at AS run_ended_at \
     FROM task_instances ti JOIN dag_runs r ON r.id = ti.run WHERE ti.run = $1 ORDER BY ti.id"
);
/// The task instances of every queued or running run.
pub(crate) const ACTIVE_TIS: &str = sql!(
    "SELECT ",
    TI_COLUMNS,
    " \
     FROM task_instances ti JOIN dag_runs r ON r.id = ti.run \
     WHERE r.state IN ",
    RUN_ACTIVE,
    " ORDER BY ti.run, ti.id"
);
/// `$1` now, `$2` limit.
pub(crate) const EXPIRED_LEASES: &str = sql!(
    "SELECT ",
    TI_COLUMNS,
    " \
     FROM task_instances ti JOIN dag_runs r ON r.id = ti.run \
     WHERE ti.state = 'running' AND ti.lease_expires_at < $1 \
     ORDER BY ti.lease_expires_at, ti.id LIMIT $2"
);
/// `$1` before, `$2` limit. Found through the index of active states (`task_instances_active`).
pub(crate) const QUEUED_BEFORE: &str = sql!(
    "SELECT ",
    TI_COLUMNS,
    " \
     FROM task_instances ti JOIN dag_runs r ON r.id = ti.run \
     WHERE ti.state = 'queued' AND ti.queued_at < $1 \
     ORDER BY ti.queued_at, ti.id LIMIT $2"
);

/// `$1` task instance, `$2` when its sensor's try first poked, `$3` its reschedules so far.
pub(crate) const SET_POKE: &str =
    "UPDATE task_instances SET sensor_started_at = $2, pokes = $3 WHERE id = $1";

/// `$1` task instance, `$2` its deferral (JSON).
pub(crate) const SET_DEFERRAL: &str = "UPDATE task_instances SET deferral = $2 WHERE id = $1";

/// `$1` task instance, `$2` lease seen, `$3` state seen, `$4` try, `$5` at, `$6` when the
/// scheduler looks again, `$7` the deferral (JSON): a task that runs no code starts waiting.
pub(crate) const DEFER: &str = sql!(
    "UPDATE task_instances SET state = 'deferred', lease = lease + 1, \
     try_number = $4, queued_at = NULL, started_at = $5, next_retry_at = $6, ",
    each!(ATTEMPT, &["started_at", "next_retry_at"], "{c} = NULL"),
    ", sensor_started_at = $5, pokes = 0, deferral = $7 \
     WHERE id = $1 AND lease = $2 AND CASE WHEN state = $3 THEN TRUE END \
     RETURNING id, run, task_id, try_number"
);

/// `$1` task instance, `$2` lease, `$3` new state, `$4` at, `$5` error class, `$6` error,
/// `$7` deferral (JSON, for a task that runs again), `$8` whether the state is final, `$9`
/// when a retry may go: a deferred task instance's wait ended.
pub(crate) const RESOLVE: &str = "UPDATE task_instances SET state = $3, \
     ended_at = CASE WHEN $8 THEN $4 END, \
     duration_ms = CASE WHEN $8 THEN ($4 - COALESCE(started_at, $4)) / 1000 ELSE duration_ms END, \
     next_retry_at = $9, error_class = $5, error = $6, deferral = $7 \
     WHERE id = $1 AND lease = $2 AND CASE WHEN state = 'deferred' THEN TRUE END \
     RETURNING id, run, task_id, try_number";

/// `$1` tenant, `$2` DAG, `$3` logical date: the DAG's newest run with that logical date.
pub(crate) const RUN_BY_LOGICAL_DATE: &str = sql!(
    "SELECT ",
    RUN_COLUMNS,
    " FROM dag_runs WHERE tenant = $1 AND dag_id = $2 AND logical_date = $3 ORDER BY id DESC LIMIT 1"
);

/// `$1` task instance, `$2` lease, `$3` state seen, `$4` new state, `$5` map count (none
/// when the expansion failed), `$6` at, `$7` whether the new state is final, `$8` error
/// class, `$9` error: a mapped task expands, once.
pub(crate) const EXPAND: &str = "UPDATE task_instances SET state = $4, lease = lease + 1, \
     map_count = $5, started_at = $6, ended_at = CASE WHEN $7 THEN $6 END, \
     duration_ms = CASE WHEN $7 THEN 0 END, error_class = $8, error = $9 \
     WHERE id = $1 AND lease = $2 AND CASE WHEN state = $3 THEN TRUE END AND map_count IS NULL \
     RETURNING id, run, task_id, try_number";

/// `$1` run, `$2` the mapped task's id followed by `[`: its instances' task instances, in
/// map index order.
pub(crate) const MAPPED_INSTANCES: &str = sql!(
    "SELECT ",
    TI_COLUMNS,
    " \
     FROM task_instances ti JOIN dag_runs r ON r.id = ti.run \
     WHERE ti.run = $1 AND ti.map_index IS NOT NULL AND substr(ti.task_id, 1, length($2)) = $2 \
     ORDER BY ti.map_index"
);

/// `$1` task instance: a mapped task that is cleared forgets its expansion (it expands
/// again when it runs).
pub(crate) const UNEXPAND: &str = "UPDATE task_instances SET map_count = NULL \
     WHERE id = $1 AND map_count IS NOT NULL RETURNING id, run, task_id, try_number";
/// `$1` run, `$2` a mapped task's id followed by `[`: its instances go, with their logs.
pub(crate) const DELETE_INSTANCES: &str = "DELETE FROM task_instances \
     WHERE run = $1 AND map_index IS NOT NULL AND substr(task_id, 1, length($2)) = $2";
/// `$1` run, `$2` a mapped task's id, `$3` its id followed by `[`: its XCom values and its
/// instances' go.
pub(crate) const DELETE_MAPPED_XCOMS: &str = "DELETE FROM xcom \
     WHERE run = $1 AND (task_id = $2 OR substr(task_id, 1, length($3)) = $3)";

/// `$1` task instance, `$2` lease, `$3` final state, `$4` at: a mapped task whose instances
/// all ended ends.
pub(crate) const END_MAPPED: &str = "UPDATE task_instances SET state = $3, ended_at = $4, \
     duration_ms = ($4 - COALESCE(started_at, $4)) / 1000 \
     WHERE id = $1 AND lease = $2 AND CASE WHEN state = 'running' THEN TRUE END \
     AND map_count IS NOT NULL \
     RETURNING id, run, task_id, try_number";

/// `$1` run, `$2` the mapped task's id followed by `[`: each instance's output (none for
/// one without), in map index order.
pub(crate) const MAPPED_OUTPUTS: &str = "SELECT x.value FROM task_instances ti \
     LEFT JOIN xcom x ON x.run = ti.run AND x.task_id = ti.task_id AND x.key = 'return_value' \
     WHERE ti.run = $1 AND ti.map_index IS NOT NULL AND substr(ti.task_id, 1, length($2)) = $2 \
     ORDER BY ti.map_index";

/// `$1` run pk, `$2` state, `$3` at, `$4` whether the run is running, `$5` whether it is
/// finished. PostgreSQL's step statement sets the same columns the same way.
pub(crate) const SET_RUN: &str = "UPDATE dag_runs SET state = $2, \
     started_at = CASE WHEN $4 THEN COALESCE(dag_runs.started_at, $3) \
     WHEN $2 = 'queued' THEN NULL ELSE dag_runs.started_at END, \
     ended_at = CASE WHEN $5 THEN $3 ELSE NULL END \
     WHERE id = $1";

/// The columns [`SET_RUN`] sets, as a statement over rows `v (run, state, at, running,
/// finished)` must set them: for the tests of statements that repeat it.
#[cfg(test)]
pub(crate) fn set_run_columns_from_rows() -> String {
    SET_RUN
        .strip_prefix("UPDATE dag_runs SET ")
        .and_then(|sql| sql.strip_suffix(" WHERE id = $1"))
        .unwrap_or_default()
        .replace("$2", "v.state")
        .replace("$3", "v.at")
        .replace("$4", "v.running")
        .replace("$5", "v.finished")
}

// --- XCom and logs ---

/// `$1` run, `$2` task_id, `$3` key.
pub(crate) const XCOM: &str = "SELECT value FROM xcom WHERE run = $1 AND task_id = $2 AND key = $3";
/// `$1` run.
pub(crate) const RUN_XCOMS: &str =
    "SELECT task_id, key, value FROM xcom WHERE run = $1 ORDER BY task_id, key";
/// `$1` ti, `$2` try number.
pub(crate) const TASK_LOG: &str = "SELECT log FROM task_logs WHERE ti = $1 AND try_number = $2";

// --- tenants and tokens ---

// The reads of tenants select the columns of `TenantRow`, in the same order.

pub(crate) const TENANTS: &str = "SELECT name, description, created_at, weight, max_running_tasks, max_active_runs, \
     max_queued_tasks, max_component_bytes, max_components, api_requests_per_second, api_burst, sandbox \
     FROM tenants ORDER BY name";
pub(crate) const TENANT: &str = "SELECT name, description, created_at, weight, max_running_tasks, max_active_runs, \
     max_queued_tasks, max_component_bytes, max_components, api_requests_per_second, api_burst, sandbox \
     FROM tenants WHERE name = $1";
/// `$1` name, `$2` description, `$3` created_at, `$4` weight, `$5` sandbox policy (JSON,
/// NULL for none), `$6`-`$12` quotas (as [`SET_TENANT_QUOTAS`]'s `$2`-`$8`); no row when the
/// name is taken.
pub(crate) const CREATE_TENANT: &str = "INSERT INTO tenants (name, description, created_at, weight, sandbox, max_running_tasks, max_active_runs, \
     max_queued_tasks, max_component_bytes, max_components, api_requests_per_second, api_burst) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (name) DO NOTHING";
/// Tenant `$1`'s sandbox policy becomes `$2` (JSON; NULL for none).
pub(crate) const SET_TENANT_SANDBOX: &str = "UPDATE tenants SET sandbox = $2 WHERE name = $1";
/// Tenant `$1`'s weight becomes `$2`.
pub(crate) const SET_TENANT_WEIGHT: &str = "UPDATE tenants SET weight = $2 WHERE name = $1";
/// Tenant `$1`'s quotas become `$2`-`$8` (max running tasks, max active runs, max queued tasks,
/// max component bytes, max components, API requests a second, API burst; NULL: no limit).
pub(crate) const SET_TENANT_QUOTAS: &str = "UPDATE tenants SET max_running_tasks = $2, \
     max_active_runs = $3, max_queued_tasks = $4, max_component_bytes = $5, max_components = $6, \
     api_requests_per_second = $7, api_burst = $8 WHERE name = $1";
/// Tenant `$1`'s `max_queued_tasks` and the task instances it has waiting (not yet started,
/// in queued and running runs, as [`INSERT_RUN`] counts them); no row for no tenant.
pub(crate) const TENANT_BACKLOG: &str = sql!(
    "SELECT max_queued_tasks, (SELECT count(*) FROM \
     task_instances b JOIN dag_runs w ON w.id = b.run WHERE w.tenant = $1 \
     AND w.state IN ",
    RUN_ACTIVE,
    " AND b.state IN ",
    TASK_BACKLOG,
    ") \
     FROM tenants WHERE name = $1"
);
/// Locks tenant `$1`'s row to the end of the transaction (PostgreSQL; SQLite's writer is one
/// already), changing nothing.
pub(crate) const LOCK_TENANT: &str = "UPDATE tenants SET weight = weight WHERE name = $1";
/// Tenant `$1`'s component quotas and the components it stores; no row for no tenant.
pub(crate) const TENANT_COMPONENTS: &str = "SELECT max_component_bytes, max_components, \
     (SELECT count(*) FROM components WHERE tenant = $1) FROM tenants WHERE name = $1";
/// The first DAGs of tenant `$1`, by id, at most `$2`.
pub(crate) const TENANT_DAG_IDS: &str =
    "SELECT dag_id FROM dags WHERE tenant = $1 ORDER BY dag_id LIMIT $2";
/// What a tenant without DAGs still owns, deleted in this order before the tenant itself.
pub(crate) const DELETE_TENANT_ROWS: [&str; 10] = [
    "DELETE FROM asset_queue WHERE tenant = $1",
    "DELETE FROM asset_consumers WHERE tenant = $1",
    "DELETE FROM asset_events WHERE tenant = $1",
    "DELETE FROM api_tokens WHERE tenant = $1",
    "DELETE FROM variables WHERE tenant = $1",
    "DELETE FROM pools WHERE tenant = $1",
    "DELETE FROM connections WHERE tenant = $1",
    "DELETE FROM secrets WHERE tenant = $1",
    "DELETE FROM component_bytes WHERE tenant = $1",
    "DELETE FROM components WHERE tenant = $1",
];
pub(crate) const DELETE_TENANT: &str = "DELETE FROM tenants WHERE name = $1";
pub(crate) const TOKEN: &str = "SELECT token_id, tenant, name, role, secret_digest, created_at, \
     expires_at, revoked_at FROM api_tokens WHERE token_id = $1";
pub(crate) const TOKENS: &str = "SELECT token_id, tenant, name, role, secret_digest, created_at, \
     expires_at, revoked_at FROM api_tokens WHERE tenant = $1 ORDER BY created_at, token_id";
/// `$1` id, `$2` tenant, `$3` name, `$4` role, `$5` secret digest, `$6` created, `$7` expires.
pub(crate) const CREATE_TOKEN: &str = "INSERT INTO api_tokens \
     (token_id, tenant, name, role, secret_digest, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// Revoke token `$2` of tenant `$1` at `$3`, unless it is revoked already.
pub(crate) const REVOKE_TOKEN: &str = "UPDATE api_tokens SET revoked_at = $3 \
     WHERE tenant = $1 AND token_id = $2 AND revoked_at IS NULL";

// --- variables and pools ---

/// `$1` tenant, `$2` key.
pub(crate) const VARIABLE: &str =
    "SELECT key, value, description, updated_at FROM variables WHERE tenant = $1 AND key = $2";
/// `$1` tenant.
pub(crate) const VARIABLES: &str =
    "SELECT key, value, description, updated_at FROM variables WHERE tenant = $1 ORDER BY key";
/// `$1` tenant, `$2` key, `$3` value, `$4` description, `$5` updated_at.
pub(crate) const SET_VARIABLE: &str = "INSERT INTO variables (tenant, key, value, description, updated_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value, \
     description = excluded.description, updated_at = excluded.updated_at";
/// `$1` tenant, `$2` key.
pub(crate) const DELETE_VARIABLE: &str = "DELETE FROM variables WHERE tenant = $1 AND key = $2";
/// `$1` tenant.
pub(crate) const POOLS: &str =
    "SELECT name, slots, description FROM pools WHERE tenant = $1 ORDER BY name";
/// `$1` tenant, `$2` name, `$3` slots, `$4` description.
/// `$1` tenant, `$2` pool: its task instances waiting for a slot, queued or running.
pub(crate) const POOL_IN_USE: &str = sql!(
    "SELECT COUNT(*) FROM task_instances \
     WHERE tenant = $1 AND pool = $2 AND state IN ",
    TASK_IN_POOL,
    " \
     AND map_count IS NULL"
);
/// `$1` tenant, `$2` pool.
pub(crate) const DELETE_POOL: &str = "DELETE FROM pools WHERE tenant = $1 AND name = $2";
pub(crate) const SET_POOL: &str = "INSERT INTO pools (tenant, name, slots, description) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (tenant, name) DO UPDATE SET slots = excluded.slots, description = excluded.description";

// --- workers and leadership ---

/// `$1` worker_id, `$2` hostname, `$3` queues (a JSON array), `$4` concurrency, `$5` running,
/// `$6` arch, `$7` version, `$8` started_at, `$9` last_heartbeat, `$10` stopped_at,
/// `$11` finished, `$12` failed, `$13` labels (a JSON array), `$14` tenants (a JSON array, or
/// NULL for every tenant).
pub(crate) const RECORD_WORKER: &str = "INSERT INTO workers (worker_id, hostname, queues, concurrency, \
     running, arch, version, started_at, last_heartbeat, stopped_at, finished, failed, labels, tenants) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (worker_id) DO UPDATE SET \
     hostname = excluded.hostname, queues = excluded.queues, concurrency = excluded.concurrency, \
     running = excluded.running, arch = excluded.arch, version = excluded.version, \
     started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat, \
     stopped_at = excluded.stopped_at, finished = excluded.finished, failed = excluded.failed, \
     labels = excluded.labels, tenants = excluded.tenants";
/// Every worker.
pub(crate) const WORKERS: &str = "SELECT worker_id, hostname, queues, concurrency, running, finished, \
     failed, arch, labels, version, started_at, last_heartbeat, stopped_at, tenants FROM workers \
     ORDER BY worker_id";
/// `$1` name, `$2` holder, `$3` now, `$4` new end of the lease: the epoch when `$2` holds the
/// lease afterwards, no row otherwise. One statement: PostgreSQL locks the conflicting row and
/// evaluates the `WHERE` on its newest version, so of two racing callers only one can win.
/// Only a renewal of a lease still running keeps its epoch: a holder that takes the lease
/// again after it ran out (or after it resigned) starts a new term, so that no write of its
/// old term still under way can pass a fence of the new one.
pub(crate) const TRY_LEAD: &str = "INSERT INTO leaders (name, holder, epoch, expires_at) VALUES ($1, $2, 1, $4) \
     ON CONFLICT (name) DO UPDATE SET \
     epoch = CASE WHEN leaders.holder = excluded.holder AND leaders.expires_at > $3 \
     THEN leaders.epoch ELSE leaders.epoch + 1 END, \
     holder = excluded.holder, expires_at = excluded.expires_at \
     WHERE leaders.holder = excluded.holder OR leaders.expires_at <= $3 RETURNING epoch";
/// `$1` name, `$2` holder, `$3` a time before any `now`: ends the holder's lease at once.
pub(crate) const RESIGN: &str =
    "UPDATE leaders SET expires_at = $3 WHERE name = $1 AND holder = $2";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_of_one_row_type_select_the_same_columns() {
        assert!(RUN_COLUMNS.starts_with("id, tenant, dag_id, run_id, run_type, logical_date"));
        let run_select = format!("SELECT {RUN_COLUMNS} FROM dag_runs WHERE ");
        for read in [
            RUN,
            RUN_BY_ID,
            RUN_BY_LOGICAL_DATE,
            RUNS,
            ACTIVE_RUNS,
            LATEST_SCHEDULED_RUN,
        ] {
            assert!(read.starts_with(&run_select), "{read}");
        }
        assert!(
            TI_COLUMNS.starts_with("ti.id, ti.run, ti.tenant, ti.dag_id, r.run_id, ti.task_id")
        );
        let ti_select = format!(
            "SELECT {TI_COLUMNS} FROM task_instances ti JOIN dag_runs r ON r.id = ti.run WHERE "
        );
        for read in [ACTIVE_TIS, EXPIRED_LEASES, QUEUED_BEFORE, MAPPED_INSTANCES] {
            assert!(read.starts_with(&ti_select), "{read}");
        }
        assert!(RUN_WITH_TIS.starts_with(&format!("SELECT {TI_COLUMNS}, r.run_type, ")));
        let dag_select = "SELECT d.tenant, d.dag_id, d.paused, d.digest, c.spec, d.created_at, \
             d.updated_at FROM dags d JOIN components c ON c.tenant = d.tenant AND c.digest = \
             d.digest WHERE d.tenant = $1 ";
        for read in [DAGS, DAG] {
            assert!(read.starts_with(dag_select), "{read}");
        }
    }
}
