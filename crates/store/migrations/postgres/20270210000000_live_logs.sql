-- Live logs: lines a running attempt sends are appended to its try's log row, which
-- records the attempt (lease) they came from and whether the row is still live or the
-- final log the attempt's result brought.
ALTER TABLE task_logs ADD COLUMN lease BIGINT, ADD COLUMN live BOOLEAN NOT NULL DEFAULT FALSE;
