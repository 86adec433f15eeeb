import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { configFromEnv, DEFAULT_CONFIG } from '../src/config.js';
import type { EngineThread } from '../src/engine/engine-thread.js';
import { openStore } from '../src/store/store.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { TestSmtpServer } from './helpers/smtp.js';
import { STORE_KINDS } from './helpers/stores.js';

/**
 * `herald serve`'s default topology (src/engine/engine-thread.ts): the engine — ingest commits,
 * claims, sending, results, alerts, digests — on a thread of its own. Delivery, signing, alerts
 * and graceful stop work as on one thread, wake-ups from the API thread reach the engine
 * (every wait here is shorter than the 10 s idle check, so a missed wake fails the test), and
 * /metrics adds the engine thread's counters to the API thread's.
 */

test('HERALD_THREADS: the engine thread by default, single on request, anything else refused', () => {
  assert.equal(configFromEnv({}).threads, 'engine');
  assert.equal(DEFAULT_CONFIG.threads, 'engine', 'programs that call startHerald get the shipped topology too');
  assert.equal(configFromEnv({ HERALD_THREADS: 'single' }).threads, 'single');
  assert.throws(() => configFromEnv({ HERALD_THREADS: 'three' }), /HERALD_THREADS must be one of engine, single/);
});

let smtp: TestSmtpServer;
before(async () => {
  smtp = await TestSmtpServer.start();
});
after(async () => {
  await smtp.close();
});

/** The value of a sample line of the Prometheus text, e.g. `herald_events_ingested_total`. */
function sample(text: string, line: string): number | null {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? null : Number(found.slice(line.length + 1));
}

for (const kind of STORE_KINDS) {
  describe(`engine thread (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      rx.respond((r, res) => {
        res.statusCode = r.path === '/fail' ? 500 : 200;
        if (r.path === '/slow') setTimeout(() => res.end('ok'), 400);
        else res.end('ok');
      });
      h = await TestHerald.start(kind, { threads: 'engine', clockScale: 3600, smtpUrl: smtp.url });
      const o = await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' });
      assert.equal(o.status, 201);
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });

    test('the engine and its services run on the thread, not on the API thread', () => {
      assert.equal(h.herald.localEngine, null);
      assert.equal(h.herald.worker, null);
      assert.equal(h.herald.alerts, null);
    });

    test('ingested events are delivered, signed, and counted once in /metrics', async () => {
      const w = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/ok'), events: ['order.paid'] });
      assert.equal(w.status, 201);
      const events = Array.from({ length: 50 }, (_, i) => ({ event: 'order.paid', entity: { id: `o${i}` } }));
      const r = await h.api('POST', '/orgs/acme/events/batch', { events });
      assert.equal(r.status, 202);
      await eventually(async () => rx.posts.filter((p) => p.path === '/ok').length >= 50, 5000);
      const verifier = new StandardWebhook(w.body.key.secret as string);
      for (const p of rx.posts.filter((x) => x.path === '/ok')) {
        const payload = verifier.verify(p.body, p.headers as Record<string, string>) as { event: string };
        assert.equal(payload.event, 'order.paid');
      }
      const text = await eventually(async () => {
        const t = await (await fetch(`${h.url}/metrics`)).text();
        return sample(t, 'herald_deliveries_completed_total{outcome="succeeded"}') === 50 ? t : null;
      }, 5000);
      assert.equal(sample(text, 'herald_events_ingested_total'), 50, "the main thread's counter");
      assert.equal(sample(text, 'herald_attempt_duration_seconds_count{outcome="success"}'), 50, "the thread's histogram, summed bucket by bucket");
      assert.equal(sample(text, 'herald_attempt_duration_seconds_bucket{le="+Inf",outcome="success"}'), 50);
      // What the engine's own ingest stored went out without a claim (docs/deliveries.md#fresh-deliveries).
      const fresh = sample(text, 'herald_deliveries_leased_total{by="fresh"}') ?? 0;
      assert.ok(fresh >= 1, 'fresh deliveries were leased at commit');
      assert.equal(fresh + (sample(text, 'herald_deliveries_leased_total{by="claim"}') ?? 0), 50, 'each delivery leased once');
      const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
      assert.equal(new Set(types).size, types.length, 'each metric once');
      assert.ok(types.includes('# TYPE herald_process_process_cpu_user_seconds_total counter'), "the process's figures, from the main thread");
      // The single-event endpoint wakes the thread too.
      assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'order.paid', entity: { id: 'single' } })).status, 202);
      await eventually(async () => rx.posts.some((p) => p.path === '/ok' && p.body.includes('"single"')), 5000);
    });

    test('hand-offs: an ingest request is one call and its answer across the threads; delivering, claiming and recording cross nothing', async () => {
      await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/handoff'), events: ['handoff.e'] });
      const thread = h.herald.engine as EngineThread;
      const before = thread.messages;
      // 20 single events one after the other, then a batch of 200: 21 ingest requests, 220 deliveries.
      for (let i = 0; i < 20; i++) assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'handoff.e', entity: { i } })).status, 202);
      const events = Array.from({ length: 200 }, (_, i) => ({ event: 'handoff.e', entity: { i: 20 + i } }));
      assert.equal((await h.api('POST', '/orgs/acme/events/batch', { events })).status, 202);
      await eventually(async () => rx.posts.filter((p) => p.path === '/handoff').length >= 220, 10_000);
      // Recorded too (the completion batches are written on the thread), read through the API thread's own connection.
      await eventually(async () => {
        const row = await h.herald.store.db.get<{ n: number }>(
          `SELECT count(*) AS n FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.url = ? AND d.status = 'succeeded'`, [rx.url('/handoff')]);
        return Number(row?.n) === 220;
      }, 10_000);
      const after = thread.messages;
      assert.deepEqual({ posted: after.posted - before.posted, answered: after.answered - before.answered }, { posted: 21, answered: 21 },
        'two messages per ingest request, none per delivery or delivery batch');
    });

    test('failure alerts are evaluated and mailed from the thread', async () => {
      const w = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/fail'), events: ['order.failed'], preset: 'salesiq', policy: { retry_schedule: [] } });
      assert.equal(w.status, 201);
      for (let i = 0; i < 2; i++) {
        assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'order.failed', entity: { id: `f${i}` } })).status, 202);
        await eventually(async () => rx.posts.filter((p) => p.path === '/fail').length > i, 5000);
      }
      const [mail] = await smtp.waitFor(w.body.id, 1);
      assert.equal(mail!.headers['x-herald-alert'], 'warning_1');
    });

    test("digest periods are closed on the thread, which learns of a new digest webhook from the main thread's wake-up", async () => {
      // An hour lasts one second here; the thread would otherwise look again only after 10 s.
      const w = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/digest'), events: ['order.digest'], delivery: { mode: 'digest', every: '1h' } });
      assert.equal(w.status, 201);
      const events = Array.from({ length: 3 }, (_, i) => ({ event: 'order.digest', entity: { id: `d${i}` } }));
      assert.equal((await h.api('POST', '/orgs/acme/events/batch', { events })).status, 202);
      const post = await eventually(async () => rx.posts.find((p) => p.path === '/digest'), 5000);
      const batch = new StandardWebhook(w.body.key.secret as string).verify(post.body, post.headers as Record<string, string>) as { entity: { id: string } }[];
      assert.deepEqual(batch.map((e) => e.entity.id), ['d0', 'd1', 'd2']);
    });

    test('a graceful stop lets the requests in flight on the thread finish and records them', async () => {
      const w = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/slow'), events: ['order.slow'] });
      assert.equal(w.status, 201);
      const events = Array.from({ length: 5 }, (_, i) => ({ event: 'order.slow', entity: { id: `s${i}` } }));
      assert.equal((await h.api('POST', '/orgs/acme/events/batch', { events })).status, 202);
      await eventually(async () => rx.posts.filter((p) => p.path === '/slow').length === 5, 5000);
      await h.herald.close();
      const store = await openStore({ dataDir: h.store.dataDir, databaseUrl: h.store.databaseUrl });
      try {
        const rows = await store.db.all<{ status: string }>('SELECT status FROM deliveries WHERE webhook_id = ?', [w.body.id]);
        assert.deepEqual(rows.map((x) => x.status), Array(5).fill('succeeded'));
      } finally {
        await store.close();
      }
    });
  });
}

test('if the engine thread dies, ingest fails with a 500 and Herald reports itself unhealthy', async () => {
  const h = await TestHerald.start('sqlite', { threads: 'engine' });
  try {
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    assert.equal((await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' })).status, 201);
    await (h.herald.engine as unknown as { thread: { terminate(): Promise<number> } }).thread.terminate();
    await eventually(async () => (await fetch(`${h.url}/healthz`)).status === 503, 5000);
    const r = await h.api('POST', '/orgs/acme/events', { event: 'order.paid', entity: { id: 'lost' } });
    assert.equal(r.status, 500, 'nothing is acknowledged that was not stored');
    assert.equal(r.body.error.code, 'HERALD_INTERNAL');
    // Its metrics are gone with it; the main thread's still answer.
    assert.equal((await fetch(`${h.url}/metrics`)).status, 200);
  } finally {
    await h.stop();
  }
});
