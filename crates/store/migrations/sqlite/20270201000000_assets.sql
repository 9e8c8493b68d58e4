-- Assets (data named by a URI) and their events. An event says that an asset of a tenant was
-- updated: by a task that lists it as an outlet and succeeded (the `source_` columns name
-- the task instance), or by a system outside Weft through the API (no source). `extra` is a
-- JSON object the consuming runs receive.
CREATE TABLE asset_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    uri TEXT NOT NULL,
    extra TEXT NOT NULL,
    source_dag_id TEXT,
    source_run_id TEXT,
    source_task_id TEXT,
    source_map_index INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX asset_events_uri ON asset_events (tenant, uri, id);

-- The DAGs scheduled on each asset, as their current versions say (rewritten on deploy).
CREATE TABLE asset_consumers (
    tenant TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    PRIMARY KEY (tenant, dag_id, uri)
);
CREATE INDEX asset_consumers_uri ON asset_consumers (tenant, uri);

-- Events waiting to start a run of a consuming DAG: a row per event and consumer, written
-- with the event. A DAG is due once every one of its assets has a row; the run is created
-- and the rows it consumes are deleted in one transaction, so a run is created once per set
-- of events, whoever crashes when.
CREATE TABLE asset_queue (
    tenant TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    event INTEGER NOT NULL REFERENCES asset_events (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, dag_id, event)
);
