import { parseArgs } from 'node:util';
import { ConfigError, configFromEnv, type Role } from '../config.js';
import { StoreStartError } from '../store/start-errors.js';
import { catalogueCommand } from './catalogue.js';

const HELP = `herald — self-hostable webhook delivery

Usage:
  herald serve [--role all|api|worker]   start Herald: API, dashboard at / and workers
  herald catalogue load <salesiq|smarterbot|file.json> [--replace]
                                         import event types into a running Herald
  herald catalogue list                  the event types a running Herald knows
  herald catalogue example <type>        the example envelope of an event type
  herald inbox --help                    a receiver: verify, store durably, hand over in order
  herald --help                          this text

Settings come from the environment (defaults in brackets):
  HERALD_PORT [8080]            HTTP port; /healthz answers 200 once ready
  HERALD_DATA_DIR [./.herald]   where the embedded SQLite file lives
  HERALD_DATABASE_URL           postgres://… to use PostgreSQL (migrations run on start)
  HERALD_ADMIN_KEY              API key with every scope; if unset one is created and printed once
  HERALD_ALLOW_PRIVATE_URLS     true lets webhooks reach loopback/private hosts (development only)
  HERALD_CLOCK_SCALE [1]        divides every policy duration (tests and demos)
  HERALD_LOG_LEVEL [info]       pino level
  HERALD_MASTER_KEY             32-byte key (base64/hex) that encrypts secrets; default a file in the data dir
  HERALD_VALIDATE_URLS [true]   check a webhook URL answers when it is saved (an org may turn it off)
  HERALD_TRUSTED_CA_FILE        PEM file of extra CAs that outbound TLS trusts (receivers with a private CA)
  HERALD_SMTP_URL               smtp://host:port for alert mail; HERALD_SMTP_FROM sets the sender
  HERALD_PUBLIC_URL             Herald's public address, for links in mail and portal links
  HERALD_TRACING [none]         otlp: OpenTelemetry spans over OTLP/HTTP, set by the OTEL_* variables (docs/tracing.md)
  HERALD_URL                    where catalogue commands find Herald [http://127.0.0.1:$HERALD_PORT]
  HERALD_API_KEY                key for catalogue commands (else HERALD_ADMIN_KEY)
See docs/configuration.md for every setting.`;

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { role: { type: 'string', default: 'all' } }, allowPositionals: false });
  const role = values.role as string;
  if (!['all', 'api', 'worker'].includes(role)) {
    throw new ConfigError(`--role must be all, api or worker, got "${role}"`);
  }
  const config = configFromEnv(process.env, { role: role as Role });
  // The server is loaded only to serve: the other commands start in a fraction of the time.
  const { startHerald } = await import('../app.js');
  const herald = await startHerald(config);
  if (herald.generatedAdminKey) {
    process.stdout.write(
      `\nHerald created an admin API key (shown once; keep it, or set HERALD_ADMIN_KEY):\n\n    ${herald.generatedAdminKey}\n\n`,
    );
  }
  process.stdout.write(`Herald ${config.role} listening on ${herald.url} (store: ${herald.store.dialect})\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    herald.log.info({ signal }, 'shutting down: finishing requests in flight');
    herald.close().then(
      () => process.exit(0),
      (err: unknown) => {
        herald.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined ? 1 : 0;
  }
  try {
    if (command === 'serve') {
      await serve(rest);
      return -1; // keeps running
    }
    if (command === 'catalogue') return catalogueCommand(rest);
    // Loaded on demand, like the server: other commands need none of the inbox's modules.
    if (command === 'inbox') return (await import('../inbox/command.js')).inboxCommand(rest);
    process.stderr.write(`herald: unknown command "${command}". Run "herald --help" for the commands.\n`);
    return 1;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StoreStartError) {
      process.stderr.write(`herald: ${err.message}\n`);
      return 2;
    }
    const e = err as { code?: string; message?: string };
    if (e.code === 'ECONNREFUSED') {
      process.stderr.write(`herald: cannot reach the database (${e.message}). Is PostgreSQL running, and is HERALD_DATABASE_URL right?\n`);
      return 2;
    }
    if (e.code === 'EADDRINUSE') {
      process.stderr.write(`herald: the port is taken (${e.message}). Set HERALD_PORT to a free port.\n`);
      return 2;
    }
    throw err;
  }
}
