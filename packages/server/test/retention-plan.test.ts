import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idAt } from '../src/store/queries/retention.js';
import { indexedPlan } from './helpers/query-plan.js';
import { STORE_KINDS, suiteStore } from './helpers/stores.js';

/**
 * Retention purges attempts, finished deliveries and events without scanning their tables:
 * each purge is a range of an (org_id, id) index, since ids start with their creation time.
 * Checked on the query plans of both stores (PostgreSQL with sequential scans discouraged, as
 * the tables here are empty and a planner would rightly scan them).
 */
const PURGES = [
  { table: 'attempts', index: 'attempts_org', sql: 'SELECT id FROM attempts WHERE org_id = ? AND id < ? LIMIT ?', prefix: 'att' as const },
  { table: 'deliveries', index: 'deliveries_org', sql: 'SELECT id FROM deliveries d WHERE d.org_id = ? AND d.id < ? LIMIT ?', prefix: 'msg' as const },
  { table: 'events', index: 'events_org', sql: 'SELECT id FROM events e WHERE e.org_id = ? AND e.id < ? LIMIT ?', prefix: 'evt' as const },
];

for (const kind of STORE_KINDS) {
  describe(`retention's purge plans (${kind})`, () => {
    const store = suiteStore(kind);

    for (const p of PURGES) {
      test(`${p.table}: an index range, not a table scan`, async () => {
        const params = ['acme', idAt(p.prefix, Date.now()), 2000];
        const plan = await indexedPlan(store(), p.table, p.sql, params);
        assert.match(plan, new RegExp(p.index), `uses ${p.index}:\n${plan}`);
      });
    }
  });
}
