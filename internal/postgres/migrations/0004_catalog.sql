-- The catalog and the delivery log's reads.

-- DELETE /event-types/{name} archives a type that events were published with.
CREATE INDEX events_type_idx ON events (type);

-- GET /webhooks/{id}/stats counts the attempts of the deliveries touched within the window.
CREATE INDEX deliveries_webhook_updated_idx ON deliveries (webhook_id, updated_at);
