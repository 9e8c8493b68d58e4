-- Sensors that reschedule: when the current try's first poke started (its timeout counts from
-- there) and how many times it has rescheduled (its backoff grows with them). Both are reset
-- when the task instance is cleared; a new try starts them again.
ALTER TABLE task_instances ADD COLUMN sensor_started_at BIGINT;
ALTER TABLE task_instances ADD COLUMN pokes BIGINT NOT NULL DEFAULT 0;

DROP INDEX task_instances_active;
CREATE INDEX task_instances_active ON task_instances (state)
    WHERE state IN ('scheduled', 'queued', 'running', 'up_for_retry', 'up_for_reschedule', 'deferred');
