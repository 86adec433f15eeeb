-- Failure alerts (docs/alerts.md). Alert state is per webhook and lives here, not in a
-- process, so that any number of workers agree; each evaluation locks the webhook's row.
-- success_seen_at: the webhook's last_success_at when the streak fields were built; a newer
-- success (written by the hot path) resets them at the next evaluation, so successes cost
-- no extra write. step/warned_at: the failure ladder (seed 000). day/day_errors: errors of
-- the current (scaled) server day (seed 004). deactivated_revision: the webhook revision
-- after a deactivation already reported (mail and event sent once).
CREATE TABLE webhook_alert_state (
  webhook_id TEXT PRIMARY KEY REFERENCES webhooks(id) ON DELETE CASCADE,
  success_seen_at INTEGER,
  streak INTEGER NOT NULL DEFAULT 0,
  failing_since INTEGER,
  last_failure_at INTEGER,
  step INTEGER NOT NULL DEFAULT 0,
  warned_at INTEGER,
  day INTEGER,
  day_errors INTEGER NOT NULL DEFAULT 0,
  deactivated_revision INTEGER,
  updated_at INTEGER NOT NULL
);

-- Alert mail waiting to be sent, written in the same transaction as the state that decided it.
-- status: pending | sent | failed (retries spent) | skipped (no SMTP configured).
-- While a mailer holds a row, next_try_at is its lease expiry and lease_token fences the result.
CREATE TABLE mail_outbox (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  recipients TEXT NOT NULL,
  subject TEXT NOT NULL,
  text TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_at INTEGER,
  lease_token TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_try_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_webhook ON mail_outbox (webhook_id, id);

-- Operational events (webhook.deactivated, delivery.exhausted) decided with the state change
-- and handed to ingest afterwards (idempotency key = id, so a repeat after a crash is a replay).
-- next_try_at: due time, or lease expiry while a process hands it over; NULL once done.
CREATE TABLE operational_events (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  type TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  entity TEXT NOT NULL,
  event_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  next_try_at INTEGER,
  event_id TEXT,
  done_at INTEGER
);
CREATE INDEX operational_events_due ON operational_events (next_try_at) WHERE done_at IS NULL;

-- Alert mail reaches the person whose key created or last changed a webhook.
ALTER TABLE api_keys ADD COLUMN email TEXT;
