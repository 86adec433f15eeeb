import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { eventually } from './helpers/herald.js';
import { HeraldProcess } from './helpers/process.js';
import { TestReceiver, type Received } from './helpers/receiver.js';
import { freshStore, STORE_KINDS } from './helpers/stores.js';

/** Which webhook-ids carried each event (by its entity's n): a member in two digests would show two. */
function carriers(posts: readonly Received[]): Map<number, Set<string>> {
  const map = new Map<number, Set<string>>();
  for (const p of posts) {
    for (const e of JSON.parse(p.body) as { entity: { n: number } }[]) {
      const set = map.get(e.entity.n) ?? new Set<string>();
      set.add(String(p.headers['webhook-id']));
      map.set(e.entity.n, set);
    }
  }
  return map;
}

const batch = (from: number, n: number) => ({ events: Array.from({ length: n }, (_, i) => ({ event: 'lead.created', entity: { n: from + i } })) });

for (const kind of STORE_KINDS) {
  describe(`digests across kill -9 (${kind})`, () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    test('killed between fan-out and digest, and again while the digest is in flight: nothing lost, no member in two digests', async () => {
      const store = await freshStore(kind);
      const rx = await TestReceiver.start();
      cleanups.push(() => store.cleanup(), () => rx.close());
      let hang = false;
      rx.respond((_r, res) => {
        if (!hang) res.end('ok');
      });
      // "1h" / 720 = 5 s periods; a short lease so PostgreSQL hands a dead process's digest on quickly.
      const env = { HERALD_CLOCK_SCALE: '720', HERALD_LEASE_MS: '2000' };
      let herald = await HeraldProcess.start(store, env);
      cleanups.push(() => herald.stop());
      await herald.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
      const w = (await herald.api('POST', '/orgs/acme/webhooks', { url: rx.url('/d'), events: ['lead.created'], delivery: { mode: 'digest', every: '1h' } })).body;
      assert.equal((await herald.api('POST', '/orgs/acme/events/batch', batch(0, 50))).status, 202);
      const waiting = (await herald.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries?status=batched&limit=250`)).body.data;
      assert.equal(waiting.length, 50);
      await herald.crash();
      assert.equal(rx.posts.length, 0, 'killed before the period ended');

      herald = await HeraldProcess.start(store, env);
      cleanups.push(() => herald.stop());
      await eventually(async () => carriers(rx.posts).size === 50, 20_000, 50);

      // Second round: the digest reaches the receiver, which never answers; the process dies mid-request.
      hang = true;
      const before = rx.posts.length;
      await herald.api('POST', '/orgs/acme/events/batch', batch(50, 30));
      await herald.api('POST', `/orgs/acme/webhooks/${w.id}/digest/flush`);
      await rx.waitFor(before + 1, 20_000);
      await herald.crash();
      hang = false;
      herald = await HeraldProcess.start(store, env);
      cleanups.push(() => herald.stop());
      await eventually(async () => {
        const done = (await herald.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries?status=batched&limit=250`)).body.data;
        return done.length === 80 && done.every((d: { digest_status: string }) => d.digest_status === 'succeeded');
      }, 30_000, 100);

      const map = carriers(rx.posts);
      assert.equal(map.size, 80, 'every acknowledged event arrived');
      assert.ok([...map.values()].every((ids) => ids.size === 1), 'each event travelled in one digest only (resends keep its webhook-id)');
      const resent = rx.posts.slice(before).filter((p) => p.headers['webhook-id'] === rx.posts[before]!.headers['webhook-id']);
      assert.ok(resent.length >= 2, 'the digest cut off by the crash was sent again');
      assert.ok(resent.every((p) => p.body.length > 2 && JSON.stringify((JSON.parse(p.body) as { entity: unknown }[]).map((e) => e.entity)) === JSON.stringify(batch(50, 30).events.map((e) => e.entity))));
      assert.equal(await herald.stop(), 0);
    });
  });
}

describe('digests with two processes on one PostgreSQL', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('both schedulers race for every period; each period is closed once and each event sent once', async () => {
    const store = await freshStore('postgres');
    const rx = await TestReceiver.start();
    cleanups.push(() => store.cleanup(), () => rx.close());
    const env = { HERALD_CLOCK_SCALE: '3600' };
    const [a, b] = await Promise.all([HeraldProcess.start(store, env), HeraldProcess.start(store, env)]);
    cleanups.push(() => a!.stop(), () => b!.stop());
    await a!.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
    await b!.api('POST', '/orgs/acme/webhooks', { url: rx.url('/mp'), events: ['lead.created'], delivery: { mode: 'digest', every: '1h' } });
    // 12 batches over about 3.5 one-second periods, ingested through both processes.
    for (let i = 0; i < 12; i++) {
      assert.equal((await (i % 2 ? a! : b!).api('POST', '/orgs/acme/events/batch', batch(i * 20, 20))).status, 202);
      await new Promise((r) => setTimeout(r, 300));
    }
    await eventually(async () => carriers(rx.posts).size === 240, 20_000, 50);
    await new Promise((r) => setTimeout(r, 1500));
    const map = carriers(rx.posts);
    assert.ok([...map.values()].every((ids) => ids.size === 1), 'no event in two digests');
    assert.equal(new Set(rx.posts.map((p) => p.headers['webhook-id'])).size, rx.posts.length, 'no digest sent twice');
    assert.ok(rx.posts.length >= 3, `${rx.posts.length} digests: one per period`);
    const db = new pg.Client({ connectionString: store.databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const periods = await db.query(`SELECT event_time, count(*)::int AS n FROM events WHERE type = 'herald.digest' GROUP BY event_time`);
    assert.equal(periods.rows.length, rx.posts.length);
    assert.ok(periods.rows.every((r: { n: number }) => r.n === 1), 'each period was closed by one process only');
  });
});
