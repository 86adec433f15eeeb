import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isPublicAddress } from '../src/outbound/address-guard.js';
import { HttpSender } from '../src/outbound/http-sender.js';
import { checkWebhookUrl } from '../src/services/url-check.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';

describe('outbound requests', () => {
  let rx: TestReceiver;
  before(async () => {
    rx = await TestReceiver.start();
  });
  after(async () => rx.close());

  test('requests queued behind a slow receiver wait for a connection before their deadline starts', async () => {
    rx.respond((_r, res) => void setTimeout(() => res.end('ok'), 300));
    const h = await TestHerald.start('sqlite', { worker: { connectionsPerOrigin: 2 } });
    try {
      const w = await h.setup(rx.url('/slow'), ['slow.e'], { policy: { timeout_ms: 1000, retry_schedule: [] } });
      const events = Array.from({ length: 10 }, (_, i) => ({ event: 'slow.e', entity: { i } }));
      await h.api('POST', '/orgs/acme/events/batch', { events });
      // 10 requests, 2 at a time, 300 ms each: the last starts ~1.2 s after the first, past a 1 s
      // deadline that would have started at dispatch.
      const list = await eventually(async () => {
        const d = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries`)).body.data as { status: string; attempts: number }[];
        return d.length === 10 && d.every((x) => x.status !== 'pending') ? d : null;
      }, 15_000);
      assert.ok(list.every((d) => d.status === 'succeeded' && d.attempts === 1), JSON.stringify(list));
    } finally {
      await h.stop();
      rx.respond((_r, res) => void res.end('ok'));
    }
  });

  test('a worker stops claiming while a batch waits for origin slots: a slow receiver does not pull the backlog into memory', async () => {
    rx.respond((_r, res) => void setTimeout(() => res.end('ok'), 100));
    // 2 requests at once to the origin, claims of 5, room for 200 in flight: without the
    // gate every one of the 40 deliveries would be claimed at once and wait in the process.
    const h = await TestHerald.start('sqlite', { worker: { connectionsPerOrigin: 2, claimBatch: 5, maxInFlight: 200 } });
    try {
      const w = await h.setup(rx.url('/gate'), ['gate.e']);
      const events = Array.from({ length: 40 }, (_, i) => ({ event: 'gate.e', entity: { id: i } }));
      assert.equal((await h.api('POST', '/orgs/acme/events/batch', { events })).status, 202);
      let mostHeld = 0;
      const list = await eventually(async () => {
        const held = await h.herald.store.db.get<{ n: number }>('SELECT count(*) AS n FROM delivery_queue WHERE lease_token IS NOT NULL');
        mostHeld = Math.max(mostHeld, Number(held?.n ?? 0));
        const d = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries?limit=100`)).body.data as { status: string }[];
        return d.length === 40 && d.every((x) => x.status === 'succeeded') ? d : null;
      }, 20_000, 10);
      assert.equal(list.length, 40);
      // 2 sending + at most 9 waiting (fewer than 5 when a claim of 5 starts), + answered ones
      // whose results are not written back yet; without the gate all 40 are claimed at once.
      assert.ok(mostHeld > 0 && mostHeld <= 16, `at most ${mostHeld} deliveries claimed at once`);
    } finally {
      await h.stop();
      rx.respond((_r, res) => void res.end('ok'));
    }
  });

  test('leases are renewed while a request is in flight: a slow answer is not attempted twice', async () => {
    rx.respond((_r, res) => void setTimeout(() => res.end('ok'), 2500));
    const h = await TestHerald.start('sqlite', { worker: { leaseMs: 1000 } });
    try {
      const w = await h.setup(rx.url('/renew'), ['renew.e'], { policy: { timeout_ms: 5000 } });
      const before = rx.posts.length;
      await h.api('POST', '/orgs/acme/events', { event: 'renew.e', entity: { id: 1 } });
      const d = await eventually(async () => {
        const list = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries`)).body.data;
        return list[0]?.status === 'succeeded' ? list[0] : null;
      }, 10_000);
      assert.equal(d.attempts, 1);
      assert.equal(rx.posts.length - before, 1, 'the 1 s lease was renewed during the 2.5 s request');
    } finally {
      await h.stop();
      rx.respond((_r, res) => void res.end('ok'));
    }
  });

  test("a response's headers are kept but for those that manage the connection", async () => {
    const sender = new HttpSender({ connectionsPerOrigin: 4, responseBodyLimit: 1024, allowPrivateUrls: true });
    rx.respond((_r, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-request-id': 'abc', 'set-cookie': ['a=1', 'b=2'], connection: 'keep-alive', 'keep-alive': 'timeout=5' });
      res.end('ok');
    });
    try {
      const r = await sender.send(rx.url('/headers'), {}, '{}', 2000);
      assert.equal(r.status_code, 200);
      assert.equal(r.headers?.['x-request-id'], 'abc');
      assert.equal(r.headers?.['set-cookie'], 'a=1, b=2');
      assert.equal(r.headers?.['content-type'], 'text/plain');
      assert.ok(r.headers?.['date'], 'the date stays');
      assert.deepEqual(Object.keys(r.headers ?? {}).filter((k) => k === 'connection' || k === 'keep-alive'), []);
    } finally {
      await sender.close();
      rx.respond((_r, res) => void res.end('ok'));
    }
  });

  test('a receiver that trickles its answer is cut off at the total deadline', async () => {
    const sender = new HttpSender({ connectionsPerOrigin: 4, responseBodyLimit: 1024, allowPrivateUrls: true });
    rx.respond((_r, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('.'), 50);
      setTimeout(() => (clearInterval(t), res.end()), 3000);
    });
    try {
      const started = Date.now();
      const r = await sender.send(rx.url('/trickle'), {}, '{}', 400);
      assert.equal(r.error_code, 'timeout');
      assert.ok(Date.now() - started < 2000, 'the deadline covers the whole exchange, not each chunk');
    } finally {
      await sender.close();
      rx.respond((_r, res) => void res.end('ok'));
    }
  });

  test('a slow receiver gets more requests at once than the starting 64, up to the maximum; the requests waiting for a slot are counted', async () => {
    let now = 0;
    let most = 0;
    rx.respond((_r, res) => {
      most = Math.max(most, ++now);
      setTimeout(() => {
        now--;
        res.end('ok');
      }, 60);
    });
    const sender = new HttpSender({ connectionsPerOrigin: 150, responseBodyLimit: 1024, allowPrivateUrls: true });
    try {
      const all = Array.from({ length: 800 }, () => sender.send(rx.url('/adaptive'), {}, '{}', 10_000));
      assert.equal(sender.waiting, 800 - 64, 'the first 64 go at once, the rest wait for a slot');
      const results = await Promise.all(all);
      assert.ok(results.every((r) => r.status_code === 200));
      assert.ok(most > 64 && most <= 150, `at most ${most} at once at the receiver`);
      assert.equal(sender.waiting, 0);
    } finally {
      await sender.close();
      rx.respond((_r, res) => void res.end('ok'));
    }
  });

  test('response bodies are kept up to the cap and marked truncated', async () => {
    const sender = new HttpSender({ connectionsPerOrigin: 4, responseBodyLimit: 1000, allowPrivateUrls: true });
    rx.respond((_r, res) => void res.end('x'.repeat(5_000_000)));
    try {
      const r = await sender.send(rx.url('/huge'), {}, '{}', 5000);
      assert.equal(r.status_code, 200);
      assert.equal(r.body?.length, 1000);
      assert.equal(r.truncated, true);
    } finally {
      await sender.close();
      rx.respond((_r, res) => void res.end('ok'));
    }
  });

  test('without HERALD_ALLOW_PRIVATE_URLS, private targets are refused when saved and when dialled', async () => {
    for (const url of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://[::1]/', 'http://[::ffff:7f00:1]/', 'http://10.0.0.1/', 'http://169.254.169.254/latest', 'http://localhost/']) {
      await assert.rejects(checkWebhookUrl(url, false), (e: { code?: string }) => e.code === 'HERALD_URL_INVALID', url);
    }
    const sender = new HttpSender({ connectionsPerOrigin: 4, responseBodyLimit: 1000, allowPrivateUrls: false });
    try {
      const literal = await sender.send(rx.url('/x'), {}, '{}', 1000);
      assert.equal(literal.error_code, 'blocked_address');
      const named = await sender.send(`http://localhost:${rx.port}/x`, {}, '{}', 1000);
      assert.equal(named.error_code, 'blocked_address');
    } finally {
      await sender.close();
    }
  });

  test('address classification unwraps IPv4 hidden in IPv6 forms', () => {
    const blocked = ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
      '192.0.2.1', '198.51.100.7', '203.0.113.9', '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:7f00:1',
      '::127.0.0.1', '64:ff9b::a00:1', '2002:7f00:1::', 'ff02::1', '2001:db8::1'];
    for (const ip of blocked) assert.equal(isPublicAddress(ip), false, ip);
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) assert.equal(isPublicAddress(ip), true, ip);
  });
});
