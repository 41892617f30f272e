-- Auto-disable on time, not on a count alone (issue 12): a webhook is disabled when it has
-- failed continuously for disable_after_seconds (0: the count alone decides, a preset's
-- documented rule) and for at least disable_after_failures attempts. failing_since is the
-- first failed attempt since the last success; disabled_at is when the webhook was disabled.
ALTER TABLE webhooks ADD COLUMN disable_after_seconds integer NOT NULL DEFAULT 86400;
ALTER TABLE webhooks ADD COLUMN failing_since timestamptz;
ALTER TABLE webhooks ADD COLUMN disabled_at timestamptz;
-- Webhooks failing now: their streak is taken to start now (the attempts do not say more).
UPDATE webhooks SET failing_since = now() WHERE consecutive_failures > 0;
UPDATE webhooks SET disabled_at = updated_at WHERE status = 'disabled';

-- held: a delivery Herald did not send, or stopped retrying, because its webhook is disabled;
-- a replay with status held sends it once the webhook is back.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled', 'held'));
CREATE INDEX deliveries_held_webhook_idx ON deliveries (webhook_id, created_at) WHERE status = 'held';
