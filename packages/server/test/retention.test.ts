import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RetentionJob } from '../src/engine/retention.js';
import { idAt } from '../src/store/queries/retention.js';
import { newId } from '../src/ids.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

test('idAt sorts below every id made later and above every id made earlier', () => {
  const t = Date.UTC(2026, 0, 1);
  assert.ok(newId('att', t - 1) < idAt('att', t));
  assert.ok(newId('att', t) > idAt('att', t));
  assert.ok(newId('att', t + 1) > idAt('att', t));
});

for (const kind of STORE_KINDS) {
  describe(`retention purge (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      // The retention job is driven directly: the engine runs on this thread.
      h = await TestHerald.start(kind, { threads: 'single' });
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });
    const count = async (table: string, org: string) =>
      Number((await h.herald.store.db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE org_id = ?`, [org]))?.n);

    test('removes attempts, finished deliveries and their events past each org\'s retention, in batches, and keeps the rest', async () => {
      await h.api('POST', '/orgs', { id: 'short', name: 'Short', owner_email: 's@s.test', settings: { retention_days: 1 } });
      await h.api('POST', '/orgs', { id: 'long', name: 'Long', owner_email: 'l@l.test' });
      rx.respond((r, res) => {
        res.statusCode = r.path === '/fail' ? 500 : 200;
        res.end();
      });
      for (const org of ['short', 'long']) {
        await h.api('POST', `/orgs/${org}/webhooks`, { url: rx.url('/ok'), events: ['a.b'] });
      }
      const failing = (await h.api('POST', '/orgs/short/webhooks', { url: rx.url('/fail'), events: ['a.c'], policy: { retry_schedule: ['1h'] } })).body;
      const batch = Array.from({ length: 25 }, (_, i) => ({ event: 'a.b', entity: { i } }));
      for (const org of ['short', 'long']) assert.equal((await h.api('POST', `/orgs/${org}/events/batch`, { events: batch })).status, 202);
      await h.api('POST', '/orgs/short/events', { event: 'a.c', entity: {} });
      await eventually(async () => (await count('attempts', 'short')) === 26 && (await count('attempts', 'long')) === 25);
      const pendingBefore = (await h.api('GET', `/orgs/short/webhooks/${failing.id}/deliveries`)).body.data[0];
      assert.equal(pendingBefore.status, 'pending', 'waits an hour for its retry');

      for (const [id, status] of [['mail_sent', 'sent'], ['mail_waiting', 'pending']]) {
        await h.herald.store.db.run(
          `INSERT INTO mail_outbox (id, org_id, webhook_id, kind, recipients, subject, text, status, created_at) VALUES (?, 'short', ?, 'warning', '[]', 's', 't', ?, ?)`,
          [id, failing.id, status, Date.now()],
        );
      }
      // Two days later for "short" (1 day kept); "long" keeps its default 60 days.
      const job = h.herald.retention!;
      const later = Date.now() + 2 * 24 * 3600 * 1000;
      const counts = await job.runOnce(later);
      assert.deepEqual(counts, { attempts: 26, deliveries: 25, events: 25, alert_records: 1, idempotency_keys: 0 }, 'sent mail goes, mail still to send stays');
      assert.equal(await count('attempts', 'short'), 0);
      assert.equal(await count('deliveries', 'short'), 1, 'the pending delivery stays');
      assert.equal(await count('events', 'short'), 1, 'its event stays');
      assert.equal(await count('attempts', 'long'), 25);
      assert.equal(await count('deliveries', 'long'), 25);
      assert.equal((await h.api('GET', `/orgs/short/deliveries/${pendingBefore.id}`)).status, 200);
      assert.deepEqual(await job.runOnce(later), { attempts: 0, deliveries: 0, events: 0, alert_records: 0, idempotency_keys: 0 }, 'a second pass finds nothing');
      // In batches of 7 rows: several short statements, the same result.
      const small = new RetentionJob({ store: h.herald.store, log: h.herald.log, clockScale: 1, batch: 7 });
      const all = await small.runOnce(Date.now() + 61 * 24 * 3600 * 1000);
      assert.deepEqual(all, { attempts: 25, deliveries: 25, events: 25, alert_records: 0, idempotency_keys: 0 });
      assert.equal(await count('deliveries', 'long'), 0);
    });
  });
}
