/**
 * Checks that stop a process from starting broken. A process that answers /healthz 200 but
 * cannot open the store's secrets signs nothing: its deliveries wait for another process and
 * its test sends fail, so it must refuse to start and say why.
 */
import pg from 'pg';
import type { HeraldConfig } from '../config.js';
import { SecretBoxError, type SecretBox } from '../crypto/secret-box.js';
import type { SqlDatabase } from '../store/sql.js';

/** A reason not to start, printed as one line by the CLI. */
export class StartupError extends Error {
  readonly code = 'HERALD_STARTUP_REFUSED';
}

const CHECK_KEY = 'master_key_check';
const CHECK_AAD = 'herald_meta:master_key_check';
const CHECK_TEXT = 'herald master key check';

/** Where the master key came from, in words an operator can act on. */
export function masterKeySource(config: HeraldConfig): string {
  return config.masterKey ? 'HERALD_MASTER_KEY' : `the key file ${config.dataDir}/master.key (HERALD_MASTER_KEY is unset)`;
}

/** True when the box opens the store's check value (sealed under the master key of the first start). */
export function masterKeyOpens(box: SecretBox, sealedCheck: string): boolean {
  try {
    return box.open(sealedCheck, CHECK_AAD) === CHECK_TEXT;
  } catch (err) {
    if (err instanceof SecretBoxError) return false;
    throw err;
  }
}

/** The store's check value, or undefined before the first start of a Herald that keeps one. */
export async function readMasterKeyCheck(db: SqlDatabase): Promise<string | undefined> {
  return (await db.get<{ value: string }>('SELECT value FROM herald_meta WHERE key = ?', [CHECK_KEY]))?.value;
}

function wrongKey(config: HeraldConfig): StartupError {
  return new StartupError(
    `the master key from ${masterKeySource(config)} does not open this store's secrets: the store was first started with another master key. ` +
      'Start every process that shares the store with the same HERALD_MASTER_KEY.',
  );
}

/**
 * The master key must open what the store already holds. The first start keeps a check value
 * sealed under its key (two processes starting at once: the first insert wins and the other
 * is measured against it); a store from before the check is measured against one of its
 * sealed webhook keys instead.
 */
async function checkMasterKey(db: SqlDatabase, box: SecretBox, config: HeraldConfig): Promise<void> {
  let check = await readMasterKeyCheck(db);
  if (check === undefined) {
    const sample = await db.get<{ webhook_id: string; sealed: string }>('SELECT webhook_id, sealed FROM webhook_keys ORDER BY id LIMIT 1');
    if (sample !== undefined) {
      try {
        box.open(sample.sealed, sample.webhook_id);
      } catch (err) {
        if (err instanceof SecretBoxError) throw wrongKey(config);
        throw err;
      }
    }
    await db.run('INSERT INTO herald_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [CHECK_KEY, box.seal(CHECK_TEXT, CHECK_AAD)]);
    check = await readMasterKeyCheck(db);
  }
  if (check === undefined || !masterKeyOpens(box, check)) throw wrongKey(config);
}

/** Runs every check on an opened (migrated) store; throws StartupError with what to fix. */
export async function runStartupChecks(parts: { db: SqlDatabase; box: SecretBox; config: HeraldConfig }): Promise<void> {
  await checkMasterKey(parts.db, parts.box, parts.config);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

// Connection failures worth waiting out (a database that is still starting, a host not up yet);
// anything else (wrong password, missing database) will not fix itself.
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', '57P03']);

function describe(err: unknown): { transient: boolean; why: string } {
  const e = err as { code?: string; message?: string };
  if (e.code === '3D000') return { transient: false, why: `${e.message ?? 'the database does not exist'}: create it (createdb) or fix the database name` };
  if (e.code === '28P01' || e.code === '28000') return { transient: false, why: `${e.message ?? 'authentication failed'}: fix the user or password` };
  const timedOut = /timeout/i.test(e.message ?? '');
  return { transient: timedOut || (e.code !== undefined && TRANSIENT_CODES.has(e.code)), why: e.code ?? e.message ?? String(err) };
}

/** Connects once with a deadline and asks for nothing: does PostgreSQL answer at this URL? */
export async function pingPostgres(url: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * PostgreSQL: wait until the database answers, retrying transient failures for up to
 * config.databaseWaitMs (every second, saying so through `report`); then, or at once for a
 * failure that waiting cannot fix, throw StartupError. SQLite: nothing to wait for.
 */
export async function waitForDatabase(config: HeraldConfig, report: (line: string) => void): Promise<void> {
  const url = config.databaseUrl;
  if (url === undefined) return;
  const deadline = Date.now() + config.databaseWaitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await pingPostgres(url, Math.max(1000, Math.min(5000, config.databaseWaitMs)));
      return;
    } catch (err) {
      const { transient, why } = describe(err);
      const left = deadline - Date.now();
      if (!transient) throw new StartupError(`cannot use PostgreSQL at ${redactUrl(url)} (HERALD_DATABASE_URL): ${why}`);
      if (left <= 0) {
        throw new StartupError(
          `cannot reach PostgreSQL at ${redactUrl(url)} (HERALD_DATABASE_URL): ${why}, still after ${attempt} tries over ${Math.round(config.databaseWaitMs / 1000)} s. ` +
            'Is it running and is the URL right? HERALD_DATABASE_WAIT_MS sets how long to wait.',
        );
      }
      report(`herald: PostgreSQL at ${redactUrl(url)} does not answer (${why}); trying again for up to ${Math.ceil(left / 1000)} s more`);
      await new Promise((r) => setTimeout(r, Math.min(1000, left)));
    }
  }
}
