-- Digest delivery (docs/digests.md): a webhook may gather its events and send each period's
-- as one request. `delivery` is its mode as JSON; `next_digest_at` the end of its current period
-- (NULL for immediate webhooks, except while a sweep for stragglers of a switch-off is due).
ALTER TABLE webhooks ADD COLUMN delivery TEXT NOT NULL DEFAULT '{"mode":"immediate"}';
ALTER TABLE webhooks ADD COLUMN next_digest_at BIGINT;
CREATE INDEX webhooks_digest_due ON webhooks (next_digest_at) WHERE next_digest_at IS NOT NULL;

-- status `batched`: an event of a digest webhook. digest_id NULL: waiting for its period;
-- set: carried by that digest delivery (whose status is the one that matters).
ALTER TABLE deliveries ADD COLUMN digest_id TEXT;
CREATE INDEX deliveries_digest_waiting ON deliveries (webhook_id, id) WHERE status = 'batched' AND digest_id IS NULL;
CREATE INDEX deliveries_digest ON deliveries (digest_id) WHERE digest_id IS NOT NULL;
