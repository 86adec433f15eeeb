-- GET /orgs/{org}/events?type=… lists an org's events of one type newest first: without this
-- index a rare type in a busy org is a scan of every event of the org (events_org). The app
-- filter is not indexed: data events are few per app compared with a busy type, and one more
-- index on the ingest path is not worth it until it shows.
CREATE INDEX events_org_type ON events (org_id, type, id);
