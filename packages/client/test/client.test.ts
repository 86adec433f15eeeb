import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeConfig, startHerald, type Herald } from '@herald/server';
import { createHeraldClient, paginate, type HeraldClient, type Schemas } from '../src/index.js';

const ADMIN_KEY = 'client-test-admin-key-0123456789';

let herald: Herald;
let dataDir: string;
let receiver: Server;
let receiverUrl: string;
let client: HeraldClient;
const received: string[] = [];

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Buffer.concat(chunks).toString('utf8'));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  dataDir = await mkdtemp(join(tmpdir(), 'herald-client-'));
  herald = await startHerald(makeConfig({
    port: 0, host: '127.0.0.1', dataDir, adminKey: ADMIN_KEY, allowPrivateUrls: true, validateUrls: false, logLevel: 'silent',
  }));
  client = createHeraldClient({ baseUrl: herald.url, apiKey: ADMIN_KEY });
});

after(async () => {
  await herald.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await rm(dataDir, { recursive: true, force: true });
});

test('create an org and a webhook, ingest an event, read its delivery: all typed by the document', async () => {
  const org = await client.POST('/api/v1/orgs', { body: { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' } });
  assert.equal(org.response.status, 201);
  const created: Schemas['Org'] | undefined = org.data;
  assert.equal(created?.id, 'acme');

  const hook = await client.POST('/api/v1/orgs/{org}/webhooks', {
    params: { path: { org: 'acme' } },
    body: { url: receiverUrl, events: ['order.created'] },
  });
  assert.ok(hook.data, JSON.stringify(hook.error));
  const webhook: Schemas['WebhookCreated'] = hook.data;
  assert.equal(webhook.state, 'enabled');
  assert.match(webhook.key.secret ?? '', /^whsec_/);

  const ingested = await client.POST('/api/v1/orgs/{org}/events', {
    params: { path: { org: 'acme' }, header: { 'Idempotency-Key': 'order-1' } },
    body: { event: 'order.created', entity: { id: 'order-1', total: 42 } },
  });
  assert.equal(ingested.response.status, 202);
  assert.equal(ingested.data?.deliveries, 1);
  const eventId = ingested.data!.id;
  const replay = await client.POST('/api/v1/orgs/{org}/events', {
    params: { path: { org: 'acme' }, header: { 'Idempotency-Key': 'order-1' } },
    body: { event: 'order.created', entity: { id: 'order-1', total: 42 } },
  });
  assert.equal(replay.response.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.data?.id, eventId);

  // The delivery is made by Herald's own worker: poll its log (bounded) until it succeeds.
  let delivery: Schemas['Delivery'] | undefined;
  for (const until = Date.now() + 10_000; Date.now() < until && !delivery; await new Promise((r) => setTimeout(r, 50))) {
    const log = await client.GET('/api/v1/orgs/{org}/webhooks/{id}/deliveries', {
      params: { path: { org: 'acme', id: webhook.id }, query: { status: 'succeeded', limit: 10 } },
    });
    delivery = log.data?.data.find((d) => d.event_id === eventId);
  }
  assert.ok(delivery, 'the delivery succeeded within 10 s');
  assert.equal(delivery.status, 'succeeded');

  const detail = await client.GET('/api/v1/orgs/{org}/deliveries/{id}', { params: { path: { org: 'acme', id: delivery.id } } });
  const attempts: Schemas['Attempt'][] = detail.data?.attempt_list ?? [];
  assert.equal(attempts[0]?.outcome, 'success');
  assert.equal(attempts[0]?.status_code, 200);
  assert.equal(detail.data?.event?.entity_id, 'order-1');
  assert.equal(received.length, 1);
  assert.equal((JSON.parse(received[0]!) as { entity: { total: number } }).entity.total, 42);
});

test('paginate walks every page of a list by its cursor', async () => {
  for (const id of ['p1', 'p2', 'p3']) await client.POST('/api/v1/orgs', { body: { id, name: id, owner_email: `o@${id}.test` } });
  const ids: string[] = [];
  const pages: number[] = [];
  for await (const org of paginate(async (cursor) => {
    const res = await client.GET('/api/v1/orgs', { params: { query: { limit: 2, ...(cursor ? { cursor } : {}) } } });
    pages.push(res.data?.data.length ?? -1);
    return res;
  })) ids.push(org.id);
  assert.deepEqual(ids.filter((id) => id.startsWith('p')), ['p1', 'p2', 'p3']);
  assert.ok(pages.every((n) => n > 0), 'no empty page');
});

test('an error answers the typed Error body', async () => {
  const missing = await client.GET('/api/v1/orgs/{org}', { params: { path: { org: 'nope' } } });
  assert.equal(missing.response.status, 404);
  assert.equal(missing.data, undefined);
  assert.equal(missing.error?.error.code, 'HERALD_ORG_NOT_FOUND');
  const anonymous = createHeraldClient({ baseUrl: herald.url, apiKey: 'hk_wrong' });
  const denied = await anonymous.GET('/api/v1/whoami');
  assert.equal(denied.error?.error.code, 'HERALD_UNAUTHORIZED');
});
