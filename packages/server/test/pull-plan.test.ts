import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANY_DUE_SQL, CLAIM_WEBHOOKS_SQL } from '../src/store/queries/fair-claim.js';
import { fifoInOrder } from '../src/store/queries/fifo.js';
import { OF_WEBHOOK } from '../src/store/queries/pending.js';
import { PULL_DUE_SQL } from '../src/store/queries/pull.js';
import { indexedPlan } from './helpers/query-plan.js';
import { STORE_KINDS, suiteStore } from './helpers/stores.js';

/**
 * Pending work lives in delivery_queue (migration 000015), and the pull mark keeps both queues
 * on their own part of its indexes: the worker's claim steps read pull = 0 rows through
 * delivery_queue_due and delivery_queue_webhook (both lead with pull), a poll reads its
 * webhook's pull = 1 rows through delivery_queue_webhook, FIFO order has its own partial
 * index, leases are found by delivery id (the primary key), and none scans a table. Checked on the query plans of both stores
 * (PostgreSQL with sequential scans discouraged: the tables here are empty and a planner would
 * rightly scan them).
 */
// Either of the worker's two indexes serves these (on empty tables PostgreSQL may take either).
const WORKER_INDEXES = 'delivery_queue_due|delivery_queue_webhook';
// SQLite names a scanned table by its alias.
const QUEUE = '(?:delivery_queue|q|o)';
const PLANS = [
  {
    name: "the claim walk's step to the next webhook with work",
    sql: CLAIM_WEBHOOKS_SQL.split('\n').find((l) => l.includes('webhook_id > ? ORDER BY'))!.trim().replace(/^SELECT \(/, '').replace(/\), 1$/, ''),
    params: ['wh_a'],
    index: 'delivery_queue_webhook',
  },
  // Run at every look of the worker (one per finished request): a scan here halves throughput.
  { name: "the worker's probe for due work", sql: ANY_DUE_SQL, params: [Date.now()], index: WORKER_INDEXES },
  { name: "the worker's next due time", sql: `SELECT min(next_attempt_at) AS t FROM delivery_queue WHERE pull = 0`, params: [], index: WORKER_INDEXES },
  { name: "a poll webhook's due deliveries", sql: PULL_DUE_SQL, params: ['wh_a', Date.now(), 10], index: 'delivery_queue_webhook' },
  {
    name: "a poll webhook's next due time",
    sql: `SELECT min(next_attempt_at) AS t FROM delivery_queue WHERE pull = 1 AND webhook_id = ?`,
    params: ['wh_a'],
    index: 'delivery_queue_webhook',
  },
  {
    name: 'the fifo order test of every claimed fifo delivery',
    sql: `SELECT 1 FROM delivery_queue q WHERE q.delivery_id = ? AND ${fifoInOrder('q')}`,
    params: ['msg_a'],
    index: 'delivery_queue_fifo',
  },
  {
    name: 'renewing or releasing leases (by delivery id, fenced by token)',
    sql: 'SELECT delivery_id FROM delivery_queue WHERE delivery_id IN (?, ?) AND lease_token IN (?)',
    params: ['msg_a', 'msg_b', 'tok'],
    // SQLite names a primary key that is not an integer by its automatic index.
    index: 'delivery_queue_pkey|sqlite_autoindex_delivery_queue_1',
  },
  { name: "a webhook's pending deliveries (cancel, pull switch)", sql: `SELECT delivery_id FROM delivery_queue WHERE ${OF_WEBHOOK}`, params: ['wh_a'], index: 'delivery_queue_webhook' },
];

for (const kind of STORE_KINDS) {
  describe(`the pending-work table's pull and push queues keep to their indexes (${kind})`, () => {
    const store = suiteStore(kind);

    for (const p of PLANS) {
      test(`${p.name}: ${p.index}, no table scan`, async () => {
        const plan = await indexedPlan(store(), QUEUE, p.sql, p.params);
        assert.match(plan, new RegExp(p.index), `uses ${p.index}:\n${plan}`);
      });
    }
  });
}
