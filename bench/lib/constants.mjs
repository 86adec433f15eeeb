// Every name the benchmark suite depends on that belongs to Herald's contract lives here,
// so a rename in the server is a one-line change in the bench.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = path.join(REPO_ROOT, 'bench');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

// How Herald is started (cwd = repo root).
export const HERALD_BIN = path.join(REPO_ROOT, 'packages', 'server', 'bin', 'herald.js');
export const HERALD_DIST_CLI = path.join(REPO_ROOT, 'packages', 'server', 'dist', 'cli');

// Prometheus metric names scraped from GET /metrics.
export const METRIC_COMPLETED = 'herald_deliveries_completed_total';
export const METRIC_COMPLETED_LABEL = 'outcome';
export const OUTCOME_SUCCEEDED = 'succeeded';
export const OUTCOME_FAILED = 'failed';
export const OUTCOME_RETRY = 'retry';
export const METRIC_IN_FLIGHT = 'herald_deliveries_in_flight';

// API fixtures.
export const ADMIN_KEY = 'bench-admin-key-0123456789';
export const ORG_ID = 'bench';
export const EVENT_TYPE = 'bench.event';
export const API_PREFIX = '/api/v1';
export const BATCH_SIZE = 1000;

// Only loopback, always.
export const HOST = '127.0.0.1';

// Services used by the baseline and by the PostgreSQL store runs.
export const REDIS_PORT = 6379;
export const PG_PORT = 5432;
export const PG_ADMIN_URL = `postgres://postgres@${HOST}:${PG_PORT}/test`;

// Polling cadence for "are all deliveries recorded yet".
export const POLL_MS = 200;
// While a drain is far from done, /metrics is scraped this rarely (see lib/phases.mjs).
export const METRICS_SCRAPE_FAR_MS = 5000;
