-- Fair claiming (docs/deliveries.md, "Fairness"): a claim walks the webhooks that have pending
-- deliveries, round-robin, and takes each one's oldest due deliveries. This index makes each
-- step one seek: the next webhook with pending work, then its due deliveries, oldest first,
-- however large another webhook's backlog is.
CREATE INDEX deliveries_pending_webhook ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
