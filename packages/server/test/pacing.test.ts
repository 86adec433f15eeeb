import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../src/background/clock.js';
import { WebhookGates } from '../src/engine/webhook-gate.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { ManualClock } from './helpers/manual-clock.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhook gates (unit)', () => {
  test('a concurrency cap starts the next only when one finishes', () => {
    const gates = new WebhookGates();
    const started: number[] = [];
    for (let i = 0; i < 5; i++) assert.equal(gates.submit('w', { maxInFlight: 2, ratePerSec: null }, () => started.push(i)).accepted, true);
    assert.deepEqual(started, [0, 1]);
    assert.equal(gates.waiting, 3);
    gates.done('w');
    assert.deepEqual(started, [0, 1, 2]);
    gates.done('w');
    gates.done('w');
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
  });

  test('a rate limit allows a burst of one second, then paces starts (on the clock it is given)', () => {
    const clock = new ManualClock();
    const gates = new WebhookGates(clock);
    const at: number[] = [];
    const t0 = clock.now();
    for (let i = 0; i < 7; i++) gates.submit('w', { maxInFlight: null, ratePerSec: 5 }, () => at.push(clock.now() - t0));
    assert.equal(at.length, 5, 'a burst of 5');
    clock.advance(199);
    assert.equal(at.length, 5, 'nothing before the next token');
    clock.advance(1);
    assert.deepEqual(at.slice(5), [200], '6th after 200 ms');
    clock.advance(200);
    assert.deepEqual(at.slice(5), [200, 400], 'then one per 200 ms');
    assert.deepEqual(clock.armed, [], 'no timer left once the queue is empty');
  });

  test('a full queue refuses with a time to come back', () => {
    const gates = new WebhookGates(systemClock, () => 3);
    const limits = { maxInFlight: 1, ratePerSec: null };
    for (let i = 0; i < 4; i++) assert.equal(gates.submit('w', limits, () => undefined).accepted, true);
    const refused = gates.submit('w', limits, () => undefined);
    assert.equal(refused.accepted, false);
    assert.ok(!refused.accepted && refused.retryInMs >= 250);
    gates.clear();
    assert.equal(gates.waiting, 0);
  });
});

for (const kind of STORE_KINDS) {
  describe(`per-webhook pace and FIFO order (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      h = await TestHerald.start(kind, { clockScale: 10, worker: { idleCheckMs: 200 } });
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });
    const ids = (path: string) => rx.posts.filter((p) => p.path === path).map((p) => JSON.parse(p.body).entity.i as number);

    test('max_in_flight caps concurrent requests and every delivery arrives', async () => {
      let now = 0;
      let peak = 0;
      rx.respond(async (r, res) => {
        if (r.path !== '/capped') return void res.end();
        peak = Math.max(peak, ++now);
        await sleep(60);
        now--;
        res.end();
      });
      await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/capped'), events: ['cap.test'], policy: { max_in_flight: 2 } });
      const events = Array.from({ length: 12 }, (_, i) => ({ event: 'cap.test', entity: { i } }));
      assert.equal((await h.api('POST', '/orgs/acme/events/batch', { events })).status, 202);
      await eventually(async () => ids('/capped').length === 12, 15_000);
      assert.equal(peak, 2, 'never more than 2 at once, and the cap was reached');
    });

    test('rate_limit paces request starts', async () => {
      rx.respond((_r, res) => void res.end());
      await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/paced'), events: ['rate.test'], policy: { rate_limit: 4 } });
      const events = Array.from({ length: 8 }, (_, i) => ({ event: 'rate.test', entity: { i } }));
      await h.api('POST', '/orgs/acme/events/batch', { events });
      await eventually(async () => ids('/paced').length === 8, 15_000);
      const at = rx.posts.filter((p) => p.path === '/paced').map((p) => p.at);
      assert.ok(at[7]! - at[0]! >= 700, `8 requests at 4/s after a burst of 4 take ~1 s, took ${at[7]! - at[0]!} ms`);
    });

    test('deliveries waiting for their pace are not sent once the webhook is deleted', async () => {
      rx.respond((_r, res) => void res.end());
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/deleted'), events: ['gone.test'], policy: { rate_limit: 1 } })).body;
      const events = Array.from({ length: 6 }, (_, i) => ({ event: 'gone.test', entity: { i } }));
      assert.equal((await h.api('POST', '/orgs/acme/events/batch', { events })).status, 202);
      // A burst of one, then one a second: the other five wait in the webhook's queue.
      await eventually(async () => ids('/deleted').length >= 1, 10_000, 10);
      assert.equal((await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`)).status, 204);
      const sentAtDelete = ids('/deleted').length;
      await sleep(3500);
      // At most one start could have been looked at just before the delete committed.
      assert.ok(ids('/deleted').length <= sentAtDelete + 1, `${ids('/deleted').length} sent, ${sentAtDelete} when deleted`);
      // The rest are cancelled (so is one whose request was under way at the delete: its result is fenced).
      const statuses = (await h.herald.store.db.all<{ status: string }>('SELECT status FROM deliveries WHERE webhook_id = ?', [w.id])).map((d) => d.status);
      assert.ok(statuses.filter((st) => st === 'cancelled').length >= 6 - ids('/deleted').length, statuses.join(', '));
      assert.deepEqual(statuses.filter((st) => st !== 'cancelled' && st !== 'succeeded'), []);
    });

    test('deliveries waiting for their pace go out with the settings of the moment they start', async () => {
      rx.respond((_r, res) => void res.end());
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/before'), events: ['moved.test'], policy: { rate_limit: 2 } })).body;
      const events = Array.from({ length: 5 }, (_, i) => ({ event: 'moved.test', entity: { i } }));
      assert.equal((await h.api('POST', '/orgs/acme/events/batch', { events })).status, 202);
      await eventually(async () => ids('/before').length >= 2, 10_000, 10);
      assert.equal((await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { url: rx.url('/after') })).status, 200);
      const before = ids('/before').length;
      await eventually(async () => ids('/before').length + ids('/after').length === 5, 15_000);
      assert.ok(ids('/before').length <= before + 1, `${ids('/before').length} to the old URL, ${before} when it changed`);
      assert.deepEqual([...ids('/before'), ...ids('/after')].sort(), [0, 1, 2, 3, 4], 'each once');
    });

    test('fifo: one at a time, in creation order, a failing head holds the rest until it succeeds', async () => {
      let failuresLeft = 2;
      let concurrent = 0;
      let peak = 0;
      rx.respond(async (r, res) => {
        if (r.path !== '/fifo') return void res.end();
        peak = Math.max(peak, ++concurrent);
        await sleep(10);
        concurrent--;
        const i = JSON.parse(r.body).entity.i;
        res.statusCode = i === 0 && failuresLeft-- > 0 ? 500 : 200;
        res.end();
      });
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/fifo'), events: ['fifo.test'], policy: { ordering: 'fifo', retry_schedule: ['1s', '1s', '1s'], retry_jitter: 0 } })).body;
      assert.equal(w.policy.ordering, 'fifo');
      await h.api('POST', '/orgs/acme/events', { event: 'fifo.test', entity: { i: 0 } });
      await h.api('POST', '/orgs/acme/events/batch', { events: [1, 2, 3].map((i) => ({ event: 'fifo.test', entity: { i } })) });
      await Promise.all([4, 5].map((i) => h.api('POST', '/orgs/acme/events', { event: 'fifo.test', entity: { i } })));
      await eventually(async () => ids('/fifo').length === 8, 15_000);
      const order = ids('/fifo');
      assert.deepEqual(order.slice(0, 3), [0, 0, 0], 'the head is retried before anything behind it');
      const rest = order.slice(3);
      assert.deepEqual(rest.slice(0, 1), [1]);
      assert.deepEqual([...rest].sort(), [1, 2, 3, 4, 5]);
      assert.deepEqual(rest.slice(0, 3), [1, 2, 3], 'a batch keeps its order');
      assert.equal(peak, 1, 'never two at once');
    });

    test('fifo: a lost head is replaced by the safety net, and leaving fifo releases the waiting', async () => {
      rx.respond((r, res) => {
        res.statusCode = r.path === '/stuck' ? 500 : 200;
        res.end();
      });
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/stuck'), events: ['stuck.test'], policy: { ordering: 'fifo', retry_schedule: ['1h'] } })).body;
      await h.api('POST', '/orgs/acme/events/batch', { events: [0, 1, 2].map((i) => ({ event: 'stuck.test', entity: { i } })) });
      await eventually(async () => ids('/stuck').length === 1);
      const pending = () => h.herald.store.db.all<{ id: string; next_attempt_at: number | null; lease_token: string | null }>(
        `SELECT delivery_id AS id, next_attempt_at, lease_token FROM delivery_queue WHERE webhook_id = ? ORDER BY delivery_id`, [w.id]);
      // The head's failure is written back: it waits for its retry (6 minutes at this clock scale).
      const waiting = await eventually(async () => {
        const rows = await pending();
        return rows[0]?.lease_token === null ? rows : null;
      });
      assert.equal(waiting.length, 3);
      assert.ok(waiting[0]!.next_attempt_at !== null && waiting.slice(1).every((d) => d.next_attempt_at === null), 'only the head is due');
      // Someone cancels the head by hand: the next one must not wait forever.
      await h.herald.store.db.run(`UPDATE deliveries SET status = 'cancelled' WHERE id = ?`, [waiting[0]!.id]);
      await h.herald.store.db.run(`DELETE FROM delivery_queue WHERE delivery_id = ?`, [waiting[0]!.id]);
      await eventually(async () => ids('/stuck').length === 2, 10_000);
      assert.deepEqual(ids('/stuck'), [0, 1]);
      const off = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { policy: { retry_schedule: ['1h'] } });
      assert.equal(off.body.policy.ordering, 'any');
      await eventually(async () => ids('/stuck').length === 3, 10_000);
    });
  });
}
