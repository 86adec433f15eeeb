/**
 * The engine's pool of broker destinations (engine/destination-pool.ts) against the real Redis
 * on 127.0.0.1: publishes started together go out as one batch and each gets its own outcome;
 * a webhook's newer revision replaces its destination while an older caller still publishes;
 * broker hosts follow the private-address rule, checked again at every reconnect; a closed pool
 * still settles what it is asked.
 */
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { SecretBox } from '../src/crypto/secret-box.js';
import { parseDestination, sealDestinationSecrets, type OutboundMessage } from '../src/destinations/index.js';
import { requestHeaders } from '../src/engine/attempt-outcome.js';
import { DestinationPool } from '../src/engine/destination-pool.js';
import type { StoredDestination } from '../src/model.js';
import { systemResolver } from '../src/outbound/address-guard.js';
import { createSigner, generateKeyMaterial } from '../src/signing/index.js';
import { BROKER_PORTS, redisConsumer, type BrokerConsumer } from './helpers/broker-consumers.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

const box = new SecretBox({ version: 1, key: randomBytes(32) });
const key = generateKeyMaterial('standard');
const signer = createSigner('standard', [key]);

let serial = 0;
function message(): OutboundMessage {
  serial += 1;
  const deliveryId = `msg_pool_${randomBytes(4).toString('hex')}_${serial}`;
  const body = JSON.stringify({ event: 'conversation.created', n: serial });
  return { deliveryId, eventType: 'conversation.created', headers: requestHeaders(signer, deliveryId, Math.floor(Date.now() / 1000), body), body };
}

function stored(webhookId: string, input: Record<string, unknown>): StoredDestination {
  const { settings, secrets } = parseDestination(input);
  return { settings, secrets_set: [], sealed: sealDestinationSecrets(box, webhookId, secrets) };
}

describe('destination pool', () => {
  let consumer: BrokerConsumer;
  let pool: DestinationPool;
  before(async () => {
    consumer = await redisConsumer();
    pool = new DestinationPool({ box, allowPrivate: true, resolve: systemResolver });
  });
  after(async () => {
    await pool.close();
    await consumer.close();
  });

  it('answers null for an http webhook: it never reaches the pool', () => {
    assert.equal(pool.target({ id: 'wh_http', revision: 1, destination: null }), null);
  });

  it('publishes started together each get their outcome, and all arrive signed', async () => {
    const target = pool.target({ id: 'wh_a', revision: 1, destination: stored('wh_a', consumer.input(BROKER_PORTS['redis-stream'])) });
    assert.ok(target);
    const sent = Array.from({ length: 50 }, message);
    const results = await Promise.all(sent.map((m) => target.publish(m, 5000)));
    assert.deepEqual(results.map((r) => r.error_code), sent.map(() => null));
    assert.ok(results.every((r) => typeof r.body === 'string' && r.body.length > 0), 'the entry id is the confirmation');
    const got = await consumer.read(50);
    assert.deepEqual(got.map((g) => g.deliveryId), sent.map((m) => m.deliveryId));
    const secret = key.kind === 'hmac' ? key.secret : '';
    for (const g of got) new StandardWebhook(secret).verify(g.body, g.headers);
  });

  it('a newer revision replaces the destination; a caller still on the older one is served too', async () => {
    const input = consumer.input(BROKER_PORTS['redis-stream']);
    const older = pool.target({ id: 'wh_b', revision: 1, destination: stored('wh_b', input) })!;
    const newer = pool.target({ id: 'wh_b', revision: 2, destination: stored('wh_b', input) })!;
    assert.equal((await older.publish(message(), 5000)).error_code, null);
    assert.equal((await newer.publish(message(), 5000)).error_code, null);
    assert.equal((await older.publish(message(), 5000)).error_code, null, 'after the newer one opened');
    assert.equal((await consumer.read(3)).length, 3);
  });

  it('refuses private broker hosts unless allowed, without connecting', async () => {
    const strict = new DestinationPool({ box, allowPrivate: false, resolve: systemResolver });
    try {
      const target = strict.target({ id: 'wh_c', revision: 1, destination: stored('wh_c', consumer.input(BROKER_PORTS['redis-stream'])) })!;
      const before = await consumer.stored();
      const r = await target.publish(message(), 5000);
      assert.equal(r.error_code, 'blocked_address');
      assert.equal(await consumer.stored(), before);
    } finally {
      await strict.close();
    }
  });

  it('checks the address rule again before every reconnect (a name that now resolves privately is refused)', async () => {
    // The broker's name answers a public address at first, then a private one (DNS rebinding).
    // The connection itself goes to the real Redis through a proxy that the test cuts.
    let answer = '93.184.216.34';
    const asked: string[] = [];
    const resolve = async (host: string) => {
      asked.push(host);
      return [{ address: answer, family: 4 }];
    };
    const proxy = await startTcpProxy(BROKER_PORTS['redis-stream']);
    const strict = new DestinationPool({ box, allowPrivate: false, resolve, connection: { reconnectInitialMs: 1, reconnectMaxMs: 1 } });
    try {
      const input = { ...consumer.input(BROKER_PORTS['redis-stream']), url: `redis://localhost:${proxy.port}/0` };
      const target = strict.target({ id: 'wh_rebind', revision: 1, destination: stored('wh_rebind', input) })!;
      assert.equal((await target.publish(message(), 5000)).error_code, null, 'the public answer lets the first connection open');
      assert.deepEqual(asked, ['localhost']);
      answer = '10.0.0.7';
      await proxy.cut();
      await proxy.restore();
      const accepted = proxy.accepted;
      const before = await consumer.stored();
      let r = await target.publish(message(), 5000);
      // The cut may be noticed by the publish itself (broker_unreachable); the reconnect after it is checked.
      if (r.error_code === 'broker_unreachable') r = await target.publish(message(), 5000);
      assert.equal(r.error_code, 'blocked_address');
      assert.match(r.error_message ?? '', /10\.0\.0\.7/);
      assert.equal(proxy.accepted, accepted, 'nothing was dialled');
      assert.equal(await consumer.stored(), before);
    } finally {
      await strict.close();
      await proxy.close();
    }
  });

  it('a broker that is not there fails as broker_unreachable', async () => {
    const target = pool.target({ id: 'wh_d', revision: 1, destination: stored('wh_d', { kind: 'redis-stream', url: 'redis://127.0.0.1:1/0', stream: 's' }) })!;
    const r = await target.publish(message(), 3000);
    assert.equal(r.error_code, 'broker_unreachable');
    assert.match(r.error_message ?? '', /\S/);
  });
});
