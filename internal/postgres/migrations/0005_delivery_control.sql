-- Replays: a bulk re-delivery of a webhook's deliveries; its workflow keeps the progress.
CREATE TABLE replays (
    id          text PRIMARY KEY,
    webhook_id  text NOT NULL REFERENCES webhooks (id),
    since       timestamptz,
    until       timestamptz,
    statuses    text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replays_webhook_idx ON replays (webhook_id, created_at DESC);
CREATE INDEX deliveries_pending_webhook_idx ON deliveries (webhook_id) WHERE status = 'pending';

-- A test send's delivery (POST /webhooks/{id}/test): in the log, but not replayed or counted in stats.
ALTER TABLE deliveries ADD COLUMN test boolean NOT NULL DEFAULT false;
