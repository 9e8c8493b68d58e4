-- Workers report their labels (`gpu`, `ssd`), as a JSON array, so that monitoring shows
-- which workers can run the tasks that ask for them.
ALTER TABLE workers ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
