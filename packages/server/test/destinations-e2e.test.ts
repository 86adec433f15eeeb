/**
 * Webhooks whose destination is a broker, end to end on a real Herald and the real brokers on
 * 127.0.0.1 (RabbitMQ, NATS JetStream, Redis): events published with the signed headers a
 * consumer verifies, deliveries and attempts logged as for HTTP, a broker that goes away
 * (a TCP proxy in front of it is cut) makes failed attempts retried by the webhook's schedule
 * until it is back, replays and test sends publish (the latter with is_test), and credentials never leave the store
 * unsealed. Each test uses names of its own (helpers/broker-consumers.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { openDestinationSecrets, type BrokerKind } from '../src/destinations/index.js';
import { blockedHostProblem } from '../src/destinations/hosts.js';
import { systemResolver } from '../src/outbound/address-guard.js';
import { secretBoxFor } from '../src/ops/parts.js';
import { BROKER_PORTS, CONSUMERS, EVENT_TYPES, type BrokerConsumer, type Received } from './helpers/broker-consumers.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { STORE_KINDS } from './helpers/stores.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

const KINDS: BrokerKind[] = ['amqp', 'nats', 'redis-stream'];
/** Policy durations run 20 times faster: a "20s" retry comes after 1 s. */
const CLOCK_SCALE = 20;
const BROKER_ERRORS = new Set(['broker_unreachable', 'timeout', 'broker_error']);

interface Attempt { attempt: number; outcome: string; status_code: number | null; error_code: string | null; request_headers: Record<string, string>; response_body: string | null; is_test: boolean }
interface DeliveryDetail { id: string; status: string; attempts: number; is_test: boolean; attempt_list: Attempt[] }

for (const storeKind of STORE_KINDS) {
  describe(`broker destinations end to end (${storeKind})`, () => {
    let h: TestHerald;
    let n = 0;
    before(async () => {
      h = await TestHerald.start(storeKind, { clockScale: CLOCK_SCALE });
    });
    after(async () => {
      await h.stop();
    });

    /** An org of its own per test, so a test's events reach its webhook only. */
    async function newOrg(): Promise<string> {
      const id = `org${n++}`;
      const res = await h.api('POST', '/orgs', { id, name: id, owner_email: `owner@${id}.test` });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return id;
    }

    async function createWebhook(org: string, destination: Record<string, unknown>, extra: Record<string, unknown> = {}) {
      const res = await h.api('POST', `/orgs/${org}/webhooks`, { events: [...EVENT_TYPES], destination, ...extra });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    }

    async function ingest(org: string, count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const res = await h.api('POST', `/orgs/${org}/events`, { event: EVENT_TYPES[i % EVENT_TYPES.length], entity: { id: `c${i}`, text: 'héllo ✓' } });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        ids.push(res.body.id);
      }
      return ids;
    }

    async function deliveries(org: string, webhookId: string): Promise<DeliveryDetail[]> {
      const list = await h.api('GET', `/orgs/${org}/webhooks/${webhookId}/deliveries?limit=100`);
      assert.equal(list.status, 200, JSON.stringify(list.body));
      const out: DeliveryDetail[] = [];
      for (const d of list.body.data as { id: string }[]) out.push((await h.api('GET', `/orgs/${org}/deliveries/${d.id}`)).body);
      return out;
    }

    async function allSucceeded(org: string, webhookId: string, count: number): Promise<DeliveryDetail[]> {
      return eventually(async () => {
        const ds = await deliveries(org, webhookId);
        return ds.length === count && ds.every((d) => d.status === 'succeeded') ? ds : null;
      }, 30_000, 100);
    }

    function verifyAll(got: readonly Received[], secret: string): void {
      const wh = new StandardWebhook(secret);
      for (const g of got) {
        const payload = wh.verify(g.body, g.headers) as { event: string; entity: { id: string } };
        assert.equal(payload.event, g.eventType);
        assert.equal(g.headers['webhook-id'], g.deliveryId);
      }
    }

    for (const kind of KINDS) {
      test(`${kind}: events are published signed, deliveries succeed with their attempts logged, a test send publishes with is_test`, async () => {
        const consumer: BrokerConsumer = await CONSUMERS[kind]();
        try {
          const org = await newOrg();
          const w = await createWebhook(org, consumer.input(BROKER_PORTS[kind]));
          assert.equal(w.destination.kind, kind);
          await ingest(org, 4);
          const got = await consumer.read(4);
          assert.equal(got.length, 4);
          verifyAll(got, w.key.secret);
          const ds = await allSucceeded(org, w.id, 4);
          assert.deepEqual(new Set(got.map((g) => g.deliveryId)), new Set(ds.map((d) => d.id)));
          for (const d of ds) {
            const [a] = d.attempt_list;
            assert.equal(a?.outcome, 'success');
            assert.equal(a?.status_code, null, 'a broker has no HTTP status');
            assert.ok(a?.request_headers['webhook-signature'], 'the message headers are logged as the request headers');
            assert.ok(a?.response_body, "the broker's confirmation is logged as the response");
            // What is logged is what the message carried: the delivery's headers, not the HTTP request's.
            const message = got.find((g) => g.deliveryId === d.id);
            for (const [name, value] of Object.entries(a?.request_headers ?? {})) assert.equal(message?.headers[name], value, `${name} as published`);
            assert.deepEqual(Object.keys(a?.request_headers ?? {}).filter((n) => n === 'user-agent' || n === 'content-type'), []);
          }

          // A replay publishes the same delivery again, under the same id, as a new attempt
          // (JetStream drops it as a duplicate of the first within its duplicate window, and says so).
          const replayed = ds[0]!;
          const retry = await h.api('POST', `/orgs/${org}/deliveries/${replayed.id}/retry`);
          assert.equal(retry.status, 202, JSON.stringify(retry.body));
          const second = await eventually(async () => {
            const d: DeliveryDetail = (await h.api('GET', `/orgs/${org}/deliveries/${replayed.id}`)).body;
            return d.status === 'succeeded' && d.attempt_list.length === 2 ? d.attempt_list.find((a) => a.attempt === 2) : null;
          }, 20_000, 100);
          if (kind === 'nats') assert.match(second.response_body ?? '', /^duplicate of /);
          else assert.equal((await consumer.read(1))[0]?.deliveryId, replayed.id);

          const sent = await h.api('POST', `/orgs/${org}/webhooks/${w.id}/test`, { event: 'conversation.created', entity: { id: 't1' } });
          assert.equal(sent.status, 200, JSON.stringify(sent.body));
          assert.equal(sent.body.succeeded, true, JSON.stringify(sent.body));
          const [testMsg] = await consumer.read(1);
          assert.ok(testMsg);
          assert.equal(testMsg.deliveryId, sent.body.delivery_id);
          assert.equal((JSON.parse(testMsg.body) as { is_test?: boolean }).is_test, true);
          verifyAll([testMsg], w.key.secret);
          const logged: DeliveryDetail = (await h.api('GET', `/orgs/${org}/deliveries/${sent.body.delivery_id}`)).body;
          assert.equal(logged.is_test, true);
          assert.equal(logged.status, 'succeeded');
        } finally {
          await consumer.close();
        }
      });

      test(`${kind}: the broker going away fails attempts, which the schedule retries until they arrive`, async () => {
        const consumer = await CONSUMERS[kind]();
        const proxy = await startTcpProxy(BROKER_PORTS[kind]);
        try {
          const org = await newOrg();
          const w = await createWebhook(org, consumer.input(proxy.port), { policy: { retry_schedule: Array(12).fill('20s') } });
          await ingest(org, 1);
          await allSucceeded(org, w.id, 1);
          await proxy.cut();
          await ingest(org, 3);
          // Every delivery made while the broker is away fails at least once, and is due again.
          await eventually(async () => {
            const ds = await deliveries(org, w.id);
            const waiting = ds.filter((d) => d.status === 'pending' && d.attempts >= 1);
            return waiting.length === 3 ? ds : null;
          }, 20_000, 100);
          await proxy.restore();
          const ds = await allSucceeded(org, w.id, 4);
          const failed = ds.flatMap((d) => d.attempt_list.filter((a) => a.outcome === 'failure'));
          assert.ok(failed.length >= 3, 'each delivery made during the outage failed first');
          for (const a of failed) assert.ok(BROKER_ERRORS.has(a.error_code ?? ''), `unexpected error code ${a.error_code}`);
          // Each retried delivery kept its id; a timeout may have stored a message twice (at least once).
          const got = await consumer.read(4);
          assert.deepEqual(new Set(got.map((g) => g.deliveryId)), new Set(ds.map((d) => d.id)));
          verifyAll(got, w.key.secret);
        } finally {
          await proxy.close();
          await consumer.close();
        }
      });
    }

    test('a changed destination takes effect at once: the next delivery goes to the new stream', async () => {
      const first = await CONSUMERS['redis-stream']();
      const second = await CONSUMERS['redis-stream']();
      try {
        const org = await newOrg();
        const w = await createWebhook(org, first.input(BROKER_PORTS['redis-stream']));
        await ingest(org, 1);
        assert.equal((await first.read(1)).length, 1);
        const patched = await h.api('PATCH', `/orgs/${org}/webhooks/${w.id}`, { destination: second.input(BROKER_PORTS['redis-stream']) });
        assert.equal(patched.status, 200, JSON.stringify(patched.body));
        await ingest(org, 1);
        const got = await second.read(1);
        assert.equal(got.length, 1);
        verifyAll(got, w.key.secret);
        assert.equal(await first.stored(), 1, 'nothing more went to the old stream');
      } finally {
        await first.close();
        await second.close();
      }
    });

    test('credentials are sealed in the table and never answered; bad settings are refused with 422', async () => {
      const password = `s3cr3t-${Date.now()}`;
      const org = await newOrg();
      const created = await h.api('POST', `/orgs/${org}/webhooks`, {
        events: ['conversation.created'], published: false,
        destination: { kind: 'redis-stream', url: `redis://:${password}@127.0.0.1:6379/0`, stream: 'herald-never:{event_type}' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      assert.deepEqual(created.body.destination, { kind: 'redis-stream', url: 'redis://127.0.0.1:6379/0', stream: 'herald-never:{event_type}', secrets_set: ['password'] });
      const answers = [
        created,
        await h.api('GET', `/orgs/${org}/webhooks/${id}`),
        await h.api('GET', `/orgs/${org}/webhooks?limit=100`),
        await h.api('PATCH', `/orgs/${org}/webhooks/${id}`, { description: 'renamed', url: created.body.url }),
      ];
      for (const a of answers) {
        assert.equal(a.status < 300, true, JSON.stringify(a.body));
        assert.ok(!JSON.stringify(a.body).includes(password), 'no answer holds the password');
      }
      const row = await h.herald.store.db.get<{ url: string; destination: string; destination_sealed: string }>(
        'SELECT url, destination, destination_sealed FROM webhooks WHERE id = ?', [id]);
      assert.ok(row);
      for (const column of [row.url, row.destination, row.destination_sealed]) assert.ok(!column.includes(password));
      assert.deepEqual(openDestinationSecrets(secretBoxFor(h.herald.config), id, row.destination_sealed), { password });

      const refused = [
        await h.api('POST', `/orgs/${org}/webhooks`, { events: ['a.b'], destination: { kind: 'amqp', url: 'ftp://x', exchange: '', routing_key: 'q' } }),
        await h.api('POST', `/orgs/${org}/webhooks`, { events: ['a.b'], url: 'http://127.0.0.1:9/x', destination: { kind: 'nats', servers: 'nats://127.0.0.1:4222', subject: 'a.{event_type}' } }),
        await h.api('POST', `/orgs/${org}/webhooks`, { events: ['a.b'], url: 'http://127.0.0.1:9/x', destination: { kind: 'http', exchange: 'x' } }),
        await h.api('PATCH', `/orgs/${org}/webhooks/${id}`, { url: 'http://127.0.0.1:9/other' }),
        await h.api('PATCH', `/orgs/${org}/webhooks/${id}`, { destination: { kind: 'http' } }),
      ];
      for (const r of refused) {
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'HERALD_DESTINATION_INVALID');
      }
      // Back to http: the destination and its sealed credentials are gone.
      const toHttp = await h.api('PATCH', `/orgs/${org}/webhooks/${id}`, { destination: { kind: 'http' }, url: 'http://127.0.0.1:9/hook' });
      assert.equal(toHttp.status, 200, JSON.stringify(toHttp.body));
      assert.deepEqual(toHttp.body.destination, { kind: 'http' });
      const after = await h.herald.store.db.get<{ destination: string | null; destination_sealed: string | null }>(
        'SELECT destination, destination_sealed FROM webhooks WHERE id = ?', [id]);
      assert.deepEqual(after, { destination: null, destination_sealed: null });
    });
  });
}

describe('broker hosts follow the outbound address rule', () => {
  test('loopback and private hosts are refused, public literal addresses pass (no traffic)', async () => {
    const problem = await blockedHostProblem({ kind: 'redis-stream', url: 'redis://127.0.0.1:6379/0', stream: 's' }, systemResolver);
    assert.match(problem ?? '', /private or reserved/);
    assert.match(await blockedHostProblem({ kind: 'nats', servers: ['nats://93.184.216.34:4222', 'nats://10.0.0.5:4222'], subject: 's' }, systemResolver) ?? '', /10\.0\.0\.5/);
    assert.equal(await blockedHostProblem({ kind: 'amqp', url: 'amqp://93.184.216.34:5672/', exchange: '', routing_key: 'q', persistent: true, mandatory: true }, systemResolver), null);
  });
});

for (const storeKind of STORE_KINDS) {
  describe(`a failing broker destination is alerted on and deactivated like an HTTP endpoint (${storeKind})`, () => {
    let h: TestHerald;
    before(async () => {
      // An hour of the salesiq ladder lasts one second.
      h = await TestHerald.start(storeKind, { clockScale: 3600 });
      const org = await h.api('POST', '/orgs', { id: 'siq', name: 'SIQ', owner_email: 'owner@siq.test' });
      assert.equal(org.status, 201, JSON.stringify(org.body));
    });
    after(async () => {
      await h.stop();
    });

    test('salesiq ladder: consecutive failed publishes warn, then deactivate (failure_ladder)', async () => {
      const proxy = await startTcpProxy(BROKER_PORTS['redis-stream']);
      await proxy.cut();
      try {
        const created = await h.api('POST', '/orgs/siq/webhooks', {
          events: ['chat.ended'], preset: 'salesiq', policy: { retry_schedule: [] },
          destination: { kind: 'redis-stream', url: `redis://127.0.0.1:${proxy.port}/0`, stream: 'herald-never:{event_type}' },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const id = created.body.id as string;
        let state = created.body;
        // The ladder deactivates on a failure more than an hour (here a second) after its second warning.
        for (let i = 0; i < 12 && state.state !== 'deactivated'; i++) {
          const before = state.consecutive_failures as number;
          const ingested = await h.api('POST', '/orgs/siq/events', { event: 'chat.ended', entity: { id: `c${i}` } });
          assert.equal(ingested.status, 202);
          state = await eventually(async () => {
            const w = (await h.api('GET', `/orgs/siq/webhooks/${id}`)).body;
            return w.consecutive_failures > before || w.state === 'deactivated' ? w : null;
          }, 20_000, 50);
          if (state.consecutive_failures >= 3) await new Promise((r) => setTimeout(r, 1100));
        }
        assert.equal(state.state, 'deactivated');
        assert.equal(state.state_reason, 'failure_ladder');
        const list = await h.api('GET', `/orgs/siq/webhooks/${id}/deliveries?limit=100`);
        const attempted = (list.body.data as { id: string; attempts: number }[]).find((d) => d.attempts > 0);
        assert.ok(attempted, 'a delivery with an attempt');
        const detail = (await h.api('GET', `/orgs/siq/deliveries/${attempted.id}`)).body as DeliveryDetail;
        assert.equal(detail.attempt_list[0]?.error_code, 'broker_unreachable');
      } finally {
        await proxy.close();
      }
    });
  });
}
