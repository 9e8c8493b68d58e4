-- Deferred task instances: what each waits for (the wait made concrete for its run), whether
-- it runs again when the wait ends, and, once it ended, the event the resumed attempt sees.
-- JSON text; NULL for a task instance that never deferred. Cleared with the task instance,
-- and by a new try.
ALTER TABLE task_instances ADD COLUMN deferral TEXT;
