/**
 * Every setting `herald --help` prints, one line each. docs/configuration.md holds the long
 * form; test/cli.test.ts fails when a variable documented there is missing here.
 */
interface SettingLine {
  name: string;
  /** The default as the help shows it, or '' when unset by default. */
  fallback: string;
  meaning: string;
}

const SERVER_SETTINGS: SettingLine[] = [
  { name: 'HERALD_PORT', fallback: '8080', meaning: 'HTTP port; /healthz answers 200 once ready' },
  { name: 'HERALD_HOST', fallback: '0.0.0.0', meaning: 'interface to bind' },
  { name: 'HERALD_DATA_DIR', fallback: './.herald', meaning: 'the embedded SQLite file and the generated master key' },
  { name: 'HERALD_DATABASE_URL', fallback: '', meaning: 'postgres://… to use PostgreSQL (migrations run on start)' },
  { name: 'HERALD_DATABASE_WAIT_MS', fallback: '30000', meaning: 'how long start-up retries an unreachable PostgreSQL before it gives up' },
  { name: 'HERALD_ADMIN_KEY', fallback: '', meaning: 'API key with every scope (≥ 16 chars); unset: one is created and printed once' },
  { name: 'HERALD_MASTER_KEY', fallback: '', meaning: '32 bytes (base64 or hex) that encrypt secrets; unset: master.key in the data dir' },
  { name: 'HERALD_ALLOW_PRIVATE_URLS', fallback: 'false', meaning: 'true lets webhooks reach loopback/private hosts (development only)' },
  { name: 'HERALD_VALIDATE_URLS', fallback: 'true', meaning: 'check a webhook URL answers (POST, else HEAD 200) when it is saved' },
  { name: 'HERALD_TRUSTED_CA_FILE', fallback: '', meaning: 'PEM file of extra CAs that outbound TLS trusts' },
  { name: 'HERALD_CLOCK_SCALE', fallback: '1', meaning: 'divides every policy duration (tests and demos); not HTTP timeouts' },
  { name: 'HERALD_SMTP_URL', fallback: '', meaning: 'smtp://host:port or smtps://… for alert mail; unset: no mail' },
  { name: 'HERALD_SMTP_FROM', fallback: 'Herald <herald@localhost>', meaning: 'the From of alert mail' },
  { name: 'HERALD_PUBLIC_URL', fallback: '', meaning: "Herald's public http(s) address, for links in mail and portal links" },
  { name: 'HERALD_LOG_LEVEL', fallback: 'info', meaning: 'fatal, error, warn, info, debug, trace or silent (JSON logs on stdout)' },
  { name: 'HERALD_BODY_LIMIT', fallback: '5242880', meaning: 'largest API request body, bytes' },
  { name: 'HERALD_RESPONSE_BODY_LIMIT', fallback: '16384', meaning: 'response bytes kept per attempt' },
  { name: 'HERALD_WORKER_CONCURRENCY', fallback: '1024', meaning: 'requests in flight per process' },
  { name: 'HERALD_WORKER_BATCH', fallback: '256', meaning: 'deliveries claimed per statement' },
  { name: 'HERALD_LEASE_MS', fallback: '30000', meaning: 'lease on a claimed delivery, renewed while in flight (≥ 1000)' },
  { name: 'HERALD_CONNECTIONS_PER_ORIGIN', fallback: '1024', meaning: 'most requests at once per receiver origin (adapts below it)' },
  { name: 'HERALD_IDLE_CHECK_MS', fallback: '10000', meaning: 'longest sleep of an idle worker (≥ 100)' },
  { name: 'HERALD_SHUTDOWN_GRACE_MS', fallback: '10000', meaning: 'on SIGTERM, how long requests in flight may finish' },
  { name: 'HERALD_LEADER_RETRY_MS', fallback: '3000', meaning: 'PostgreSQL: how often a non-leader tries to become the maintenance leader' },
  { name: 'HERALD_THREADS', fallback: 'engine', meaning: 'engine: the engine on a thread beside the API; single: one thread (debugging)' },
  { name: 'HERALD_DASHBOARD_DIR', fallback: '', meaning: "folder of the built dashboard (default: the dashboard package's dist/)" },
  { name: 'HERALD_TRACING', fallback: 'none', meaning: 'otlp: OpenTelemetry spans over OTLP/HTTP, set by the OTEL_* variables (docs/tracing.md)' },
  { name: 'HERALD_TRACING_TRACEPARENT', fallback: 'false', meaning: "true: send each attempt's traceparent to receivers (needs HERALD_TRACING=otlp)" },
];

const CLIENT_SETTINGS: SettingLine[] = [
  { name: 'HERALD_URL', fallback: 'http://127.0.0.1:$HERALD_PORT', meaning: 'where catalogue commands find Herald' },
  { name: 'HERALD_API_KEY', fallback: '', meaning: 'key for catalogue commands (else HERALD_ADMIN_KEY)' },
];

function lines(settings: SettingLine[]): string {
  return settings
    .map((s) => {
      const head = `  ${s.name}${s.fallback === '' ? '' : ` [${s.fallback}]`}`;
      return head.length < 40 ? `${head.padEnd(40)}${s.meaning}` : `${head}\n${' '.repeat(40)}${s.meaning}`;
    })
    .join('\n');
}

/** The settings part of `herald --help`. */
export function settingsHelp(): string {
  return `Settings of herald serve and herald doctor come from the environment (defaults in brackets);
a wrong value stops Herald with one line naming the variable:
${lines(SERVER_SETTINGS)}

Settings of the catalogue commands:
${lines(CLIENT_SETTINGS)}

docs/configuration.md describes each setting at length.`;
}

/** Every variable the help names (for tests). */
export const HELP_SETTING_NAMES: readonly string[] = [...SERVER_SETTINGS, ...CLIENT_SETTINGS].map((s) => s.name);
