-- Pull delivery (docs/destinations.md, "poll"): the deliveries of a webhook whose destination
-- is `poll` are marked pull = 1; its consumer leases them over the API (GET …/poll), the
-- delivery worker never claims them. The worker's two claim indexes cover pull = 0 only, so a
-- poll webhook's backlog (a consumer that is away) costs the claim nothing; a poll claim
-- seeks its webhook's due deliveries on deliveries_pull_due.
ALTER TABLE deliveries ADD COLUMN pull INTEGER NOT NULL DEFAULT 0;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending' AND pull = 0;
DROP INDEX deliveries_pending_webhook;
CREATE INDEX deliveries_pending_webhook ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending' AND pull = 0;
CREATE INDEX deliveries_pull_due ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending' AND pull = 1;
