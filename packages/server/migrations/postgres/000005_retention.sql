-- Retention (docs/retention.md): the purge job deletes an org's attempts, finished deliveries
-- and their events older than its retention, oldest first, by id range (ids start with their
-- creation time). These indexes keep each batch an index range scan; deliveries_org also
-- serves the org-wide delivery log, newest first.
CREATE INDEX attempts_org ON attempts (org_id, id);
CREATE INDEX deliveries_org ON deliveries (org_id, id);
