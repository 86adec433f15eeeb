-- Fewer index entries per delivery (docs/deliveries.md, "Storage"; docs/performance.md, "The
-- pending-work table"): every attempt and every claim used to add an entry to an index that
-- only a rare query read.
--   attempts: keyed by (delivery_id, id), which replaces both the key on id alone (no query
--     looks an attempt up by id) and attempts_delivery (a delivery's log, in order). The
--     retention purge reaches an org's old attempts through its old deliveries (deliveries_org,
--     then this key), so attempts_org goes; attempts_webhook stays (health and stats).
--   delivery_queue_lease: a worker renews and releases its leases by delivery id (the primary
--     key), fenced by its tokens, so a claim no longer adds an entry for its token.
ALTER TABLE attempts DROP CONSTRAINT attempts_pkey;
ALTER TABLE attempts ADD CONSTRAINT attempts_pkey PRIMARY KEY (delivery_id, id);
DROP INDEX attempts_delivery;
DROP INDEX attempts_org;
DROP INDEX delivery_queue_lease;
