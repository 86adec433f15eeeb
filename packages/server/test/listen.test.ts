import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { ADMIN_KEY, eventually, TestHerald } from './helpers/herald.js';
import { ListenProcess } from './helpers/listen.js';
import { freePort } from './helpers/process.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

/**
 * `herald listen` as users run it: a child process that long-polls a Herald for a poll
 * webhook's deliveries and forwards them to a real local receiver, reporting each answer.
 */
describe('herald listen: flags', () => {
  test('--help answers 0; a bad flag is one line and exit 2; a refused key exits 1', async () => {
    const help = await ListenProcess.run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--forward-to <url>/);
    const bad = await ListenProcess.run(['--forward-to', 'ftp://x', '--org', 'a', '--webhook', 'w', '--api-key', 'k']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /^herald listen: --forward-to must be an http\(s\) URL/);
    const both = await ListenProcess.run(['--forward-to', 'http://127.0.0.1:1/', '--org', 'a', '--api-key', 'k']);
    assert.equal(both.code, 2, 'neither --webhook nor --create');
    const h = await TestHerald.start('sqlite');
    try {
      const refused = await ListenProcess.run(['--forward-to', 'http://127.0.0.1:1/', '--url', h.url, '--org', 'acme', '--webhook', 'wh_x', '--api-key', 'wrong']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /HERALD_UNAUTHORIZED/);
    } finally {
      await h.stop();
    }
  });
});

for (const kind of STORE_KINDS) {
  describe(`herald listen (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    let port: number;
    let listener: ListenProcess | null = null;
    const overrides = () => ({ port, clockScale: 1000 });
    before(async () => {
      rx = await TestReceiver.start();
      port = await freePort();
      h = await TestHerald.start(kind, overrides());
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' });
    });
    after(async () => {
      await listener?.stop();
      await h.stop();
      await rx.close();
    });

    const delivery = async (id: string) => (await h.api('GET', `/orgs/acme/deliveries/${id}`)).body;
    const args = (extra: string[]) => ['--forward-to', rx.url('/hooks'), '--url', h.url, '--org', 'acme', '--timeout', '2s', '--visibility', '5', ...extra];

    test('forwards with the signed headers and body, reports the local answer, retries a failure, survives a Herald restart, gets resends', async () => {
      const w = (await h.api('POST', '/orgs/acme/webhooks', { destination: { kind: 'poll' }, events: ['order.placed'] })).body;
      listener = await ListenProcess.start(args(['--webhook', w.id]), { HERALD_API_KEY: ADMIN_KEY });

      // One delivery: forwarded as signed, answered 200 "ok", recorded.
      await h.api('POST', '/orgs/acme/events', { event: 'order.placed', entity: { id: 'o1' } });
      await rx.waitFor(1);
      const got = rx.posts[0]!;
      const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((k) => [k, String(got.headers[k])]));
      const env = new StandardWebhook(w.key.secret).verify(got.body, headers) as { entity: unknown };
      assert.deepEqual(env.entity, { id: 'o1' });
      const id = headers['webhook-id']!;
      await listener.waitForLine(new RegExp(`${id} order.placed attempt 1 -> 200; Herald: succeeded`));
      const d = await delivery(id);
      assert.equal(d.status, 'succeeded');
      assert.equal(d.attempt_list[0].status_code, 200);
      assert.equal(d.attempt_list[0].response_body, 'ok');

      // The local handler fails once: the failure is an attempt, the retry (by the policy) is forwarded again.
      let failOnce = true;
      rx.respond((_r, res) => {
        res.statusCode = failOnce ? 500 : 200;
        res.end(failOnce ? 'broken' : 'fixed');
        failOnce = false;
      });
      await h.api('POST', '/orgs/acme/events', { event: 'order.placed', entity: { id: 'o2' } });
      await rx.waitFor(3);
      const second = String(rx.posts[1]!.headers['webhook-id']);
      assert.equal(String(rx.posts[2]!.headers['webhook-id']), second, 'the same delivery, retried');
      const retried = await eventually(async () => {
        const x = await delivery(second);
        return x.status === 'succeeded' ? x : null;
      });
      assert.deepEqual(retried.attempt_list.map((a: { status_code: number; response_body: string }) => [a.status_code, a.response_body]), [[500, 'broken'], [200, 'fixed']]);

      // Herald restarts under the listener: it reconnects by itself and goes on.
      await h.stop(false);
      await listener.waitForLine(/Herald unreachable/);
      h = await TestHerald.start(kind, overrides(), h.store);
      await h.api('POST', '/orgs/acme/events', { event: 'order.placed', entity: { id: 'o3' } });
      await rx.waitFor(4);
      await listener.waitForLine(/connected to Herald again/);
      assert.deepEqual(JSON.parse(rx.posts[3]!.body).entity, { id: 'o3' });

      // A resend from the API reaches the listener.
      assert.equal((await h.api('POST', `/orgs/acme/deliveries/${id}/retry`)).status, 202);
      await rx.waitFor(5);
      assert.equal(String(rx.posts[4]!.headers['webhook-id']), id);
      assert.equal(JSON.parse(rx.posts[4]!.body).attempt, 2);
      assert.equal(await listener.stop(), 0);
      listener = null;
    });

    test('a listener killed between the forward and the report: the delivery is forwarded again after its visibility timeout', async () => {
      const w = (await h.api('POST', '/orgs/acme/webhooks', { destination: { kind: 'poll' }, events: ['order.crashed'] })).body;
      // The first local handler never answers: the listener is killed while it waits.
      rx.respond((r, res) => {
        if (r.path !== '/hang') res.end('ok');
      });
      const doomed = await ListenProcess.start(['--forward-to', rx.url('/hang'), '--url', h.url, '--org', 'acme', '--webhook', w.id, '--timeout', '4s', '--visibility', '5'], { HERALD_API_KEY: ADMIN_KEY });
      const start = rx.posts.length;
      await h.api('POST', '/orgs/acme/events', { event: 'order.crashed', entity: { id: 'x1' } });
      await rx.waitFor(start + 1);
      const id = String(rx.posts[start]!.headers['webhook-id']);
      await doomed.crash();
      listener = await ListenProcess.start(args(['--webhook', w.id]), { HERALD_API_KEY: ADMIN_KEY });
      await listener.waitForLine(new RegExp(`${id} order.crashed attempt 1 -> 200; Herald: succeeded`), 20_000);
      assert.equal(String(rx.posts[start + 1]!.headers['webhook-id']), id, 'the same delivery, forwarded again');
      assert.equal((await delivery(id)).attempt_list.length, 1, 'the killed forward left no attempt: only the answer reported counts');
      assert.equal(await listener.stop(), 0);
      listener = null;
    });

    test('--create makes a development poll webhook subscribed to --events', async () => {
      const start = rx.posts.length;
      listener = await ListenProcess.start(args(['--create', '--events', 'order.created']), { HERALD_API_KEY: ADMIN_KEY });
      const made = await listener.waitForLine(/created webhook (wh_\S+)/);
      const webhookId = /created webhook (wh_\S+)/.exec(made)![1]!;
      const w = (await h.api('GET', `/orgs/acme/webhooks/${webhookId}`)).body;
      assert.deepEqual([w.destination.kind, w.events], ['poll', ['order.created']]);
      await h.api('POST', '/orgs/acme/events', { event: 'order.created', entity: { id: 'c1' } });
      await rx.waitFor(start + 1);
      assert.deepEqual(JSON.parse(rx.posts[start]!.body).entity, { id: 'c1' });
      assert.equal(await listener.stop(), 0);
      listener = null;
    });
  });
}
