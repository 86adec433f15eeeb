import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { eventually, TestHerald } from './helpers/herald.js';
import { HeraldProcess } from './helpers/process.js';
import { TestReceiver } from './helpers/receiver.js';
import { freshStore, PG_URL, type TestStore } from './helpers/stores.js';

/**
 * "1h" digest periods and the hourly retention run last a second at this scale; followers try
 * for the lead every 200 ms. In-process engines (`single`): the test reads their services.
 */
const CONFIG = { clockScale: 3600, worker: { leaderRetryMs: 200 }, threads: 'single' as const };
const CHILD_ENV = { HERALD_CLOCK_SCALE: '3600', HERALD_LEADER_RETRY_MS: '200' };
const TASKS = ['retention', 'digests', 'fifo_rescue'] as const;

const services = (h: TestHerald) => h.herald.localEngine!.services!;
const runs = async (h: TestHerald, task: string) => (await h.metric(`herald_maintenance_runs_total{task="${task}"}`)) ?? 0;

/** The one leader of `heralds`, once exactly one leads (and at most one ever does meanwhile). */
async function soleLeader(heralds: readonly TestHerald[], timeoutMs = 10_000): Promise<TestHerald> {
  return eventually(async () => {
    const leading = heralds.filter((h) => services(h).leader.isLeader);
    assert.ok(leading.length <= 1, 'never two leaders in one test process');
    return leading.length === 1 ? leading[0] : null;
  }, timeoutMs);
}

/** What TestHerald and HeraldProcess both offer. */
interface ApiClient {
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

async function digestWebhook(h: ApiClient, rx: TestReceiver) {
  const o = await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
  assert.ok(o.status === 201 || o.status === 409);
  const w = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/digest'), events: ['lead.created'], delivery: { mode: 'digest', every: '1h' } });
  assert.equal(w.status, 201);
  return w.body as { id: string };
}

const leads = (n: number, from = 0) => ({ events: Array.from({ length: n }, (_, i) => ({ event: 'lead.created', entity: { n: from + i } })) });

describe('maintenance leader (sqlite)', () => {
  test('the one process of a data directory leads at once and runs maintenance', async () => {
    const h = await TestHerald.start('sqlite', CONFIG);
    try {
      await services(h).leader.settled();
      assert.equal(services(h).leader.isLeader, true);
      assert.equal(await h.metric('herald_leader'), 1);
      // Retention's first run comes one (scaled) period after start.
      await services(h).retention.signals.looked.next();
      assert.ok((await runs(h, 'retention')) >= 1);
    } finally {
      await h.stop();
    }
  });
});

describe('maintenance leader (postgres)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  async function pair(): Promise<[TestHerald, TestHerald, TestStore]> {
    const a = await TestHerald.start('postgres', CONFIG);
    cleanups.push(() => a.store.cleanup());
    const b = await TestHerald.start('postgres', CONFIG, a.store);
    cleanups.push(() => b.stop(false), () => a.stop(false));
    return [a, b, a.store];
  }

  test('exactly one of two processes leads; retention and the other maintenance run only there', async () => {
    const [a, b] = await pair();
    const leader = await soleLeader([a, b]);
    const follower = leader === a ? b : a;
    // Several tries of the follower later, still one leader.
    for (let i = 0; i < 3; i++) await services(follower).leader.signals.looked.next();
    assert.equal(services(leader).leader.isLeader, true);
    assert.equal(services(follower).leader.isLeader, false);
    assert.deepEqual([await leader.metric('herald_leader'), await follower.metric('herald_leader')], [1, 0]);

    await services(leader).retention.signals.looked.next();
    const purge = services(leader).retention.lastPurge;
    assert.deepEqual(purge, { attempts: 0, deliveries: 0, events: 0, alert_records: 0, idempotency_keys: 0 }, 'the leader ran a full pass');
    for (const task of TASKS) {
      assert.ok((await runs(leader, task)) >= 1, `${task} ran on the leader`);
      assert.equal(await runs(follower, task), 0, `${task} never ran on the follower`);
    }
    assert.equal(services(follower).retention.running, false);
    assert.equal(services(follower).retention.lastPurge, null);
  });

  test('the leader stops: the other leads within a few seconds, and digests still close', async () => {
    const rx = await TestReceiver.start();
    cleanups.push(() => rx.close());
    const [a, b] = await pair();
    const leader = await soleLeader([a, b]);
    const survivor = leader === a ? b : a;
    const w = await digestWebhook(survivor, rx);
    assert.equal((await survivor.api('POST', '/orgs/acme/events/batch', leads(10))).status, 202);
    await rx.waitFor(1, 10_000);

    const stoppedAt = Date.now();
    await leader.stop(false);
    await soleLeader([survivor], 5000);
    const handover = Date.now() - stoppedAt;
    assert.ok(handover < 5000, `took over in ${handover} ms`);

    assert.equal((await survivor.api('POST', '/orgs/acme/events/batch', leads(10, 10))).status, 202);
    await rx.waitFor(2, 10_000);
    const sent = rx.posts.flatMap((p) => (JSON.parse(p.body) as { entity: { n: number } }[]).map((e) => e.entity.n));
    assert.deepEqual(sent.sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
    const waiting = (await survivor.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries?status=batched&limit=50`)).body.data as unknown[];
    assert.equal(waiting.length, 20);
  });

  test('the leader\'s connection is killed: it stands down at once, and exactly one process leads again', async () => {
    const [a, b] = await pair();
    const leader = await soleLeader([a, b]);
    const schema = (await a.herald.store.db.get<{ s: string }>('SELECT current_schema() AS s'))!.s;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const standDown = services(leader).leader.signals.looked.next();
      // The backend holding this schema's leader lock: what PostgreSQL sees when a process dies.
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = hashtext('herald.leader.' || $1::text)::bigint`,
        [schema],
      );
      assert.equal(killed.rowCount, 1, 'one session holds the lock');
      await standDown;
      // Whichever process takes the freed lock first leads; the processes keep running either way.
      await soleLeader([a, b], 5000);
      assert.equal((await a.api('GET', '/orgs/none')).status, 404);
    } finally {
      await admin.end();
    }
  });

  test('kill -9 of the leader process: the other process leads within a few seconds and closes digests', async () => {
    const store = await freshStore('postgres');
    const rx = await TestReceiver.start();
    cleanups.push(() => store.cleanup(), () => rx.close());
    const first = await HeraldProcess.start(store, CHILD_ENV);
    cleanups.push(() => first.stop());
    const second = await HeraldProcess.start(store, CHILD_ENV);
    cleanups.push(() => second.stop());
    const leaderOf = async () => {
      const flags = [await first.metric('herald_leader'), await second.metric('herald_leader')];
      return flags[0]! + flags[1]! === 1 ? (flags[0] === 1 ? first : second) : null;
    };
    const leader = await eventually(leaderOf, 10_000, 50);
    const survivor = leader === first ? second : first;
    await digestWebhook(survivor, rx);

    const killedAt = Date.now();
    await leader.crash();
    await eventually(async () => (await survivor.metric('herald_leader')) === 1, 5000, 50);
    const handover = Date.now() - killedAt;
    assert.ok(handover < 5000, `took over in ${handover} ms`);

    assert.equal((await survivor.api('POST', '/orgs/acme/events/batch', leads(5))).status, 202);
    await rx.waitFor(1, 10_000);
    assert.equal((JSON.parse(rx.posts[0]!.body) as unknown[]).length, 5, 'one digest of the five events');
    assert.ok((await survivor.metric('herald_maintenance_runs_total', 'task="digests"')) >= 1);
  });
});
