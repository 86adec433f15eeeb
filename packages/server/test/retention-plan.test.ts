import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idAt, PURGE_SQL } from '../src/store/queries/retention.js';
import { indexedPlan } from './helpers/query-plan.js';
import { STORE_KINDS, suiteStore } from './helpers/stores.js';

/**
 * Retention purges attempts, finished deliveries and events without scanning their tables:
 * each purge is a range of an (org_id, id) index, since ids start with their creation time;
 * attempts are reached through their deliveries (the org's old ones, then each one's range of
 * the attempts key (delivery_id, id): migration 000016), and a delivery's log reads that key too.
 * Checked on the query plans of the very statements retention runs (PURGE_SQL), on both stores
 * (PostgreSQL with sequential scans discouraged, as the tables here are empty and a planner
 * would rightly scan them).
 */
const now = Date.now();
// SQLite names a primary key that is not an integer by its automatic index.
const ATTEMPTS_KEY = 'attempts_pkey|sqlite_autoindex_attempts_1';
const PLANS = [
  { name: 'attempts, step 1: the old deliveries walked', table: 'deliveries', index: 'deliveries_org', sql: PURGE_SQL.oldDeliveries, params: ['acme', '', idAt('msg', now), 2000] },
  { name: 'attempts, step 2: their old attempts deleted', table: 'attempts', index: ATTEMPTS_KEY, sql: PURGE_SQL.attemptsOf(2), params: ['msg_a', 'msg_b', idAt('att', now)] },
  { name: "a delivery's log", table: 'attempts', index: ATTEMPTS_KEY, sql: 'SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id', params: ['msg_a'] },
  { name: 'deliveries deleted', table: 'deliveries', index: 'deliveries_org', sql: PURGE_SQL.deliveries, params: ['acme', idAt('msg', now), now, 2000] },
  // Whether a delivery still refers to the event: deliveries_event, not a scan of deliveries.
  { name: 'events deleted', table: 'events', index: 'events_org', also: { table: 'deliveries', index: 'deliveries_event' }, sql: PURGE_SQL.events, params: ['acme', idAt('evt', now), 2000] },
];

for (const kind of STORE_KINDS) {
  describe(`retention's purge plans (${kind})`, () => {
    const store = suiteStore(kind);

    for (const p of PLANS) {
      test(`${p.name}: an index range, not a table scan`, async () => {
        const plan = await indexedPlan(store(), p.table, p.sql, p.params);
        assert.match(plan, new RegExp(p.index), `uses ${p.index}:\n${plan}`);
        const also = 'also' in p ? p.also : undefined;
        if (also) {
          await indexedPlan(store(), also.table, p.sql, p.params);
          assert.match(plan, new RegExp(also.index), `uses ${also.index}:\n${plan}`);
        }
      });
    }
  });
}
