-- Each tenant's weight in the scheduler's fair sharing of slots among tenants with ready
-- tasks (1 to 1000; every tenant 1 shares equally).
ALTER TABLE tenants ADD COLUMN weight BIGINT NOT NULL DEFAULT 1;
