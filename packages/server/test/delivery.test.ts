import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

for (const kind of STORE_KINDS) {
  describe(`delivery engine (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      // Every policy duration divided by 1000: a "1s" retry waits 1 ms… so use "10s" for 10 ms.
      h = await TestHerald.start(kind, { clockScale: 1000 });
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' });
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });

    const delivery = async (id: string) => (await h.api('GET', `/orgs/acme/deliveries/${id}`)).body;
    const deliveriesOf = async (webhookId: string) => (await h.api('GET', `/orgs/acme/webhooks/${webhookId}/deliveries`)).body.data;

    test('fan-out: every subscribed enabled webhook gets one delivery; scope, drafts and disabled ones as specified', async () => {
      const mk = (path: string, extra: Record<string, unknown> = {}) =>
        h.api('POST', '/orgs/acme/webhooks', { url: rx.url(path), events: ['fan.out'], ...extra }).then((r) => r.body);
      const a = await mk('/a');
      const b = await mk('/b');
      const other = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/other'), events: ['other.type'] });
      const scoped = await mk('/scoped', { apps: ['embed1'] });
      const draft = await mk('/draft', { published: false });
      const disabled = await mk('/disabled');
      await h.api('PATCH', `/orgs/acme/webhooks/${disabled.id}`, { state: 'disabled' });
      const start = rx.posts.length;
      const r = await h.api('POST', '/orgs/acme/events', { event: 'fan.out', entity: { id: 'e1' } });
      assert.equal(r.status, 202);
      assert.equal(r.body.deliveries, 3, 'a, b and the disabled one (skipped); not the app-scoped, draft or other-type ones');
      await rx.waitFor(start + 2);
      await new Promise((res) => setTimeout(res, 100));
      const paths = rx.posts.slice(start).map((p) => p.path).sort();
      assert.deepEqual(paths, ['/a', '/b']);
      const skipped = await eventually(async () => {
        const d = await deliveriesOf(disabled.id);
        return d[0]?.status === 'skipped' ? d : null;
      });
      assert.equal(skipped.length, 1, 'events for a disabled webhook are kept as skipped, not lost');
      assert.equal((await deliveriesOf(draft.id)).length, 0);
      assert.equal((await deliveriesOf(scoped.id)).length, 0);
      const withApp = await h.api('POST', '/orgs/acme/events', { event: 'fan.out', app_id: 'embed1', entity: { id: 'e2' } });
      assert.equal(withApp.body.deliveries, 4, 'the app-scoped webhook joins for its app');
      await rx.waitFor(start + 5);
      for (const w of [a, b, other.body, scoped, draft, disabled]) await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });

    test('the exact bytes signed are the bytes sent, and standardwebhooks and svix verify them unchanged', async () => {
      const w = await h.setup(rx.url('/signed'), ['conversation.created']);
      const entity = { id: '8000000004009', message: { sender: { name: 'Tricia', id: '8000000000005' }, text: 'Ünïcödé ✓ "quoted"' }, n: 1.5 };
      const start = rx.posts.length;
      await h.api('POST', '/orgs/acme/events', { event: 'conversation.created', entity, modified_fields: ['message'] });
      await rx.waitFor(start + 1);
      const got = rx.posts[start]!;
      const headers = { 'webhook-id': String(got.headers['webhook-id']), 'webhook-timestamp': String(got.headers['webhook-timestamp']), 'webhook-signature': String(got.headers['webhook-signature']) };
      assert.match(headers['webhook-id'], /^msg_/);
      const viaStandard = new StandardWebhook(w.key.secret).verify(got.body, headers) as Record<string, unknown>;
      const viaSvix = new SvixWebhook(w.key.secret).verify(got.body, headers) as Record<string, unknown>;
      assert.deepEqual(viaStandard.entity, entity);
      assert.deepEqual(viaSvix.entity, entity);
      // Compact JSON exactly as JSON.stringify writes it: a receiver that re-serialises still verifies.
      assert.equal(JSON.stringify(JSON.parse(got.body)), got.body);
      const env = JSON.parse(got.body);
      assert.deepEqual(Object.keys(env), ['version', 'event', 'event_time', 'org_id', 'attempt', 'entity_type', 'entity_id', 'entity', 'modified_fields']);
      assert.equal(env.version, '1');
      assert.equal(env.org_id, 'acme');
      assert.equal(env.attempt, 1);
      assert.equal(env.entity_type, 'conversation');
      assert.equal(env.entity_id, '8000000004009');
      assert.equal(got.headers['content-type'], 'application/json');
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });

    test('retries follow the schedule with one webhook-id, a new attempt number and signature each time, then succeed', async () => {
      let calls = 0;
      rx.respond((r, res) => {
        if (r.path !== '/flaky') return void res.end('ok');
        calls++;
        res.statusCode = calls < 3 ? 500 : 200;
        res.end(calls < 3 ? 'boom' : 'fine');
      });
      const w = await h.setup(rx.url('/flaky'), ['retry.me'], { policy: { retry_schedule: ['100s', '100s', '100s'], retry_jitter: 0 } });
      const start = rx.posts.length;
      const ev = await h.api('POST', '/orgs/acme/events', { event: 'retry.me', entity: { id: 'r1' } });
      await rx.waitFor(start + 3);
      const got = rx.posts.slice(start).filter((p) => p.path === '/flaky');
      assert.equal(new Set(got.map((g) => g.headers['webhook-id'])).size, 1);
      assert.deepEqual(got.map((g) => JSON.parse(g.body).attempt), [1, 2, 3]);
      assert.equal(new Set(got.map((g) => g.headers['webhook-signature'])).size, 3);
      // "100s" / clock scale 1000 = 100 ms between attempts. Never early; and woken by the retry's
      // own timer: an idle worker otherwise sleeps h.herald.config.worker.idleCheckMs (10 s), so a
      // gap under half of that shows the timer fired without asking for an idle machine (a
      // bound of 1 s once failed on a lightly loaded one, issue 18).
      const idleCheckMs = h.herald.config.worker.idleCheckMs;
      assert.ok(idleCheckMs >= 10_000, 'the bound below needs the default idle check');
      for (let i = 1; i < got.length; i++) {
        const gap = got[i]!.at - got[i - 1]!.at;
        assert.ok(gap >= 95, `gap ${gap} ms is shorter than the schedule`);
        assert.ok(gap < idleCheckMs / 2, `gap ${gap} ms: the retry waited for the idle check instead of its timer`);
      }
      const d = await eventually(async () => {
        const list = await deliveriesOf(w.id);
        return list[0]?.status === 'succeeded' ? list[0] : null;
      });
      assert.equal(d.attempts, 3);
      assert.equal(d.event_id, ev.body.id);
      const full = await delivery(d.id);
      assert.deepEqual(full.attempt_list.map((a: { status_code: number }) => a.status_code), [500, 500, 200]);
      assert.equal(full.attempt_list[0].response_body, 'boom');
      assert.equal(full.attempt_list[0].error_code, 'status');
      assert.ok(full.attempt_list[2].request_headers['webhook-signature']);
      const hook = (await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).body;
      assert.equal(hook.failures, 2);
      assert.equal(hook.consecutive_failures, 0);
      assert.ok(hook.last_triggered_at);
      rx.respond((_r, res) => void res.end('ok'));
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });

    test('a delivery that exhausts its schedule fails; resend makes one more attempt with the same webhook-id', async () => {
      let ok = false;
      rx.respond((r, res) => {
        res.statusCode = r.path === '/down' && !ok ? 503 : 200;
        res.end();
      });
      const w = await h.setup(rx.url('/down'), ['down.event'], { policy: { retry_schedule: ['10s'], retry_jitter: 0 } });
      await h.api('POST', '/orgs/acme/events', { event: 'down.event', entity: { id: 'd1' } });
      const failed = await eventually(async () => {
        const list = await deliveriesOf(w.id);
        return list[0]?.status === 'failed' ? list[0] : null;
      });
      assert.equal(failed.attempts, 2);
      ok = true;
      const before = rx.posts.filter((p) => p.path === '/down');
      const retry = await h.api('POST', `/orgs/acme/deliveries/${failed.id}/retry`);
      assert.equal(retry.status, 202);
      const done = await eventually(async () => {
        const d = await delivery(failed.id);
        return d.status === 'succeeded' ? d : null;
      });
      assert.equal(done.attempts, 3);
      const sent = rx.posts.filter((p) => p.path === '/down');
      assert.equal(sent.length, before.length + 1);
      assert.equal(sent.at(-1)!.headers['webhook-id'], failed.id);
      rx.respond((_r, res) => void res.end('ok'));
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });

    test('410 Gone deactivates the webhook at once; later events are kept as skipped', async () => {
      rx.respond((r, res) => {
        res.statusCode = r.path === '/gone' ? 410 : 200;
        res.end();
      });
      const w = await h.setup(rx.url('/gone'), ['gone.event']);
      await h.api('POST', '/orgs/acme/events', { event: 'gone.event', entity: { id: 'g1' } });
      const hook = await eventually(async () => {
        const x = (await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).body;
        return x.state === 'deactivated' ? x : null;
      });
      assert.equal(hook.state_reason, 'gone_410');
      const first = (await deliveriesOf(w.id))[0];
      assert.equal(first.status, 'failed');
      assert.equal(first.attempts, 1, 'no retries after a 410');
      const later = await h.api('POST', '/orgs/acme/events', { event: 'gone.event', entity: { id: 'g2' } });
      assert.equal(later.body.deliveries, 1);
      const list = await eventually(async () => {
        const l = await deliveriesOf(w.id);
        return l.length === 2 ? l : null;
      });
      assert.equal(list[0].status, 'skipped');
      rx.respond((_r, res) => void res.end('ok'));
    });

    test('idempotency keys: the first answer again, never a second event; another body is 409', async () => {
      await h.setup(rx.url('/idem'), ['idem.event']);
      const body = { event: 'idem.event', entity: { id: 'i1' }, idempotency_key: 'order-42' };
      const a = await h.api('POST', '/orgs/acme/events', body);
      const b = await h.api('POST', '/orgs/acme/events', body);
      assert.equal(a.status, 202);
      assert.equal(b.status, 202);
      assert.equal(b.body.id, a.body.id);
      assert.equal(b.headers.get('idempotent-replayed'), 'true');
      const c = await h.api('POST', '/orgs/acme/events', { ...body, entity: { id: 'changed' } });
      assert.equal(c.status, 409);
      assert.equal(c.body.error.code, 'HERALD_IDEMPOTENCY_CONFLICT');
      // The Idempotency-Key header works too for single events.
      const d = await h.api('POST', '/orgs/acme/events', { event: 'idem.event', entity: { id: 'i2' } }, { headers: { 'idempotency-key': 'hdr-1' } });
      const e = await h.api('POST', '/orgs/acme/events', { event: 'idem.event', entity: { id: 'i2' } }, { headers: { 'idempotency-key': 'hdr-1' } });
      assert.equal(d.body.id, e.body.id);
      const n = await h.herald.store.db.get<{ n: number }>(`SELECT count(*) AS n FROM events WHERE idempotency_key IN ('order-42', 'hdr-1')`);
      assert.equal(Number(n?.n), 2);
    });

    test('batch ingest: up to 1,000 at once, all or nothing', async () => {
      await h.setup(rx.url('/batch'), ['batch.event']);
      const events = Array.from({ length: 1000 }, (_, i) => ({ event: 'batch.event', entity: { id: `b${i}` } }));
      const start = rx.posts.filter((p) => p.path === '/batch').length;
      const ok = await h.api('POST', '/orgs/acme/events/batch', { events });
      assert.equal(ok.status, 202);
      assert.equal(ok.body.data.length, 1000);
      await eventually(async () => rx.posts.filter((p) => p.path === '/batch').length >= start + 1000, 20_000);
      const count = async () => Number((await h.herald.store.db.get<{ n: number }>(`SELECT count(*) AS n FROM events WHERE type = 'batch.event'`))?.n);
      const before = await count();
      const tooMany = await h.api('POST', '/orgs/acme/events/batch', { events: [...events, events[0]] });
      assert.equal(tooMany.status, 400);
      const oneBad = await h.api('POST', '/orgs/acme/events/batch', { events: [events[0], { event: 'bad name!' }] });
      assert.equal(oneBad.status, 400);
      await h.api('POST', '/orgs/acme/events', { event: 'batch.event', entity: {}, idempotency_key: 'taken' });
      const conflict = await h.api('POST', '/orgs/acme/events/batch', { events: [{ event: 'batch.event', entity: { x: 1 } }, { event: 'batch.event', entity: { y: 2 }, idempotency_key: 'taken' }] });
      assert.equal(conflict.status, 409);
      assert.equal(await count(), before + 1, 'nothing of a refused batch was stored');
    });
  });
}
