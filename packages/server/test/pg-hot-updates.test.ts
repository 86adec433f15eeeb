import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { planFanOut } from '../src/engine/fan-out.js';
import { insertOrg } from '../src/store/queries/orgs.js';
import { openStore } from '../src/store/store.js';
import { addWebhook, event, result } from './helpers/store-fixtures.js';
import { freshStore, PG_URL } from './helpers/stores.js';

/**
 * The PostgreSQL layout's promise (docs/deliveries.md, "Storage"; migration 000015): claims
 * and lease changes touch only the narrow delivery_queue row, and a completion's write of the
 * wide deliveries row is a HOT update (no new index entries), because no index of deliveries
 * names a column a completion changes. Both halves are checked: the index definitions, and
 * PostgreSQL's own count of HOT updates after real claims and completions.
 */
const COMPLETION_COLUMNS = ['status', 'attempts', 'updated_at', 'last_attempt_at', 'last_status_code', 'last_error'];

/** The completion columns an index definition names, in its key or its WHERE. */
const completionColumnsIn = (indexdef: string) => COMPLETION_COLUMNS.filter((c) => new RegExp(`\\b${c}\\b`).test(indexdef.replace(/^.*? ON /, '')));

test('the index check sees a completion column in a key and in a partial index predicate', () => {
  assert.deepEqual(completionColumnsIn('CREATE INDEX x ON s.deliveries USING btree (webhook_id, status)'), ['status']);
  assert.deepEqual(completionColumnsIn('CREATE INDEX x ON s.deliveries USING btree (webhook_id, id) WHERE (last_error IS NULL)'), ['last_error']);
  assert.deepEqual(completionColumnsIn('CREATE INDEX deliveries_digest_waiting ON s.deliveries USING btree (webhook_id, id) WHERE (digest_waiting = 1)'), []);
});

test('postgres: completions rewrite the wide deliveries row as HOT updates, and no index of it names a column they change', async () => {
  const ts = await freshStore('postgres');
  const schema = decodeURIComponent(ts.databaseUrl!).match(/search_path=(\w+)/)![1]!;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    const store = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
    const N = 300;
    try {
      const { rows: indexes } = await admin.query<{ indexname: string; indexdef: string }>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'deliveries'`, [schema]);
      assert.ok(indexes.length >= 4, `the deliveries indexes were read (${indexes.length})`);
      for (const { indexname, indexdef } of indexes) {
        const named = completionColumnsIn(indexdef);
        assert.deepEqual(named, [], `${indexname} names ${named.join(', ')}: a completion could no longer be a HOT update (${indexdef})`);
      }

      const now = Date.now();
      await insertOrg(store.db, { id: 'o', name: 'O', owner_email: 'o@o.test', settings: {}, created_at: now, updated_at: now });
      await addWebhook(store.db, 'wh_hot', ['hot.e']);
      await store.hot.ingest([Array.from({ length: N }, () => event('o', 'hot.e'))], planFanOut);
      // Claimed as of a moment after the whole ingest (its rows are due from their creation).
      const at = Date.now() + 1000;
      const claimed = await store.hot.claim(N, at, 60_000, 'hot-1');
      assert.equal(claimed.length, N);
      // A third succeed, a third are retried later, a third fail for good: every kind of completion.
      const results = claimed.map((d, i) =>
        i % 3 === 0 ? result(d, 'hot-1', 'succeeded')
          : i % 3 === 1 ? result(d, 'hot-1', 'pending', { next_attempt_at: at + 3_600_000 })
            : result(d, 'hot-1', 'failed'));
      for (let i = 0; i < N; i += 100) await store.hot.complete(results.slice(i, i + 100), at + 10);
    } finally {
      // A backend reports its table counters when it ends at the latest.
      await store.close();
    }
    const counts = async () => (await admin.query<{ upd: string; hot: string }>(
      `SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'deliveries'`, [schema])).rows[0];
    let c = await counts();
    for (let i = 0; i < 50 && Number(c?.upd ?? 0) < N; i++) {
      await new Promise((r) => setTimeout(r, 200));
      c = await counts();
    }
    assert.ok(Number(c!.upd) >= N, `PostgreSQL counted the completions' updates (${c!.upd})`);
    // A page whose room (fillfactor 50) is used up by earlier versions not yet pruned takes the
    // new version elsewhere: a few updates of a burst on one page are not HOT (289 of 300 measured).
    assert.ok(Number(c!.hot) >= 0.9 * Number(c!.upd), `at least 90 % of the wide row's updates were HOT (${c!.hot} of ${c!.upd})`);
  } finally {
    await admin.end();
    await ts.cleanup();
  }
});
