import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestHerald } from './helpers/herald.js';
import { freePort } from './helpers/process.js';
import { TestReceiver, type Received } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';
import { makePki, TlsReceiver, type TestPki } from './helpers/tls-certs.js';

/** Answers by method and path: `${method} ${path}` → status, or 'hang' (never answers). */
function route(rx: TestReceiver, table: Record<string, number | 'hang'>): void {
  rx.respond((r: Received, res) => {
    const answer = table[`${r.method} ${r.path}`] ?? 404;
    if (answer === 'hang') return;
    res.statusCode = answer;
    res.end(r.method === 'HEAD' ? undefined : 'answer');
  });
}

for (const kind of STORE_KINDS) {
  describe(`URL validation when a webhook is saved (seed 000) (${kind})`, { timeout: 60_000 }, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
      h = await TestHerald.start(kind, { validateUrls: true });
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
    });
    after(async () => {
      await h?.stop();
      await rx?.close();
    });
    const seen = (path: string) => rx.received.filter((r) => r.path === path).map((r) => r.method);
    const create = (url: string, org = 'acme') => h.api('POST', `/orgs/${org}/webhooks`, { url, events: ['v.e'] });
    const webhookCount = async (org = 'acme') => (await h.api('GET', `/orgs/${org}/webhooks?limit=250`)).body.data.length;

    test('a URL that answers the validation POST saves; the request is marked and is not a delivery', async () => {
      route(rx, { 'POST /ok': 200 });
      const r = await create(rx.url('/ok'));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(seen('/ok'), ['POST'], 'one POST, no HEAD');
      const ping = rx.received.find((x) => x.path === '/ok')!;
      assert.equal(ping.headers['herald-url-validation'], '1');
      assert.equal(JSON.parse(ping.body).event, 'herald.url_validation');
      assert.equal((await h.api('GET', `/orgs/acme/webhooks/${r.body.id}/deliveries`)).body.data.length, 0, 'not logged as a delivery');
    });

    test('a receiver that turns the unsigned validation body down (401) was still reached', async () => {
      route(rx, { 'POST /signed-only': 401 });
      const r = await create(rx.url('/signed-only'));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(seen('/signed-only'), ['POST']);
    });

    test('HEAD fallback: a POST answered 405 or 404 passes when HEAD answers 200, and fails when it does not', async () => {
      route(rx, { 'POST /get-only': 405, 'HEAD /get-only': 200, 'POST /wrong': 404, 'HEAD /wrong': 404 });
      const ok = await create(rx.url('/get-only'));
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual(seen('/get-only'), ['POST', 'HEAD']);
      const n = await webhookCount();
      const bad = await create(rx.url('/wrong'));
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.code, 'HERALD_URL_UNREACHABLE');
      assert.equal(bad.body.error.details.reason, 'status');
      assert.equal(bad.body.error.details.ping.status, 404);
      assert.equal(bad.body.error.details.head.status, 404);
      assert.match(bad.body.error.message, /HEAD answered 404 \(it must answer 200\)/);
      assert.equal(await webhookCount(), n, 'nothing saved');
    });

    test('a refused connection is a 4xx naming it, without a HEAD', async () => {
      const port = await freePort();
      const r = await create(`http://127.0.0.1:${port}/nobody`);
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, 'HERALD_URL_UNREACHABLE');
      assert.equal(r.body.error.details.reason, 'connect_refused');
      assert.equal(r.body.error.details.head, undefined);
      assert.match(r.body.error.message, /connection was refused/);
    });

    test("an org's validate_urls: false skips the check; the process setting cannot be overridden to on", async () => {
      await h.api('POST', '/orgs', { id: 'quiet', name: 'Quiet', owner_email: 'o@quiet.test', settings: { validate_urls: false } });
      const port = await freePort();
      const r = await create(`http://127.0.0.1:${port}/later`, 'quiet');
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const off = await TestHerald.start(kind, {}, undefined); // validateUrls false, as every other test runs
      try {
        await off.api('POST', '/orgs', { id: 'loud', name: 'Loud', owner_email: 'o@loud.test', settings: { validate_urls: true } });
        const s = await off.api('POST', '/orgs/loud/webhooks', { url: `http://127.0.0.1:${port}/later`, events: ['v.e'] });
        assert.equal(s.status, 201, 'HERALD_VALIDATE_URLS=false wins');
      } finally {
        await off.stop();
      }
    });

    test('url_rules: https_only and forbid_explicit_port refuse with the rule named; a default port is not explicit', async () => {
      await h.api('POST', '/orgs', { id: 'strict', name: 'Strict', owner_email: 'o@strict.test', settings: { validate_urls: false, url_rules: { https_only: true, forbid_explicit_port: true } } });
      const http = await create('http://127.0.0.1/hook', 'strict');
      assert.equal(http.status, 422);
      assert.equal(http.body.error.code, 'HERALD_URL_NOT_ALLOWED');
      assert.equal(http.body.error.details.rule, 'https_only');
      const port = await create('https://127.0.0.1:8443/hook', 'strict');
      assert.equal(port.body.error.code, 'HERALD_URL_NOT_ALLOWED');
      assert.equal(port.body.error.details.rule, 'forbid_explicit_port');
      const fine = await create('https://127.0.0.1:443/hook', 'strict');
      assert.equal(fine.status, 201, JSON.stringify(fine.body));
      assert.equal(fine.body.url, 'https://127.0.0.1/hook');
      assert.equal(await webhookCount('strict'), 1);
      // Off unless turned on: the same URLs save in an org without rules.
      await h.api('POST', '/orgs', { id: 'lax', name: 'Lax', owner_email: 'o@lax.test', settings: { validate_urls: false } });
      assert.equal((await create('http://127.0.0.1:8080/hook', 'lax')).status, 201);
      // PATCH is held to the same rules.
      const patched = await h.api('PATCH', `/orgs/strict/webhooks/${fine.body.id}`, { url: 'http://127.0.0.1/other' });
      assert.equal(patched.body.error.code, 'HERALD_URL_NOT_ALLOWED');
      assert.equal((await h.api('GET', `/orgs/strict/webhooks/${fine.body.id}`)).body.url, 'https://127.0.0.1/hook');
    });

    test('PATCH re-validates a changed URL, not an unchanged one', async () => {
      route(rx, { 'POST /first': 200, 'POST /second': 200 });
      const w = (await create(rx.url('/first'))).body;
      assert.deepEqual(seen('/first'), ['POST']);
      const same = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { url: rx.url('/first'), description: 'same url' });
      assert.equal(same.status, 200);
      assert.deepEqual(seen('/first'), ['POST'], 'an unchanged URL is not validated again');
      const port = await freePort();
      const dead = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { url: `http://127.0.0.1:${port}/gone`, description: 'never' });
      assert.equal(dead.status, 422);
      assert.equal(dead.body.error.details.reason, 'connect_refused');
      const kept = (await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).body;
      assert.equal(kept.url, rx.url('/first'));
      assert.equal(kept.description, 'same url', 'a refused PATCH changes nothing');
      const moved = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { url: rx.url('/second') });
      assert.equal(moved.status, 200);
      assert.deepEqual(seen('/second'), ['POST']);
    });
  });
}

describe('URL validation: timeouts and TLS', { timeout: 60_000 }, () => {
  let h: TestHerald;
  let rx: TestReceiver;
  let pki: TestPki;
  before(async () => {
    pki = makePki();
    rx = await TestReceiver.start();
    h = await TestHerald.start('sqlite', { validateUrls: true });
    await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
  });
  after(async () => {
    await h?.stop();
    await rx?.close();
    pki?.cleanup();
  });

  test('a POST not answered within 5 s falls back to HEAD, which must answer 200', async () => {
    route(rx, { 'POST /slow': 'hang', 'HEAD /slow': 200 });
    const started = Date.now();
    const r = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/slow'), events: ['v.e'] });
    const took = Date.now() - started;
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.ok(took >= 4900 && took < 9000, `the POST had its 5 s (${took} ms)`);
    assert.deepEqual(rx.received.filter((x) => x.path === '/slow').map((x) => x.method), ['POST', 'HEAD']);
  });

  test('an untrusted TLS certificate is a 4xx naming TLS', async () => {
    const tls = await TlsReceiver.start(pki.selfSigned);
    try {
      const r = await h.api('POST', '/orgs/acme/webhooks', { url: tls.url('/self'), events: ['v.e'] });
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, 'HERALD_URL_UNREACHABLE');
      assert.equal(r.body.error.details.reason, 'tls');
      assert.match(r.body.error.message, /HERALD_TRUSTED_CA_FILE/);
      assert.equal(tls.requests.length, 0);
    } finally {
      await tls.close();
    }
  });
});
