import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { planFanOut } from '../src/engine/fan-out.js';
import { newId } from '../src/ids.js';
import type { Attempt } from '../src/model.js';
import { insertOrg } from '../src/store/queries/orgs.js';
import { insertWebhook } from '../src/store/queries/webhooks.js';
import { openStore, type Store } from '../src/store/store.js';
import type { DeliveryResult, NewEvent } from '../src/store/types.js';
import { freshStore, STORE_KINDS, type TestStore } from './helpers/stores.js';

function event(org: string, type: string, key: string | null = null, hash: string | null = null): NewEvent {
  const now = Date.now();
  return {
    id: newId('evt'), org_id: org, app_id: null, type, entity_type: 'thing', entity_id: null, entity: '{"a":1}',
    modified_fields: [], event_time: now, idempotency_key: key, request_hash: hash, created_at: now,
  };
}

function attemptFor(deliveryId: string, webhookId: string, outcome: 'success' | 'failure'): Attempt {
  return {
    id: newId('att'), delivery_id: deliveryId, webhook_id: webhookId, org_id: 'o', attempt: 1, started_at: Date.now(),
    duration_ms: 3, outcome, status_code: outcome === 'success' ? 200 : 500, error_code: outcome === 'success' ? null : 'status',
    error_message: null, request_headers: { a: 'b' }, response_headers: {}, response_body: 'ok', response_truncated: false, is_test: false,
  };
}

for (const kind of STORE_KINDS) {
  describe(`store contract (${kind})`, () => {
    let ts: TestStore;
    let store: Store;
    const webhookId = 'wh_contract';

    before(async () => {
      ts = await freshStore(kind);
      store = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
      const now = Date.now();
      await insertOrg(store.db, { id: 'o', name: 'O', owner_email: 'o@o.test', settings: {}, created_at: now, updated_at: now });
      await insertWebhook(store.db, {
        id: webhookId, org_id: 'o', url: 'http://127.0.0.1:1/', description: '', events: ['a.b'], apps: null, state: 'enabled',
        state_reason: null, preset: 'standard', signature: { scheme: 'standard' }, policy: {}, filter: null, payload_mode: 'envelope',
        delivery: { mode: 'immediate' }, next_digest_at: null, alert_emails: [], metadata: {}, created_by: null, modified_by: null, revision: 1, created_at: now, updated_at: now,
        last_triggered_at: null, last_success_at: null, last_failure_at: null, consecutive_failures: 0, failures_total: 0, successes_total: 0,
      });
    });
    after(async () => {
      await store.close();
      await ts.cleanup();
    });

    test('ingest fans out to subscribers and stores nothing for unsubscribed types', async () => {
      const [r1, r2] = await store.hot.ingest([[event('o', 'a.b')], [event('o', 'x.y')]], planFanOut);
      assert.deepEqual(r1?.ok && r1.events.map((e) => e.deliveries), [1]);
      assert.deepEqual(r2?.ok && r2.events.map((e) => e.deliveries), [0]);
    });

    test('idempotency: same key and body replays, a different body conflicts, groups are all or nothing', async () => {
      const first = await store.hot.ingest([[event('o', 'a.b', 'k1', 'h1')]], planFanOut);
      assert.ok(first[0]?.ok);
      const firstId = first[0].ok ? first[0].events[0]!.event_id : '';
      const again = await store.hot.ingest([[event('o', 'a.b', 'k1', 'h1')]], planFanOut);
      assert.ok(again[0]?.ok && again[0].events[0]!.replayed && again[0].events[0]!.event_id === firstId);
      const before = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM events');
      const conflict = await store.hot.ingest([[event('o', 'a.b', 'fresh', 'h'), event('o', 'a.b', 'k1', 'other')]], planFanOut);
      assert.deepEqual(conflict[0], { ok: false, conflict: 'k1' });
      const afterCount = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM events');
      assert.equal(Number(afterCount?.n), Number(before?.n), 'a conflicting group stores none of its events');
    });

    test('claim leases due deliveries once; a second claim gets none until the lease runs out', async () => {
      await store.db.run(`UPDATE deliveries SET status = 'succeeded'`);
      await store.hot.ingest([[event('o', 'a.b'), event('o', 'a.b'), event('o', 'a.b')]], planFanOut);
      const now = Date.now();
      const a = await store.hot.claim(10, now, 60_000, 'tok-a');
      assert.equal(a.length, 3);
      assert.ok(a.every((d) => d.lease_token === 'tok-a' && d.webhook_revision === 1 && d.webhook_state === 'enabled'));
      assert.equal(a[0]!.entity, '{"a":1}');
      assert.equal((await store.hot.claim(10, now, 60_000, 'tok-b')).length, 0);
      // After the lease expires, another worker takes them: crash recovery.
      const b = await store.hot.claim(10, now + 61_000, 60_000, 'tok-b');
      assert.equal(b.length, 3);
    });

    test('fencing: a worker whose lease passed to another cannot overwrite the result', async () => {
      const rows = await store.db.all<{ id: string }>(`SELECT id FROM deliveries WHERE status = 'pending' ORDER BY id`);
      const stale: DeliveryResult = {
        delivery_id: rows[0]!.id, webhook_id: webhookId, lease_token: 'tok-a', status: 'failed', next_attempt_at: null,
        attempt: attemptFor(rows[0]!.id, webhookId, 'failure'),
      };
      const current: DeliveryResult = {
        delivery_id: rows[0]!.id, webhook_id: webhookId, lease_token: 'tok-b', status: 'succeeded', next_attempt_at: null,
        attempt: attemptFor(rows[0]!.id, webhookId, 'success'),
      };
      const r1 = await store.hot.complete([stale], Date.now());
      assert.deepEqual(r1.fenced, [rows[0]!.id]);
      const r2 = await store.hot.complete([current], Date.now());
      assert.equal(r2.applied, 1);
      const d = await store.db.get<{ status: string; attempts: number }>('SELECT status, attempts FROM deliveries WHERE id = ?', [rows[0]!.id]);
      assert.equal(d?.status, 'succeeded');
      assert.equal(Number(d?.attempts), 1);
      const attempts = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM attempts WHERE delivery_id = ?', [rows[0]!.id]);
      assert.equal(Number(attempts?.n), 2, 'both attempts happened and both are in the log');
      const w = await store.db.get<{ successes_total: number; failures_total: number; consecutive_failures: number }>(
        'SELECT successes_total, failures_total, consecutive_failures FROM webhooks WHERE id = ?', [webhookId]);
      assert.equal(Number(w?.successes_total), 1);
      assert.equal(Number(w?.consecutive_failures), 0);
    });

    test('renew extends a lease; release makes deliveries due at once; nextDueAt sees both', async () => {
      await store.db.run(`UPDATE deliveries SET status = 'succeeded'`);
      await store.hot.ingest([[event('o', 'a.b')]], planFanOut);
      const now = Date.now();
      const [d] = await store.hot.claim(1, now, 1000, 'tok-r');
      assert.ok(d);
      await store.hot.renew(['tok-r'], now + 50_000);
      assert.equal(await store.hot.nextDueAt(), now + 50_000);
      assert.equal((await store.hot.claim(1, now + 2000, 1000, 'tok-x')).length, 0, 'renewed lease still held');
      await store.hot.release(['tok-r'], now);
      assert.equal(await store.hot.nextDueAt(), now);
      const again = await store.hot.claim(1, now, 1000, 'tok-y');
      assert.equal(again[0]?.id, d.id);
    });

    test('a retry scheduled for later is not claimed before its time', async () => {
      const [d] = await store.hot.claim(1, Date.now() + 5000, 1000, 'tok-z');
      if (d) {
        const at = Date.now() + 100_000;
        await store.hot.complete([{ delivery_id: d.id, webhook_id: webhookId, lease_token: 'tok-z', status: 'pending', next_attempt_at: at, attempt: attemptFor(d.id, webhookId, 'failure') }], Date.now());
        assert.equal((await store.hot.claim(10, at - 1, 1000, 't1')).length, 0);
        assert.equal((await store.hot.claim(10, at, 1000, 't2')).length, 1);
      } else {
        assert.fail('expected a pending delivery to claim');
      }
    });
  });
}
