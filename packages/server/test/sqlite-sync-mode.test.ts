import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SqliteDatabase } from '../src/store/sqlite/database.js';

/**
 * SQLite's `synchronous` setting per write (store/sqlite/database.ts): the hot path's relaxed
 * transactions leave the connection NORMAL (no fsync per commit), and every other write
 * outside a transaction, and every transaction, runs FULL again (durable before it answers).
 */
let dir: string;
let db: SqliteDatabase;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'herald-sync-'));
  db = new SqliteDatabase(join(dir, 'herald.sqlite'));
});
after(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What SQLite itself says: 1 NORMAL, 2 FULL. */
const pragma = () => db.raw.pragma('synchronous', { simple: true });

test('a relaxed write leaves the connection NORMAL; the next write outside it, or a transaction, is FULL again', async () => {
  await db.run('CREATE TABLE t (n INTEGER)');
  assert.equal(pragma(), 2);
  db.relaxed(() => db.raw.prepare('INSERT INTO t VALUES (1)').run());
  assert.deepEqual([db.synchronous, pragma()], ['normal', 1]);
  // Reads change nothing.
  assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM t'))?.n, 1);
  assert.equal(pragma(), 1);
  // A write through the executor is FULL again, whether run, get or all carries it.
  await db.run('INSERT INTO t VALUES (2)');
  assert.deepEqual([db.synchronous, pragma()], ['full', 2]);
  db.relaxed(() => undefined);
  assert.equal(pragma(), 1);
  assert.equal((await db.all<{ n: number }>('INSERT INTO t VALUES (3) RETURNING n'))[0]?.n, 3);
  assert.equal(pragma(), 2);
  // A transaction runs FULL from its start.
  db.relaxed(() => undefined);
  await db.transaction(async (tx) => {
    assert.equal(pragma(), 2);
    await tx.run('INSERT INTO t VALUES (4)');
  });
  assert.equal(pragma(), 2);
  // durable(): relaxed, then its own fsync of the WAL before it resolves.
  const n = await db.durable(() => db.raw.prepare('INSERT INTO t VALUES (5)').run().changes);
  assert.deepEqual([n, pragma()], [1, 1]);
  assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM t'))?.n, 5);
});
