-- Custom header values that carry credentials are sealed at rest (issue 11 item 3): the
-- headers column keeps their names with a masked value, sealed_headers holds the real values
-- (a JSON object sealed with HERALD_SECRET_KEY, bound to the webhook id), and
-- sensitive_headers lists the extra header names the user marked sensitive. Rows written
-- before this migration keep plaintext values in headers; they are masked on read and sealed
-- at their next write.
ALTER TABLE webhooks ADD COLUMN sensitive_headers text[] NOT NULL DEFAULT '{}';
ALTER TABLE webhooks ADD COLUMN sealed_headers bytea;
