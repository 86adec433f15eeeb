-- The pending-work table (docs/deliveries.md, "Storage"): one narrow row per pending delivery,
-- beside its wide `deliveries` row. Claims, lease renewals and releases, the fair claim's walk
-- and FIFO parking touch only this row; a completion deletes it (final result) or sets its next
-- attempt time (retry) and writes the wide row once. No index of `deliveries` names a column a
-- completion changes (status, attempts, updated_at, last_*), so on PostgreSQL that write is a
-- HOT update: no new index entries, the new row version on the same page (fillfactor leaves
-- room for it). A delivery is in this table exactly while its status is `pending`.
--   next_attempt_at: when it is due; while leased, the lease's end; NULL: a parked fifo
--     delivery (queries/fifo.ts). lease_token fences a worker's result.
--   pull, fifo: copied from the wide row when the delivery becomes pending (the wide row keeps
--     them for deliveries recovered or released later).
CREATE TABLE delivery_queue (
  delivery_id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  next_attempt_at BIGINT,
  lease_token TEXT,
  pull BIGINT NOT NULL DEFAULT 0,
  fifo BIGINT NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
-- The worker's due deliveries oldest first (pull = 0), and a poll consumer's (pull = 1).
CREATE INDEX delivery_queue_due ON delivery_queue (pull, next_attempt_at);
-- The fair claim's walk over webhooks with pending work and each one's due deliveries; a poll
-- webhook's due deliveries; a webhook's pending deliveries (cancel, pull switch).
CREATE INDEX delivery_queue_webhook ON delivery_queue (pull, webhook_id, next_attempt_at);
CREATE INDEX delivery_queue_lease ON delivery_queue (lease_token) WHERE lease_token IS NOT NULL;
CREATE INDEX delivery_queue_fifo ON delivery_queue (webhook_id, delivery_id) WHERE fifo = 1;
INSERT INTO delivery_queue (delivery_id, webhook_id, next_attempt_at, lease_token, pull, fifo)
  SELECT id, webhook_id, next_attempt_at, lease_token, pull, fifo FROM deliveries WHERE status = 'pending';

-- Digest members waiting for their period, marked by a flag rather than found by status, so
-- that no index of `deliveries` depends on status.
ALTER TABLE deliveries ADD COLUMN digest_waiting BIGINT NOT NULL DEFAULT 0;
UPDATE deliveries SET digest_waiting = 1 WHERE status = 'batched' AND digest_id IS NULL;
DROP INDEX deliveries_digest_waiting;
CREATE INDEX deliveries_digest_waiting ON deliveries (webhook_id, id) WHERE digest_waiting = 1;

DROP INDEX deliveries_due;
DROP INDEX deliveries_pending_webhook;
DROP INDEX deliveries_pull_due;
DROP INDEX deliveries_fifo_pending;
DROP INDEX deliveries_lease;
ALTER TABLE deliveries DROP COLUMN next_attempt_at;
ALTER TABLE deliveries DROP COLUMN lease_token;
-- Room on each page for a completion's new row version (a HOT update needs it on the same page).
ALTER TABLE deliveries SET (fillfactor = 50);
