/**
 * `herald doctor`: what `herald serve` would do with this configuration, checked without
 * starting it and without writing anything (no migration, no key file, no check value).
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { HeraldConfig } from '../config.js';
import { parseMasterKey, SecretBox, SecretBoxError } from '../crypto/secret-box.js';
import { loadTrustedCas } from '../outbound/trust.js';
import { knownSchemaVersions, unknownSchemaVersions } from '../store/migrate.js';
import { masterKeyOpens, masterKeySource, pingPostgres, redactUrl } from './startup-checks.js';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface Finding {
  topic: string;
  verdict: Verdict;
  text: string;
}

/** What the store holds that start-up depends on; null versions: no Herald schema yet. */
interface StoreFacts {
  versions: number[] | null;
  masterKeyCheck: string | undefined;
}

/**
 * How this process would split its work across threads. One function, so the thread
 * topology's owner can change it in one place.
 */
export function describeTopology(config: HeraldConfig): string {
  if (config.role === 'api') return 'API only (--role api): ingest and direct sends on the main thread, no delivery in this process';
  if (config.role === 'worker') return 'the engine (delivery, alerts, digests, retention) on the main thread (--role worker)';
  return config.threads === 'engine'
    ? 'two threads: the API, and the engine (ingest commits, claims, sending, results, alerts, digests, retention) (HERALD_THREADS=engine)'
    : 'one thread: the API and the engine together (HERALD_THREADS=single)';
}

async function postgresFacts(url: string): Promise<StoreFacts> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const has = async (table: string) => (await client.query('SELECT to_regclass($1) AS t', [table])).rows[0]?.t !== null;
    const versions = (await has('herald_migrations'))
      ? (await client.query<{ version: number }>('SELECT version FROM herald_migrations')).rows.map((r) => Number(r.version))
      : null;
    const masterKeyCheck = (await has('herald_meta'))
      ? (await client.query<{ value: string }>("SELECT value FROM herald_meta WHERE key = 'master_key_check'")).rows[0]?.value
      : undefined;
    return { versions, masterKeyCheck };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sqliteFacts(file: string): StoreFacts {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const has = (table: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    const versions = has('herald_migrations') ? (db.prepare('SELECT version FROM herald_migrations').all() as { version: number }[]).map((r) => Number(r.version)) : null;
    const row = has('herald_meta') ? (db.prepare("SELECT value FROM herald_meta WHERE key = 'master_key_check'").get() as { value: string } | undefined) : undefined;
    return { versions, masterKeyCheck: row?.value };
  } finally {
    db.close();
  }
}

/** The store's facts, or a failing finding when it cannot be read; null: nothing there yet. */
async function checkStore(config: HeraldConfig, out: Finding[]): Promise<StoreFacts | null> {
  if (config.databaseUrl !== undefined) {
    const where = `PostgreSQL at ${redactUrl(config.databaseUrl)}`;
    try {
      await pingPostgres(config.databaseUrl);
      const facts = await postgresFacts(config.databaseUrl);
      out.push({ topic: 'store', verdict: 'ok', text: `${where} answers` });
      return facts;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      out.push({ topic: 'store', verdict: 'fail', text: `${where} cannot be used: ${e.message ?? e.code ?? String(err)}` });
      return null;
    }
  }
  const file = join(config.dataDir, 'herald.sqlite');
  if (!existsSync(file)) {
    // The nearest folder that exists must be a folder Herald may write (it creates the rest).
    let dir = config.dataDir;
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a folder');
      accessSync(dir, constants.W_OK);
      out.push({ topic: 'store', verdict: 'ok', text: `SQLite file ${file} does not exist yet; the first start creates it` });
    } catch {
      out.push({ topic: 'store', verdict: 'fail', text: `SQLite file ${file} cannot be created: ${dir} is not a folder Herald may write (HERALD_DATA_DIR)` });
    }
    return null;
  }
  try {
    const facts = sqliteFacts(file);
    accessSync(file, constants.W_OK);
    out.push({ topic: 'store', verdict: 'ok', text: `SQLite file ${file}` });
    return facts;
  } catch (err) {
    out.push({ topic: 'store', verdict: 'fail', text: `SQLite file ${file} cannot be used: ${(err as Error).message}` });
    return null;
  }
}

function checkSchema(config: HeraldConfig, facts: StoreFacts | null, out: Finding[]): void {
  if (facts === null) return;
  if (facts.versions === null) {
    out.push({ topic: 'schema', verdict: 'ok', text: 'empty: the first start creates it' });
    return;
  }
  const dialect = config.databaseUrl === undefined ? 'sqlite' : 'postgres';
  const unknown = unknownSchemaVersions(dialect, facts.versions);
  if (unknown.length > 0) {
    out.push({ topic: 'schema', verdict: 'fail', text: `newer than this Herald (migrations ${unknown.join(', ')} unknown): serve would refuse to start` });
    return;
  }
  const applied = new Set(facts.versions);
  const pending = knownSchemaVersions(dialect).filter((v) => !applied.has(v));
  out.push({
    topic: 'schema',
    verdict: 'ok',
    text: `at migration ${Math.max(0, ...facts.versions)}` + (pending.length > 0 ? `; start applies ${pending.join(', ')}` : '; up to date'),
  });
}

/** The master key serve would use, without creating a key file. */
function loadKeyQuietly(config: HeraldConfig): SecretBox | 'none' | Error {
  try {
    if (config.masterKey) return new SecretBox(parseMasterKey(config.masterKey));
    const file = join(config.dataDir, 'master.key');
    if (!existsSync(file)) return 'none';
    return new SecretBox(parseMasterKey(readFileSync(file, 'utf8')));
  } catch (err) {
    if (err instanceof SecretBoxError || (err as NodeJS.ErrnoException).code !== undefined) return err as Error;
    throw err;
  }
}

function checkMasterKey(config: HeraldConfig, facts: StoreFacts | null, out: Finding[]): void {
  const source = masterKeySource(config);
  const box = loadKeyQuietly(config);
  if (box instanceof Error) {
    out.push({ topic: 'master key', verdict: 'fail', text: `${source} cannot be read as a master key: ${box.message}` });
    return;
  }
  if (box === 'none') {
    const shared = config.databaseUrl !== undefined;
    out.push({
      topic: 'master key',
      verdict: shared && facts?.masterKeyCheck !== undefined ? 'fail' : shared ? 'warn' : 'ok',
      text: `none yet: the first start writes ${source.replace(' (HERALD_MASTER_KEY is unset)', '')}` +
        (shared ? '; on PostgreSQL set HERALD_MASTER_KEY so every process shares one key' : ''),
    });
    return;
  }
  if (facts?.masterKeyCheck === undefined) {
    out.push({ topic: 'master key', verdict: 'ok', text: `from ${source}; the store has no check value yet (the first start records one)` });
  } else if (masterKeyOpens(box, facts.masterKeyCheck)) {
    out.push({ topic: 'master key', verdict: 'ok', text: `from ${source}; it opens the store's secrets` });
  } else {
    out.push({ topic: 'master key', verdict: 'fail', text: `from ${source}; it does NOT open the store's secrets (the store was started with another key): serve would refuse to start` });
  }
}

/** Whether a TCP connection to the SMTP server opens within 5 s (no mail is sent). */
function reachable(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5000 });
    const done = (why: string | null) => {
      socket.destroy();
      resolve(why);
    };
    socket.once('connect', () => done(null));
    socket.once('timeout', () => done('no answer within 5 s'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

async function checkSmtp(config: HeraldConfig, out: Finding[]): Promise<void> {
  if (config.smtpUrl === undefined) {
    out.push({ topic: 'smtp', verdict: 'warn', text: 'HERALD_SMTP_URL is unset: alert mail is off (alerts are kept as skipped)' });
    return;
  }
  const u = new URL(config.smtpUrl);
  const port = u.port === '' ? (u.protocol === 'smtps:' ? 465 : 587) : Number(u.port);
  const why = await reachable(u.hostname, port);
  out.push(
    why === null
      ? { topic: 'smtp', verdict: 'ok', text: `${u.hostname}:${port} accepts connections; mail from ${config.smtpFrom}` }
      : { topic: 'smtp', verdict: 'fail', text: `${u.hostname}:${port} cannot be reached (${why}): alert mail would not go out` },
  );
}

/** Every finding for this configuration, in the order printed. */
export async function diagnose(config: HeraldConfig): Promise<Finding[]> {
  const out: Finding[] = [];
  const facts = await checkStore(config, out);
  checkSchema(config, facts, out);
  checkMasterKey(config, facts, out);
  out.push({
    topic: 'url',
    verdict: 'ok',
    text: `${config.role === 'worker' ? '/healthz and /metrics' : 'API and dashboard'} on http://${config.host}:${config.port}` +
      (config.publicUrl ? `; public address ${config.publicUrl}` : '; HERALD_PUBLIC_URL unset (links in mail use the request address)'),
  });
  if (config.trustedCaFile !== undefined) {
    try {
      out.push({ topic: 'trusted CAs', verdict: 'ok', text: `${loadTrustedCas(config.trustedCaFile).length} from ${config.trustedCaFile}` });
    } catch (err) {
      out.push({ topic: 'trusted CAs', verdict: 'fail', text: (err as Error).message });
    }
  }
  await checkSmtp(config, out);
  out.push(
    config.allowPrivateUrls
      ? { topic: 'private URLs', verdict: 'warn', text: 'HERALD_ALLOW_PRIVATE_URLS=true: webhooks may reach loopback and private addresses (development only)' }
      : { topic: 'private URLs', verdict: 'ok', text: 'refused (webhooks cannot reach loopback, private or metadata addresses)' },
  );
  out.push({ topic: 'threads', verdict: 'ok', text: describeTopology(config) });
  return out;
}
