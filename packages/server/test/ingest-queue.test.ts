import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planFanOut } from '../src/engine/fan-out.js';
import { IngestQueue } from '../src/engine/ingest-queue.js';
import { newId } from '../src/ids.js';
import { openStore, type Store } from '../src/store/store.js';
import type { NewEvent } from '../src/store/types.js';
import { freshStore, STORE_KINDS } from './helpers/stores.js';

/**
 * Group commit on a real store. The store is wrapped only to watch its ingest calls: how many
 * transactions ran and how many overlapped.
 */
function watched(store: Store) {
  const seen = { calls: 0, running: 0, maxRunning: 0, sizes: [] as number[] };
  const hot = Object.create(store.hot) as Store['hot'];
  hot.ingest = async (groups, plan) => {
    seen.calls++;
    seen.running++;
    seen.maxRunning = Math.max(seen.maxRunning, seen.running);
    seen.sizes.push(groups.reduce((n, g) => n + g.length, 0));
    try {
      return await store.hot.ingest(groups, plan);
    } finally {
      seen.running--;
    }
  };
  return { store: { ...store, hot } as Store, seen };
}

let seq = 0;
const event = (): NewEvent => ({
  id: newId('evt'), org_id: 'o', app_id: null, type: 't.e', entity_type: 't', entity_id: String(seq), entity: JSON.stringify({ i: seq++ }),
  modified_fields: [], event_time: Date.now(), idempotency_key: null, request_hash: 'h', created_at: Date.now(),
});

for (const kind of STORE_KINDS) {
  test(`group commit (${kind}): single events arriving during a commit ${kind === 'postgres' ? 'wait and share the next transaction' : 'start beside it'}; large groups overlap`, async () => {
    const s = await freshStore(kind);
    const store = await openStore({ dataDir: s.dataDir, databaseUrl: s.databaseUrl });
    try {
      const now = Date.now();
      await store.db.run('INSERT INTO orgs (id, name, owner_email, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', ['o', 'o', 'o@o.test', '{}', now, now]);
      const { store: w, seen } = watched(store);
      const queue = new IngestQueue(w, planFanOut);

      // One event starts a commit; 20 more arrive one by one while it runs.
      const first = queue.submit([event()]);
      await new Promise((r) => setImmediate(r));
      assert.equal(seen.calls, 1, 'the first commit is under way');
      const rest: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        rest.push(queue.submit([event()]));
        await new Promise((r) => setImmediate(r));
      }
      const results = await Promise.all([first, ...rest]);
      assert.ok(results.every((r) => (r as { ok: boolean }).ok), 'every event acknowledged');
      if (kind === 'postgres') {
        assert.equal(seen.maxRunning, 1, 'small groups never overlap a running commit');
        assert.ok(seen.calls < 21, `21 events took ${seen.calls} transactions`);
      } else {
        assert.ok(seen.maxRunning > 1, 'on SQLite the next commit proceeds while the previous one syncs');
      }
      assert.equal(seen.sizes.reduce((a, b) => a + b, 0), 21);

      // Large groups still overlap on both stores (batch ingest keeps several commits going).
      seen.maxRunning = 0;
      const big = () => Array.from({ length: 200 }, event);
      const batches = await Promise.all([queue.submit(big()), (async () => {
        await new Promise((r) => setImmediate(r));
        return queue.submit(big());
      })()]);
      assert.ok(batches.every((r) => r.ok));
      assert.equal(seen.maxRunning, 2, 'a group of 200 starts beside the running one');
      const n = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM events');
      assert.equal(Number(n?.n), 421);
    } finally {
      await store.close();
      await s.cleanup();
    }
  });
}
