import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ANY_DUE_SQL, CLAIM_WEBHOOKS_SQL } from '../src/store/queries/fair-claim.js';
import { PULL_DUE_SQL } from '../src/store/queries/pull.js';
import { openStore, type Store } from '../src/store/store.js';
import { indexedPlan } from './helpers/query-plan.js';
import { freshStore, STORE_KINDS, type TestStore } from './helpers/stores.js';

/**
 * The pull mark keeps both queues on their own indexes (migration 000014): the worker's claim
 * steps read pull = 0 rows through deliveries_due and deliveries_pending_webhook, a poll reads
 * its webhook's pull = 1 rows through deliveries_pull_due, and none scans the table. Checked on
 * the query plans of both stores (PostgreSQL with sequential scans discouraged: the tables
 * here are empty and a planner would rightly scan them).
 */
// Either of the worker's two indexes holds exactly its rows (on empty tables PostgreSQL may take either).
const WORKER_INDEXES = 'deliveries_due|deliveries_pending_webhook';
const PLANS = [
  {
    name: "the claim walk's step to the next webhook with work",
    sql: CLAIM_WEBHOOKS_SQL.split('\n').find((l) => l.includes('webhook_id > ? ORDER BY'))!.trim().replace(/^SELECT \(/, '').replace(/\), 1$/, ''),
    params: ['wh_a'],
    index: WORKER_INDEXES,
  },
  // Run at every look of the worker (one per finished request): a scan here halves throughput.
  { name: "the worker's probe for due work", sql: ANY_DUE_SQL, params: [Date.now()], index: WORKER_INDEXES },
  { name: "the worker's next due time", sql: `SELECT min(next_attempt_at) AS t FROM deliveries WHERE status = 'pending' AND pull = 0`, params: [], index: WORKER_INDEXES },
  { name: "a poll webhook's due deliveries", sql: PULL_DUE_SQL, params: ['wh_a', Date.now(), 10], index: 'deliveries_pull_due' },
  {
    name: "a poll webhook's next due time",
    sql: `SELECT min(next_attempt_at) AS t FROM deliveries WHERE webhook_id = ? AND status = 'pending' AND pull = 1`,
    params: ['wh_a'],
    index: 'deliveries_pull_due',
  },
];

for (const kind of STORE_KINDS) {
  describe(`pull and push queues keep to their indexes (${kind})`, () => {
    let ts: TestStore;
    let store: Store;
    before(async () => {
      ts = await freshStore(kind);
      store = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
    });
    after(async () => {
      await store.close();
      await ts.cleanup();
    });

    for (const p of PLANS) {
      test(`${p.name}: ${p.index}, no table scan`, async () => {
        const plan = await indexedPlan(store, 'deliveries', p.sql, p.params);
        assert.match(plan, new RegExp(p.index), `uses ${p.index}:\n${plan}`);
      });
    }
  });
}
