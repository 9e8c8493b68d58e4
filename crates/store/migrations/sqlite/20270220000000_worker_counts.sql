-- Workers report how many attempts they ran to an end since they started, and how many of
-- those failed, as monitoring shows them.
ALTER TABLE workers ADD COLUMN finished INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workers ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
