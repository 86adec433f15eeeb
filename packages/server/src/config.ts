import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseMasterKey, SecretBoxError } from './crypto/secret-box.js';

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
  /**
   * `herald serve` and `herald doctor`: how long to retry a PostgreSQL that does not answer
   * before giving up with a message, ms (HERALD_DATABASE_WAIT_MS, default 30000; 0 tries once).
   */
  databaseWaitMs: number;
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
  /** OpenTelemetry tracing (HERALD_TRACING and the standard OTEL_* variables; off by default): see docs/tracing.md. */
  tracing: TracingConfig;
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
  databaseWaitMs: 30_000,
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
  tracing: Object.freeze({
    exporter: 'none',
    endpoint: 'http://localhost:4318/v1/traces',
    protocol: 'http/protobuf',
    serviceName: 'herald',
    resourceAttributes: {},
    sampler: 'parentbased_always_on',
    samplerArg: 1,
    forwardTraceparent: false,
  }),
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

/** pino's levels: what HERALD_LOG_LEVEL accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A URL whose scheme is one of `schemes` (without the colon), or undefined when unset. */
function url(name: string, raw: string | undefined, schemes: readonly string[], example: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL such as ${example}, got "${raw}"`);
  }
  if (!schemes.includes(parsed.protocol.slice(0, -1)) || parsed.hostname === '') {
    throw new ConfigError(`${name} must be a ${schemes.join(' or ')} URL such as ${example}, got "${raw}"`);
  }
  return raw;
}

function host(raw: string | undefined, fallback: string): string {
  if (raw === undefined || raw === '') return fallback;
  const name = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*$/;
  if (isIP(raw) === 0 && !name.test(raw)) {
    throw new ConfigError(`HERALD_HOST must be an IP address or host name to listen on, such as 0.0.0.0, 127.0.0.1 or ::, got "${raw}"`);
  }
  return raw;
}

function smtpFrom(raw: string | undefined, fallback: string): string {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[^\s@<>]+@[^\s@<>]+$|<[^\s@<>]+@[^\s@<>]+>$/.test(raw.trim())) {
    throw new ConfigError(`HERALD_SMTP_FROM must be a mail address, such as herald@example.com or "Herald <herald@example.com>", got "${raw}"`);
  }
  return raw;
}

/** A dashboard folder that is set must hold a built dashboard; unset, the package's own is used. */
function dashboardDir(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const dir = resolve(raw);
  if (!existsSync(join(dir, 'index.html'))) {
    throw new ConfigError(`HERALD_DASHBOARD_DIR must be a folder holding a built dashboard (index.html), and ${dir} has none; leave it unset to serve the one built with Herald`);
  }
  return dir;
}

/** The master key is parsed here so that a wrong one stops the start with one line, not a stack trace. */
function masterKey(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    parseMasterKey(raw);
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    throw new ConfigError(
      'HERALD_MASTER_KEY must be 32 bytes written as 64 hex digits or base64 (optionally after "v<version>:"), e.g. the output of "openssl rand -base64 32"',
    );
  }
  return raw;
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
  const databaseUrl = url('HERALD_DATABASE_URL', env.HERALD_DATABASE_URL, ['postgres', 'postgresql'], 'postgres://user@host:5432/herald (leave it unset for the embedded SQLite store)');
  const adminKey = env.HERALD_ADMIN_KEY || undefined;
  if (adminKey !== undefined && adminKey.length < 16) {
    throw new ConfigError('HERALD_ADMIN_KEY must be at least 16 characters');
  }
  const port = int('HERALD_PORT', env.HERALD_PORT, d.port, 0);
  if (port > 65535) throw new ConfigError(`HERALD_PORT must be a port number from 0 to 65535, got "${env.HERALD_PORT}"`);
  const config: HeraldConfig = {
    port,
    host: host(env.HERALD_HOST, d.host),
    role: d.role,
    dataDir: resolve(env.HERALD_DATA_DIR || d.dataDir),
    databaseUrl,
    databaseWaitMs: int('HERALD_DATABASE_WAIT_MS', env.HERALD_DATABASE_WAIT_MS, d.databaseWaitMs, 0),
    adminKey,
    masterKey: masterKey(env.HERALD_MASTER_KEY),
    allowPrivateUrls: bool('HERALD_ALLOW_PRIVATE_URLS', env.HERALD_ALLOW_PRIVATE_URLS),
    validateUrls: bool('HERALD_VALIDATE_URLS', env.HERALD_VALIDATE_URLS, d.validateUrls),
    trustedCaFile: env.HERALD_TRUSTED_CA_FILE ? resolve(env.HERALD_TRUSTED_CA_FILE) : undefined,
    clockScale,
    logLevel: oneOf('HERALD_LOG_LEVEL', env.HERALD_LOG_LEVEL, LOG_LEVELS, d.logLevel),
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
    smtpUrl: url('HERALD_SMTP_URL', env.HERALD_SMTP_URL, ['smtp', 'smtps'], 'smtp://mail.example.com:587'),
    smtpFrom: smtpFrom(env.HERALD_SMTP_FROM, d.smtpFrom),
    publicUrl: url('HERALD_PUBLIC_URL', env.HERALD_PUBLIC_URL, ['http', 'https'], 'https://herald.example.com'),
    dashboardDir: dashboardDir(env.HERALD_DASHBOARD_DIR),
    threads: oneOf('HERALD_THREADS', env.HERALD_THREADS, THREADS, d.threads),
    tracing: tracingFromEnv(env),
    ...overrides,
  };
  return config;
}

/** A test or embedding program's configuration: defaults plus what it sets (worker settings merged). */
export function makeConfig(overrides: Partial<Omit<HeraldConfig, 'worker' | 'tracing'>> & { worker?: Partial<WorkerConfig>; tracing?: Partial<TracingConfig> } = {}): HeraldConfig {
  return { ...DEFAULT_CONFIG, ...overrides, worker: { ...DEFAULT_CONFIG.worker, ...overrides.worker }, tracing: { ...DEFAULT_CONFIG.tracing, ...overrides.tracing } };
}

/** How spans leave Herald: `none` (the default: the API's no-op tracer, nothing recorded) or `otlp` over HTTP. */
export type TraceExporter = 'none' | 'otlp';
export const TRACE_EXPORTERS: readonly TraceExporter[] = ['none', 'otlp'];
export type OtlpProtocol = 'http/protobuf' | 'http/json';
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
/** The OTEL_TRACES_SAMPLER values of the OpenTelemetry specification. */
export type TraceSampler = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
export const TRACE_SAMPLERS: readonly TraceSampler[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export interface TracingConfig {
  /** HERALD_TRACING, else OTEL_TRACES_EXPORTER (default none). */
  exporter: TraceExporter;
  /** Where spans are posted: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces (default http://localhost:4318/v1/traces). */
  endpoint: string;
  /** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL (default http/protobuf; grpc is not offered). */
  protocol: OtlpProtocol;
  /** OTEL_SERVICE_NAME (default herald). */
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES: `key=value,…`, values percent-decoded. */
  resourceAttributes: Record<string, string>;
  /** OTEL_TRACES_SAMPLER (default parentbased_always_on) and its ratio OTEL_TRACES_SAMPLER_ARG (0…1, default 1). */
  sampler: TraceSampler;
  samplerArg: number;
  /** Send the attempt's `traceparent` to receivers (HERALD_TRACING_TRACEPARENT, default false; needs tracing on). */
  forwardTraceparent: boolean;
}

/** Tracing settings from the standard OTEL_* variables plus Herald's switch; a wrong value throws a one-line ConfigError. */
export function tracingFromEnv(env: NodeJS.ProcessEnv): TracingConfig {
  const d = DEFAULT_CONFIG.tracing;
  // The specification's off switch wins over everything else.
  const disabled = bool('OTEL_SDK_DISABLED', env.OTEL_SDK_DISABLED);
  const exporter = disabled
    ? 'none'
    : env.HERALD_TRACING
    ? oneOf('HERALD_TRACING', env.HERALD_TRACING, TRACE_EXPORTERS, d.exporter)
    : oneOf('OTEL_TRACES_EXPORTER', env.OTEL_TRACES_EXPORTER, TRACE_EXPORTERS, d.exporter);
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const endpoint = traces ? httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces) : base ? `${httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base).replace(/\/+$/, '')}/v1/traces` : d.endpoint;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? oneOf('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTLP_PROTOCOLS, d.protocol)
    : oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', env.OTEL_EXPORTER_OTLP_PROTOCOL, OTLP_PROTOCOLS, d.protocol);
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  const samplerArg = arg === undefined || arg === '' ? d.samplerArg : Number(arg);
  if (!Number.isFinite(samplerArg) || samplerArg < 0 || samplerArg > 1) throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got "${arg}"`);
  const forwardTraceparent = bool('HERALD_TRACING_TRACEPARENT', env.HERALD_TRACING_TRACEPARENT, d.forwardTraceparent);
  if (forwardTraceparent && exporter === 'none') throw new ConfigError('HERALD_TRACING_TRACEPARENT=true needs tracing on (HERALD_TRACING=otlp)');
  const resource = resourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  return {
    exporter,
    endpoint,
    protocol,
    // The specification's order: OTEL_SERVICE_NAME, then service.name among the resource attributes.
    serviceName: env.OTEL_SERVICE_NAME || resource['service.name'] || d.serviceName,
    resourceAttributes: resource,
    sampler: oneOf('OTEL_TRACES_SAMPLER', env.OTEL_TRACES_SAMPLER, TRACE_SAMPLERS, d.sampler),
    samplerArg,
    forwardTraceparent,
  };
}

function httpUrl(name: string, raw: string): string {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`);
  return raw;
}

function resourceAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas, got "${raw}"`);
    try {
      out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(`OTEL_RESOURCE_ATTRIBUTES has a badly escaped value in "${pair}"`);
    }
  }
  return out;
}
