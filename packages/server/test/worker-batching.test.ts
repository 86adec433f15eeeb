import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { planFanOut } from '../src/engine/fan-out.js';
import { leasingFresh, storedFresh, type FreshDelivery } from '../src/engine/fresh-deliveries.js';
import { DeliveryWorker } from '../src/engine/worker.js';
import { WebhookRuntimeCache } from '../src/engine/webhook-runtime.js';
import { createLogger } from '../src/ops/logger.js';
import { Metrics } from '../src/ops/metrics.js';
import { secretBoxFor, senderFor } from '../src/ops/parts.js';
import type { DeliveryResult } from '../src/store/types.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { event, overHotPath, settlePending } from './helpers/store-fixtures.js';
import { STORE_KINDS } from './helpers/stores.js';

/**
 * How often the worker goes to the store: a busy worker's results are written in few large
 * transactions, and a finished request brings a claim only while due work was left unclaimed
 * for want of room (docs/deliveries.md, "Fresh deliveries"). The worker runs here on a Herald
 * started with `--role api`, its store wrapped to count claims and completion batches.
 */
const log = createLogger('silent');

for (const kind of STORE_KINDS) {
  describe(`how often the worker writes and claims (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      h = await TestHerald.start(kind, { role: 'api', threads: 'single' });
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });

    /** A worker over the Herald's store, counting claims (with how many rows each took) and completion batches. */
    function countingWorker(maxInFlight: number, metrics = new Metrics(null, false), claiming = () => true) {
      const claims: number[] = [];
      const batches: number[] = [];
      const writtenAt: number[] = [];
      const real = h.herald.store;
      const store = overHotPath(real, {
        claim: async (...args: Parameters<typeof real.hot.claim>) => {
          const rows = claiming() ? await real.hot.claim(...args) : [];
          claims.push(rows.length);
          return rows;
        },
        complete: (results: readonly DeliveryResult[], now: number) => {
          batches.push(results.length);
          writtenAt.push(performance.now());
          return real.hot.complete(results, now);
        },
      });
      const config = h.herald.config;
      const worker = new DeliveryWorker({
        store, runtimes: new WebhookRuntimeCache(real.db, secretBoxFor(config)), metrics, log, clockScale: 1,
        sender: senderFor(config, undefined),
        config: { ...config.worker, maxInFlight, idleCheckMs: 60_000 },
      });
      return { worker, claims, batches, writtenAt };
    }

    const ingest = async (org: string, type: string, n: number) => {
      const events = Array.from({ length: n }, (_, i) => ({ event: type, entity: { id: i } }));
      assert.equal((await h.api('POST', `/orgs/${org}/events/batch`, { events })).status, 202);
    };

    const succeeded = (webhookId: string) =>
      h.herald.store.db.get<{ n: number | string }>(`SELECT count(*) AS n FROM deliveries WHERE webhook_id = ? AND status = 'succeeded'`, [webhookId]);

    test('results of a busy worker wait for company: written every 40 ms or so, not every 5 ms', async () => {
      const w = await h.setup(rx.url('/spread'), ['batch.spread'], {}, 'wb1');
      await ingest('wb1', 'batch.spread', 300);
      // Answers one after another, each a millisecond after the one before, while the rest stay in flight.
      let n = 0;
      rx.respond(async (_req, res) => {
        await sleep(n++);
        res.end('ok');
      });
      const { worker, batches, writtenAt } = countingWorker(1024);
      worker.start();
      try {
        await eventually(async () => Number((await succeeded(w.id))?.n) === 300, 15_000);
        assert.equal(batches.reduce((a, b) => a + b, 0), 300, 'every result written once');
        // The time between two writes while the worker was busy (64 or more requests still in
        // flight: the first 200 results): the first result of a batch waited 40 ms (5 ms before,
        // and a write of whatever came in during the previous one). Later, with few in flight and
        // results coming slowly, 5 ms is right again.
        let before = 0;
        const busy = writtenAt.filter((_t, i) => {
          const take = before < 200;
          before += batches[i]!;
          return take;
        });
        const gaps = busy.slice(1).map((t, i) => t - busy[i]!).sort((a, b) => a - b);
        assert.ok(gaps.length >= 3, `only ${busy.length} writes while busy (${batches.join(', ')})`);
        const median = gaps[Math.floor(gaps.length / 2)]!;
        assert.ok(median >= 30, `median ${median.toFixed(1)} ms between the ${busy.length} writes while busy (${batches.join(', ')})`);
      } finally {
        rx.respond((_r, res) => {
          res.end('ok');
        });
        await worker.stop(0);
      }
    });

    test('a finished request brings a claim only while due work was left for want of room', async () => {
      const w = await h.setup(rx.url('/room'), ['batch.room'], {}, 'wb2');
      // Room for everything: one claim takes all 40; their 40 answers bring no claim.
      await ingest('wb2', 'batch.room', 40);
      const roomy = countingWorker(1024);
      roomy.worker.start();
      try {
        await eventually(async () => Number((await succeeded(w.id))?.n) === 40, 10_000);
        await eventually(async () => roomy.worker.busy === 0, 5000);
        const taking = roomy.claims.filter((c) => c > 0);
        assert.deepEqual(taking, [40]);
        assert.ok(roomy.claims.length <= 4, `claims: ${roomy.claims.join(', ')} (a claim per finished request was 40 more)`);
      } finally {
        await roomy.worker.stop(0);
      }
      // Room for 32 at a time (the budget keeps a reserve): finished requests bring the claims
      // that take the rest, and every delivery goes out.
      await ingest('wb2', 'batch.room', 100);
      const tight = countingWorker(32);
      tight.worker.start();
      try {
        await eventually(async () => Number((await succeeded(w.id))?.n) === 140, 10_000);
        assert.equal(tight.claims.reduce((a, b) => a + b, 0), 100, 'each delivery claimed once');
        assert.ok(tight.claims.filter((c) => c > 0).length >= 4, `claims: ${tight.claims.join(', ')}`);
      } finally {
        await tight.worker.stop(0);
      }
    });

    test('an ingest stores what its worker takes leased to it, sent after the commit without a claim; a failed commit or a stopped worker gives the room and the leases back', async () => {
      const w = await h.setup(rx.url('/fresh'), ['batch.fresh'], {}, 'wb3');
      const metrics = new Metrics(null, false);
      // No claim takes anything, so that only the fresh leases send.
      const { worker, claims } = countingWorker(16, metrics, () => false);
      const leased = async (by: string) =>
        (await metrics.registry.getSingleMetric('herald_deliveries_leased_total')!.get()).values.find((v) => v.labels.by === by)?.value ?? 0;
      /** Stores `n` events as the engine's ingest does, the worker's lease `lease` taking what it has room for. */
      const store = async (n: number, lease: NonNullable<ReturnType<typeof worker.openFresh>>) => {
        const events = Array.from({ length: n }, () => event('wb3', 'batch.fresh'));
        const noted = new Map<string, FreshDelivery[]>();
        await h.herald.store.hot.ingest([events], leasingFresh(planFanOut, lease, noted));
        return storedFresh(noted, events.map((e) => e.id));
      };
      assert.equal(worker.openFresh(), null, 'no room while stopped');
      worker.start();
      try {
        // Room for 14 (16 less the reserve): of 20, 14 are stored leased and sent, 6 wait for a claim.
        const first = worker.openFresh()!;
        const fresh = await store(20, first);
        assert.equal(fresh.length, 14);
        first.sent(fresh);
        await eventually(async () => Number((await succeeded(w.id))?.n) === 14, 10_000);
        assert.equal(await leased('fresh'), 14);
        assert.equal(claims.reduce((a, b) => a + b, 0), 0);
        const attempts = await h.herald.store.db.all<{ attempt: number | string }>(
          'SELECT a.attempt FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ?', [w.id]);
        assert.deepEqual(attempts.map((a) => Number(a.attempt)), Array(14).fill(1));
        const unleased = await h.herald.store.db.get<{ n: number | string }>(
          'SELECT count(*) AS n FROM delivery_queue WHERE webhook_id = ? AND lease_token IS NULL', [w.id]);
        assert.equal(Number(unleased?.n), 6, 'the rest are due for the claim');
        await eventually(async () => worker.busy === 0, 5000);
        // A commit that failed gives its room back: the next takes as many again.
        const failed = worker.openFresh()!;
        assert.equal(Array.from({ length: 20 }, (_, i) => failed.take(w.id, `dlv_never_${i}`)).filter(Boolean).length, 14);
        const full = worker.openFresh()!;
        assert.equal(full.take(w.id, 'dlv_never_x'), false, 'no room while the first commit is under way');
        full.cancel();
        failed.cancel();
        const again = worker.openFresh()!;
        assert.equal(again.take(w.id, 'dlv_never_y'), true, 'room again once the failed commit gave it back');
        again.cancel();
        // A commit that lands after its worker stopped (which gave back all it held then): its
        // rows are written leased, and `sent` gives them back, due at once for the next worker.
        const late = worker.openFresh()!;
        await worker.stop(0);
        const second = await store(1, late);
        assert.equal(second.length, 1);
        const leaseOf = async () => (await h.herald.store.db.get<{ lease_token: string | null }>(
          'SELECT lease_token FROM delivery_queue WHERE delivery_id = ?', [second[0]!.id]))?.lease_token;
        assert.equal(await leaseOf(), late.token, 'stored leased after the stop');
        late.sent(second);
        await eventually(async () => (await leaseOf()) === null, 5000);
        assert.equal(await leased('fresh'), 14, 'not sent by the stopped worker');
      } finally {
        await worker.stop(0);
        await settlePending(h.herald.store.db, 'succeeded', `webhook_id = '${w.id}'`);
      }
    });
  });
}
