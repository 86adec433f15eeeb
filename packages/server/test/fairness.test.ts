import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClaimShares } from '../src/engine/claim-shares.js';
import { planFanOut } from '../src/engine/fan-out.js';
import { insertOrg } from '../src/store/queries/orgs.js';
import { openStore, type Store } from '../src/store/store.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { addWebhook, event, settlePending } from './helpers/store-fixtures.js';
import { freshStore, STORE_KINDS, type TestStore } from './helpers/stores.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Requests the slow receiver serves at once, and how long each takes. */
const SLOW_SLOTS = 64;
const SLOW_MS = 200;
/** Org A's backlog, as issue 16 measured it: ~60 s of work for the slow receiver (64 per 200 ms). */
const BACKLOG = 19_000;

describe('claim shares (unit): the reserve and the per-origin gate', () => {
  const crowded = new Set<string>();
  const origins = { originOf: (url: string) => new URL(url).origin, crowdedOrigins: () => new Set(crowded) };
  const config = { maxInFlight: 1024, claimBatch: 256 };

  test('ordinary claims fill the budget but its last eighth, which only webhooks holding little may use', () => {
    const shares = new ClaimShares(config, origins);
    assert.deepEqual(shares.plan(0, false), { limit: 256, skip: new Set(), reserve: false });
    for (let i = 0; i < 896; i++) shares.add('wh_a', 'http://a.test/hook');
    shares.add('wh_b', 'http://b.test/hook');
    const plan = shares.plan(896, false);
    assert.equal(plan?.reserve, true);
    assert.deepEqual([...plan!.skip], ['wh_a'], 'the webhook holding most of the budget is left out');
    assert.equal(plan?.limit, 32, 'a quarter of the reserve per claim');
    assert.equal(shares.plan(896, true), null, 'after a reserve claim found nothing, the next waits');
    assert.equal(shares.plan(1024, false), null, 'nothing at all when the budget is spent');
    for (let i = 0; i < 300; i++) shares.done('wh_a');
    assert.equal(shares.holding('wh_a'), 596);
    assert.deepEqual(shares.plan(596, false), { limit: 256, skip: new Set(), reserve: false });
  });

  test('a webhook whose origin has a claim batch waiting is left out; the others are still claimed', () => {
    const shares = new ClaimShares(config, origins);
    shares.add('wh_a', 'http://a.test/hook');
    shares.add('wh_a2', 'http://a.test/other');
    shares.add('wh_b', 'http://b.test/hook');
    crowded.add('http://a.test');
    const plan = shares.plan(400, false);
    assert.equal(plan?.reserve, false);
    assert.deepEqual([...plan!.skip].sort(), ['wh_a', 'wh_a2']);
    // Two crowded origins: both origins' webhooks.
    crowded.add('http://b.test');
    assert.deepEqual([...shares.plan(400, false)!.skip].sort(), ['wh_a', 'wh_a2', 'wh_b']);
    crowded.delete('http://b.test');
    // A webhook whose last held delivery finished is no longer left out; a reserve claim's
    // additions do not change the gate's own set.
    shares.done('wh_a2');
    assert.deepEqual([...shares.plan(400, false)!.skip], ['wh_a']);
    for (let i = 0; i < 40; i++) shares.add('wh_c', 'http://c.test/hook');
    assert.deepEqual([...shares.plan(900, false)!.skip].sort(), ['wh_a', 'wh_c']);
    assert.deepEqual([...shares.plan(400, false)!.skip], ['wh_a']);
    shares.clear();
    assert.equal(shares.plan(400, false)!.skip.size, 0, 'nothing held, nothing left out');
    crowded.clear();
  });
});

for (const kind of STORE_KINDS) {
  describe(`fair claim (store, ${kind})`, () => {
    let ts: TestStore;
    let store: Store;
    const LEASE = 60_000;
    const ingest = async (type: string, n: number) => {
      for (let i = 0; i < n; i += 500) {
        await store.hot.ingest([Array.from({ length: Math.min(500, n - i) }, () => event('o', type))], planFanOut);
      }
    };
    const perWebhook = (rows: { webhook_id: string }[]) => {
      const m = new Map<string, number>();
      for (const r of rows) m.set(r.webhook_id, (m.get(r.webhook_id) ?? 0) + 1);
      return m;
    };

    before(async () => {
      ts = await freshStore(kind);
      store = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
      const now = Date.now();
      await insertOrg(store.db, { id: 'o', name: 'O', owner_email: 'o@o.test', settings: {}, created_at: now, updated_at: now });
      await addWebhook(store.db, 'wh_big', ['big.e']);
      await addWebhook(store.db, 'wh_small', ['small.e']);
      await addWebhook(store.db, 'wh_fifo', ['fifo.e'], { policy: { ordering: 'fifo' } });
    });
    after(async () => {
      await store.close();
      await ts.cleanup();
    });

    test('a webhook with a big older backlog does not keep a newer one out of the claim', async () => {
      await ingest('big.e', 1200);
      await ingest('small.e', 1);
      const rows = await store.hot.claim(256, Date.now() + 1, LEASE, 'fair-1');
      const counts = perWebhook(rows);
      assert.equal(counts.get('wh_small'), 1, 'the newer webhook\'s delivery is in the first claim');
      assert.equal(counts.get('wh_big'), 255, 'the share the newer webhook left goes to the backlog');
      const lone = await store.hot.claim(256, Date.now() + 1, LEASE, 'fair-1b');
      assert.equal(lone.length, 256, 'a webhook alone with due work gets the whole claim');
      await addWebhook(store.db, 'wh_big2', ['big2.e']);
      await ingest('big2.e', 300);
      const both = perWebhook(await store.hot.claim(256, Date.now() + 1, LEASE, 'fair-1c'));
      assert.deepEqual([both.get('wh_big'), both.get('wh_big2')], [128, 128], 'two backlogs share a claim equally');
    });

    test('the webhooks a worker skips are left alone; a fifo webhook gives only its head', async () => {
      await ingest('small.e', 3);
      await ingest('fifo.e', 3);
      const rows = await store.hot.claim(256, Date.now() + 1, LEASE, 'fair-2', new Set(['wh_big']));
      const counts = perWebhook(rows);
      assert.equal(counts.get('wh_big'), undefined);
      assert.equal(counts.get('wh_small'), 3);
      assert.equal(counts.get('wh_fifo'), 1, 'one fifo delivery in flight');
      const head = await store.db.get<{ id: string }>(`SELECT min(id) AS id FROM deliveries WHERE webhook_id = 'wh_fifo'`);
      assert.equal(rows.find((r) => r.webhook_id === 'wh_fifo')?.id, head?.id, 'the oldest one');
    });

    test('with more webhooks pending than a claim looks at, the next claim goes on from where it stopped', async () => {
      await settlePending(store.db);
      for (let i = 0; i < 100; i++) {
        const id = `wh_rr_${String(i).padStart(3, '0')}`;
        await addWebhook(store.db, id, [`rr${i}.e`]);
        await ingest(`rr${i}.e`, 1);
      }
      const first = await store.hot.claim(64, Date.now() + 1, LEASE, 'rr-1');
      const second = await store.hot.claim(64, Date.now() + 1, LEASE, 'rr-2');
      assert.equal(first.length, 64);
      assert.equal(new Set([...first, ...second].map((r) => r.webhook_id)).size, 100, 'two claims of 64 reach all 100 webhooks');
    });

    test('a newly due webhook is claimed at once when many webhooks have only retries scheduled for later', async () => {
      // More webhooks than one claim walks, each waiting for a retry an hour away.
      for (let i = 0; i < 70; i++) {
        await addWebhook(store.db, `wh_later_${String(i).padStart(3, '0')}`, [`later${i}.e`]);
        await ingest(`later${i}.e`, 1);
      }
      await store.db.run(`UPDATE delivery_queue SET next_attempt_at = ?, lease_token = NULL`, [Date.now() + 3_600_000]);
      await addWebhook(store.db, 'wh_zz_new', ['zz.e']);
      await ingest('zz.e', 1);
      const rows = await store.hot.claim(64, Date.now() + 1, LEASE, 'zz');
      assert.deepEqual(rows.map((r) => r.webhook_id), ['wh_zz_new']);
    });
  });
}

/**
 * Issue 16: a backlogged webhook must not delay the others. Org A's webhook points at a
 * receiver that serves 64 requests at a time in 200 ms each; org B's at a fast one. With
 * the worker's real batch and in-flight figures and 64 connections per origin, B's event
 * arrives within a second while A's backlog is being worked (it used to wait behind all of it).
 */
for (const kind of STORE_KINDS) {
  describe(`fair claiming: one backlogged webhook does not delay the others (${kind})`, () => {
    let h: TestHerald;
    let slow: TestReceiver;
    let fast: TestReceiver;
    let open = 0;
    let peakOpen = 0;
    const queue: (() => void)[] = [];
    let serving = 0;

    before(async () => {
      slow = await TestReceiver.start();
      fast = await TestReceiver.start();
      // At most SLOW_SLOTS requests are worked at once; the rest wait their turn in the receiver.
      slow.respond(async (_r, res) => {
        peakOpen = Math.max(peakOpen, ++open);
        if (serving >= SLOW_SLOTS) await new Promise<void>((r) => queue.push(r));
        else serving++;
        await sleep(SLOW_MS);
        const next = queue.shift();
        if (next) next();
        else serving--;
        open--;
        res.end('ok');
      });
      h = await TestHerald.start(kind, {
        worker: { claimBatch: 256, maxInFlight: 1024, connectionsPerOrigin: 64, leaseMs: 30_000, idleCheckMs: 10_000, shutdownGraceMs: 500 },
      });
      await h.setup(slow.url('/a'), ['load.test'], {}, 'a');
      await h.setup(fast.url('/b'), ['ping.test'], {}, 'b');
    });
    after(async () => {
      await h.stop();
      await slow.close();
      await fast.close();
    });

    test('an event of org B arrives within 1 s while org A has thousands of deliveries queued', async (t) => {
      for (let i = 0; i < BACKLOG; i += 1000) {
        const events = Array.from({ length: 1000 }, (_, j) => ({ event: 'load.test', entity: { i: i + j } }));
        assert.equal((await h.api('POST', '/orgs/a/events/batch', { events })).status, 202);
      }
      // A's backlog is being worked: its receiver is busy and most of the backlog still waits.
      await slow.waitFor(400, 15_000);
      const t0 = Date.now();
      assert.equal((await h.api('POST', '/orgs/b/events', { event: 'ping.test', entity: { n: 1 } })).status, 202);
      await fast.waitFor(1, 15_000).catch(() => undefined);
      const arrived = fast.posts[0]?.at;
      assert.ok(arrived !== undefined, 'B\'s event never arrived within 15 s');
      const sentBefore = slow.posts.filter((p) => p.at <= arrived).length;
      assert.ok(arrived - t0 < 1000, `B's event arrived ${arrived - t0} ms after its ingest began (A had sent ${sentBefore} of ${BACKLOG})`);
      t.diagnostic(`B's event arrived after ${arrived - t0} ms; A had sent ${sentBefore} of ${BACKLOG}`);
      assert.ok(sentBefore < BACKLOG / 2, `measured while A's backlog was being worked (${sentBefore} of ${BACKLOG} sent)`);
    });

    test('a fifo webhook beside the backlog still gets one delivery at a time, oldest first', async () => {
      let now = 0;
      let peak = 0;
      fast.respond(async (r, res) => {
        if (r.path === '/fifo') {
          peak = Math.max(peak, ++now);
          await sleep(5);
          now--;
        }
        res.end();
      });
      await h.api('POST', '/orgs/b/webhooks', { url: fast.url('/fifo'), events: ['fifo.test'], policy: { ordering: 'fifo' } });
      await h.api('POST', '/orgs/b/events', { event: 'fifo.test', entity: { i: 0 } });
      await h.api('POST', '/orgs/b/events/batch', { events: [1, 2, 3].map((i) => ({ event: 'fifo.test', entity: { i } })) });
      await h.api('POST', '/orgs/b/events', { event: 'fifo.test', entity: { i: 4 } });
      const order = () => fast.posts.filter((p) => p.path === '/fifo').map((p) => JSON.parse(p.body).entity.i as number);
      await eventually(async () => order().length === 5, 10_000);
      assert.deepEqual(order(), [0, 1, 2, 3, 4]);
      assert.equal(peak, 1, 'never two at once');
      assert.ok(slow.posts.length < BACKLOG, 'checked while A still had a backlog');
    });

    test('the per-origin request limit still holds for the backlogged receiver', () => {
      assert.ok(peakOpen > 0 && peakOpen <= 64, `at most 64 requests at once to A's origin, saw ${peakOpen}`);
    });
  });
}

/**
 * The reserve: a receiver that holds every request for seconds, with as many connections as
 * it likes, takes the worker's in-flight budget (it would free room only as its requests
 * finish). Another webhook's event must still go out at once.
 */
for (const kind of STORE_KINDS) {
  describe(`fair claiming: a receiver that holds requests for seconds does not hold the worker (${kind})`, () => {
    let h: TestHerald;
    let held: TestReceiver;
    let fast: TestReceiver;
    let open = 0;

    before(async () => {
      held = await TestReceiver.start();
      fast = await TestReceiver.start();
      held.respond(async (_r, res) => {
        open++;
        await sleep(3000);
        open--;
        res.end('ok');
      });
      h = await TestHerald.start(kind, { worker: { claimBatch: 256, maxInFlight: 1024, connectionsPerOrigin: 1024, shutdownGraceMs: 500 } });
      await h.setup(held.url('/a'), ['load.test'], {}, 'a');
      await h.setup(fast.url('/b'), ['ping.test'], {}, 'b');
    });
    after(async () => {
      await h.stop();
      await held.close();
      await fast.close();
    });

    test('an event of org B arrives within 1 s while org A\'s requests fill the in-flight budget', async (t) => {
      const events = Array.from({ length: 1000 }, (_, i) => ({ event: 'load.test', entity: { i } }));
      for (let i = 0; i < 2; i++) assert.equal((await h.api('POST', '/orgs/a/events/batch', { events })).status, 202);
      // A's receiver holds most of the worker's 1,024 request slots.
      await eventually(async () => open >= 850, 10_000);
      const t0 = Date.now();
      assert.equal((await h.api('POST', '/orgs/b/events', { event: 'ping.test', entity: { n: 1 } })).status, 202);
      await fast.waitFor(1, 10_000).catch(() => undefined);
      const arrived = fast.posts[0]?.at;
      assert.ok(arrived !== undefined, 'B\'s event never arrived within 10 s');
      t.diagnostic(`B's event arrived after ${arrived - t0} ms with ${open} of A's requests open`);
      assert.ok(arrived - t0 < 1000, `B's event arrived ${arrived - t0} ms after its ingest began`);
    });
  });
}
