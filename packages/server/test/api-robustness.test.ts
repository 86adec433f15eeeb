import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { upsertEventType } from '../src/store/queries/event-types.js';
import { ADMIN_KEY, eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

/** Sends raw bytes and answers everything the server writes until it closes the connection. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
  });
}

function jsonOf(raw: string): { error: { code: string } } {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
}

/** Regression tests named after the bugs an integrator found by fuzzing both stores (issue 15). */
for (const kind of STORE_KINDS) {
  describe(`API robustness (${kind})`, () => {
    let h: TestHerald;
    let receiver: TestReceiver;
    let webhookId: string;
    before(async () => {
      h = await TestHerald.start(kind, { bodyLimit: 64 * 1024 });
      receiver = await TestReceiver.start();
      webhookId = (await h.setup(receiver.url(), ['robust.created'])).id as string;
    });
    after(async () => {
      await h.stop();
      await receiver.close();
    });

    test('a NUL character in a path, a query or a body string answers 400 HERALD_NUL_CHARACTER (was 500 on PostgreSQL)', async () => {
      const cases = [
        await h.api('GET', '/orgs/ac%00me'),
        await h.api('GET', `/orgs/acme/webhooks/${webhookId}%00`),
        await h.api('GET', '/orgs/acme/deliveries?event_id=evt%00x'),
        await h.api('POST', '/orgs/acme/events', { event: 'robust.created', entity: { name: 'a\u0000b' } }),
        await h.api('POST', '/orgs/acme/events', { event: 'robust.created', entity: { 'k\u0000': 1 } }),
        await h.api('POST', '/orgs', { id: 'nul', name: 'x\u0000', owner_email: 'o@n.test' }),
      ];
      for (const r of cases) {
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 'HERALD_NUL_CHARACTER');
      }
      assert.equal((await h.api('GET', '/orgs/nul')).status, 404, 'nothing was stored');
    });

    test('event_time 1e21 answers 400 HERALD_VALIDATION_FAILED (was 500 on PostgreSQL: beyond BIGINT)', async () => {
      const r = await h.api('POST', '/orgs/acme/events', { event: 'robust.created', event_time: 1e21 });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'HERALD_VALIDATION_FAILED');
      assert.equal(r.body.error.details.problems[0].path, '/event_time');
      const big = await h.api('POST', '/orgs/acme/events', { event: 'robust.created', entity_id: 1e21 });
      assert.equal(big.body.error.code, 'HERALD_VALIDATION_FAILED');
      const last = await h.api('POST', '/orgs/acme/events', { event: 'robust.created', event_time: 253_402_300_799_999 });
      assert.equal(last.status, 202, 'the last millisecond of year 9999 is a valid time');
    });

    test('since=2016-12-31T23:59:60Z, a leap second, is read on both stores (was 500 on PostgreSQL)', async () => {
      const r = await h.api('GET', '/orgs/acme/deliveries?since=2016-12-31T23:59:60Z&until=2099-01-01T00:00:00%2B0530');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.data.length >= 1, 'the event ingested above is after the leap second');
      const recover = await h.api('POST', `/orgs/acme/webhooks/${webhookId}/recover`, { since: '2016-12-31t23:59:60z' });
      assert.equal(recover.status, 202, JSON.stringify(recover.body));
      const impossible = await h.api('GET', '/orgs/acme/deliveries?since=2017-02-29T00:00:00Z');
      assert.equal(impossible.body.error.code, 'HERALD_VALIDATION_FAILED');
    });

    test('an entity nested 5,000 levels answers 400 HERALD_JSON_TOO_DEEP (was a stack overflow in JSON.stringify, 500)', async () => {
      const deep = '['.repeat(5000) + ']'.repeat(5000);
      const r = await h.api('POST', '/orgs/acme/events', undefined, { raw: `{"event":"robust.created","entity":${deep}}` });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'HERALD_JSON_TOO_DEEP');
      const ok = await h.api('POST', '/orgs/acme/events', undefined, { raw: `{"event":"robust.created","entity":${'['.repeat(60)}${']'.repeat(60)}}` });
      assert.equal(ok.status, 202, '60 levels are fine');
    });

    test('policy.rate_limit 1e-7 is refused with 400 (its wait overflowed setTimeout: a timer every millisecond)', async () => {
      const r = await h.api('PATCH', `/orgs/acme/webhooks/${webhookId}`, { policy: { rate_limit: 1e-7 } });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'HERALD_VALIDATION_FAILED');
      assert.equal(r.body.error.details.problems[0].path, '/policy/rate_limit');
      assert.equal((await h.api('PATCH', `/orgs/acme/webhooks/${webhookId}`, { policy: { rate_limit: 0.01 } })).status, 200);
      assert.equal((await h.api('PATCH', `/orgs/acme/webhooks/${webhookId}`, { policy: null })).status, 200);
    });

    test('an event type schema with pattern ^(a+)+$ is refused with 422 HERALD_SCHEMA_UNSAFE (ReDoS stalled ingest for seconds)', async () => {
      const r = await h.api('POST', '/event-types', { name: 'robust.redos', schema: { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } } });
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, 'HERALD_SCHEMA_UNSAFE');
      assert.equal(r.body.error.details.problems[0].path, '/schema/properties/s/pattern');
      const imported = await h.api('POST', '/event-types/import', { event_types: [{ name: 'robust.redos', schema: { patternProperties: { '^(x|xy)*$': {} } } }] });
      assert.equal(imported.body.error.code, 'HERALD_CATALOGUE_INVALID');
      const safe = await h.api('POST', '/event-types', { name: 'robust.safe', schema: { type: 'object', properties: { s: { type: 'string', pattern: '^[a-z0-9_-]{1,64}$' } } } });
      assert.equal(safe.status, 201);
      // A schema stored before the check (written straight to the store) refuses its events, and stalls nothing.
      const now = Date.now();
      await upsertEventType(h.herald.store.db, { name: 'robust.legacy', kind: 'admin', description: '', schema: { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } }, example: null, deprecated: false, created_at: now, updated_at: now }, false);
      const started = Date.now();
      const legacy = await h.api('POST', '/orgs/acme/events', { event: 'robust.legacy', entity: { s: `${'a'.repeat(40)}!` } });
      assert.equal(legacy.status, 422);
      assert.equal(legacy.body.error.code, 'HERALD_SCHEMA_UNSAFE');
      assert.ok(Date.now() - started < 5000, 'the pattern never ran');
    });

    test("Fastify's own errors answer in Herald's form: bad percent-encoding 400, a long path segment 414 (FST_ERR_BAD_URL, FST_ERR_MAX_PARAM_LENGTH)", async () => {
      const bad = await h.api('GET', '/orgs/%E0%A4%A');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'HERALD_PATH_MALFORMED');
      const tooLong = await h.api('GET', `/orgs/${'a'.repeat(300)}`);
      assert.equal(tooLong.status, 414);
      assert.equal(tooLong.body.error.code, 'HERALD_PATH_TOO_LONG');
    });

    test('an event type named with 128 characters can be read back (was 414: maxParamLength 100)', async () => {
      const name = `robust.${'n'.repeat(121)}`;
      assert.equal(name.length, 128);
      assert.equal((await h.api('POST', '/event-types', { name })).status, 201);
      const r = await h.api('GET', `/event-types/${name}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.name, name);
    });

    test('headers over 16 KB answer 431 HERALD_HEADERS_TOO_LARGE with Connection: close, and the next keep-alive request works (was ECONNRESET)', async () => {
      const port = new URL(h.url).port;
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const get = (headers: Record<string, string>) =>
        new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path: '/api/v1/orgs/acme', agent, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
          });
          req.on('error', reject);
          req.end();
        });
      try {
        const big = await get({ 'x-padding': 'p'.repeat(17 * 1024) });
        assert.equal(big.status, 431);
        assert.equal(big.connection, 'close');
        assert.equal((JSON.parse(big.body) as { error: { code: string } }).error.code, 'HERALD_HEADERS_TOO_LARGE');
        const next = await get({});
        assert.equal(next.status, 200);
      } finally {
        agent.destroy();
      }
    });

    test('a request the HTTP parser cannot read answers 400 HERALD_HTTP_MALFORMED and closes (bad framing)', async () => {
      const port = Number(new URL(h.url).port);
      const raw = await rawExchange(port, 'POST /api/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
      assert.match(raw, /^HTTP\/1\.1 400 /);
      assert.match(raw, /\r\nConnection: close\r\n/i);
      assert.equal(jsonOf(raw).error.code, 'HERALD_HTTP_MALFORMED');
      const both = await rawExchange(port, 'POST /api/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      assert.equal(jsonOf(both).error.code, 'HERALD_HTTP_MALFORMED');
    });

    test('__proto__ and constructor keys in an entity are stored and delivered as data (were refused as "not valid JSON")', async () => {
      const raw = '{"event":"robust.created","entity":{"id":"p1","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}}';
      const r = await h.api('POST', '/orgs/acme/events', undefined, { raw });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const stored = await h.api('GET', `/orgs/acme/events/${r.body.id}`);
      const entity = stored.body.entity as Record<string, unknown>;
      assert.ok(Object.hasOwn(entity, '__proto__') && Object.hasOwn(entity, 'constructor'), 'both keys are kept');
      assert.deepEqual(entity.constructor, { prototype: { x: 1 } });
      const delivered = await eventually(async () => receiver.received.find((x) => x.body.includes('"p1"')));
      assert.match(delivered.body, /"__proto__":\{"polluted":true\}/);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
    });

    test('bodyless operations accept Content-Type: application/json with no body (were refused)', async () => {
      const json = { headers: { 'content-type': 'application/json' } };
      const key = await h.api('POST', `/orgs/acme/webhooks/${webhookId}/keys`, undefined, json);
      assert.equal(key.status, 201, JSON.stringify(key.body));
      assert.equal((await h.api('DELETE', `/orgs/acme/webhooks/${webhookId}/keys/${key.body.id}`, undefined, json)).status, 204);
      const deliveries = await h.api('GET', `/orgs/acme/webhooks/${webhookId}/deliveries`);
      const d = deliveries.body.data[0] as { id: string };
      assert.equal((await h.api('POST', `/orgs/acme/deliveries/${d.id}/retry`, undefined, json)).status, 202);
      const flush = await h.api('POST', `/orgs/acme/webhooks/${webhookId}/digest/flush`, undefined, json);
      assert.equal(flush.body.error.code, 'HERALD_WEBHOOK_NOT_DIGEST', 'the route ran: this webhook is immediate');
      const needsBody = await h.api('POST', '/orgs/acme/events', undefined, json);
      assert.equal(needsBody.status, 400);
      assert.equal(needsBody.body.error.code, 'HERALD_VALIDATION_FAILED');
      const temp = await h.api('POST', '/orgs/acme/webhooks', { url: receiver.url(), events: ['robust.other'] });
      assert.equal((await h.api('DELETE', `/orgs/acme/webhooks/${temp.body.id}`, undefined, json)).status, 204);
    });

    test('details.problems has one shape, {path, message}, for schema, policy, delivery and entity problems', async () => {
      await h.api('POST', '/event-types', { name: 'robust.typed', schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } });
      const found = [
        await h.api('POST', '/orgs/acme/webhooks', { url: receiver.url(), events: ['a.b'], unknown_field: 1 }),
        await h.api('PATCH', `/orgs/acme/webhooks/${webhookId}`, { policy: { retry_schedule: ['30d'] } }),
        await h.api('PATCH', `/orgs/acme/webhooks/${webhookId}`, { delivery: { mode: 'digest', every: '10s' } }),
        await h.api('POST', '/orgs/acme/events', { event: 'robust.typed', entity: { n: 'x' } }),
        await h.api('POST', '/orgs/acme/events/batch', { events: [{ event: 'robust.created' }, { event: 'robust.typed', entity: {} }] }),
      ];
      const paths: string[] = [];
      for (const r of found) {
        assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r.body));
        const problems = r.body.error.details.problems as Record<string, unknown>[];
        assert.ok(problems.length > 0);
        for (const p of problems) {
          assert.deepEqual(Object.keys(p).sort(), ['message', 'path']);
          assert.match(String(p.path), /^\//);
        }
        paths.push(String(problems[0]!.path));
      }
      assert.deepEqual(paths, ['/', '/policy', '/delivery', '/entity/n', '/events/1/entity']);
    });
  });
}

describe('API robustness: shutting down', () => {
  test("a request that arrives while the server closes answers 503 HERALD_SHUTTING_DOWN in Herald's form (was Fastify's own 503 body)", async () => {
    const h = await TestHerald.start('sqlite');
    const receiver = await TestReceiver.start();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    receiver.respond(async (_req, res) => {
      await held;
      res.end('ok');
    });
    let closing: Promise<void> | null = null;
    try {
      const webhook = await h.setup(receiver.url(), ['robust.created']);
      const port = Number(new URL(h.url).port);
      // Two requests pipelined on one connection: the first holds it open (its receiver waits),
      // the second is read once the close has begun.
      const call = JSON.stringify({ event: 'robust.created', entity: { id: 'c1' } });
      const first = `POST /api/v1/orgs/acme/webhooks/${String(webhook.id)}/call HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(call)}\r\n\r\n${call}`;
      const second = `GET /api/v1/orgs/acme HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n\r\n`;
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(first);
      await eventually(async () => receiver.received.length > 0);
      closing = h.herald.close();
      // The listener stops after Herald marks itself closing: a refused connection proves it.
      await eventually(() => new Promise<boolean>((resolve) => {
        const probe = connect(port, '127.0.0.1');
        probe.on('error', () => resolve(true));
        probe.on('connect', () => (probe.destroy(), resolve(false)));
      }));
      socket.write(second);
      release();
      await Promise.race([ended, new Promise((r) => setTimeout(r, 5000))]);
      socket.destroy();
      const answers = text.split(/(?=HTTP\/1\.1 )/);
      assert.match(answers[0] ?? '', /^HTTP\/1\.1 200 /, 'the request in flight is finished');
      assert.match(answers[1] ?? '', /^HTTP\/1\.1 503 /);
      assert.match(answers[1] ?? '', /\r\nconnection: close\r\n/i);
      assert.equal(jsonOf(answers[1]!).error.code, 'HERALD_SHUTTING_DOWN');
    } finally {
      release();
      await (closing ?? h.herald.close());
      await h.store.cleanup();
      await receiver.close();
    }
  });
});
