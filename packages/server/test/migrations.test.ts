import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadMigrations, migrate, migrationChecksum, type Migration } from '../src/store/migrate.js';
import { PostgresDatabase } from '../src/store/postgres/database.js';
import type { SqlDatabase } from '../src/store/sql.js';
import { SqliteDatabase } from '../src/store/sqlite/database.js';
import { STORE_START_ERROR_CODES } from '../src/store/start-errors.js';
import { openStore } from '../src/store/store.js';
import { freshStore, STORE_KINDS, type TestStore } from './helpers/stores.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./helpers/migrate-child.ts', import.meta.url));

function open(ts: TestStore): SqlDatabase {
  return ts.databaseUrl ? new PostgresDatabase(ts.databaseUrl, 2) : new SqliteDatabase(join(ts.dataDir, 'herald.sqlite'));
}

function target(ts: TestStore): string {
  return ts.databaseUrl ?? join(ts.dataDir, 'herald.sqlite');
}

async function appliedRows(db: SqlDatabase): Promise<{ version: number; name: string; checksum: string | null }[]> {
  const rows = await db.all<{ version: number; name: string; checksum: string | null }>(
    'SELECT version, name, checksum FROM herald_migrations ORDER BY version',
  );
  return rows.map((r) => ({ version: Number(r.version), name: r.name, checksum: r.checksum }));
}

for (const kind of STORE_KINDS) {
  describe(`migrations (${kind})`, () => {
    const stores: TestStore[] = [];
    const fresh = async () => {
      const ts = await freshStore(kind);
      stores.push(ts);
      return ts;
    };
    after(async () => {
      for (const ts of stores) await ts.cleanup();
    });

    test('two processes migrating one fresh store at once apply each file exactly once, without error', async () => {
      const ts = await fresh();
      const env = { ...process.env, NODE_OPTIONS: '' };
      const [a, b] = await Promise.all([
        run(process.execPath, ['--import', 'tsx', CHILD, target(ts)], { env }),
        run(process.execPath, ['--import', 'tsx', CHILD, target(ts)], { env }),
      ]);
      const fromA = JSON.parse(a.stdout) as number[];
      const fromB = JSON.parse(b.stdout) as number[];
      const shipped = loadMigrations(kind).map((m) => m.version);
      assert.deepEqual([...fromA, ...fromB].sort((x, y) => x - y), shipped, 'every file applied by exactly one of the two');
      const db = open(ts);
      try {
        const rows = await appliedRows(db);
        assert.deepEqual(rows.map((r) => r.version), shipped);
        assert.deepEqual(rows.map((r) => r.checksum), loadMigrations(kind).map((m) => m.checksum));
      } finally {
        await db.close();
      }
    });

    test('each file is its own transaction: a failing file keeps the ones before it and none of itself', async () => {
      const ts = await fresh();
      const db = open(ts);
      try {
        const good: Migration = { version: 1, name: '000001_good.sql', sql: 'CREATE TABLE good_one (id TEXT PRIMARY KEY);', checksum: '' };
        const bad: Migration = {
          version: 2, name: '000002_bad.sql',
          sql: 'CREATE TABLE half_done (id TEXT PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);', checksum: '',
        };
        for (const m of [good, bad]) m.checksum = migrationChecksum(m.sql);
        await assert.rejects(migrate(db, [good, bad]));
        assert.deepEqual((await appliedRows(db)).map((r) => r.version), [1]);
        assert.equal(Number((await db.get<{ n: number }>('SELECT count(*) AS n FROM good_one'))?.n), 0);
        await assert.rejects(db.get('SELECT count(*) AS n FROM half_done'), 'the failed file left nothing behind');
        assert.deepEqual(await migrate(db, [good]), [], 'a second run finds the first file applied');
      } finally {
        await db.close();
      }
    });

    test('an install from before checksums gets the column and its checksums filled at the next start', async () => {
      const ts = await fresh();
      const db = open(ts);
      try {
        await migrate(db);
        await db.run('ALTER TABLE herald_migrations DROP COLUMN checksum');
        assert.deepEqual(await migrate(db), []);
        assert.deepEqual((await appliedRows(db)).map((r) => r.checksum), loadMigrations(kind).map((m) => m.checksum));
      } finally {
        await db.close();
      }
    });

    test('000015 moves the pending deliveries of an existing store into delivery_queue, leases and parked fifo ones as they were', async () => {
      const ts = await fresh();
      const db = open(ts);
      try {
        await migrate(db, loadMigrations(kind).filter((m) => m.version < 15));
        // The layout before: next_attempt_at and lease_token on the wide row.
        const old = (id: string, status: string, next: number | null, lease: string | null, fifo: number, pull: number, digest: string | null) =>
          db.run(
            `INSERT INTO deliveries (id, org_id, webhook_id, event_id, status, attempts, next_attempt_at, lease_token, is_test, created_at, updated_at, digest_id, fifo, pull)
             VALUES (?, 'o', 'wh_1', 'evt_1', ?, 0, ?, ?, 0, 1, 1, ?, ?, ?)`,
            [id, status, next, lease, digest, fifo, pull],
          );
        await old('msg_a', 'pending', 100, null, 0, 0, null);
        await old('msg_b', 'pending', 200, 'tok', 0, 1, null);
        await old('msg_c', 'pending', null, null, 1, 0, null);
        await old('msg_d', 'succeeded', null, null, 0, 0, null);
        await old('msg_e', 'batched', null, null, 0, 0, null);
        await old('msg_f', 'batched', null, null, 0, 0, 'msg_x');
        await migrate(db);
        const queue = await db.all<Record<string, unknown>>('SELECT * FROM delivery_queue ORDER BY delivery_id');
        assert.deepEqual(queue.map((r) => [r.delivery_id, r.webhook_id, r.next_attempt_at === null ? null : Number(r.next_attempt_at), r.lease_token, Number(r.pull), Number(r.fifo)]), [
          ['msg_a', 'wh_1', 100, null, 0, 0],
          ['msg_b', 'wh_1', 200, 'tok', 1, 0],
          ['msg_c', 'wh_1', null, null, 0, 1],
        ]);
        const waiting = await db.all<{ id: string }>('SELECT id FROM deliveries WHERE digest_waiting = 1');
        assert.deepEqual(waiting.map((r) => r.id), ['msg_e'], 'only the member without a digest waits');
        await assert.rejects(db.get('SELECT next_attempt_at FROM deliveries'), 'the wide row no longer carries the pending state');
      } finally {
        await db.close();
      }
    });

    test('a shipped file that differs from the applied one stops the start, naming the file', async () => {
      const ts = await fresh();
      const store = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
      await store.db.run(`UPDATE herald_migrations SET checksum = 'edited' WHERE version = 3`);
      await store.close();
      const name = loadMigrations(kind).find((m) => m.version === 3)?.name ?? '';
      await assert.rejects(openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'HERALD_MIGRATION_CHANGED');
        assert.ok(err.message.includes(name) && !err.message.includes('\n'), err.message);
        return true;
      });
      // The failed start let go of everything it held (SQLite: the data directory's lock).
      const db = open(ts);
      await db.run('UPDATE herald_migrations SET checksum = NULL WHERE version = 3');
      await db.close();
      const again = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
      await again.close();
    });
  });
}

test('docs/errors.md documents every error that stops Herald at start', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  for (const code of STORE_START_ERROR_CODES) assert.ok(doc.includes(`| \`${code}\` |`), `${code} missing from docs/errors.md`);
});
