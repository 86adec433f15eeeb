-- FIFO webhooks (policy.ordering = "fifo", docs/deliveries.md): their deliveries are marked
-- fifo = 1. Only the oldest pending one of a webhook is due; the others wait with
-- next_attempt_at NULL (never claimed) until it finishes and the next one is released.
ALTER TABLE deliveries ADD COLUMN fifo INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_fifo_pending ON deliveries (webhook_id, id) WHERE status = 'pending' AND fifo = 1;
