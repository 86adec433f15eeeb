-- Destinations as data (docs/destinations.md): where a webhook's deliveries go. `destination`
-- is the destination's settings as JSON without credentials ({"kind":"redis-stream",...});
-- NULL is an HTTP POST to `url`, every webhook made before this migration. The credentials
-- (passwords, tokens) are in `destination_sealed`, sealed with the master key like signing
-- secrets (associated data "destination:<webhook id>"); NULL when there are none.
ALTER TABLE webhooks ADD COLUMN destination TEXT;
ALTER TABLE webhooks ADD COLUMN destination_sealed TEXT;
