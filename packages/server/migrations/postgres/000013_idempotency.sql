-- Idempotency-Key on every create (docs/api.md#idempotency): the first answer, kept 24 hours
-- for the caller that sent the key. `status` is NULL while the first request runs; `response`
-- is the answer body sealed with the master key (it may hold a secret shown once).
CREATE TABLE idempotency_keys (
  principal TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status BIGINT,
  response TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
