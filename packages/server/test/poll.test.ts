import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { eventually, TestHerald } from './helpers/herald.js';
import { freePort } from './helpers/process.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

/**
 * Pull delivery (destination poll): the consumer leases due deliveries with a long poll and
 * answers them with an ack; the worker never claims them; leases are the hot path's, so an
 * unacked delivery comes back after its visibility timeout and after a restart.
 */
for (const kind of STORE_KINDS) {
  describe(`poll destination (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    let port: number;
    // Policy durations divided by 1000: a "10s" retry is due after 10 ms.
    const overrides = () => ({ clockScale: 1000, port });
    before(async () => {
      rx = await TestReceiver.start();
      port = await freePort();
      h = await TestHerald.start(kind, overrides());
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' });
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });

    const pollHook = async (events: string[], extra: Record<string, unknown> = {}) => {
      const r = await h.api('POST', '/orgs/acme/webhooks', { destination: { kind: 'poll' }, events, ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string; key: { secret: string }; destination: { kind: string } };
    };
    const poll = (id: string, query = '', key?: string) => h.api('GET', `/orgs/acme/webhooks/${id}/poll${query}`, undefined, key === undefined ? {} : { key });
    const ack = (id: string, data: unknown[], key?: string) => h.api('POST', `/orgs/acme/webhooks/${id}/poll/ack`, { data }, key === undefined ? {} : { key });
    const delivery = async (id: string) => (await h.api('GET', `/orgs/acme/deliveries/${id}`)).body;
    const ingest = (event: string, entity: unknown) => h.api('POST', '/orgs/acme/events', { event, entity });

    test('the worker never claims a poll webhook\'s deliveries; the long poll answers the signed request as HTTP would send it', async () => {
      const w = await pollHook(['order.placed']);
      assert.deepEqual(w.destination, { kind: 'poll', secrets_set: [] });
      const http = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/http'), events: ['order.placed'] });
      const start = rx.posts.length;
      const r = await ingest('order.placed', { id: 'o1', total: 3 });
      assert.equal(r.body.deliveries, 2);
      await rx.waitFor(start + 1);
      const pending = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries`)).body.data;
      assert.equal(pending.length, 1);
      assert.equal(pending[0].status, 'pending');
      assert.equal(pending[0].attempts, 0, 'the worker delivered the http webhook and left the poll one alone');

      const got = await poll(w.id, '?wait=5');
      assert.equal(got.status, 200, JSON.stringify(got.body));
      assert.equal(got.body.data.length, 1);
      const item = got.body.data[0];
      assert.equal(item.delivery_id, pending[0].id);
      assert.equal(item.headers['webhook-id'], item.delivery_id);
      assert.equal(item.attempt, 1);
      const verified = new StandardWebhook(w.key.secret).verify(item.body, item.headers) as { entity: unknown; attempt: number };
      assert.deepEqual(verified.entity, { id: 'o1', total: 3 });
      assert.equal(verified.attempt, 1);
      assert.ok(Date.parse(item.leased_until) > Date.now());
      assert.equal((await poll(w.id)).body.data.length, 0, 'leased: not answered twice');

      const acked = await ack(w.id, [{ delivery_id: item.delivery_id, lease_token: item.lease_token, status: 200, body: 'thanks' }]);
      assert.equal(acked.status, 200, JSON.stringify(acked.body));
      assert.deepEqual(acked.body.data, [{ delivery_id: item.delivery_id, result: 'recorded', status: 'succeeded', next_attempt_at: null }]);
      const d = await delivery(item.delivery_id);
      assert.equal(d.status, 'succeeded');
      assert.equal(d.attempt_list.length, 1);
      assert.equal(d.attempt_list[0].status_code, 200);
      assert.equal(d.attempt_list[0].response_body, 'thanks');
      assert.equal(d.attempt_list[0].request_headers['webhook-signature'], item.headers['webhook-signature'], 'the log shows the headers handed out');
      const hook = (await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).body;
      assert.equal(hook.successes, 1, 'health counters as for HTTP');
      await h.api('DELETE', `/orgs/acme/webhooks/${http.body.id}`);
    });

    test('a long poll answers as soon as an event arrives, and with an empty list after wait', async () => {
      const w = await pollHook(['order.waited']);
      const started = Date.now();
      const empty = await poll(w.id, '?wait=1');
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body.data, []);
      assert.ok(Date.now() - started >= 900, 'it waited');

      const waiting = poll(w.id, '?wait=20');
      await new Promise((r) => setTimeout(r, 300));
      const sent = Date.now();
      await ingest('order.waited', { id: 'o2' });
      const got = await waiting;
      assert.equal(got.body.data.length, 1);
      assert.ok(Date.now() - sent < 15_000, 'answered on arrival, not at the end of the wait');
      await ack(w.id, [{ delivery_id: got.body.data[0].delivery_id, lease_token: got.body.data[0].lease_token }]);
    });

    test('a failed answer is an attempt retried by the policy; the next poll hands out the next attempt; exhausted, it fails', async () => {
      const w = await pollHook(['order.failed'], { policy: { retry_schedule: ['10s'] } });
      await ingest('order.failed', { id: 'o3' });
      const first = (await poll(w.id, '?wait=5')).body.data[0];
      const r1 = await ack(w.id, [{ delivery_id: first.delivery_id, lease_token: first.lease_token, status: 503, body: 'busy' }]);
      assert.equal(r1.body.data[0].result, 'recorded');
      assert.equal(r1.body.data[0].status, 'pending');
      assert.ok(r1.body.data[0].next_attempt_at);
      const second = (await poll(w.id, '?wait=5')).body.data[0];
      assert.equal(second.delivery_id, first.delivery_id);
      assert.equal(second.attempt, 2);
      assert.equal(JSON.parse(second.body).attempt, 2);
      const r2 = await ack(w.id, [{ delivery_id: second.delivery_id, lease_token: second.lease_token, ok: false, error: 'local endpoint refused the connection' }]);
      assert.equal(r2.body.data[0].status, 'failed', 'one retry in the schedule: exhausted');
      const d = await delivery(first.delivery_id);
      assert.equal(d.status, 'failed');
      assert.deepEqual(d.attempt_list.map((a: { status_code: number | null; error_code: string }) => [a.status_code, a.error_code]), [[503, 'status'], [null, 'error']]);
      assert.equal(d.attempt_list[1].error_message, 'local endpoint refused the connection');
    });

    test('an unacked delivery comes back after its visibility timeout; the stale lease token is fenced', async () => {
      const w = await pollHook(['order.lost']);
      await ingest('order.lost', { id: 'o4' });
      const first = (await poll(w.id, '?wait=5&visibility=1')).body.data[0];
      const again = await poll(w.id, '?wait=10');
      assert.equal(again.body.data.length, 1, 'due again once the lease ended');
      const second = again.body.data[0];
      assert.equal(second.delivery_id, first.delivery_id);
      assert.notEqual(second.lease_token, first.lease_token);
      const stale = await ack(w.id, [{ delivery_id: first.delivery_id, lease_token: first.lease_token, status: 200 }]);
      assert.deepEqual(stale.body.data, [{ delivery_id: first.delivery_id, result: 'fenced', next_attempt_at: null }]);
      assert.equal((await delivery(first.delivery_id)).attempts, 0, 'a fenced ack writes nothing');
      const fresh = await ack(w.id, [{ delivery_id: second.delivery_id, lease_token: second.lease_token, status: 204 }, { delivery_id: 'msg_nope', lease_token: 'x' }]);
      assert.deepEqual(fresh.body.data.map((r: { result: string }) => r.result), ['recorded', 'not_found']);
    });

    test('test sends and resends reach the poll queue; trial runs and calls are refused', async () => {
      const w = await pollHook(['order.tested']);
      const sent = await h.api('POST', `/orgs/acme/webhooks/${w.id}/test`, { event: 'order.tested', entity: { id: 't1' } });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      // Nothing went out: the answer says it is queued, with no request and no success claimed.
      assert.deepEqual(
        { ...sent.body, delivery_id: typeof sent.body.delivery_id, event_id: typeof sent.body.event_id },
        { succeeded: false, queued: true, logged: true, delivery_id: 'string', event_id: 'string', request: null, response: null, error: null, duration_ms: 0 },
      );
      const waiting = await delivery(sent.body.delivery_id);
      assert.deepEqual([waiting.status, waiting.attempts, waiting.is_test], ['pending', 0, true]);
      const item = (await poll(w.id, '?wait=5')).body.data[0];
      assert.equal(item.delivery_id, sent.body.delivery_id);
      assert.equal(item.is_test, true);
      assert.equal(JSON.parse(item.body).is_test, true);
      await ack(w.id, [{ delivery_id: item.delivery_id, lease_token: item.lease_token, status: 200 }]);
      assert.equal((await delivery(item.delivery_id)).status, 'succeeded');
      const resent = await h.api('POST', `/orgs/acme/deliveries/${item.delivery_id}/retry`);
      assert.equal(resent.status, 202);
      const again = (await poll(w.id, '?wait=5')).body.data[0];
      assert.equal(again.delivery_id, item.delivery_id);
      assert.equal(again.attempt, 2);
      await ack(w.id, [{ delivery_id: again.delivery_id, lease_token: again.lease_token }]);
      for (const mode of ['trial', 'call']) {
        const r = await h.api('POST', `/orgs/acme/webhooks/${w.id}/${mode}`, { event: 'order.tested', entity: { id: 't2' } });
        assert.equal(r.status, 409);
        assert.equal(r.body.error.code, 'HERALD_WEBHOOK_IS_POLL');
      }
    });

    test('only poll webhooks are polled; the consumer needs webhooks:read and deliveries:write of the org', async () => {
      const w = await pollHook(['order.auth']);
      const http = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/x'), events: ['order.auth'] });
      const notPoll = await poll(http.body.id);
      assert.equal(notPoll.status, 409);
      assert.equal(notPoll.body.error.code, 'HERALD_WEBHOOK_NOT_POLL');
      assert.equal((await poll('wh_missing')).body.error.code, 'HERALD_WEBHOOK_NOT_FOUND');
      assert.equal((await poll(w.id, '?wait=31')).status, 400);
      assert.equal((await poll(w.id, '?visibility=301')).status, 400);
      const manage = (await h.api('POST', '/orgs/acme/portal-links', { access: 'manage' })).body.token;
      const read = (await h.api('POST', '/orgs/acme/portal-links', { access: 'read' })).body.token;
      assert.equal((await poll(w.id, '', manage)).status, 200);
      assert.equal((await poll(w.id, '', read)).status, 403);
      assert.equal((await ack(w.id, [{ delivery_id: 'msg_x', lease_token: 't' }], read)).status, 403);
      await h.api('DELETE', `/orgs/acme/webhooks/${http.body.id}`);
    });

    test('an http webhook that becomes a poll webhook takes its waiting deliveries along', async () => {
      rx.respond((r, res) => {
        res.statusCode = r.path === '/moving' ? 500 : 200;
        res.end();
      });
      const http = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/moving'), events: ['order.moving'], policy: { retry_schedule: ['1h'] } })).body;
      await ingest('order.moving', { id: 'mv1' });
      const failed = await eventually(async () => {
        const d = (await h.api('GET', `/orgs/acme/webhooks/${http.id}/deliveries`)).body.data;
        return d[0]?.attempts === 1 ? d[0] : null;
      });
      const patched = await h.api('PATCH', `/orgs/acme/webhooks/${http.id}`, { destination: { kind: 'poll' } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      // Its retry is due within seconds (1 h / 1000): the consumer gets it, the worker does not.
      const item = (await poll(http.id, '?wait=15')).body.data[0];
      assert.equal(item.delivery_id, failed.id);
      assert.equal(item.attempt, 2);
      await ack(http.id, [{ delivery_id: item.delivery_id, lease_token: item.lease_token }]);
      assert.equal((await delivery(failed.id)).status, 'succeeded');
      rx.respond((_r, res) => {
        res.end('ok');
      });
    });

    test('recovered skipped deliveries reach the poll queue', async () => {
      const w = await pollHook(['order.moved'], { published: true });
      await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { state: 'disabled' });
      await ingest('order.moved', { id: 'm1' });
      const skipped = await eventually(async () => {
        const d = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries`)).body.data;
        return d[0]?.status === 'skipped' ? d[0] : null;
      });
      await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { state: 'enabled' });
      assert.equal((await h.api('POST', `/orgs/acme/webhooks/${w.id}/recover`, { since: new Date(Date.now() - 60_000).toISOString() })).status, 202);
      const item = (await poll(w.id, '?wait=5')).body.data[0];
      assert.equal(item.delivery_id, skipped.id, 'a recovered skipped delivery reaches the poll queue');
      await ack(w.id, [{ delivery_id: item.delivery_id, lease_token: item.lease_token }]);
    });

    test('a restart of Herald keeps unacked deliveries: they are handed out again', async () => {
      const w = await pollHook(['order.kept']);
      await ingest('order.kept', { id: 'k1' });
      const first = (await poll(w.id, '?wait=5&visibility=2')).body.data[0];
      await h.stop(false);
      h = await TestHerald.start(kind, overrides(), h.store);
      const again = (await poll(w.id, '?wait=15')).body.data[0];
      assert.equal(again?.delivery_id, first.delivery_id);
      const r = await ack(w.id, [{ delivery_id: again.delivery_id, lease_token: again.lease_token, status: 200 }]);
      assert.equal(r.body.data[0].result, 'recorded');
      assert.equal((await delivery(first.delivery_id)).status, 'succeeded');
    });
  });
}
