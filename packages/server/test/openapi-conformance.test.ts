import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContractChecker, contractClient } from './helpers/contract.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

/**
 * Every route answers what /openapi.json says it answers: each real answer below, success or
 * error, is checked against the document (status documented, body valid under the operation's
 * schema for that status), and the last test demands that every operation was seen to succeed.
 */
for (const kind of STORE_KINDS) {
  describe(`OpenAPI conformance (${kind})`, () => {
    let h: TestHerald;
    let receiver: TestReceiver;
    let contract: ContractChecker;
    let call: ReturnType<typeof contractClient>;
    const org = 'acme';
    let webhookId = '';
    let deliveryId = '';
    let eventId = '';

    before(async () => {
      receiver = await TestReceiver.start();
      h = await TestHerald.start(kind);
      contract = await ContractChecker.load(h);
      call = contractClient(h, contract);
    });
    after(async () => {
      await h.stop();
      await receiver.close();
    });

    test('the document is OpenAPI 3.1 with named schemas, operationIds and servers', () => {
      assert.equal(contract.doc.openapi, '3.1.0');
      assert.ok(contract.doc.components.schemas.Error);
      const ids = contract.operations().map(({ op }) => op.operationId);
      assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
      for (const id of ids) assert.match(id, /^[a-z][a-zA-Z0-9]*$/);
    });

    test('the checker refuses an answer that drifts from its schema', () => {
      const found = contract.validator('GET', '/orgs/{org}', 200);
      assert.ok(found?.validate);
      const org = { id: 'a', name: 'A', owner_email: 'a@a.test', settings: {}, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
      assert.equal(found.validate(org), true);
      assert.equal(found.validate({ ...org, surprise: 1 }), false, 'an undocumented field');
      assert.equal(found.validate({ ...org, created_at: 1767225600000 }), false, 'a field of another type');
      const { name: _name, ...withoutName } = org;
      assert.equal(found.validate(withoutName), false, 'a documented field missing');
      assert.equal(contract.validator('GET', '/orgs/{org}', 302), undefined, 'an undocumented status');
    });

    test('orgs, apps, whoami and API keys', async () => {
      assert.equal((await call('GET', '/whoami', {}, undefined, { key: null })).status, 401);
      assert.equal((await call('GET', '/whoami')).status, 200);
      assert.equal((await call('POST', '/orgs', {}, { id: org, name: 'Acme', owner_email: 'owner@acme.test' })).status, 201);
      assert.equal((await call('POST', '/orgs', {}, { id: org, name: 'Again', owner_email: 'x@acme.test' })).status, 409);
      assert.equal((await call('POST', '/orgs', {}, { id: 'Bad Id', name: 'x', owner_email: 'x@x.test' })).status, 400);
      assert.equal((await call('GET', '/orgs', {}, undefined, { query: '?limit=1' })).status, 200);
      assert.equal((await call('GET', '/orgs/{org}', { org })).status, 200);
      assert.equal((await call('GET', '/orgs/{org}', { org: 'nope' })).status, 404);
      const patched = await call('PATCH', '/orgs/{org}', { org }, { settings: { retention_days: 30, url_rules: { https_only: false } } });
      assert.equal(patched.body.settings.retention_days, 30);
      assert.equal((await call('POST', '/orgs/{org}/apps', { org }, { id: 'web', name: 'Website' })).status, 201);
      assert.equal((await call('POST', '/orgs/{org}/apps', { org }, { id: 'web' })).status, 409);
      assert.equal((await call('GET', '/orgs/{org}/apps', { org })).body.data.length, 1);
      assert.ok((await call('GET', '/orgs/{org}/apps/{app}', { org, app: 'web' })).headers.get('etag'));
      assert.equal((await call('GET', '/orgs/{org}/apps/{app}', { org, app: 'nope' })).status, 404);
      const idem = { headers: { 'idempotency-key': 'app-mobile' } };
      assert.equal((await call('POST', '/orgs/{org}/apps', { org }, { id: 'mobile' }, idem)).status, 201);
      assert.equal((await call('POST', '/orgs/{org}/apps', { org }, { id: 'mobile' }, idem)).headers.get('idempotent-replayed'), 'true');
      assert.equal((await call('POST', '/orgs/{org}/apps', { org }, { id: 'other' }, idem)).status, 409);

      const key = await call('POST', '/api-keys', {}, { name: 'reader', scopes: ['orgs:read'], org_id: org, email: 'dev@acme.test' });
      assert.equal(key.status, 201);
      assert.equal((await call('POST', '/api-keys', {}, { name: 'escalate', scopes: ['orgs:write'] }, { key: key.body.key })).status, 403);
      assert.equal((await call('GET', '/api-keys')).status, 200);
      const keyTag = (await call('GET', '/api-keys/{id}', { id: key.body.id })).headers.get('etag')!;
      assert.equal((await call('DELETE', '/api-keys/{id}', { id: key.body.id }, undefined, { headers: { 'if-match': '"stale"' } })).status, 412);
      assert.ok(keyTag);
      assert.equal((await call('DELETE', '/api-keys/{id}', { id: key.body.id })).status, 204);
      assert.equal((await call('DELETE', '/api-keys/{id}', { id: 'ak_missing' })).status, 404);

      const link = await call('POST', '/orgs/{org}/portal-links', { org }, { access: 'read', app_id: 'web', user_email: 'user@acme.test' });
      assert.equal(link.status, 201);
      assert.equal((await call('POST', '/orgs/{org}/portal-links', { org }, { app_id: 'missing' })).status, 404);
      assert.equal((await call('GET', '/whoami', {}, undefined, { key: link.body.token })).body.kind, 'portal');
    });

    test('the event catalogue and the presets', async () => {
      const type = { name: 'order.created', kind: 'admin', description: 'An order', schema: { type: 'object' }, example: { id: 'o1', total: 3 } };
      assert.equal((await call('POST', '/event-types', {}, type)).status, 201);
      assert.equal((await call('POST', '/event-types', {}, type)).status, 409);
      assert.equal((await call('GET', '/event-types')).status, 200);
      assert.equal((await call('GET', '/event-types/{name}', { name: 'order.created' })).status, 200);
      assert.equal((await call('GET', '/event-types/{name}', { name: 'nope.nope' })).status, 404);
      assert.equal((await call('GET', '/event-types/{name}/example', { name: 'order.created' })).status, 200);
      const imported = await call('POST', '/event-types/import', {}, { event_types: [{ name: 'order.paid', kind: 'data', example: { id: 'o1' } }] });
      assert.deepEqual(imported.body.created, ['order.paid']);
      assert.equal((await call('POST', '/event-types/import', {}, { catalogue: 'no-such-catalogue' })).status, 404);
      assert.equal((await call('POST', '/event-types/import', {}, {})).status, 400);
      assert.equal((await call('GET', '/presets')).body.data.length > 0, true);
    });

    test('webhooks and their keys', async () => {
      const created = await call('POST', '/orgs/{org}/webhooks', { org }, { url: receiver.url(), events: ['order.created', 'order.paid'], metadata: { team: 'shop' } });
      assert.equal(created.status, 201);
      webhookId = created.body.id;
      const id = webhookId;
      assert.equal((await call('POST', '/orgs/{org}/webhooks', { org }, { url: receiver.url(), events: [] })).status, 400);
      assert.equal((await call('GET', '/orgs/{org}/webhooks', { org }, undefined, { query: '?state=enabled' })).body.data.length, 1);
      assert.equal((await call('GET', '/orgs/{org}/webhooks/{id}', { org, id })).status, 200);
      assert.equal((await call('GET', '/orgs/{org}/webhooks/{id}', { org, id: 'wh_missing' })).status, 404);
      assert.equal((await call('PATCH', '/orgs/{org}/webhooks/{id}', { org, id }, { description: 'orders', policy: { retry_schedule: ['1s'], rate_limit: 50 } })).status, 200);
      assert.equal((await call('PATCH', '/orgs/{org}/webhooks/{id}', { org, id }, { state: 'gone' })).status, 400);
      assert.equal((await call('PATCH', '/orgs/{org}/webhooks/{id}', { org, id }, { description: 'x' }, { headers: { 'if-match': '"stale"' } })).status, 412);
      const key = await call('POST', '/orgs/{org}/webhooks/{id}/keys', { org, id });
      assert.equal(key.status, 201);
      assert.equal((await call('GET', '/orgs/{org}/webhooks/{id}/keys', { org, id })).body.data.length, 2);
      assert.equal((await call('DELETE', '/orgs/{org}/webhooks/{id}/keys/{keyId}', { org, id, keyId: key.body.id })).status, 204);
      assert.equal((await call('DELETE', '/orgs/{org}/webhooks/{id}/keys/{keyId}', { org, id, keyId: created.body.key.id })).status >= 400, true);
      // An RSA webhook's keys carry a public key instead of a secret.
      const rsa = await call('POST', '/orgs/{org}/webhooks', { org }, { url: receiver.url('/rsa'), events: ['order.paid'], signature: { scheme: 'rsa-sha256' } });
      assert.equal(rsa.status, 201);
      assert.equal((await call('DELETE', '/orgs/{org}/webhooks/{id}', { org, id: rsa.body.id })).status, 204);
    });

    test('events: ingest with an idempotency key, replay, conflict, batch, read', async () => {
      const event = { event: 'order.created', entity: { id: 'o1', total: 3 } };
      const first = await call('POST', '/orgs/{org}/events', { org }, event, { headers: { 'idempotency-key': 'order-o1' } });
      assert.equal(first.status, 202);
      eventId = first.body.id;
      const again = await call('POST', '/orgs/{org}/events', { org }, event, { headers: { 'idempotency-key': 'order-o1' } });
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.id, eventId);
      const conflict = await call('POST', '/orgs/{org}/events', { org }, { ...event, entity: { id: 'o1', total: 4 } }, { headers: { 'idempotency-key': 'order-o1' } });
      assert.equal(conflict.status, 409);
      assert.equal((await call('POST', '/orgs/{org}/events', { org }, { event: 'bad name!' })).status, 400);
      assert.equal((await call('POST', '/orgs/{org}/events', { org: 'nope' }, event)).status, 404);
      const batch = await call('POST', '/orgs/{org}/events/batch', { org }, { events: [{ event: 'order.paid', app_id: 'web', entity: { id: 'o1' } }, event] });
      assert.equal(batch.body.data.length, 2);
      assert.equal((await call('GET', '/orgs/{org}/events/{id}', { org, id: eventId })).status, 200);
      assert.equal((await call('GET', '/orgs/{org}/events/{id}', { org, id: 'evt_missing' })).status, 404);
      assert.equal((await call('GET', '/orgs/{org}/events', { org }, undefined, { query: '?type=order.created&limit=1' })).body.data.length, 1);
      assert.equal((await call('GET', '/orgs/{org}/events', { org }, undefined, { query: '?since=never' })).status, 400);
    });

    test('deliveries: logs, one delivery with its attempts, retry, recovery', async () => {
      const org_ = { org };
      const done = await eventually(async () => {
        const r = await call('GET', '/orgs/{org}/deliveries', org_, undefined, { query: `?event_id=${eventId}&status=succeeded` });
        return r.body.data[0];
      });
      deliveryId = done.id;
      const id = deliveryId;
      assert.equal((await call('GET', '/orgs/{org}/webhooks/{id}/deliveries', { org, id: webhookId }, undefined, { query: '?limit=1' })).status, 200);
      assert.equal((await call('GET', '/orgs/{org}/deliveries', org_, undefined, { query: '?limit=0' })).status, 400);
      const detail = await call('GET', '/orgs/{org}/deliveries/{id}', { org, id });
      assert.equal(detail.body.attempt_list.length >= 1, true);
      assert.equal((await call('GET', '/orgs/{org}/deliveries/{id}', { org, id: 'msg_missing' })).status, 404);
      assert.equal((await call('POST', '/orgs/{org}/deliveries/{id}/retry', { org, id })).status, 202);
      assert.equal((await call('POST', '/orgs/{org}/deliveries/{id}/retry', { org, id: 'msg_missing' })).status, 404);
      const since = new Date(Date.now() - 3_600_000).toISOString();
      assert.equal((await call('POST', '/orgs/{org}/webhooks/{id}/recover', { org, id: webhookId }, { since })).status, 202);
      assert.equal((await call('POST', '/orgs/{org}/webhooks/{id}/recover', { org, id: webhookId }, { since: 'yesterday' })).status, 400);
      assert.equal((await call('GET', '/orgs/{org}/webhooks/{id}/stats', { org, id: webhookId }, undefined, { query: '?hours=1' })).status, 200);
    });

    test('direct sends: test, trial, call; digests flush', async () => {
      const id = webhookId;
      const sent = await call('POST', '/orgs/{org}/webhooks/{id}/test', { org, id }, { event: 'order.created' });
      assert.deepEqual([sent.body.logged, sent.body.queued, sent.body.request.method], [true, false, 'POST']);
      assert.equal((await call('POST', '/orgs/{org}/webhooks/{id}/trial', { org, id }, { event: 'order.created', entity: { id: 'o2' } })).body.logged, false);
      assert.equal((await call('POST', '/orgs/{org}/webhooks/{id}/call', { org, id }, { event: 'order.paid', entity: { id: 'o3' }, timeout_ms: 5000 })).status, 200);
      assert.equal((await call('POST', '/orgs/{org}/webhooks/{id}/test', { org, id }, { event: 'unknown.type' })).status, 404);
      receiver.respond((_r, res) => {
        res.statusCode = 500;
        res.end('down');
      });
      const failed = await call('POST', '/orgs/{org}/webhooks/{id}/trial', { org, id }, { event: 'order.created', entity: { id: 'o4' } });
      assert.equal(failed.body.succeeded, false);
      receiver.respond((_r, res) => {
        res.end('ok');
      });

      assert.equal((await call('POST', '/orgs/{org}/webhooks/{id}/digest/flush', { org, id })).status, 409);
      const digest = await call('POST', '/orgs/{org}/webhooks', { org }, { url: receiver.url('/digest'), events: ['order.paid'], delivery: { mode: 'digest', every: '1h' } });
      assert.equal(digest.body.delivery.mode, 'digest');
      assert.equal((await call('POST', '/orgs/{org}/webhooks/{id}/digest/flush', { org, id: digest.body.id })).status, 202);
    });

    test('poll webhooks: a long poll leases, an ack records', async () => {
      const hook = await call('POST', '/orgs/{org}/webhooks', { org }, { destination: { kind: 'poll' }, events: ['order.paid'] });
      assert.equal(hook.status, 201);
      const id = hook.body.id;
      assert.equal((await call('GET', '/orgs/{org}/webhooks/{id}/poll', { org, id }, undefined, { query: '?wait=0' })).body.data.length, 0);
      const queued = await call('POST', '/orgs/{org}/webhooks/{id}/test', { org, id }, { event: 'order.paid', entity: { id: 'p1' } });
      assert.deepEqual([queued.body.queued, queued.body.succeeded, queued.body.request], [true, false, null]);
      const got = await call('GET', '/orgs/{org}/webhooks/{id}/poll', { org, id }, undefined, { query: '?wait=5&limit=5&visibility=60' });
      assert.equal(got.body.data.length, 1);
      const item = got.body.data[0];
      const acked = await call('POST', '/orgs/{org}/webhooks/{id}/poll/ack', { org, id }, { data: [{ delivery_id: item.delivery_id, lease_token: item.lease_token, status: 200, body: 'ok' }] });
      assert.equal(acked.body.data[0].result, 'recorded');
      assert.equal((await call('POST', '/orgs/{org}/webhooks/{id}/poll/ack', { org, id }, { data: [] })).status, 400);
      assert.equal((await call('GET', '/orgs/{org}/webhooks/{id}/poll', { org, id: webhookId })).status, 409);
      assert.equal((await call('DELETE', '/orgs/{org}/webhooks/{id}', { org, id })).status, 204);
    });

    test('deleting a webhook; every operation was seen to succeed', async () => {
      assert.equal((await call('DELETE', '/orgs/{org}/webhooks/{id}', { org, id: webhookId })).status, 204);
      assert.equal((await call('DELETE', '/orgs/{org}/webhooks/{id}', { org, id: webhookId })).status, 404);
      const missing = contract.operations()
        .filter(({ op }) => ![...(contract.seen.get(op.operationId) ?? [])].some((s) => s >= 200 && s < 300))
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      assert.deepEqual(missing, [], 'operations this test never saw succeed');
    });
  });
}
