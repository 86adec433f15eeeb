-- Facts about the store itself, as key/value pairs. `master_key_check` holds a value sealed
-- under the master key at first start, so a process started with another key refuses to run
-- (ops/startup-checks.ts) instead of answering /healthz while it cannot sign anything.
CREATE TABLE herald_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
