-- Fewer index entries per delivery (docs/deliveries.md, "Storage"; docs/performance.md, "The
-- pending-work table"): every attempt and every claim used to add an entry to an index that
-- only a rare query read.
--   attempts: keyed by (delivery_id, id), which replaces both the key on id alone (no query
--     looks an attempt up by id) and attempts_delivery (a delivery's log, in order). The
--     retention purge reaches an org's old attempts through its old deliveries (deliveries_org,
--     then this key), so attempts_org goes; attempts_webhook stays (health and stats).
--     SQLite changes a primary key by copying the table.
--   delivery_queue_lease: a worker renews and releases its leases by delivery id (the primary
--     key), fenced by its tokens, so a claim no longer adds an entry for its token.
CREATE TABLE attempts_by_delivery (
  id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  status_code INTEGER,
  error_code TEXT,
  error_message TEXT,
  request_headers TEXT NOT NULL,
  response_headers TEXT,
  response_body TEXT,
  response_truncated INTEGER NOT NULL DEFAULT 0,
  is_test INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (delivery_id, id)
);
INSERT INTO attempts_by_delivery (id, delivery_id, webhook_id, org_id, attempt, started_at, duration_ms, outcome, status_code,
    error_code, error_message, request_headers, response_headers, response_body, response_truncated, is_test)
  SELECT id, delivery_id, webhook_id, org_id, attempt, started_at, duration_ms, outcome, status_code,
    error_code, error_message, request_headers, response_headers, response_body, response_truncated, is_test FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_by_delivery RENAME TO attempts;
CREATE INDEX attempts_webhook ON attempts (webhook_id, started_at);
DROP INDEX delivery_queue_lease;
