import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

for (const kind of STORE_KINDS) {
  describe(`test sends, trials, calls and recovery (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      h = await TestHerald.start(kind);
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
      await h.api('POST', '/event-types', { name: 'conversation.rated', example: { rating: 4, feedback: 'Good support' } });
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });
    const logSize = async () => Number((await h.herald.store.db.get<{ n: number }>('SELECT count(*) AS n FROM attempts'))?.n);

    test('test send: reaches even a draft, says is_test, is logged as a test and answers the exchange', async () => {
      rx.respond((_r, res) => void res.end('{"status":"Success: test request received"}'));
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/test'), events: ['other.event'], published: false })).body;
      const r = await h.api('POST', `/orgs/acme/webhooks/${w.id}/test`, { event: 'conversation.rated' });
      assert.equal(r.status, 200);
      assert.equal(r.body.succeeded, true);
      assert.equal(r.body.response.status, 200);
      assert.equal(r.body.response.body, '{"status":"Success: test request received"}');
      const sent = JSON.parse(r.body.request.body);
      assert.equal(sent.is_test, true);
      assert.deepEqual(sent.entity, { rating: 4, feedback: 'Good support' }, 'the example payload by default');
      const log = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries`)).body.data;
      assert.equal(log.length, 1);
      assert.equal(log[0].is_test, true);
      assert.equal(log[0].status, 'succeeded');
      const hook = (await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).body;
      assert.equal(hook.successes, 0, 'test sends do not count in the webhook health');
      // dialog-insight names the flag isTest (seed 004).
      const di = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/di'), events: ['x.y'], preset: 'dialog-insight' })).body;
      const dr = await h.api('POST', `/orgs/acme/webhooks/${di.id}/test`, { event: 'conversation.rated', entity: { rating: 1 } });
      assert.equal(JSON.parse(dr.body.request.body).isTest, true);
    });

    test('trial run: an edited payload runs now, the full exchange is answered, the log does not grow', async () => {
      rx.respond((r, res) => {
        res.setHeader('x-seen', String(JSON.parse(r.body).entity.rating));
        res.end('trial ok');
      });
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/trial'), events: ['conversation.rated'] })).body;
      const before = await logSize();
      const r = await h.api('POST', `/orgs/acme/webhooks/${w.id}/trial`, { event: 'conversation.rated', entity: { rating: 1, feedback: 'edited' } });
      assert.equal(r.body.succeeded, true);
      assert.equal(r.body.logged, false);
      assert.equal(r.body.response.headers['x-seen'], '1');
      assert.equal(r.body.response.body, 'trial ok');
      assert.ok(r.body.request.headers['webhook-signature']);
      assert.equal(JSON.parse(r.body.request.body).is_test, undefined, 'a trial is a real run');
      assert.equal(await logSize(), before);
      assert.equal((await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries`)).body.data.length, 0);
    });

    test('synchronous call: answers the endpoint status, headers and body; a failure counts in the health', async () => {
      rx.respond((_r, res) => {
        res.statusCode = 500;
        res.setHeader('x-bot', 'down');
        res.end('{"error":"no"}');
      });
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/call'), events: ['conversation.rated'] })).body;
      const r = await h.api('POST', `/orgs/acme/webhooks/${w.id}/call`, { event: 'conversation.rated', entity: { rating: 2 } });
      assert.equal(r.body.succeeded, false);
      assert.equal(r.body.response.status, 500);
      assert.equal(r.body.response.headers['x-bot'], 'down');
      assert.equal(r.body.response.body, '{"error":"no"}');
      assert.equal(r.body.error.code, 'status');
      const hook = (await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).body;
      assert.equal(hook.failures, 1);
      assert.equal(hook.consecutive_failures, 1);
      const d = (await h.api('GET', `/orgs/acme/deliveries/${r.body.delivery_id}`)).body;
      assert.equal(d.attempt_list.length, 1);
      const slow = await h.api('POST', `/orgs/acme/webhooks/${w.id}/call`, { event: 'conversation.rated', entity: {}, timeout_ms: 200 });
      assert.equal(slow.status, 200);
      rx.respond((_r, res) => void res.end('ok'));
    });

    test('rules: only events whose envelope matches the filter are delivered; a bad rule is refused with its position', async () => {
      rx.respond((_r, res) => void res.end('ok'));
      await h.api('POST', '/orgs', { id: 'rules', name: 'Rules', owner_email: 'r@rules.test' });
      // Seed 001: "If a chat is rated sad, a webhook can notify your support team."
      const w = (await h.api('POST', '/orgs/rules/webhooks', {
        url: rx.url('/rules'), events: ['conversation.rated', 'conversation.created'],
        filter: 'entity.rating <= 2 and event == "conversation.rated"',
      })).body;
      assert.equal(w.filter, 'entity.rating <= 2 and event == "conversation.rated"');
      const sad = await h.api('POST', '/orgs/rules/events', { event: 'conversation.rated', entity: { rating: 1 } });
      const happy = await h.api('POST', '/orgs/rules/events', { event: 'conversation.rated', entity: { rating: 5 } });
      const other = await h.api('POST', '/orgs/rules/events', { event: 'conversation.created', entity: { rating: 1 } });
      assert.deepEqual([sad.body.deliveries, happy.body.deliveries, other.body.deliveries], [1, 0, 0]);
      await eventually(async () => rx.posts.some((p) => p.path === '/rules'));
      assert.equal(JSON.parse(rx.posts.find((p) => p.path === '/rules')!.body).entity.rating, 1);
      const nested = await h.api('PATCH', `/orgs/rules/webhooks/${w.id}`, { filter: 'entity.visitor.type in ["contact", "lead"] and not exists(entity.deleted)' });
      assert.equal(nested.status, 200);
      const contact = await h.api('POST', '/orgs/rules/events', { event: 'conversation.created', entity: { visitor: { type: 'contact' } } });
      assert.equal(contact.body.deliveries, 1);
      const bad = await h.api('PATCH', `/orgs/rules/webhooks/${w.id}`, { filter: 'entity.rating <= ' });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.code, 'HERALD_FILTER_INVALID');
      assert.equal(bad.body.error.details.position, 17);
      const unclosed = await h.api('POST', '/orgs/rules/webhooks', { url: rx.url('/x'), events: ['a.b'], filter: '(entity.rating == 1' });
      assert.equal(unclosed.body.error.details.position, 0);
      assert.equal((await h.api('GET', `/orgs/rules/webhooks/${w.id}`)).body.filter, 'entity.visitor.type in ["contact", "lead"] and not exists(entity.deleted)', 'a refused rule changes nothing');
      await h.api('DELETE', `/orgs/rules/webhooks/${w.id}`);
    });

    test('recover: skipped deliveries of a disabled webhook are delivered after it is enabled again', async () => {
      rx.respond((_r, res) => void res.end('ok'));
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/recover'), events: ['rec.event'] })).body;
      await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { state: 'disabled' });
      const since = new Date(Date.now() - 1000).toISOString();
      await h.api('POST', '/orgs/acme/events/batch', { events: Array.from({ length: 5 }, (_, i) => ({ event: 'rec.event', entity: { i } })) });
      const skipped = await eventually(async () => {
        const l = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries?status=skipped`)).body.data;
        return l.length === 5 ? l : null;
      });
      assert.equal(skipped.length, 5);
      assert.equal(rx.posts.filter((p) => p.path === '/recover').length, 0);
      await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { state: 'enabled' });
      const r = await h.api('POST', `/orgs/acme/webhooks/${w.id}/recover`, { since });
      assert.equal(r.status, 202);
      assert.equal(r.body.recovered, 5);
      await eventually(async () => rx.posts.filter((p) => p.path === '/recover').length === 5);
      const bad = await h.api('POST', `/orgs/acme/webhooks/${w.id}/recover`, { since: 'yesterday' });
      assert.equal(bad.status, 400);
    });
  });
}
