import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planFanOut } from '../src/engine/fan-out.js';
import { newId } from '../src/ids.js';
import { openStore } from '../src/store/store.js';
import { ThreadedSqliteHotPath } from '../src/store/sqlite/hot-path-thread.js';
import type { NewEvent } from '../src/store/types.js';

/** The same work through the store thread and through the event loop's own connection. */
for (const sqliteThread of [true, false]) {
  test(`SQLite hot path ${sqliteThread ? 'on the store thread' : 'on the event loop'}: ingest, claim, complete, next due`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-thread-'));
    const store = await openStore({ dataDir: dir, sqliteThread });
    try {
      assert.equal(store.hot instanceof ThreadedSqliteHotPath, sqliteThread);
      const now = Date.now();
      await store.db.run('INSERT INTO orgs (id, name, owner_email, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', ['o', 'o', 'o@o.test', '{}', now, now]);
      const wh = newId('wh');
      await store.db.run(
        `INSERT INTO webhooks (id, org_id, url, events, state, preset, signature, policy, created_at, updated_at)
         VALUES (?, 'o', 'http://127.0.0.1:9/', '["t.e"]', 'enabled', 'standard', '{"scheme":"standard"}', '{}', ?, ?)`, [wh, now, now]);
      await store.db.run(`INSERT INTO webhook_subscriptions (org_id, event_type, webhook_id) VALUES ('o', 't.e', ?)`, [wh]);
      const event = (i: number): NewEvent => ({
        id: newId('evt'), org_id: 'o', app_id: null, type: 't.e', entity_type: 't', entity_id: String(i), entity: JSON.stringify({ i }),
        modified_fields: [], event_time: now, idempotency_key: `k${i}`, request_hash: 'h', created_at: Date.now(),
      });
      const [stored] = await store.hot.ingest([[event(1), event(2)]], planFanOut);
      assert.deepEqual(stored!.ok && stored!.events.map((e) => e.deliveries), [1, 1]);
      const rows = await store.hot.claim(10, Date.now(), 30_000, 'tok');
      assert.equal(rows.length, 2);
      assert.equal(rows[0]!.is_test, false);
      assert.deepEqual(rows.map((r) => JSON.parse(r.entity).i).sort(), [1, 2]);
      const leasedUntil = await store.hot.nextDueAt();
      assert.ok(leasedUntil !== null && leasedUntil >= now + 29_000, 'claimed deliveries are due again when their lease ends');
      const report = await store.hot.complete(rows.map((r) => ({ delivery_id: r.id, webhook_id: r.webhook_id, lease_token: 'tok', status: 'cancelled', next_attempt_at: null, attempt: null })), Date.now());
      assert.deepEqual(report, { applied: 2, fenced: [] });
      const fenced = await store.hot.complete([{ delivery_id: rows[0]!.id, webhook_id: wh, lease_token: 'other', status: 'succeeded', next_attempt_at: null, attempt: null }], Date.now());
      assert.deepEqual(fenced.fenced, [rows[0]!.id], 'a stale token is fenced');
      assert.equal(await store.hot.nextDueAt(), null);
      // Both connections see the same file.
      assert.equal((await store.db.get<{ n: number }>(`SELECT count(*) AS n FROM deliveries WHERE status = 'cancelled'`))?.n, 2);
      if (sqliteThread) {
        await assert.rejects(store.hot.ingest([[event(3)]], (e, s) => planFanOut(e, s)), /planFanOut only/);
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('if the store thread dies, store calls fail and Herald reports itself unhealthy', async () => {
  const { TestHerald } = await import('./helpers/herald.js');
  const h = await TestHerald.start('sqlite');
  try {
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    const hot = h.herald.store.hot as ThreadedSqliteHotPath;
    await (hot as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await assert.rejects(hot.nextDueAt(), /store thread stopped/);
    assert.equal((await fetch(`${h.url}/healthz`)).status, 503, 'a supervisor restarts it');
  } finally {
    await h.stop();
  }
});
