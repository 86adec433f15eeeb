-- Herald core schema (PostgreSQL). Times are integer milliseconds since the epoch; JSON is TEXT.
CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  owner_email TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE apps (
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE event_types (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  schema TEXT,
  example TEXT,
  deprecated BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  events TEXT NOT NULL,
  apps TEXT,
  state TEXT NOT NULL,
  state_reason TEXT,
  preset TEXT NOT NULL,
  signature TEXT NOT NULL,
  policy TEXT NOT NULL,
  filter TEXT,
  payload_mode TEXT NOT NULL DEFAULT 'envelope',
  alert_emails TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{}',
  created_by TEXT,
  modified_by TEXT,
  revision BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_triggered_at BIGINT,
  last_success_at BIGINT,
  last_failure_at BIGINT,
  consecutive_failures BIGINT NOT NULL DEFAULT 0,
  failures_total BIGINT NOT NULL DEFAULT 0,
  successes_total BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_org ON webhooks (org_id, id);

-- One row per (webhook, subscribed event type): fan-out is an index lookup.
CREATE TABLE webhook_subscriptions (
  org_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  PRIMARY KEY (org_id, event_type, webhook_id)
);
CREATE INDEX webhook_subscriptions_webhook ON webhook_subscriptions (webhook_id);

CREATE TABLE webhook_keys (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  sealed TEXT NOT NULL,
  public_view TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX webhook_keys_webhook ON webhook_keys (webhook_id, id);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  app_id TEXT,
  type TEXT NOT NULL,
  entity_type TEXT,
  entity_id TEXT,
  entity TEXT NOT NULL,
  modified_fields TEXT NOT NULL,
  event_time BIGINT NOT NULL,
  idempotency_key TEXT,
  request_hash TEXT,
  delivery_count BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_idempotency ON events (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_org ON events (org_id, id);

-- status: pending | succeeded | failed | skipped | cancelled. While a worker holds a delivery,
-- next_attempt_at is its lease expiry and lease_token fences the result: a worker whose
-- lease ran out cannot overwrite what the next holder wrote.
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  lease_token TEXT,
  is_test BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_attempt_at BIGINT,
  last_status_code BIGINT,
  last_error TEXT
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);
CREATE INDEX deliveries_event ON deliveries (event_id);

CREATE TABLE attempts (
  id TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  attempt BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  duration_ms BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  status_code BIGINT,
  error_code TEXT,
  error_message TEXT,
  request_headers TEXT NOT NULL,
  response_headers TEXT,
  response_body TEXT,
  response_truncated BIGINT NOT NULL DEFAULT 0,
  is_test BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
CREATE INDEX attempts_webhook ON attempts (webhook_id, started_at);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  org_id TEXT,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);

CREATE INDEX deliveries_lease ON deliveries (lease_token) WHERE lease_token IS NOT NULL;
