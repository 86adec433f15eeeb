/**
 * Broker destinations against the real brokers on 127.0.0.1: what a consumer reads is what was
 * signed (verified with the standardwebhooks library), outages are survived without recreating
 * the destination, and no send waits past its deadline. Outages are made by a TCP proxy in
 * front of the broker (helpers/tcp-proxy.ts): the brokers are shared and are never stopped.
 */
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { requestHeaders } from '../src/engine/attempt-outcome.js';
import { createSigner, generateKeyMaterial } from '../src/signing/index.js';
import { createDestination, parseDestination, type Destination, type BrokerKind, type DestinationOutcome, type OutboundMessage } from '../src/destinations/index.js';
import { BROKER_PORTS, CONSUMERS, EVENT_TYPES, type BrokerConsumer } from './helpers/broker-consumers.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const key = generateKeyMaterial('standard');
const secret = key.kind === 'hmac' ? key.secret : '';
const signer = createSigner('standard', [key]);
const FAST = { connectTimeoutMs: 1000, reconnectInitialMs: 50, reconnectMaxMs: 200 };
const DEADLINE_MS = 5000;
const KINDS: BrokerKind[] = ['amqp', 'nats', 'redis-stream'];

let serial = 0;
function message(eventType: string): OutboundMessage {
  serial += 1;
  const deliveryId = `msg_${randomBytes(6).toString('hex')}_${String(serial).padStart(5, '0')}`;
  const body = JSON.stringify({ version: 1, event: eventType, event_time: Date.now(), entity: { n: serial, text: 'héllo "quoted" \u2713' } });
  return { deliveryId, eventType, headers: requestHeaders(signer, deliveryId, Math.floor(Date.now() / 1000), body), body };
}

function batch(n: number): OutboundMessage[] {
  return Array.from({ length: n }, (_, i) => message(EVENT_TYPES[i % EVENT_TYPES.length] as string));
}

function destinationFor(consumer: BrokerConsumer, port: number): Destination {
  const { settings, secrets } = parseDestination(consumer.input(port));
  return createDestination(settings, secrets, FAST);
}

function codes(outcomes: DestinationOutcome[]): string[] {
  return outcomes.map((o) => (o.ok ? 'ok' : o.errorCode));
}

/** Sends one message until it is confirmed (a bounded number of tries), answering the tries. */
async function sendUntilOk(d: Destination, consumer: BrokerConsumer): Promise<number> {
  for (let tries = 1; tries <= 100; tries++) {
    const m = message('conversation.created');
    const [o] = await d.send([m], 2000);
    if (o?.ok === true) {
      const [got] = await consumer.read(1);
      assert.equal(got?.deliveryId, m.deliveryId);
      return tries;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('the destination did not recover after the broker came back');
}

for (const kind of KINDS) {
  describe(`${kind} destination`, () => {
    let consumer: BrokerConsumer;
    before(async () => {
      consumer = await CONSUMERS[kind]();
    });
    after(async () => {
      await consumer.close();
    });

    it('delivers a batch that a consumer reads with headers and body intact, confirmed one by one', async () => {
      const d = destinationFor(consumer, BROKER_PORTS[kind]);
      try {
        const sent = batch(40);
        const outcomes = await d.send(sent, DEADLINE_MS);
        assert.deepEqual(codes(outcomes), sent.map(() => 'ok'));
        // A second batch reuses the connection.
        const second = batch(3);
        assert.deepEqual(codes(await d.send(second, DEADLINE_MS)), ['ok', 'ok', 'ok']);
        const got = await consumer.read(sent.length + second.length);
        const byId = new Map(got.map((g) => [g.deliveryId, g]));
        assert.equal(byId.size, sent.length + second.length);
        for (const m of [...sent, ...second]) {
          const g = byId.get(m.deliveryId);
          assert.ok(g !== undefined, `${m.deliveryId} was not received`);
          assert.equal(g.body, m.body);
          assert.equal(g.eventType, m.eventType);
          assert.ok(g.name.endsWith(m.eventType), `${g.name} is named from ${m.eventType}`);
          for (const [h, v] of Object.entries(m.headers)) assert.equal(g.headers[h], v, `header ${h}`);
          // The consumer can verify the signature over what it received, as an HTTP receiver would.
          const verified = new StandardWebhook(secret).verify(g.body, g.headers) as { event: string };
          assert.equal(verified.event, m.eventType);
        }
      } finally {
        await d.close();
      }
    });

    it('fails fast with broker_unreachable while the broker is away, and recovers by itself', async () => {
      const proxy: TcpProxy = await startTcpProxy(BROKER_PORTS[kind]);
      const d = destinationFor(consumer, proxy.port);
      try {
        assert.ok((await sendUntilOk(d, consumer)) === 1, 'the first send goes through the proxy');
        assert.deepEqual(codes(await d.send(batch(2), DEADLINE_MS)), ['ok', 'ok']);
        await consumer.read(2);
        assert.equal(proxy.accepted, 1, 'batches share one connection');
        await proxy.cut();
        for (let round = 0; round < 3; round++) {
          const outcomes = await d.send(batch(5), DEADLINE_MS);
          assert.deepEqual(codes(outcomes), ['broker_unreachable', 'broker_unreachable', 'broker_unreachable', 'broker_unreachable', 'broker_unreachable']);
          for (const o of outcomes) assert.ok(!o.ok && o.errorMessage.length > 0);
        }
        await proxy.restore();
        await sendUntilOk(d, consumer);
        const after = batch(10);
        assert.deepEqual(codes(await d.send(after, DEADLINE_MS)), after.map(() => 'ok'));
        assert.deepEqual((await consumer.read(after.length)).map((g) => g.deliveryId).sort(), after.map((m) => m.deliveryId).sort());
        assert.equal(proxy.accepted, 2, 'one new connection after the outage');
      } finally {
        await d.close();
        await proxy.close();
      }
    });

    it('settles every message within the deadline when the broker hangs', async () => {
      const proxy = await startTcpProxy(BROKER_PORTS[kind]);
      proxy.blackHole(true);
      const d = destinationFor(consumer, proxy.port);
      try {
        const deadline = 300;
        const outcomes = await d.send(batch(4), deadline);
        assert.equal(outcomes.length, 4);
        for (const o of outcomes) {
          assert.ok(!o.ok && (o.errorCode === 'broker_unreachable' || o.errorCode === 'timeout'), JSON.stringify(o));
          assert.ok(o.durationMs >= deadline - 5, `settled at the deadline, not before the broker could answer (${o.durationMs} ms)`);
        }
      } finally {
        await d.close();
        await proxy.close();
      }
    });

    it('answers broker_unreachable after close, and an empty batch with no outcomes', async () => {
      const d = destinationFor(consumer, BROKER_PORTS[kind]);
      assert.deepEqual(await d.send([], DEADLINE_MS), []);
      assert.deepEqual(codes(await d.send(batch(1), DEADLINE_MS)), ['ok']);
      await consumer.read(1);
      await d.close();
      assert.deepEqual(codes(await d.send(batch(2), DEADLINE_MS)), ['broker_unreachable', 'broker_unreachable']);
    });
  });
}

describe('broker-specific guarantees', () => {
  it('NATS: the same delivery published twice is stored once (Nats-Msg-Id de-duplication)', async () => {
    const consumer = await CONSUMERS.nats();
    const d = destinationFor(consumer, BROKER_PORTS.nats);
    try {
      const m = message('conversation.created');
      const [first] = await d.send([m], DEADLINE_MS);
      const [again, other] = await d.send([m, message('conversation.closed')], DEADLINE_MS);
      assert.ok(first?.ok === true && first.detail !== undefined && !first.detail.startsWith('duplicate'), JSON.stringify(first));
      assert.ok(again?.ok === true && again.detail?.startsWith('duplicate'), JSON.stringify(again));
      assert.equal(other?.ok, true);
      assert.equal(await consumer.stored(), 2);
    } finally {
      await d.close();
      await consumer.close();
    }
  });

  it('NATS: a subject no stream captures fails as config', async () => {
    const d = createDestination({ kind: 'nats', servers: ['nats://127.0.0.1:4222'], subject: `herald-nostream-${randomBytes(4).toString('hex')}.{event_type}` }, {}, FAST);
    try {
      assert.deepEqual(codes(await d.send(batch(2), DEADLINE_MS)), ['config', 'config']);
    } finally {
      await d.close();
    }
  });

  it('AMQP: a message no queue receives fails as unroutable; a missing exchange fails as config', async () => {
    const consumer = await CONSUMERS.amqp();
    const input = consumer.input(BROKER_PORTS.amqp);
    const unroutable = destinationFor({ ...consumer, input: () => ({ ...input, routing_key: 'nobody.{event_type}' }) }, BROKER_PORTS.amqp);
    const missing = destinationFor({ ...consumer, input: () => ({ ...input, exchange: `herald-missing-${randomBytes(4).toString('hex')}` }) }, BROKER_PORTS.amqp);
    try {
      assert.deepEqual(codes(await unroutable.send(batch(3), DEADLINE_MS)), ['unroutable', 'unroutable', 'unroutable']);
      assert.deepEqual(codes(await missing.send(batch(2), DEADLINE_MS)), ['config', 'config']);
      // The unroutable destination still delivers what can be routed.
      const routed = createDestination({ ...parseDestination(input).settings }, parseDestination(input).secrets, FAST);
      assert.deepEqual(codes(await routed.send(batch(1), DEADLINE_MS)), ['ok']);
      await routed.close();
      assert.equal((await consumer.read(1)).length, 1);
    } finally {
      await unroutable.close();
      await missing.close();
      await consumer.close();
    }
  });

  it('AMQP: batches beyond the confirm window go out in turns, whole and in order, each confirmed', async () => {
    const consumer = await CONSUMERS.amqp();
    const { settings, secrets } = parseDestination(consumer.input(BROKER_PORTS.amqp));
    const d = createDestination(settings, secrets, { ...FAST, amqpConfirmWindow: 4 });
    try {
      const batches = [batch(10), batch(7), batch(3)];
      // Sent together, as the engine's pool does: the later batches wait for the first's confirms.
      const outcomes = await Promise.all(batches.map((b) => d.send(b, DEADLINE_MS)));
      outcomes.forEach((o, i) => assert.deepEqual(codes(o), (batches[i] as OutboundMessage[]).map(() => 'ok')));
      const got = await consumer.read(20);
      assert.deepEqual(got.map((g) => g.deliveryId), batches.flat().map((m) => m.deliveryId));
    } finally {
      await d.close();
      await consumer.close();
    }
  });

  it('AMQP: when confirms stop coming, messages waiting for the window time out unpublished at their deadline', async () => {
    const consumer = await CONSUMERS.amqp();
    const proxy = await startTcpProxy(BROKER_PORTS.amqp);
    const { settings, secrets } = parseDestination(consumer.input(proxy.port));
    const d = createDestination(settings, secrets, { ...FAST, amqpConfirmWindow: 4 });
    try {
      assert.deepEqual(codes(await d.send(batch(1), DEADLINE_MS)), ['ok']);
      proxy.mute();
      const deadline = 300;
      const outcomes = await d.send(batch(10), deadline);
      assert.deepEqual(codes(outcomes), outcomes.map(() => 'timeout'));
      for (const o of outcomes) assert.ok(o.durationMs >= deadline - 5 && o.durationMs < deadline + 200, `settled at the deadline (${o.durationMs} ms)`);
      // Each says whether it went out and heard nothing, or never went out.
      const said = outcomes.map((o) => (o.ok ? '' : o.errorMessage.startsWith('Not published') ? 'held' : o.errorMessage.startsWith('No confirm') ? 'sent' : o.errorMessage));
      assert.deepEqual(said, [...Array(4).fill('sent'), ...Array(6).fill('held')]);
      // The broker holds the first message and the four the window let out: the other six never went out.
      await consumer.read(5);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await consumer.stored(), 5);
    } finally {
      // The proxy first: a muted connection would hold close() until its timeout.
      await proxy.close();
      await d.close();
      await consumer.close();
    }
  });

  it('refused credentials fail as broker_auth, an AMQP vhost that does not exist as config', async () => {
    const amqp = { kind: 'amqp', exchange: 'amq.topic', routing_key: 'x', persistent: true, mandatory: false } as const;
    const cases: [Destination, string][] = [
      [createDestination({ ...amqp, url: 'amqp://guest@127.0.0.1:5672/%2F' }, { password: 'not-the-password' }, FAST), 'broker_auth'],
      [createDestination({ ...amqp, url: `amqp://guest@127.0.0.1:5672/herald-no-vhost-${randomBytes(4).toString('hex')}` }, { password: 'guest' }, FAST), 'config'],
      [createDestination({ kind: 'redis-stream', url: 'redis://herald-no-such-user@127.0.0.1:6379/0', stream: 'herald-test:never' }, { password: 'x' }, FAST), 'broker_auth'],
    ];
    for (const [d, code] of cases) {
      try {
        const [o] = await d.send(batch(1), DEADLINE_MS);
        assert.equal(o?.ok === false && o.errorCode, code, JSON.stringify(o));
      } finally {
        await d.close();
      }
    }
  });

  it('Redis: MAXLEN ~ trims the stream; a key of another type fails as config', async () => {
    const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await r.connect();
    const t = randomBytes(4).toString('hex');
    const streamKey = `herald-test:${t}:trim`;
    const plainKey = `herald-test:${t}:plain`;
    await r.set(plainKey, 'not a stream');
    const trimmed = createDestination({ kind: 'redis-stream', url: 'redis://127.0.0.1:6379/0', stream: streamKey, maxlen: 10 }, {}, FAST);
    const wrong = createDestination({ kind: 'redis-stream', url: 'redis://127.0.0.1:6379/0', stream: plainKey }, {}, FAST);
    try {
      for (let i = 0; i < 4; i++) assert.ok((await trimmed.send(batch(200), DEADLINE_MS)).every((o) => o.ok));
      const len = await r.xlen(streamKey);
      assert.ok(len < 800 && len >= 10, `approximately trimmed to 10 (${len})`);
      assert.deepEqual(codes(await wrong.send(batch(2), DEADLINE_MS)), ['config', 'config']);
    } finally {
      await trimmed.close();
      await wrong.close();
      await r.del(streamKey, plainKey);
      await r.quit();
    }
  });
});
