/**
 * Changing or deleting a webhook while a worker's completion holds its pending deliveries must
 * not deadlock on PostgreSQL: both take rows in the order a completion does (pending-work rows,
 * deliveries, then the webhook's row, which a completion updates for its stats). A second
 * connection plays the completion: it holds a pending-work row, lets the change start, then
 * updates the webhook's row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { eventually, TestHerald } from './helpers/herald.js';

describe('changing or deleting a webhook beside a completion (postgres)', () => {
  let h: TestHerald;
  before(async () => {
    // No worker: the delivery stays pending for the test's own "completion" to hold.
    h = await TestHerald.start('postgres', { role: 'api' });
  });
  after(async () => {
    await h.stop();
  });

  /** Holds the webhook's one pending-work row as a completion would, runs `change`, then updates the webhook's row. */
  async function besideACompletion(webhookId: string, change: () => Promise<{ status: number; body: unknown }>): Promise<{ status: number; body: unknown }> {
    const completion = new pg.Client({ connectionString: h.store.databaseUrl });
    await completion.connect();
    try {
      await completion.query(`SET lock_timeout = '5s'`);
      await completion.query('BEGIN');
      const held = await completion.query('SELECT delivery_id FROM delivery_queue WHERE webhook_id = $1 FOR UPDATE', [webhookId]);
      assert.equal(held.rowCount, 1);
      const changing = change();
      // Until the change waits for the row we hold (whichever order it takes its locks in).
      await eventually(async () => {
        // Inside a transaction the activity view is read once unless its snapshot is cleared.
        await completion.query('SELECT pg_stat_clear_snapshot()');
        const waiting = await completion.query(
          `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()
             AND datname = current_database() AND query ILIKE '%delivery_queue%'`,
        );
        if (process.env.DEBUG_LOCKS) console.log(JSON.stringify((await completion.query(`SELECT pid, datname, wait_event_type, wait_event, state, left(query, 80) AS q FROM pg_stat_activity WHERE state <> 'idle'`)).rows));
        return (waiting.rowCount ?? 0) > 0;
      }, 5000, 10);
      // What a completion does next: the webhook's stats (its row). A change that holds that
      // row while it waits for ours is a deadlock: PostgreSQL aborts one of the two after a second.
      await completion.query('UPDATE webhooks SET updated_at = updated_at WHERE id = $1', [webhookId]);
      await completion.query('COMMIT');
      return await changing;
    } finally {
      await completion.end();
    }
  }

  test('leaving fifo (its waiting deliveries released) waits for the pending-work row, then both commit', async () => {
    const w = await h.setup('http://127.0.0.1:9/never', ['fifo.left'], { policy: { ordering: 'fifo' } });
    assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'fifo.left', entity: { id: 1 } })).status, 202);
    const res = await besideACompletion(w.id, () => h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { policy: { ordering: 'any' } }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as { policy: { ordering: string } }).policy.ordering, 'any');
  });

  test('the delete waits for the pending-work row, then both commit (no deadlock, no 500)', async () => {
    const w = await h.setup('http://127.0.0.1:9/never');
    assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'conversation.created', entity: { id: 1 } })).status, 202);
    const res = await besideACompletion(w.id, () => h.api('DELETE', `/orgs/acme/webhooks/${w.id}`));
    assert.equal(res.status, 204, JSON.stringify(res.body));
    const rows = await h.herald.store.db.all<{ status: string }>('SELECT status FROM deliveries WHERE webhook_id = ?', [w.id]);
    assert.deepEqual(rows.map((r) => r.status), ['cancelled']);
    assert.equal((await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).status, 404);
  });
});
