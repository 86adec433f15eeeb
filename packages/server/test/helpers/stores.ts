import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/store.js';

/** The PostgreSQL server the suite uses (CI starts it); HERALD_TEST_PG_URL overrides. */
export const PG_URL = process.env.HERALD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['sqlite', 'postgres'];

/** A fresh, empty store location: a temporary SQLite folder or a new PostgreSQL schema. */
export interface TestStore {
  kind: StoreKind;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Removes the folder or drops the schema. */
  cleanup(): Promise<void>;
}

let counter = 0;

/**
 * A server that accepts connections but never answers would otherwise hang a test file
 * forever (pg waits without limit by default); scripts/run-tests.mjs checks the server first.
 */
const CONNECT_TIMEOUT_MS = 5000;

async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
  } catch (err) {
    const e = err as Error & { code?: string };
    throw new Error(
      `PostgreSQL at ${PG_URL} cannot be used (${e.code ?? e.message}): the tests need it with a database "test" ` +
        '(createdb -h 127.0.0.1 -U postgres test; HERALD_TEST_PG_URL points elsewhere). See the README.',
      { cause: err },
    );
  }
  return client;
}

export async function freshStore(kind: StoreKind): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  if (kind === 'sqlite') {
    return { kind, dataDir, databaseUrl: undefined, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = await adminClient();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const sep = PG_URL.includes('?') ? '&' : '?';
  const databaseUrl = `${PG_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    kind,
    dataDir,
    databaseUrl,
    cleanup: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      const c = await adminClient();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/**
 * A fresh store opened before the tests of the enclosing suite and closed and removed after
 * them; call it inside describe(). Answers a getter (the store exists once `before` ran).
 */
export function suiteStore(kind: StoreKind): () => Store {
  let ts: TestStore | undefined;
  let store: Store | undefined;
  before(async () => {
    ts = await freshStore(kind);
    store = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
  });
  after(async () => {
    await store?.close();
    await ts?.cleanup();
  });
  return () => {
    if (!store) throw new Error('suiteStore: the store is opened in before(); use it inside a test');
    return store;
  };
}
