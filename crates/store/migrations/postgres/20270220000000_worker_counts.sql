-- Workers report how many attempts they ran to an end since they started, and how many of
-- those failed, as monitoring shows them.
ALTER TABLE workers ADD COLUMN finished BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN failed BIGINT NOT NULL DEFAULT 0;
