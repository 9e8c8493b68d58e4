-- A component's bytes live in a table of their own. SQLite stores a row's columns in order,
-- so reading a component's spec (on every trigger and run load) walked the overflow pages
-- of the megabytes of code stored before it.
CREATE TABLE component_bytes (
    tenant TEXT NOT NULL,
    digest TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (tenant, digest),
    FOREIGN KEY (tenant, digest) REFERENCES components (tenant, digest)
);
INSERT INTO component_bytes (tenant, digest, bytes) SELECT tenant, digest, bytes FROM components;
ALTER TABLE components DROP COLUMN bytes;
