-- Tenants as objects of their own, and each tenant's API tokens. A token is kept as the
-- SHA-256 digest (hex) of its secret part, never as itself; its id is the public part that
-- finds the row. A revoked token keeps its row, with when it was revoked.
ALTER TABLE tenants ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE api_tokens (
    token_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants (name),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant, created_at);
