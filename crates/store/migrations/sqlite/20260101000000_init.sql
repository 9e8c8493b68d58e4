-- Weft's metadata schema (SQLite). Times are microseconds since the Unix epoch; JSON
-- documents are text; states are their snake_case names. Every row a tenant owns says so.

CREATE TABLE tenants (
    name TEXT PRIMARY KEY
);
INSERT INTO tenants (name) VALUES ('default');

-- DAG components by content digest, with the spec `describe` returned.
CREATE TABLE components (
    tenant TEXT NOT NULL REFERENCES tenants (name),
    digest TEXT NOT NULL,
    bytes BLOB NOT NULL,
    size INTEGER NOT NULL,
    spec TEXT NOT NULL,
    task_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, digest)
);

CREATE TABLE dags (
    tenant TEXT NOT NULL REFERENCES tenants (name),
    dag_id TEXT NOT NULL,
    paused BOOLEAN NOT NULL,
    digest TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, dag_id),
    FOREIGN KEY (tenant, digest) REFERENCES components (tenant, digest)
);

-- Every digest a DAG has been deployed with; `id` orders them. Ids (here and below) are never reused.
CREATE TABLE dag_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (tenant, dag_id, digest),
    FOREIGN KEY (tenant, dag_id) REFERENCES dags (tenant, dag_id),
    FOREIGN KEY (tenant, digest) REFERENCES components (tenant, digest)
);

CREATE TABLE dag_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    run_type TEXT NOT NULL,
    logical_date INTEGER NOT NULL,
    data_interval_start INTEGER NOT NULL,
    data_interval_end INTEGER NOT NULL,
    conf TEXT NOT NULL,
    digest TEXT NOT NULL,
    state TEXT NOT NULL,
    queued_at INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    UNIQUE (tenant, dag_id, run_id),
    FOREIGN KEY (tenant, dag_id) REFERENCES dags (tenant, dag_id),
    FOREIGN KEY (tenant, digest) REFERENCES components (tenant, digest)
);
CREATE INDEX dag_runs_state ON dag_runs (state);
CREATE INDEX dag_runs_dag_logical_date ON dag_runs (tenant, dag_id, logical_date);
CREATE INDEX dag_runs_logical_date ON dag_runs (tenant, logical_date);

-- `lease` fences attempts: it is bumped whenever an attempt is queued (or a task instance is
-- cleared), and an attempt's start, heartbeats and result apply only under its own lease.
CREATE TABLE task_instances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
    tenant TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    state TEXT NOT NULL,
    try_number INTEGER NOT NULL,
    max_tries INTEGER NOT NULL,
    queue TEXT NOT NULL,
    pool TEXT NOT NULL,
    priority_weight INTEGER NOT NULL,
    lease INTEGER NOT NULL,
    lease_expires_at INTEGER,
    worker_id TEXT,
    hostname TEXT,
    queued_at INTEGER,
    started_at INTEGER,
    ended_at INTEGER,
    duration_ms INTEGER,
    next_retry_at INTEGER,
    error_class TEXT,
    error TEXT,
    UNIQUE (run, task_id)
);
CREATE INDEX task_instances_active ON task_instances (state)
    WHERE state IN ('scheduled', 'queued', 'running', 'up_for_retry');
CREATE INDEX task_instances_lease_expiry ON task_instances (lease_expires_at)
    WHERE state = 'running';

CREATE TABLE xcom (
    run INTEGER NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
    task_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (run, task_id, key)
) WITHOUT ROWID;

CREATE TABLE task_logs (
    ti INTEGER NOT NULL REFERENCES task_instances (id) ON DELETE CASCADE,
    try_number INTEGER NOT NULL,
    log BLOB NOT NULL,
    PRIMARY KEY (ti, try_number)
);

CREATE TABLE variables (
    tenant TEXT NOT NULL REFERENCES tenants (name),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    description TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE TABLE pools (
    tenant TEXT NOT NULL REFERENCES tenants (name),
    name TEXT NOT NULL,
    slots INTEGER NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
);
INSERT INTO pools (tenant, name, slots, description) VALUES ('default', 'default_pool', 128, 'Default pool');
