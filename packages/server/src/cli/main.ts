import { parseArgs } from 'node:util';
import { ConfigError, configFromEnv, type Role } from '../config.js';
import { SecretBoxError } from '../crypto/secret-box.js';
import { StoreStartError } from '../store/start-errors.js';
import { StartupError, waitForDatabase } from '../ops/startup-checks.js';
import { catalogueCommand } from './catalogue.js';
import { settingsHelp } from './settings-help.js';

const HELP = `herald — self-hostable webhook delivery

Usage:
  herald serve [--role all|api|worker]   start Herald: API, dashboard at / and workers
  herald doctor [--role all|api|worker]  check what serve would do with these settings, without starting it
  herald catalogue load <salesiq|smarterbot|file.json> [--replace]
                                         import event types into a running Herald
  herald catalogue list [--json]         the event types a running Herald knows
  herald catalogue example <type>        the example envelope of an event type
  herald inbox --help                    a receiver: verify, store durably, hand over in order
  herald listen --help                   forward a poll webhook's deliveries to a local URL (development)
  herald <command> --help                a command's usage
  herald --help                          this text

${settingsHelp()}`;

const SERVE_USAGE = `Usage: herald serve [--role all|api|worker]

Starts Herald on the store the settings name (run "herald --help" for them):
  --role all      API, dashboard and delivery in one process (the default)
  --role api      only the API and dashboard
  --role worker   only delivery, alerts, digests and retention (/healthz and /metrics stay up)

It refuses to start, with a one-line reason, when a setting is wrong, the database cannot be
reached within HERALD_DATABASE_WAIT_MS, the master key does not open the store's secrets, or
the database schema is newer than this Herald. "herald doctor" checks all of that beforehand.`;

const DOCTOR_USAGE = `Usage: herald doctor [--role all|api|worker]

Prints what "herald serve" would do with the current settings: the store and its schema, the
address, whether the master key opens the store's secrets, SMTP reachability, whether private
URLs are allowed, and the thread layout. Writes nothing. Exits 0 when all is well, 1 when
something would stop Herald or break a feature, 2 when a setting is invalid.`;

/** The options serve and doctor share (--role, --help); an unknown option is a usage error. */
function roleArgs(argv: string[], usage: string): Role | 'help' {
  let values: { role?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { role: { type: 'string', default: 'all' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${usage}`);
  }
  if (values.help === true) return 'help';
  const role = values.role ?? 'all';
  if (!['all', 'api', 'worker'].includes(role)) throw new ConfigError(`--role must be all, api or worker, got "${role}"`);
  return role as Role;
}

async function doctor(argv: string[]): Promise<number> {
  const role = roleArgs(argv, DOCTOR_USAGE);
  if (role === 'help') {
    process.stdout.write(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  const config = configFromEnv(process.env, { role });
  const { diagnose } = await import('../ops/doctor.js');
  const findings = await diagnose(config);
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  const width = Math.max(...findings.map((f) => f.topic.length));
  for (const f of findings) process.stdout.write(`${mark[f.verdict]}  ${f.topic.padEnd(width)}  ${f.text}\n`);
  const failed = findings.filter((f) => f.verdict === 'fail').length;
  process.stdout.write(failed === 0 ? 'herald doctor: nothing stops this configuration.\n' : `herald doctor: ${failed} problem${failed > 1 ? 's' : ''} to fix.\n`);
  return failed === 0 ? 0 : 1;
}

async function serve(argv: string[]): Promise<number> {
  const role = roleArgs(argv, SERVE_USAGE);
  if (role === 'help') {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const config = configFromEnv(process.env, { role });
  await waitForDatabase(config, (line) => process.stderr.write(`${line}\n`));
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
  return -1; // keeps running
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined ? 1 : 0;
  }
  try {
    if (command === 'serve') return await serve(rest);
    if (command === 'doctor') return await doctor(rest);
    if (command === 'catalogue') return catalogueCommand(rest);
    // Loaded on demand, like the server: other commands need none of the inbox's modules.
    if (command === 'inbox') return (await import('../inbox/command.js')).inboxCommand(rest);
    if (command === 'listen') return (await import('../listen/command.js')).listenCommand(rest);
    process.stderr.write(`herald: unknown command "${command}". Run "herald --help" for the commands.\n`);
    return 1;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError || err instanceof StoreStartError) {
      process.stderr.write(`herald: ${err.message}\n`);
      return 2;
    }
    if (err instanceof SecretBoxError) {
      process.stderr.write(`herald: the master key (HERALD_MASTER_KEY, or master.key in HERALD_DATA_DIR) cannot be used: ${err.message}\n`);
      return 2;
    }
    const e = err as { code?: string; message?: string; syscall?: string; path?: string };
    if (e.code === 'ECONNREFUSED') {
      process.stderr.write(`herald: cannot reach the database (${e.message}). Is PostgreSQL running, and is HERALD_DATABASE_URL right?\n`);
      return 2;
    }
    if (e.code === 'EADDRINUSE') {
      process.stderr.write(`herald: the port is taken (${e.message}). Set HERALD_PORT to a free port.\n`);
      return 2;
    }
    if (e.syscall === 'listen' || e.syscall === 'getaddrinfo') {
      process.stderr.write(`herald: cannot listen (${e.message}). Set HERALD_HOST to an address of this machine and HERALD_PORT to a port this user may open.\n`);
      return 2;
    }
    if (e.path !== undefined && e.syscall !== undefined) {
      process.stderr.write(`herald: cannot use ${e.path} (${e.code ?? e.message}). Set HERALD_DATA_DIR to a folder Herald may write.\n`);
      return 2;
    }
    throw err;
  }
}
