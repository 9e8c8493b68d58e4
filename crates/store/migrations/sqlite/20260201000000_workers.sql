-- Workers and scheduler leadership. Times are microseconds since the Unix epoch.

-- Every worker process that has registered with the API server, with its last heartbeat.
-- Workers are shared by every tenant (each task runs in its own sandbox), so no tenant column.
CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    -- The queues it takes tasks from, as a JSON array of names.
    queues TEXT NOT NULL,
    concurrency INTEGER NOT NULL,
    running INTEGER NOT NULL,
    arch TEXT NOT NULL,
    version TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    last_heartbeat INTEGER NOT NULL,
    stopped_at INTEGER
);

-- Named leases: who leads (`holder`) until when (`expires_at`). `epoch` grows by one each
-- time the holder changes; a leader's writes carry it and are refused once it has moved on.
CREATE TABLE leaders (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
