import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeliveryWorker } from '../src/engine/worker.js';
import { WebhookRuntimeCache, type WebhookRuntime } from '../src/engine/webhook-runtime.js';
import { createLogger } from '../src/ops/logger.js';
import { Metrics } from '../src/ops/metrics.js';
import { secretBoxFor, senderFor } from '../src/ops/parts.js';
import type { Store } from '../src/store/store.js';
import type { DeliveryResult } from '../src/store/types.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { overHotPath } from './helpers/store-fixtures.js';
import { STORE_KINDS } from './helpers/stores.js';

/**
 * The worker's invariant — every claimed delivery yields exactly one result — held whatever
 * throws: a delivery whose handling throws gets a failed attempt (code `error`) and is retried,
 * and a result the store refuses is isolated so that every other result is still written.
 * The worker runs here on a Herald started with `--role api` (no worker of its own).
 */
const log = createLogger('silent');

function workerOn(h: TestHerald, store: Store, runtimes: WebhookRuntimeCache, metrics = new Metrics(null, false), sender = senderFor(h.herald.config, undefined)) {
  const config = h.herald.config;
  return {
    metrics,
    worker: new DeliveryWorker({
      store, runtimes, metrics, log, clockScale: 3600,
      sender,
      config: { ...config.worker, leaseMs: 1000, idleCheckMs: 200 },
    }),
  };
}

/**
 * Webhook settings whose policy reads throw once the first request has gone out (what a bug
 * after the claim looks like), and the real sender that marks that moment.
 */
function unreadableAfterFirstSend(h: TestHerald) {
  let sent = false;
  class BrokenAfterSend extends WebhookRuntimeCache {
    override async load(wanted: ReadonlyMap<string, number>): Promise<Map<string, WebhookRuntime>> {
      const real = await super.load(wanted);
      return new Map([...real].map(([id, rt]) => [id, {
        ...rt,
        get policy(): WebhookRuntime['policy'] {
          if (sent) throw new Error('policy unreadable');
          return rt.policy;
        },
      }]));
    }
  }
  const real = senderFor(h.herald.config, undefined);
  const sender = Object.create(real) as typeof real;
  sender.send = async (...args: Parameters<typeof real.send>) => {
    try {
      return await real.send(...args);
    } finally {
      sent = true;
    }
  };
  return { runtimes: new BrokenAfterSend(h.herald.store.db, secretBoxFor(h.herald.config)), sender };
}

const status = (h: TestHerald, webhookId: string) =>
  h.herald.store.db.all<{ status: string; attempts: number; last_error: string | null }>(
    'SELECT status, attempts, last_error FROM deliveries WHERE webhook_id = ? ORDER BY id', [webhookId]);

const counter = async (m: Metrics, stage: string) =>
  (await m.registry.getSingleMetric('herald_engine_errors_total')!.get()).values.find((v) => v.labels.stage === stage)?.value ?? 0;

for (const kind of STORE_KINDS) {
  describe(`the worker's invariant (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      h = await TestHerald.start(kind, { role: 'api', threads: 'single', clockScale: 3600 });
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });

    test('a delivery whose handling throws gets a failed attempt with code error, is retried, and holds nothing', async () => {
      const w = await h.setup(rx.url('/ok'), ['inv.throw'], { policy: { retry_schedule: ['1h'] } }, 'inv1');
      assert.equal((await h.api('POST', '/orgs/inv1/events', { event: 'inv.throw', entity: { id: 1 } })).status, 202);
      // A runtime whose policy cannot be read: what a bug after the claim looks like.
      class Broken extends WebhookRuntimeCache {
        override async load(wanted: ReadonlyMap<string, number>): Promise<Map<string, WebhookRuntime>> {
          const real = await super.load(wanted);
          return new Map([...real].map(([id, rt]) => [id, { ...rt, get policy(): never { throw new Error('policy unreadable'); } }]));
        }
      }
      const { worker, metrics } = workerOn(h, h.herald.store, new Broken(h.herald.store.db, secretBoxFor(h.herald.config)));
      worker.start();
      try {
        const [row] = await eventually(async () => {
          const rows = await status(h, w.id);
          return rows[0]?.attempts === 1 ? rows : null;
        }, 5000);
        assert.equal(row!.status, 'pending', 'retried by its schedule');
        assert.match(row!.last_error ?? '', /could not attempt this delivery: policy unreadable/);
        const attempts = await h.api('GET', `/orgs/inv1/webhooks/${w.id}/deliveries`);
        assert.equal(attempts.body.data[0].attempts, 1);
        assert.equal(await counter(metrics, 'attempt'), 1);
        await eventually(async () => worker.busy === 0, 2000);
        assert.equal(rx.posts.length, 0, 'nothing was sent');
      } finally {
        await worker.stop(0);
      }
    });

    test('a delivery whose failure cannot even be recorded still gets a result: due again, no attempt used, nothing held, the process alive', async () => {
      const w = await h.setup(rx.url('/fails'), ['inv.worse'], { policy: { retry_schedule: ['1h'] } }, 'inv3');
      assert.equal((await h.api('POST', '/orgs/inv3/events', { event: 'inv.worse', entity: { id: 1 } })).status, 202);
      rx.respond((r, res) => {
        res.statusCode = r.path === '/fails' ? 500 : 200;
        res.end('ok');
      });
      // The policy becomes unreadable once the request has gone out: judging the 500 throws,
      // and so does recording that failure (it needs the retry schedule).
      const { runtimes, sender } = unreadableAfterFirstSend(h);
      const { worker, metrics } = workerOn(h, h.herald.store, runtimes, undefined, sender);
      const unhandled: unknown[] = [];
      const onUnhandled = (err: unknown) => unhandled.push(err);
      process.on('unhandledRejection', onUnhandled);
      worker.start();
      try {
        await eventually(async () => (await counter(metrics, 'attempt')) >= 1 && worker.busy === 0, 5000);
        const [row] = await eventually(async () => {
          const rows = await h.herald.store.db.all<{ status: string; attempts: number; next_attempt_at: number; lease_token: string | null }>(
            'SELECT d.status, d.attempts, q.next_attempt_at, q.lease_token FROM deliveries d JOIN delivery_queue q ON q.delivery_id = d.id WHERE d.webhook_id = ?', [w.id]);
          return rows[0]?.lease_token === null ? rows : null;
        }, 5000);
        assert.equal(rx.posts.filter((p) => p.path === '/fails').length, 1, 'the request went out once');
        assert.equal(row!.status, 'pending');
        assert.equal(row!.attempts, 0, 'no attempt used: none could be recorded');
        assert.ok(Number(row!.next_attempt_at) > Date.now() + 30_000, 'due again in about a minute');
        assert.deepEqual(unhandled, [], 'no unhandled rejection');
      } finally {
        process.off('unhandledRejection', onUnhandled);
        rx.respond((_r, res) => {
          res.end('ok');
        });
        await worker.stop(0);
      }
    });

    test('a throw after a paced webhook\'s gate was taken gives the gate back: the deliveries queued behind it still get their results', async () => {
      const w = await h.setup(rx.url('/paced'), ['inv.gate'], { policy: { retry_schedule: ['1h'], max_in_flight: 1 } }, 'inv4');
      const events = Array.from({ length: 3 }, (_, i) => ({ event: 'inv.gate', entity: { i } }));
      assert.equal((await h.api('POST', '/orgs/inv4/events/batch', { events })).status, 202);
      // Readable while the claim routes the three through the gate (one at a time); from the first
      // request on, every read throws, so each start behind the gate throws as well.
      const { runtimes, sender } = unreadableAfterFirstSend(h);
      const { worker, metrics } = workerOn(h, h.herald.store, runtimes, undefined, sender);
      worker.start();
      try {
        // Each delivery counts as an engine error twice: its failure could not be recorded, and
        // the start that threw is reported where it was detached.
        await eventually(async () => (await counter(metrics, 'attempt')) >= 6 && worker.busy === 0, 5000);
        assert.equal(rx.posts.filter((p) => p.path === '/paced').length, 1, 'one request went out; the two behind the gate threw before theirs');
        const rows = await eventually(async () => {
          const r = await h.herald.store.db.all<{ status: string; attempts: number; lease_token: string | null; next_attempt_at: number }>(
            'SELECT d.status, d.attempts, q.lease_token, q.next_attempt_at FROM deliveries d JOIN delivery_queue q ON q.delivery_id = d.id WHERE d.webhook_id = ?', [w.id]);
          return r.length === 3 && r.every((x) => x.lease_token === null) ? r : null;
        }, 5000);
        assert.deepEqual(rows.map((r) => [r.status, Number(r.attempts)]), [['pending', 0], ['pending', 0], ['pending', 0]], 'each given back with no attempt used');
        assert.ok(rows.every((r) => Number(r.next_attempt_at) > Date.now() + 30_000), 'due again in about a minute');
      } finally {
        await worker.stop(0);
      }
    });

    test('a result the store refuses is isolated: every other result is written, the refused delivery is attempted again after its lease', async () => {
      const w = await h.setup(rx.url('/ok'), ['inv.split'], {}, 'inv2');
      const events = Array.from({ length: 9 }, (_, i) => ({ event: 'inv.split', entity: { id: i } }));
      assert.equal((await h.api('POST', '/orgs/inv2/events/batch', { events })).status, 202);
      const ids = (await status(h, w.id)).length;
      assert.equal(ids, 9);
      const poison = (await h.herald.store.db.all<{ id: string }>('SELECT id FROM deliveries WHERE webhook_id = ? ORDER BY id', [w.id]))[4]!.id;
      let refusing = true;
      const batches: number[] = [];
      // The store as it is, except that it refuses (as a constraint would) any batch holding one result, while `refusing`.
      const store = overHotPath(h.herald.store, {
        complete: (results: readonly DeliveryResult[], now: number) => {
          batches.push(results.length);
          if (refusing && results.some((r) => r.delivery_id === poison)) {
            return Promise.reject(Object.assign(new Error('CHECK constraint failed'), { code: kind === 'sqlite' ? 'SQLITE_CONSTRAINT_CHECK' : '23514' }));
          }
          return h.herald.store.hot.complete(results, now);
        },
      });
      const { worker, metrics } = workerOn(h, store, new WebhookRuntimeCache(h.herald.store.db, secretBoxFor(h.herald.config)));
      worker.start();
      try {
        const written = await eventually(async () => {
          const rows = await status(h, w.id);
          return rows.filter((r) => r.status === 'succeeded').length === 8 ? rows : null;
        }, 5000);
        assert.equal(written.filter((r) => r.status === 'pending').length, 1, 'the refused one waits for its lease');
        assert.equal(await counter(metrics, 'result'), 1, 'recorded as an engine error');
        assert.ok(batches.includes(1), `split down to the one row (batches tried: ${batches.join(', ')})`);
        refusing = false;
        // Its lease (1 s here) is no longer renewed: it is claimed again and completes.
        await eventually(async () => (await status(h, w.id)).every((r) => r.status === 'succeeded'), 8000);
        assert.equal(rx.posts.filter((p) => p.path === '/ok').length, 10, 'the refused delivery was sent again (at least once)');
      } finally {
        await worker.stop(0);
      }
    });
  });
}
