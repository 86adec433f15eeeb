/**
 * Destination settings as saved: usable inputs split into settings (no credentials) and
 * secrets, unusable ones refused as data (422 HERALD_DESTINATION_INVALID with one problem per
 * field), and secrets sealed at rest so that only their owner opens them; and the shared
 * connection keeper's reconnect rules, with a fake connection.
 */
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretBox, SecretBoxError } from '../src/crypto/secret-box.js';
import { HeraldError } from '../src/errors.js';
import {
  checkDestination,
  DESTINATION_SECRET_FIELDS,
  openDestinationSecrets,
  parseDestination,
  sealDestinationSecrets,
} from '../src/destinations/index.js';
import { DestinationFailure, LazyConnection } from '../src/destinations/lazy-connection.js';

function problems(input: unknown): string[] {
  const r = checkDestination(input);
  assert.ok('problems' in r, `expected problems for ${JSON.stringify(input)}`);
  return r.problems;
}

describe('destination settings', () => {
  it('amqp: the password leaves the URL and becomes a secret; defaults are written out', () => {
    const r = parseDestination({ kind: 'amqp', url: 'amqp://herald:p%40ss%3Aword@rabbit.internal:5673/prod', exchange: 'events', routing_key: 'herald.{event_type}' });
    assert.deepEqual(r.settings, { kind: 'amqp', url: 'amqp://herald@rabbit.internal:5673/prod', exchange: 'events', routing_key: 'herald.{event_type}', persistent: true, mandatory: true });
    assert.deepEqual(r.secrets, { password: 'p@ss:word' });
    const plain = parseDestination({ kind: 'amqp', url: 'amqps://rabbit.internal', exchange: '', routing_key: 'jobs', persistent: false, mandatory: false });
    assert.deepEqual(plain.secrets, {});
    assert.equal(plain.settings.kind === 'amqp' && plain.settings.persistent, false);
  });

  it('nats: credentials come from auth, never from the server URLs', () => {
    const r = parseDestination({ kind: 'nats', servers: ['nats://a:4222', 'tls://b:4222'], subject: 'herald.{event_type}', auth: { user: 'herald', pass: 's3cret' } });
    assert.deepEqual(r.settings, { kind: 'nats', servers: ['nats://a:4222', 'tls://b:4222'], subject: 'herald.{event_type}', user: 'herald' });
    assert.deepEqual(r.secrets, { password: 's3cret' });
    const t = parseDestination({ kind: 'nats', servers: 'nats://a', subject: 'x.{event_type}', auth: { token: 'tok' } });
    assert.deepEqual(t.secrets, { token: 'tok' });
    assert.deepEqual(t.settings, { kind: 'nats', servers: ['nats://a'], subject: 'x.{event_type}' });
  });

  it('redis-stream: the password becomes a secret, the user (ACL) stays', () => {
    const r = parseDestination({ kind: 'redis-stream', url: 'redis://herald:pw@redis.internal:6380/2', stream: 'herald:{event_type}', maxlen: 100000 });
    assert.deepEqual(r.settings, { kind: 'redis-stream', url: 'redis://herald@redis.internal:6380/2', stream: 'herald:{event_type}', maxlen: 100000 });
    assert.deepEqual(r.secrets, { password: 'pw' });
    assert.deepEqual(parseDestination({ kind: 'redis-stream', url: 'redis://:pw@h', stream: 's' }).secrets, { password: 'pw' });
  });

  it('refuses unusable settings with one problem per field, as a 422 error', () => {
    const cases: [unknown, RegExp][] = [
      [null, /destination\.kind/],
      [{ kind: 'kafka' }, /destination\.kind must be one of amqp, nats, redis-stream, poll/],
      [{ kind: 'amqp', url: 'http://x', exchange: 'e', routing_key: 'k' }, /destination\.url must start with amqp:\/\/ or amqps:\/\//],
      [{ kind: 'amqp', url: 'not a url', exchange: 'e', routing_key: 'k' }, /destination\.url is not a URL/],
      [{ kind: 'amqp', url: 'amqp://h?heartbeat=5', exchange: 'e', routing_key: 'k' }, /query or fragment/],
      [{ kind: 'amqp', url: 'amqp://h', exchange: 'e', routing_key: 'herald.{event}' }, /destination\.routing_key may only use the placeholder \{event_type\}/],
      [{ kind: 'amqp', url: 'amqp://h', exchange: 'e', routing_key: 'k', extra: 1 }, /destination/],
      [{ kind: 'amqp', url: 'amqp://h', exchange: 'e' }, /destination/],
      [{ kind: 'amqp', url: 'amqp://h', exchange: 'e', routing_key: `${'k'.repeat(250)}.{event_type}` }, /destination\.routing_key/],
      [{ kind: 'nats', servers: 'nats://u:p@h', subject: 's' }, /destination\.servers must not hold credentials/],
      [{ kind: 'nats', servers: [], subject: 's' }, /destination\.servers/],
      [{ kind: 'nats', servers: 'nats://h', subject: 'herald.*' }, /wildcard/],
      [{ kind: 'nats', servers: 'nats://h', subject: 'herald..{event_type}' }, /empty token/],
      [{ kind: 'nats', servers: 'nats://h', subject: 'has space' }, /whitespace/],
      [{ kind: 'nats', servers: 'nats://h', subject: 's', auth: { user: 'u' } }, /destination\.auth/],
      [{ kind: 'redis-stream', url: 'redis://h/notadb', stream: 's' }, /database number/],
      [{ kind: 'redis-stream', url: 'redis://h', stream: 's', maxlen: 0 }, /destination\.maxlen/],
      [{ kind: 'redis-stream', url: 'redis://h', stream: '' }, /destination\.stream/],
    ];
    for (const [input, expected] of cases) {
      const p = problems(input);
      assert.ok(p.some((x) => expected.test(x)), `${JSON.stringify(input)} → ${JSON.stringify(p)}`);
      assert.throws(
        () => parseDestination(input),
        (err: unknown) => err instanceof HeraldError && err.code === 'HERALD_DESTINATION_INVALID' && err.status === 422 && Array.isArray((err.details as { problems: unknown }).problems),
      );
    }
  });

  it('reports every problem of an input at once', () => {
    const p = problems({ kind: 'amqp', url: 'http://x?y', exchange: 'e', routing_key: '{nope}' });
    assert.ok(p.length >= 3, JSON.stringify(p));
  });
});

describe('destination secrets at rest', () => {
  const box = new SecretBox({ version: 1, key: randomBytes(32) });

  it('seal and open for the same owner; another owner or a signing-secret slot cannot open them', () => {
    const sealed = sealDestinationSecrets(box, 'wh_1', { password: 'p@ss', token: 't' });
    assert.ok(sealed !== null && !sealed.includes('p@ss'));
    assert.deepEqual(openDestinationSecrets(box, 'wh_1', sealed), { password: 'p@ss', token: 't' });
    assert.throws(() => openDestinationSecrets(box, 'wh_2', sealed), SecretBoxError);
    // Sealed with the owner id alone (as signing secrets are), it does not open as a destination secret.
    assert.throws(() => openDestinationSecrets(box, 'wh_1', box.seal('{"password":"x"}', 'wh_1')), SecretBoxError);
  });

  it('keeps nothing when there is nothing secret', () => {
    assert.equal(sealDestinationSecrets(box, 'wh_1', {}), null);
    assert.deepEqual(openDestinationSecrets(box, 'wh_1', null), {});
  });

  it('names the secret fields of each kind', () => {
    assert.deepEqual(DESTINATION_SECRET_FIELDS, { amqp: ['password'], nats: ['password', 'token'], 'redis-stream': ['password'], poll: [] });
  });
});

describe('destination connection (lazy-connection.ts)', () => {
  function keeper(initialMs: number, open: () => Promise<{ id: number }>) {
    let opens = 0;
    const link = new LazyConnection<{ id: number }>({
      open: () => {
        opens += 1;
        return open();
      },
      shut: async () => undefined,
      classify: (err) => new DestinationFailure('broker_unreachable', String(err)),
      connectTimeoutMs: 1000,
      reconnectInitialMs: initialMs,
      reconnectMaxMs: initialMs * 4,
    });
    return { link, opens: () => opens };
  }

  it('after a failed connect, fails at once without a new attempt until the backoff has passed', async () => {
    const k = keeper(60_000, () => Promise.reject(new Error('ECONNREFUSED')));
    const first = await k.link.get(1000);
    assert.ok(first instanceof DestinationFailure && first.code === 'broker_unreachable');
    for (let i = 0; i < 5; i++) {
      const again = await k.link.get(1000);
      assert.ok(again instanceof DestinationFailure && /next connect attempt in \d+ ms/.test(again.message), String(again));
    }
    assert.equal(k.opens(), 1);
    await k.link.close();
  });

  it('tries again once the backoff has passed, keeps the connection it gets, and opens a new one after a loss', async () => {
    let fail = true;
    let id = 0;
    const k = keeper(10, () => (fail ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve({ id: ++id })));
    assert.ok((await k.link.get(1000)) instanceof DestinationFailure);
    fail = false;
    await new Promise((r) => setTimeout(r, 50));
    const c = await k.link.get(1000);
    assert.deepEqual(c, { id: 1 });
    assert.equal(await k.link.get(1000), c, 'the same connection is reused');
    k.link.lost(c as { id: number });
    assert.deepEqual(await k.link.get(1000), { id: 2 }, 'a lost connection is replaced on the next get, without backoff');
    assert.equal(k.opens(), 3);
    await k.link.close();
    const closed = await k.link.get(1000);
    assert.ok(closed instanceof DestinationFailure && /closed/.test(closed.message));
  });

  it('gives up on a connect that hangs, within the time asked', async () => {
    const k = keeper(10, () => new Promise(() => undefined));
    const r = await k.link.get(50);
    assert.ok(r instanceof DestinationFailure && /within 50 ms/.test(r.message), String(r));
  });
});
