import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver, type Received } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

/** Seed 003: "Webhook will post leads and appointment records to your CRM in JSON format daily." */
for (const kind of STORE_KINDS) {
  describe(`digest delivery (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      // Clock scale 3600: a digest "every 1h" closes each second, "1d" every 24 s; "100s" retries wait 28 ms.
      h = await TestHerald.start(kind, { clockScale: 3600 });
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' });
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });

    const at = (path: string) => rx.posts.filter((p) => p.path === path);
    const deliveriesOf = async (id: string, query = '') => (await h.api('GET', `/orgs/acme/webhooks/${id}/deliveries${query}`)).body.data;
    const headersOf = (p: Received) => ({
      'webhook-id': String(p.headers['webhook-id']), 'webhook-timestamp': String(p.headers['webhook-timestamp']),
      'webhook-signature': String(p.headers['webhook-signature']),
    });
    const leads = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({
      event: i % 2 === 0 ? 'lead.created' : 'appointment.created',
      entity: { SerialNumber: '59001dd73709417321c58b11693183a2', Type: i % 2 === 0 ? 'Lead' : 'Appointment', FirstName: `N${from + i}`, SessionID: from + i },
    }));

    test('a period\'s events go out as one signed POST: a JSON array of their envelopes, in order', async () => {
      const w = await h.setup(rx.url('/digest'), ['lead.created', 'appointment.created'], { delivery: { mode: 'digest', every: '2h' } });
      assert.deepEqual(w.delivery, { mode: 'digest', every: '2h' });
      assert.ok(Date.parse(w.next_digest_at) > Date.now() - 100, 'the first period ends after creation');
      // One batch is one transaction: its events fall in the same period.
      const r = await h.api('POST', '/orgs/acme/events/batch', { events: leads(5) });
      assert.equal(r.status, 202);
      const waiting = await deliveriesOf(w.id);
      assert.equal(waiting.length, 5);
      assert.ok(waiting.every((d: { status: string; digest_id: string | null }) => d.status === 'batched' && d.digest_id === null));
      assert.equal(at('/digest').length, 0, 'nothing is sent before the period ends');

      await eventually(async () => at('/digest').length >= 1);
      const post = at('/digest')[0]!;
      const verified = new StandardWebhook(w.key.secret).verify(post.body, headersOf(post)) as Record<string, unknown>[];
      assert.ok(Array.isArray(verified));
      assert.equal(JSON.stringify(JSON.parse(post.body)), post.body, 'compact JSON, as JSON.stringify writes it');
      assert.deepEqual(verified.map((e) => (e.entity as { SessionID: number }).SessionID), [0, 1, 2, 3, 4]);
      assert.deepEqual(verified.map((e) => e.event), ['lead.created', 'appointment.created', 'lead.created', 'appointment.created', 'lead.created']);
      assert.ok(verified.every((e) => e.attempt === 1 && e.org_id === 'acme' && e.version === '1'));

      const digestId = headersOf(post)['webhook-id'];
      const digest = await eventually(async () => {
        const d = (await h.api('GET', `/orgs/acme/deliveries/${digestId}`)).body;
        return d.status === 'succeeded' ? d : null;
      });
      assert.equal(digest.event.event, 'herald.digest');
      assert.equal(digest.attempts, 1);
      const members = await deliveriesOf(w.id, `?digest_id=${digestId}`);
      assert.equal(members.length, 5);
      assert.ok(members.every((d: { status: string; digest_status: string }) => d.status === 'batched' && d.digest_status === 'succeeded'));
      await new Promise((res) => setTimeout(res, 2200));
      assert.equal(at('/digest').length, 1, 'an empty period sends nothing');
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });

    test('a failing receiver: the digest is retried as one unit, same webhook-id, the attempt inside each envelope goes up', async () => {
      let calls = 0;
      rx.respond((r, res) => {
        if (r.path === '/digest-retry') res.statusCode = ++calls < 3 ? 500 : 200;
        res.end('ok');
      });
      const w = await h.setup(rx.url('/digest-retry'), ['lead.created', 'appointment.created'], {
        delivery: { mode: 'digest', every: '1h' }, policy: { retry_schedule: ['100s', '100s'], retry_jitter: 0 },
      });
      await h.api('POST', '/orgs/acme/events/batch', { events: leads(3, 10) });
      await eventually(async () => at('/digest-retry').length >= 3);
      const got = at('/digest-retry');
      assert.equal(new Set(got.map((p) => p.headers['webhook-id'])).size, 1);
      const bodies = got.map((p) => JSON.parse(p.body) as { attempt: number; entity: { SessionID: number } }[]);
      assert.deepEqual(bodies.map((b) => b.map((e) => e.attempt)), [[1, 1, 1], [2, 2, 2], [3, 3, 3]]);
      assert.ok(bodies.every((b) => b.map((e) => e.entity.SessionID).join() === '10,11,12'), 'the same members every time');
      assert.equal(new Set(got.map((p) => p.headers['webhook-signature'])).size, 3);
      const digest = await eventually(async () => {
        const d = (await h.api('GET', `/orgs/acme/deliveries/${got[0]!.headers['webhook-id']}`)).body;
        return d.status === 'succeeded' ? d : null;
      });
      assert.deepEqual(digest.attempt_list.map((a: { status_code: number }) => a.status_code), [500, 500, 200]);
      rx.respond((_r, res) => void res.end('ok'));
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });

    test('raw payload (smarterbot preset): the body is the array of records, signed t.body as seed 003 checks', async () => {
      rx.respond((_r, res) => void res.end('{"status":"success"}'));
      const w = await h.setup(rx.url('/digest-raw'), ['lead.created', 'appointment.created'], { preset: 'smarterbot', delivery: { mode: 'digest', every: '1h' } });
      const events = leads(2, 20);
      await h.api('POST', '/orgs/acme/events/batch', { events });
      await eventually(async () => at('/digest-raw').length >= 1);
      const post = at('/digest-raw')[0]!;
      assert.equal(post.body, JSON.stringify(events.map((e) => e.entity)), 'the records themselves, in order, no envelope');
      const sig = String(post.headers['x-webhook-signature']);
      const parts = Object.fromEntries(sig.split(',').map((kv) => kv.split('=') as [string, string]));
      const expected = createHmac('sha256', w.key.secret).update(`${parts.t}.${JSON.stringify(JSON.parse(post.body))}`, 'utf8').digest('hex');
      assert.equal(parts.v1, expected);
      await eventually(async () => (await h.api('GET', `/orgs/acme/deliveries/${post.headers['webhook-id']}`)).body.status === 'succeeded');
      rx.respond((_r, res) => void res.end('ok'));
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });

    test('flush sends what waits now; switching back to immediate delivers the waiting events one by one', async () => {
      const w = await h.setup(rx.url('/digest-switch'), ['lead.created', 'appointment.created'], { delivery: { mode: 'digest', every: '1d' } });
      await h.api('POST', '/orgs/acme/events/batch', { events: leads(2, 30) });
      const flushed = await h.api('POST', `/orgs/acme/webhooks/${w.id}/digest/flush`);
      assert.equal(flushed.status, 202);
      assert.deepEqual(flushed.body, { digests: 1, events: 2 });
      await eventually(async () => at('/digest-switch').length >= 1);
      assert.equal(JSON.parse(at('/digest-switch')[0]!.body).length, 2);
      assert.deepEqual((await h.api('POST', `/orgs/acme/webhooks/${w.id}/digest/flush`)).body, { digests: 0, events: 0 });

      await h.api('POST', '/orgs/acme/events/batch', { events: leads(3, 40) });
      await new Promise((res) => setTimeout(res, 100));
      assert.equal(at('/digest-switch').length, 1, 'the new events wait for the period');
      const patched = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { delivery: { mode: 'immediate' } });
      assert.equal(patched.status, 200);
      assert.deepEqual(patched.body.delivery, { mode: 'immediate' });
      assert.equal(patched.body.next_digest_at, null);
      await eventually(async () => at('/digest-switch').length >= 4);
      const singles = at('/digest-switch').slice(1).map((p) => JSON.parse(p.body) as { entity: { SessionID: number } });
      assert.deepEqual(singles.map((e) => e.entity.SessionID).sort(), [40, 41, 42], 'one envelope per request now');
      const later = await h.api('POST', '/orgs/acme/events', { event: 'lead.created', entity: { SessionID: 50 } });
      assert.equal(later.body.deliveries, 1);
      await eventually(async () => at('/digest-switch').length >= 5);
      const notDigest = await h.api('POST', `/orgs/acme/webhooks/${w.id}/digest/flush`);
      assert.equal(notDigest.status, 409);
      assert.equal(notDigest.body.error.code, 'HERALD_WEBHOOK_NOT_DIGEST');
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(at('/digest-switch').length, 5, 'nothing was sent twice');
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });

    test('deleting a digest webhook cancels its waiting events', async () => {
      const w = await h.setup(rx.url('/digest-deleted'), ['lead.created'], { delivery: { mode: 'digest', every: '1d' } });
      const ev = await h.api('POST', '/orgs/acme/events', { event: 'lead.created', entity: { SessionID: 60 } });
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
      const e = (await h.api('GET', `/orgs/acme/events/${ev.body.id}`)).body;
      assert.equal(e.delivery_list[0].status, 'cancelled');
    });

    test('bad delivery settings are refused (4xx, stable codes) and change nothing', async () => {
      const w = await h.setup(rx.url('/digest-bad'), ['lead.created'], { delivery: { mode: 'digest', at: '02:00', timezone: 'Europe/Paris' } });
      assert.deepEqual(w.delivery, { mode: 'digest', every: '1d', at: '02:00', timezone: 'Europe/Paris' });
      const count = async () => Number((await h.herald.store.db.get<{ n: number }>('SELECT count(*) AS n FROM webhooks'))?.n);
      const before = await count();
      const cases: [unknown, number, string][] = [
        [{ mode: 'digest', every: 'soon' }, 400, 'HERALD_VALIDATION_FAILED'],
        [{ mode: 'weekly' }, 400, 'HERALD_VALIDATION_FAILED'],
        [{ mode: 'immediate', every: '1h' }, 400, 'HERALD_VALIDATION_FAILED'],
        [{ mode: 'digest', every: '1h', extra: true }, 400, 'HERALD_VALIDATION_FAILED'],
        [{ mode: 'digest', every: '30s' }, 422, 'HERALD_DELIVERY_INVALID'],
        [{ mode: 'digest', every: '1h', at: '02:00' }, 422, 'HERALD_DELIVERY_INVALID'],
        [{ mode: 'digest', at: '25:00' }, 422, 'HERALD_DELIVERY_INVALID'],
        [{ mode: 'digest', at: '02:00', timezone: 'Mars/Olympus_Mons' }, 422, 'HERALD_DELIVERY_INVALID'],
        [{ mode: 'digest', timezone: 'Europe/Paris' }, 422, 'HERALD_DELIVERY_INVALID'],
        [{ mode: 'digest', cron: '0 99 * * *' }, 422, 'HERALD_DELIVERY_INVALID'],
        [{ mode: 'digest', cron: '0 2 * * *', every: '1d' }, 422, 'HERALD_DELIVERY_INVALID'],
        [{ mode: 'digest', cron: '* * * * * *' }, 422, 'HERALD_DELIVERY_INVALID'],
      ];
      for (const [delivery, status, code] of cases) {
        const created = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/x'), events: ['lead.created'], delivery });
        assert.equal(created.status, status, JSON.stringify(delivery));
        assert.equal(created.body.error.code, code);
        const patched = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { delivery, description: 'changed?' });
        assert.equal(patched.status, status, JSON.stringify(delivery));
        assert.equal(patched.body.error.code, code);
      }
      assert.equal(await count(), before);
      const now = (await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).body;
      assert.deepEqual(now.delivery, w.delivery);
      assert.equal(now.next_digest_at, w.next_digest_at);
      assert.equal(now.description, w.description);
      const reserved = await h.api('POST', '/orgs/acme/events', { event: 'herald.digest', entity: [] });
      assert.equal(reserved.status, 400, 'only Herald makes digests');
      await h.api('DELETE', `/orgs/acme/webhooks/${w.id}`);
    });
  });
}
