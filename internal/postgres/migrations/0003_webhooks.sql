-- Webhook secrets are encrypted at rest (AES-256-GCM under HERALD_SECRET_KEY, package secretbox):
-- one row per secret, so that after a rotation the old secret keeps signing until expires_at.
-- The plaintext column goes. SQL cannot seal with a key it does not have, so a database that
-- already holds webhooks with plaintext secrets is refused with a message instead of converted.
DO $$
DECLARE n bigint;
BEGIN
    SELECT count(*) INTO n FROM webhooks;
    IF n > 0 THEN
        RAISE EXCEPTION 'migration 0003: % webhook(s) hold plaintext secrets, which this version keeps encrypted and SQL cannot encrypt. Start from an empty database: for herald dev, stop it and remove its data directory (.herald); elsewhere delete the webhooks with their deliveries and attempts. Then migrate again.', n;
    END IF;
END $$;

CREATE TABLE webhook_secrets (
    id         bigserial PRIMARY KEY,
    webhook_id text NOT NULL REFERENCES webhooks (id),
    sealed     bytea NOT NULL, -- secretbox: version, nonce, AES-256-GCM ciphertext bound to webhook_id
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz      -- NULL: the current secret; else it signs until then (rotation grace)
);
CREATE INDEX webhook_secrets_webhook_idx ON webhook_secrets (webhook_id, created_at DESC, id DESC);

ALTER TABLE webhooks DROP COLUMN secret;
