import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';

/**
 * The query plan of `sql` on either store, checked to scan no table of `table`: SQLite's
 * EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN with sequential scans discouraged (test tables are
 * empty, and a planner would rightly scan them; the point is that an index serves the query).
 */
export async function indexedPlan(store: Store, table: string, sql: string, params: readonly unknown[]): Promise<string> {
  let plan: string;
  if (store.dialect === 'sqlite') {
    plan = (await store.db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => r.detail).join('\n');
    assert.doesNotMatch(plan, new RegExp(`^SCAN ${table}\\b`, 'm'), plan);
  } else {
    plan = await store.db.transaction(async (tx) => {
      await tx.run('SET LOCAL enable_seqscan = off');
      return (await tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).map((r) => r['QUERY PLAN']).join('\n');
    });
    assert.doesNotMatch(plan, /Seq Scan/, plan);
  }
  return plan;
}
