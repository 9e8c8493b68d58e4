-- A component's bytes live in a table of their own, as in the SQLite schema, so that both
-- share their statements and reading a component's spec never touches its code.
CREATE TABLE component_bytes (
    tenant TEXT NOT NULL,
    digest TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (tenant, digest),
    FOREIGN KEY (tenant, digest) REFERENCES components (tenant, digest)
);
INSERT INTO component_bytes (tenant, digest, bytes) SELECT tenant, digest, bytes FROM components;
ALTER TABLE components DROP COLUMN bytes;
