-- Notifications of task and run events (webhooks and emails), written in the same transaction
-- as the state change that causes them and delivered afterwards by the API servers.
-- `notifier` and `payload` are JSON without secrets (a notifier names a connection). A row
-- is `pending` until delivered or given up (`failed`); `attempts` counts delivery attempts
-- made, `next_attempt_at` is when the next may start. A server delivering a row claims it
-- (`claimed_by` until `claim_expires_at`), so two servers never deliver one row at once; a
-- claim left by a server that died expires.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    run INTEGER NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
    task_id TEXT,
    try_number INTEGER,
    event TEXT NOT NULL,
    notifier TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    claimed_by TEXT,
    claim_expires_at INTEGER
);
CREATE INDEX notifications_run ON notifications (run);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
