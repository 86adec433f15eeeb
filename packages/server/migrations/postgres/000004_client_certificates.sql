-- Mutual TLS (seed 004, docs/outbound-safety.md): a webhook's client certificate, sealed with
-- the master key (the webhook id is the associated data), and what the API may show of it
-- (subject, issuer, expiry, fingerprint) as JSON. Both NULL: no client certificate.
ALTER TABLE webhooks ADD COLUMN client_certificate TEXT;
ALTER TABLE webhooks ADD COLUMN client_certificate_info TEXT;
