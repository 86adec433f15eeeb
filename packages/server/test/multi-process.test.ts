import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { eventually } from './helpers/herald.js';
import { HeraldProcess } from './helpers/process.js';
import { TestReceiver } from './helpers/receiver.js';
import { freshStore } from './helpers/stores.js';

describe('many processes on one PostgreSQL', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('SIGTERM gives back the leases of requests still in flight: another process takes them at once', async () => {
    const store = await freshStore('postgres');
    const rx = await TestReceiver.start();
    cleanups.push(() => store.cleanup(), () => rx.close());
    let hang = true;
    // The first attempt never gets an answer while `hang` is set.
    rx.respond((_r, res) => {
      if (!hang) res.end('ok');
    });
    const env = { HERALD_SHUTDOWN_GRACE_MS: '200', HERALD_LEASE_MS: '60000' };
    const first = await HeraldProcess.start(store, env);
    cleanups.push(() => first.stop());
    await first.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
    await first.api('POST', '/orgs/acme/webhooks', { url: rx.url('/slow'), events: ['slow.event'], policy: { timeout_ms: 30000 } });
    await first.api('POST', '/orgs/acme/events', { event: 'slow.event', entity: { id: 's1' } });
    await rx.waitFor(1);
    const second = await HeraldProcess.start(store, env, 'worker');
    cleanups.push(() => second.stop());
    hang = false;
    const stoppedAt = Date.now();
    assert.equal(await first.stop(), 0);
    // Without the release the 60 s lease would hold the delivery; with it, the other worker sends now.
    await rx.waitFor(2, 15_000);
    assert.ok(Date.now() - stoppedAt < 15_000);
    assert.equal(rx.posts[0]!.headers['webhook-id'], rx.posts[1]!.headers['webhook-id']);
  });

  test('two herald serve processes share 10,000 deliveries; each completed once', async () => {
    const store = await freshStore('postgres');
    const rx = await TestReceiver.start();
    cleanups.push(() => store.cleanup(), () => rx.close());
    // Both start at once: migrations must not trip over each other.
    const started = await Promise.allSettled([HeraldProcess.start(store), HeraldProcess.start(store)]);
    for (const s of started) if (s.status === 'fulfilled') cleanups.push(() => s.value.stop());
    const [a, b] = started.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    });
    await a!.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
    await a!.api('POST', '/orgs/acme/webhooks', { url: rx.url('/mp'), events: ['mp.event'] });
    const N = 10_000;
    for (let i = 0; i < N; i += 1000) {
      const via = (i / 1000) % 2 === 0 ? a! : b!;
      const events = Array.from({ length: 1000 }, (_, j) => ({ event: 'mp.event', entity: { n: i + j } }));
      assert.equal((await via.api('POST', '/orgs/acme/events/batch', { events })).status, 202);
    }
    await eventually(async () => rx.posts.length >= N, 120_000, 100);
    const db = new pg.Client({ connectionString: store.databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const done = await eventually(async () => {
      const r = await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`);
      return r.rows[0].n === N ? r.rows[0].n : null;
    }, 30_000);
    assert.equal(done, N);
    const attempts = await db.query(`SELECT count(*)::int AS n, count(DISTINCT delivery_id)::int AS d FROM attempts`);
    const fenced = (await a!.metric('herald_deliveries_fenced_total')) + (await b!.metric('herald_deliveries_fenced_total'));
    assert.equal(attempts.rows[0].d, N);
    // A second attempt only where a lease expired (and so was fenced); none is expected here.
    assert.equal(attempts.rows[0].n - N, fenced);
    const ids = new Set(rx.posts.map((p) => String(p.headers['webhook-id'])));
    assert.equal(ids.size, N);
    const byA = await a!.metric('herald_deliveries_completed_total', 'outcome="succeeded"');
    const byB = await b!.metric('herald_deliveries_completed_total', 'outcome="succeeded"');
    assert.equal(byA + byB, N);
    assert.ok(byA > 0 && byB > 0, `both processes delivered (${byA} + ${byB})`);
  });
});
