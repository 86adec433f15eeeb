import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { createSigner, generateKeyMaterial } from '../../server/src/signing/index.js';
import { heraldExpress, heraldFastify, heraldHono, keepRawBody, RawBodyRequiredError, type VerifyOptions } from '../src/index.js';

const key = generateKeyMaterial('standard');
assert.equal(key.kind, 'hmac');
const opts: VerifyOptions = { scheme: 'standard', secret: key.secret };
const signer = createSigner('standard', [key]);
const body = JSON.stringify({ event: 'lead.created', entity: { FirstName: 'Zoë' } });
const signed = (): Record<string, string> => ({
  'content-type': 'application/json',
  ...signer.headers('msg_fw', Math.floor(Date.now() / 1000), body),
});

describe('heraldExpress on a real Node request stream', () => {
  let url = '';
  const seen: unknown[] = [];
  const server = createServer((req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    // The two calls an Express Response offers that the helper uses.
    const expressRes = {
      status: (code: number) => ({
        json: (payload: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(payload)),
      }),
    };
    heraldExpress(opts)(req, expressRes, (err?: unknown) => {
      if (err !== undefined) {
        res.writeHead(500).end(String((err as { code?: string }).code));
        return;
      }
      seen.push(req.body);
      res.writeHead(200).end('ok');
    });
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads the raw stream, verifies and hands the parsed payload on', async () => {
    const res = await fetch(url, { method: 'POST', headers: signed(), body });
    assert.equal(res.status, 200);
    assert.deepEqual(seen.at(-1), JSON.parse(body));
  });

  it('answers 401 with the code when the signature does not match', async () => {
    const res = await fetch(url, { method: 'POST', headers: signed(), body: body.replace('Zoë', 'Zoe') });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'no_matching_signature');
  });

  it('uses a Buffer left by express.raw and refuses an already parsed object', async () => {
    const next: unknown[] = [];
    const fakeRes = { status: () => ({ json: () => assert.fail('no response expected') }) };
    const req = { headers: signed(), body: new TextEncoder().encode(body) };
    await new Promise<void>((resolve) => heraldExpress(opts)(req, fakeRes, (err) => (next.push(err), resolve())));
    assert.equal(next.length, 1);
    assert.equal(next[0], undefined);
    assert.deepEqual(req.body, JSON.parse(body));

    const parsed = { headers: signed(), body: JSON.parse(body) as unknown, readableEnded: true };
    await new Promise<void>((resolve) => heraldExpress(opts)(parsed, fakeRes, (err) => (next.push(err), resolve())));
    const refused = next[1];
    assert.ok(refused instanceof RawBodyRequiredError);
    assert.equal(refused.code, 'raw_body_required');
  });
});

describe('heraldFastify on a real Fastify app', () => {
  const app = Fastify();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, keepRawBody);
  app.post('/hook', { preHandler: heraldFastify(opts) }, async (request) => ({ got: request.body }));
  after(() => app.close());

  it('verifies the kept bytes and gives the handler the payload', async () => {
    const res = await app.inject({ method: 'POST', url: '/hook', headers: signed(), payload: body });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { got: JSON.parse(body) });
  });

  it('answers 401 with the code and does not run the handler', async () => {
    const headers = { ...signed(), 'webhook-timestamp': '1000' };
    const res = await app.inject({ method: 'POST', url: '/hook', headers, payload: body });
    assert.equal(res.statusCode, 401);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'timestamp_out_of_tolerance');
  });

  it('fails loudly when Fastify parsed the JSON itself', async () => {
    const plain = Fastify();
    plain.post('/hook', { preHandler: heraldFastify(opts) }, async () => 'handled');
    const res = await plain.inject({ method: 'POST', url: '/hook', headers: signed(), payload: body });
    assert.equal(res.statusCode, 500);
    assert.equal((res.json() as { code?: string }).code, 'raw_body_required');
    await plain.close();
  });
});

describe('heraldHono with a Hono-shaped context', () => {
  function context(request: Request): { req: { raw: Request; arrayBuffer(): Promise<ArrayBuffer> } } {
    let cached: Promise<ArrayBuffer> | undefined;
    // Hono caches the body it reads so the handler can read it again; the fake does the same.
    return { req: { raw: request, arrayBuffer: () => (cached ??= request.arrayBuffer()) } };
  }

  it('calls next on success and answers 401 Response on failure', async () => {
    const ok = context(new Request('https://x.test/hook', { method: 'POST', headers: signed(), body }));
    let called = 0;
    assert.equal(await heraldHono(opts)(ok, async () => void called++), undefined);
    assert.equal(called, 1);

    const bad = context(new Request('https://x.test/hook', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    const res = await heraldHono(opts)(bad, async () => void called++);
    assert.equal(res?.status, 401);
    assert.equal(((await res?.json()) as { error: { code: string } }).error.code, 'missing_header');
    assert.equal(called, 1);
  });
});
