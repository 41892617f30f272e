-- Tenancy: deleted directory entries and user tokens.

-- A deleted user or organization keeps its row (its webhooks, deliveries and attempts refer to
-- it, and the logs are kept) with deleted_at set and its personal data cleared. A PUT of the
-- same id brings it back, empty.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
ALTER TABLE organizations ADD COLUMN deleted_at timestamptz;

-- A token an admin minted for one user. Only its SHA-256 is kept; the token is shown once.
CREATE TABLE user_tokens (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, created_at);
