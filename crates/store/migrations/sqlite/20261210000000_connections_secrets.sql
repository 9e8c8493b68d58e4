-- Connections and secrets. Passwords, extras and secret values are stored sealed only
-- (XChaCha20-Poly1305, see weft-vault): never as plaintext. key_id names the key that sealed
-- a row's values, so that a process missing that key fails at start rather than at task time.
CREATE TABLE connections (
    tenant TEXT NOT NULL REFERENCES tenants (name),
    conn_id TEXT NOT NULL,
    conn_type TEXT NOT NULL,
    host TEXT,
    port INTEGER,
    schema_name TEXT,
    login TEXT,
    password BLOB,
    extra BLOB NOT NULL,
    key_id TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, conn_id)
);

CREATE TABLE secrets (
    tenant TEXT NOT NULL REFERENCES tenants (name),
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    key_id TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, name)
);

-- One known value sealed with each key in use: a process opens it at start to prove it holds
-- the right key.
CREATE TABLE sealing_keys (
    key_id TEXT PRIMARY KEY,
    marker BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
