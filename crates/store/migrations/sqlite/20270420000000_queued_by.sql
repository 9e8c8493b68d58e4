-- Who queued the last attempt (a throw-away column proving the task instance's shape).
ALTER TABLE task_instances ADD COLUMN queued_by TEXT NULL;
