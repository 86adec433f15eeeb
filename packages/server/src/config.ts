import { resolve } from 'node:path';

/** Which parts of Herald a process runs. */
export type Role = 'all' | 'api' | 'worker';

/**
 * Every setting of a Herald process, with its default. Built once at start from the
 * environment (the only place env is read is cli/), frozen, and passed explicitly.
 */
export interface HeraldConfig {
  /** HTTP port (HERALD_PORT, default 8080). 0 picks a free port. */
  port: number;
  /** Interface to bind (HERALD_HOST, default 0.0.0.0). */
  host: string;
  role: Role;
  /** Folder of the embedded SQLite file and the generated master key (HERALD_DATA_DIR, default ./.herald). */
  dataDir: string;
  /** postgres://… to use PostgreSQL instead of SQLite (HERALD_DATABASE_URL). */
  databaseUrl: string | undefined;
  /** Bootstrap API key with every scope (HERALD_ADMIN_KEY). */
  adminKey: string | undefined;
  /** HERALD_MASTER_KEY: 32 bytes (base64 or hex) that wrap signing secrets at rest. */
  masterKey: string | undefined;
  /** Let webhooks target loopback/private addresses (HERALD_ALLOW_PRIVATE_URLS, development and tests only). */
  allowPrivateUrls: boolean;
  /**
   * Check that a webhook URL answers when it is saved (seed 000: a POST with a 5 s deadline,
   * then a HEAD that must answer 200); HERALD_VALIDATE_URLS, default true. An org can only
   * turn it off for itself (settings.validate_urls: false), never on when this is false.
   */
  validateUrls: boolean;
  /** PEM file of extra CAs outbound TLS trusts besides Node's bundled roots (HERALD_TRUSTED_CA_FILE, default none). */
  trustedCaFile: string | undefined;
  /** Divides every policy duration (retry delays, windows, retention); not HTTP timeouts (HERALD_CLOCK_SCALE, default 1). */
  clockScale: number;
  logLevel: string;
  /** Largest request body the API accepts, bytes (HERALD_BODY_LIMIT, default 5 MiB: a 1,000-event batch). */
  bodyLimit: number;
  /** Response bytes kept per attempt (HERALD_RESPONSE_BODY_LIMIT, default 16 KiB). */
  responseBodyLimit: number;
  worker: WorkerConfig;
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** Public base URL for links in mail and portal links (HERALD_PUBLIC_URL). */
  publicUrl: string | undefined;
  /** Folder of the built dashboard (HERALD_DASHBOARD_DIR; default: the dashboard package's dist/). */
  dashboardDir?: string | undefined;
  /**
   * How `--role all` lays out its work (HERALD_THREADS): `engine` (the default) runs the engine —
   * ingest commits, fan-out, claims, sending, results, alerts, digests, retention — on a thread
   * of its own beside the API's event loop; `single` runs everything on one thread (debugging,
   * profiling). The engine thread logs through a pino logger of its own at logLevel, and it is
   * not used when startHerald is given a resolver (functions cannot cross threads).
   */
  threads: Threads;
}

/** See HeraldConfig.threads. */
export type Threads = 'engine' | 'single';
export const THREADS: readonly Threads[] = ['engine', 'single'];

export interface WorkerConfig {
  /** Requests in flight per process (HERALD_WORKER_CONCURRENCY, default 1024). */
  maxInFlight: number;
  /** Deliveries claimed per statement (HERALD_WORKER_BATCH, default 256). */
  claimBatch: number;
  /** Lease length: an attempt's deadline plus margin; renewed while in flight (HERALD_LEASE_MS, default 30000). */
  leaseMs: number;
  /** The most requests at once and keep-alive connections per receiver origin (HERALD_CONNECTIONS_PER_ORIGIN, default 1024: as many as the process keeps in flight; the limit adapts below it, see outbound/origin-limiter.ts; set lower to shield shared receivers). */
  connectionsPerOrigin: number;
  /** Longest wait between checks for due work when nothing wakes the worker, ms (default 10000). */
  idleCheckMs: number;
  /** On SIGTERM, how long requests in flight may finish before their leases are given back (HERALD_SHUTDOWN_GRACE_MS, default 10000). */
  shutdownGraceMs: number;
  /** PostgreSQL: how often a process that does not lead tries to become the maintenance leader, ms (HERALD_LEADER_RETRY_MS, default 3000). */
  leaderRetryMs: number;
}

export const DEFAULT_CONFIG: Readonly<HeraldConfig> = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  role: 'all',
  dataDir: './.herald',
  databaseUrl: undefined,
  adminKey: undefined,
  masterKey: undefined,
  allowPrivateUrls: false,
  validateUrls: true,
  trustedCaFile: undefined,
  clockScale: 1,
  logLevel: 'info',
  bodyLimit: 5 * 1024 * 1024,
  responseBodyLimit: 16 * 1024,
  worker: Object.freeze({
    maxInFlight: 1024,
    claimBatch: 256,
    leaseMs: 30_000,
    connectionsPerOrigin: 1024,
    idleCheckMs: 10_000,
    shutdownGraceMs: 10_000,
    leaderRetryMs: 3000,
  }),
  smtpUrl: undefined,
  smtpFrom: 'Herald <herald@localhost>',
  publicUrl: undefined,
  threads: 'engine',
});

export class ConfigError extends Error {
  readonly code = 'HERALD_CONFIG_INVALID';
}

function int(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

function bool(name: string, raw: string | undefined, fallback = false): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined || raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
}

/** Builds the configuration from environment variables, validating each; throws ConfigError saying what to fix. */
export function configFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<HeraldConfig> = {}): HeraldConfig {
  const d = DEFAULT_CONFIG;
  const clockScale = env.HERALD_CLOCK_SCALE === undefined || env.HERALD_CLOCK_SCALE === '' ? 1 : Number(env.HERALD_CLOCK_SCALE);
  if (!Number.isFinite(clockScale) || clockScale <= 0) {
    throw new ConfigError(`HERALD_CLOCK_SCALE must be a positive number, got "${env.HERALD_CLOCK_SCALE}"`);
  }
  const databaseUrl = env.HERALD_DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('HERALD_DATABASE_URL must start with postgres:// (leave it unset for the embedded SQLite store)');
  }
  const adminKey = env.HERALD_ADMIN_KEY || undefined;
  if (adminKey !== undefined && adminKey.length < 16) {
    throw new ConfigError('HERALD_ADMIN_KEY must be at least 16 characters');
  }
  const config: HeraldConfig = {
    port: int('HERALD_PORT', env.HERALD_PORT, d.port, 0),
    host: env.HERALD_HOST || d.host,
    role: d.role,
    dataDir: resolve(env.HERALD_DATA_DIR || d.dataDir),
    databaseUrl,
    adminKey,
    masterKey: env.HERALD_MASTER_KEY || undefined,
    allowPrivateUrls: bool('HERALD_ALLOW_PRIVATE_URLS', env.HERALD_ALLOW_PRIVATE_URLS),
    validateUrls: bool('HERALD_VALIDATE_URLS', env.HERALD_VALIDATE_URLS, d.validateUrls),
    trustedCaFile: env.HERALD_TRUSTED_CA_FILE ? resolve(env.HERALD_TRUSTED_CA_FILE) : undefined,
    clockScale,
    logLevel: env.HERALD_LOG_LEVEL || d.logLevel,
    bodyLimit: int('HERALD_BODY_LIMIT', env.HERALD_BODY_LIMIT, d.bodyLimit, 1024),
    responseBodyLimit: int('HERALD_RESPONSE_BODY_LIMIT', env.HERALD_RESPONSE_BODY_LIMIT, d.responseBodyLimit, 0),
    worker: {
      maxInFlight: int('HERALD_WORKER_CONCURRENCY', env.HERALD_WORKER_CONCURRENCY, d.worker.maxInFlight, 1),
      claimBatch: int('HERALD_WORKER_BATCH', env.HERALD_WORKER_BATCH, d.worker.claimBatch, 1),
      leaseMs: int('HERALD_LEASE_MS', env.HERALD_LEASE_MS, d.worker.leaseMs, 1000),
      connectionsPerOrigin: int('HERALD_CONNECTIONS_PER_ORIGIN', env.HERALD_CONNECTIONS_PER_ORIGIN, d.worker.connectionsPerOrigin, 1),
      idleCheckMs: int('HERALD_IDLE_CHECK_MS', env.HERALD_IDLE_CHECK_MS, d.worker.idleCheckMs, 100),
      shutdownGraceMs: int('HERALD_SHUTDOWN_GRACE_MS', env.HERALD_SHUTDOWN_GRACE_MS, d.worker.shutdownGraceMs, 0),
      leaderRetryMs: int('HERALD_LEADER_RETRY_MS', env.HERALD_LEADER_RETRY_MS, d.worker.leaderRetryMs, 100),
    },
    smtpUrl: env.HERALD_SMTP_URL || undefined,
    smtpFrom: env.HERALD_SMTP_FROM || d.smtpFrom,
    publicUrl: env.HERALD_PUBLIC_URL || undefined,
    dashboardDir: env.HERALD_DASHBOARD_DIR || undefined,
    threads: oneOf('HERALD_THREADS', env.HERALD_THREADS, THREADS, d.threads),
    ...overrides,
  };
  return config;
}

/** A test or embedding program's configuration: defaults plus what it sets (worker settings merged). */
export function makeConfig(overrides: Partial<Omit<HeraldConfig, 'worker'>> & { worker?: Partial<WorkerConfig> } = {}): HeraldConfig {
  return { ...DEFAULT_CONFIG, ...overrides, worker: { ...DEFAULT_CONFIG.worker, ...overrides.worker } };
}
