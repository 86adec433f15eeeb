import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import pino from 'pino';
import { requestIdOptions } from '../src/api/request-id.js';
import { RetentionJob } from '../src/engine/retention.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

/** Idempotency-Key on creates, ETag and If-Match, x-request-id (docs/api.md). */
for (const kind of STORE_KINDS) {
  describe(`API conventions (${kind})`, () => {
    let h: TestHerald;
    let receiver: TestReceiver;
    const org = 'conv';
    let webhookId = '';

    before(async () => {
      receiver = await TestReceiver.start();
      h = await TestHerald.start(kind);
      assert.equal((await h.api('POST', '/orgs', { id: org, name: 'Conv', owner_email: 'o@conv.test' })).status, 201);
      await h.api('POST', '/orgs', { id: 'conv2', name: 'Conv 2', owner_email: 'o@conv2.test' });
      await h.api('POST', '/event-types', { name: 'conv.made' });
      webhookId = (await h.api('POST', `/orgs/${org}/webhooks`, { url: receiver.url(), events: ['conv.made'] })).body.id;
    });
    after(async () => {
      await h.stop();
      await receiver.close();
    });

    // Each create with a body that works once, and another body for the same key.
    const creates = (): { name: string; path: string; body: unknown; other: unknown }[] => [
      { name: 'org', path: '/orgs', body: { id: 'idem-org', name: 'I', owner_email: 'i@i.test' }, other: { id: 'idem-org2', name: 'I', owner_email: 'i@i.test' } },
      { name: 'app', path: `/orgs/${org}/apps`, body: { name: 'Idem' }, other: { name: 'Other' } },
      { name: 'event type', path: '/event-types', body: { name: 'idem.made' }, other: { name: 'idem.other' } },
      { name: 'webhook', path: `/orgs/${org}/webhooks`, body: { url: receiver.url('/idem'), events: ['conv.made'] }, other: { url: receiver.url('/other'), events: ['conv.made'] } },
      { name: 'key', path: `/orgs/${org}/webhooks/${webhookId}/keys`, body: undefined, other: { unexpected: true } },
      { name: 'API key', path: '/api-keys', body: { name: 'idem', scopes: ['orgs:read'] }, other: { name: 'other', scopes: ['orgs:read'] } },
      { name: 'portal link', path: `/orgs/${org}/portal-links`, body: { access: 'read' }, other: { access: 'manage' } },
      { name: 'test send', path: `/orgs/${org}/webhooks/${webhookId}/test`, body: { event: 'conv.made' }, other: { event: 'conv.made', entity: { x: 1 } } },
      { name: 'trial', path: `/orgs/${org}/webhooks/${webhookId}/trial`, body: { event: 'conv.made', entity: { t: 1 } }, other: { event: 'conv.made', entity: { t: 2 } } },
      { name: 'import', path: '/event-types/import', body: { event_types: [{ name: 'idem.imported' }] }, other: { event_types: [{ name: 'idem.imported2' }] } },
      { name: 'call', path: `/orgs/${org}/webhooks/${webhookId}/call`, body: { event: 'conv.made', entity: { c: 1 } }, other: { event: 'conv.made', entity: { c: 2 } } },
    ];

    test('the same Idempotency-Key and request answer the first answer again; another request is 409', async () => {
      for (const c of creates()) {
        const headers = { 'idempotency-key': `idem-${c.name.replace(/ /g, '-')}` };
        const first = await h.api('POST', c.path, c.body, { headers });
        assert.ok(first.status >= 200 && first.status < 300, `${c.name}: ${JSON.stringify(first.body)}`);
        assert.equal(first.headers.get('idempotent-replayed'), null, c.name);
        const again = await h.api('POST', c.path, c.body, { headers });
        assert.equal(again.status, first.status, c.name);
        assert.deepEqual(again.body, first.body, `${c.name}: the first answer, secrets included`);
        assert.equal(again.headers.get('idempotent-replayed'), 'true', c.name);
        const other = await h.api('POST', c.path, c.other, { headers });
        assert.equal(other.body.error?.code, 'HERALD_IDEMPOTENCY_CONFLICT', c.name);
        assert.equal(other.status, 409, c.name);
      }
      // Nothing was made twice.
      assert.equal((await h.api('GET', `/orgs/${org}/webhooks/${webhookId}/keys`)).body.data.length, 2);
      assert.equal((await h.api('GET', `/orgs/${org}/webhooks`)).body.data.length, 2);
      const tests = await h.api('GET', `/orgs/${org}/webhooks/${webhookId}/deliveries`);
      assert.equal(tests.body.data.filter((d: { is_test: boolean }) => d.is_test).length, 1, 'one test send');
    });

    test('keys belong to their caller, a failed request frees its key, and keys are bounded', async () => {
      const limited = (await h.api('POST', '/api-keys', { name: 'conv2', scopes: ['apps:write'], org_id: 'conv2' })).body.key as string;
      const headers = { 'idempotency-key': 'shared-key' };
      assert.equal((await h.api('POST', `/orgs/${org}/apps`, { id: 'shared' }, { headers })).status, 201);
      // Another caller with the same key and body is not answered someone else's result.
      assert.equal((await h.api('POST', '/orgs/conv2/apps', { id: 'shared' }, { headers, key: limited })).headers.get('idempotent-replayed'), null);
      const refused = await h.api('POST', `/orgs/${org}/apps`, { id: 'Not A Slug' }, { headers: { 'idempotency-key': 'retry-me' } });
      assert.equal(refused.status, 400);
      const retried = await h.api('POST', `/orgs/${org}/apps`, { id: 'Not A Slug' }, { headers: { 'idempotency-key': 'retry-me' } });
      assert.equal(retried.headers.get('idempotent-replayed'), null, 'an error is not kept');
      assert.equal((await h.api('POST', `/orgs/${org}/apps`, { id: 'fixed' }, { headers: { 'idempotency-key': 'retry-me' } })).status, 201);
      for (const bad of ['x'.repeat(201), 'with space', 'é']) {
        const res = await h.api('POST', `/orgs/${org}/apps`, {}, { headers: { 'idempotency-key': bad } });
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.error.details.part, 'headers');
      }
      assert.equal((await h.api('POST', `/orgs/${org}/apps`, { id: 'long-key' }, { headers: { 'idempotency-key': 'k'.repeat(200) } })).status, 201);
    });

    test('while the first request runs, the same key is 409 HERALD_IDEMPOTENCY_IN_PROGRESS', async () => {
      let release = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      let arrived = () => {};
      const reached = new Promise<void>((r) => {
        arrived = r;
      });
      receiver.respond((_req, res) => {
        arrived();
        void held.then(() => res.end('ok'));
      });
      const headers = { 'idempotency-key': 'slow-call' };
      const body = { event: 'conv.made', entity: { slow: true } };
      const first = h.api('POST', `/orgs/${org}/webhooks/${webhookId}/call`, body, { headers });
      await reached;
      const second = await h.api('POST', `/orgs/${org}/webhooks/${webhookId}/call`, body, { headers });
      release();
      receiver.respond((_req, res) => {
        res.end('ok');
      });
      assert.equal(second.status, 409);
      assert.equal(second.body.error.code, 'HERALD_IDEMPOTENCY_IN_PROGRESS');
      assert.equal((await first).status, 200);
      assert.equal((await h.api('POST', `/orgs/${org}/webhooks/${webhookId}/call`, body, { headers })).headers.get('idempotent-replayed'), 'true');
    });

    test('the retention job forgets keys after 24 hours', async () => {
      await h.api('POST', `/orgs/${org}/apps`, { id: 'purged' }, { headers: { 'idempotency-key': 'to-purge' } });
      // Driven directly: on the default topology the engine's own job runs on its thread.
      const job = new RetentionJob({ store: h.herald.store, log: h.herald.log, clockScale: 1 });
      const counts = await job.runOnce(Date.now() + 25 * 3600_000);
      assert.ok(counts.idempotency_keys >= 1);
      const again = await h.api('POST', `/orgs/${org}/apps`, { id: 'purged' }, { headers: { 'idempotency-key': 'to-purge' } });
      assert.equal(again.body.error.code, 'HERALD_APP_EXISTS', 'the key is forgotten: the request runs again');
    });

    test('ETag on reads; If-Match honoured on PATCH and DELETE, 412 when stale', async () => {
      const read = await h.api('GET', `/orgs/${org}/webhooks/${webhookId}`);
      const tag = read.headers.get('etag');
      assert.match(tag ?? '', /^"[A-Za-z0-9_-]+"$/);
      // Deliveries go on: counters change, the tag does not.
      await h.api('POST', `/orgs/${org}/events`, { event: 'conv.made' });
      await eventually(async () => (await h.api('GET', `/orgs/${org}/webhooks/${webhookId}`)).body.successes >= 1);
      assert.equal((await h.api('GET', `/orgs/${org}/webhooks/${webhookId}`)).headers.get('etag'), tag);

      const patched = await h.api('PATCH', `/orgs/${org}/webhooks/${webhookId}`, { description: 'one' }, { headers: { 'if-match': tag! } });
      assert.equal(patched.status, 200);
      const newTag = patched.headers.get('etag');
      assert.notEqual(newTag, tag);
      assert.equal((await h.api('GET', `/orgs/${org}/webhooks/${webhookId}`)).headers.get('etag'), newTag, 'the PATCH answers the tag a GET then reads');
      const stale = await h.api('PATCH', `/orgs/${org}/webhooks/${webhookId}`, { description: 'lost update' }, { headers: { 'if-match': tag! } });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.error.code, 'HERALD_PRECONDITION_FAILED');
      assert.equal((await h.api('GET', `/orgs/${org}/webhooks/${webhookId}`)).body.description, 'one', 'nothing changed');
      assert.equal((await h.api('PATCH', `/orgs/${org}/webhooks/${webhookId}`, { description: 'two' }, { headers: { 'if-match': '*' } })).status, 200);
      assert.equal((await h.api('PATCH', `/orgs/${org}/webhooks/wh_missing`, { description: 'x' }, { headers: { 'if-match': tag! } })).status, 404);

      const orgTag = (await h.api('GET', `/orgs/${org}`)).headers.get('etag')!;
      assert.equal((await h.api('PATCH', `/orgs/${org}`, { name: 'Conv!' }, { headers: { 'if-match': orgTag } })).status, 200);
      assert.equal((await h.api('PATCH', `/orgs/${org}`, { name: 'Again' }, { headers: { 'if-match': orgTag } })).status, 412);

      const key = await h.api('POST', '/api-keys', { name: 'etag', scopes: ['orgs:read'] });
      const keyTag = (await h.api('GET', `/api-keys/${key.body.id}`)).headers.get('etag')!;
      assert.equal(key.headers.get('etag'), keyTag, 'a create answers the tag too');
      assert.equal((await h.api('DELETE', `/api-keys/${key.body.id}`, undefined, { headers: { 'if-match': '"stale"' } })).status, 412);
      assert.equal((await h.api('DELETE', `/api-keys/${key.body.id}`, undefined, { headers: { 'if-match': keyTag } })).status, 204);

      const doomed = await h.api('POST', `/orgs/${org}/webhooks`, { url: receiver.url('/doomed'), events: ['conv.made'] });
      const doomedTag = doomed.headers.get('etag')!;
      await h.api('PATCH', `/orgs/${org}/webhooks/${doomed.body.id}`, { description: 'changed' });
      assert.equal((await h.api('DELETE', `/orgs/${org}/webhooks/${doomed.body.id}`, undefined, { headers: { 'if-match': doomedTag } })).status, 412);
      const current = (await h.api('GET', `/orgs/${org}/webhooks/${doomed.body.id}`)).headers.get('etag')!;
      assert.equal((await h.api('DELETE', `/orgs/${org}/webhooks/${doomed.body.id}`, undefined, { headers: { 'if-match': current } })).status, 204);

      assert.ok((await h.api('GET', '/event-types/conv.made')).headers.get('etag'));
      assert.ok((await h.api('GET', `/orgs/${org}/apps/shared`)).headers.get('etag'));
    });

    test('two PATCHes racing with the same If-Match: one succeeds, the other gets 412 (no lost update)', async () => {
      const tag = (await h.api('GET', `/orgs/${org}/webhooks/${webhookId}`)).headers.get('etag')!;
      const racers = await Promise.all(['left', 'right', 'middle'].map((d) =>
        h.api('PATCH', `/orgs/${org}/webhooks/${webhookId}`, { description: `race ${d}` }, { headers: { 'if-match': tag } })));
      assert.deepEqual(racers.map((r) => r.status).sort(), [200, 412, 412]);
      const winner = racers.find((r) => r.status === 200)!;
      assert.equal((await h.api('GET', `/orgs/${org}/webhooks/${webhookId}`)).body.description, winner.body.description);
    });

    test('a PATCH answers the same shape as a GET', async () => {
      const patched = await h.api('PATCH', `/orgs/${org}/webhooks/${webhookId}`, { description: 'shape' });
      const read = await h.api('GET', `/orgs/${org}/webhooks/${webhookId}`);
      assert.deepEqual(Object.keys(patched.body).sort(), Object.keys(read.body).sort());
      assert.deepEqual(Object.keys((await h.api('PATCH', `/orgs/${org}`, { name: 'Shape' })).body).sort(), Object.keys((await h.api('GET', `/orgs/${org}`)).body).sort());
    });

    test('x-request-id is echoed when sent, made up otherwise, on every answer', async () => {
      const sent = await h.api('GET', `/orgs/${org}`, undefined, { headers: { 'x-request-id': 'trace-123' } });
      assert.equal(sent.headers.get('x-request-id'), 'trace-123');
      const made = await h.api('GET', `/orgs/${org}`);
      assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      assert.notEqual((await h.api('GET', `/orgs/${org}`)).headers.get('x-request-id'), made.headers.get('x-request-id'));
      assert.match((await h.api('GET', `/orgs/${org}`, undefined, { headers: { 'x-request-id': 'x'.repeat(201) } })).headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'too long: replaced');
      for (const [method, path, key] of [['GET', '/nowhere', undefined], ['GET', `/orgs/${org}`, null], ['GET', '/orgs/%E0%A4%A', undefined]] as const) {
        const res = await h.api(method, path, undefined, { headers: { 'x-request-id': 'err-1' }, ...(key === null ? { key: null } : {}) });
        assert.ok(res.status >= 400);
        assert.equal(res.headers.get('x-request-id'), 'err-1', `${method} ${path} → ${res.status}`);
      }
      const health = await fetch(`${h.url}/healthz`, { headers: { 'x-request-id': 'health-1' } });
      assert.equal(health.headers.get('x-request-id'), 'health-1');
    });
  });
}

describe('x-request-id in log lines', () => {
  test("every log line of a request carries its id (Fastify's request logger, with Herald's options)", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const app = Fastify({ loggerInstance: pino({ level: 'info' }, sink), ...requestIdOptions });
    app.get('/x', async (req) => {
      req.log.info('inside the handler');
      return { id: req.id };
    });
    const res = await app.inject({ method: 'GET', url: '/x', headers: { 'x-request-id': 'log-me' } });
    await app.close();
    assert.equal(res.json().id, 'log-me');
    const inside = lines.filter((l) => l.msg === 'inside the handler');
    assert.equal(inside.length, 1);
    assert.ok(lines.length >= 2);
    for (const line of lines.filter((l) => l.req !== undefined || l.msg === 'inside the handler')) assert.equal(line.reqId, 'log-me');
  });
});
