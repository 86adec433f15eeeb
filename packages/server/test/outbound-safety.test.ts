import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { makeConfig, startHerald, type Herald } from '../src/index.js';
import { guardedLookupWith, type Resolver } from '../src/outbound/address-guard.js';
import { HttpSender } from '../src/outbound/http-sender.js';
import { createLogger } from '../src/ops/logger.js';
import { checkWebhookUrl } from '../src/services/url-check.js';
import { ADMIN_KEY, eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { freshStore, STORE_KINDS, type StoreKind, type TestStore } from './helpers/stores.js';
import { makePki, TlsReceiver, type TestPki } from './helpers/tls-certs.js';

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

/** A resolver for test names only: each name answers from its list in turn (the last one repeats). */
function scriptedResolver(script: Record<string, (LookupAddress[] | Error)[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const answers = script[hostname];
    if (!answers) throw Object.assign(new Error(`unknown test name ${hostname}`), { code: 'ENOTFOUND' });
    const answer = answers[Math.min(calls.filter((c) => c === hostname).length - 1, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return Object.assign(resolve, { calls });
}

const sender = (opts: Partial<ConstructorParameters<typeof HttpSender>[0]> = {}) =>
  new HttpSender({ connectionsPerOrigin: 4, responseBodyLimit: 1000, allowPrivateUrls: false, ...opts });

describe('SSRF guard over every address form, at save time and at connect time', () => {
  let rx: TestReceiver;
  before(async () => {
    rx = await TestReceiver.start();
  });
  after(async () => rx.close());

  test('URLs that spell loopback in any form are refused when saved and when dialled, and nothing arrives', async () => {
    const p = rx.port;
    const forms = [
      `http://127.0.0.1:${p}/`, `http://127.1:${p}/`, `http://2130706433:${p}/`, `http://0x7f000001:${p}/`, `http://0177.0.0.1:${p}/`,
      `http://0x7f.0.0.1:${p}/`, `http://[::1]:${p}/`, `http://[::ffff:127.0.0.1]:${p}/`, `http://[::ffff:7f00:1]:${p}/`,
      `http://[0:0:0:0:0:ffff:7f00:1]:${p}/`, `http://[::127.0.0.1]:${p}/`, `http://[64:ff9b::7f00:1]:${p}/`, `http://[2002:7f00:1::]:${p}/`,
      `http://localhost:${p}/`, `http://0.0.0.0:${p}/`, `http://0:${p}/`,
    ];
    const s = sender();
    try {
      for (const url of forms) {
        await assert.rejects(checkWebhookUrl(url, false), (e: { code?: string }) => e.code === 'HERALD_URL_INVALID', `saved: ${url}`);
        const r = await s.send(url, {}, '{}', 2000);
        assert.equal(r.error_code, 'blocked_address', `dialled: ${url} → ${r.error_code} ${r.error_message}`);
      }
    } finally {
      await s.close();
    }
    assert.equal(rx.received.length, 0, 'no form reached the receiver');
  });

  test('a name is refused when any address it resolves to is private, in any form', async () => {
    const answers: Record<string, LookupAddress[]> = {
      'loop.test': [v4('127.0.0.1')], 'mapped.test': [v6('::ffff:127.0.0.1')], 'nat64.test': [v6('64:ff9b::a9fe:a9fe')],
      'sixtofour.test': [v6('2002:a00:1::1')], 'teredo.test': [v6('2001:0:4136:e378:8000:63bf:80ff:fffe')], 'any.test': [v4('0.0.0.0')],
      'metadata.test': [v4('169.254.169.254')], 'private.test': [v4('10.0.0.5')], 'ula.test': [v6('fd00:ec2::254')],
      'cgnat.test': [v4('100.64.0.1')], 'mixed.test': [v4('8.8.8.8'), v4('192.168.1.1')], 'empty.test': [],
    };
    const resolve = scriptedResolver(Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, [v]])));
    const s = sender({ resolve });
    try {
      for (const host of Object.keys(answers)) {
        const url = `http://${host}:${rx.port}/`;
        // The refusal at save time names the development flag, as the one at delivery time does (issue 18).
        await assert.rejects(checkWebhookUrl(url, false, resolve), (e: { code?: string; message?: string; details?: { reason?: string } }) =>
          e.code === 'HERALD_URL_INVALID' && e.details?.reason === 'blocked_address' && e.message?.includes('HERALD_ALLOW_PRIVATE_URLS') === true, `saved: ${host}`);
        const r = await s.send(url, {}, '{}', 2000);
        assert.equal(r.error_code, 'blocked_address', `dialled: ${host} → ${r.error_code} ${r.error_message}`);
      }
    } finally {
      await s.close();
    }
    assert.equal(rx.received.length, 0);
  });

  test('DNS failures fail closed, whatever the resolver throws', async () => {
    const resolve = scriptedResolver({
      'nx.test': [Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' })],
      'servfail.test': [Object.assign(new Error('queryA ESERVFAIL'), { code: 'ESERVFAIL' })],
      'odd.test': [new Error('resolver crashed')],
      'refused.test': [Object.assign(new Error('connect ECONNREFUSED 127.0.0.53:53'), { code: 'ECONNREFUSED' })],
    });
    const s = sender({ resolve });
    try {
      for (const host of ['nx.test', 'servfail.test', 'odd.test', 'refused.test']) {
        await assert.rejects(checkWebhookUrl(`http://${host}/`, false, resolve), (e: { details?: { reason?: string } }) => e.details?.reason === 'dns', host);
        const r = await s.send(`http://${host}:${rx.port}/`, {}, '{}', 2000);
        assert.equal(r.error_code, 'dns', `${host}: ${r.error_code} ${r.error_message}`);
      }
    } finally {
      await s.close();
    }
  });

  test('the guarded lookup hands the socket exactly the addresses it checked, from one resolution', async () => {
    // Answers differ on every call: a check and a dial that resolved separately could disagree.
    const resolve = scriptedResolver({ 'flip.test': [[v4('8.8.8.8')], [v4('127.0.0.1')], [v4('1.1.1.1')]] });
    const lookup = guardedLookupWith(resolve);
    const once = (all: boolean) => new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolveCall) =>
      lookup('flip.test', { all }, (err, address) => resolveCall({ err, address })));
    const first = await once(true);
    assert.equal(first.err, null);
    assert.deepEqual(first.address, [v4('8.8.8.8')], 'the checked answer is the one returned');
    const second = await once(false);
    assert.equal((second.err as { code?: string } | null)?.code, 'HERALD_BLOCKED_ADDRESS', 'the rebound answer is refused, not dialled');
    const third = await once(false);
    assert.equal(third.address, '1.1.1.1');
    assert.equal(resolve.calls.length, 3, 'one resolution per connection: no second look-up between check and dial');
  });
});

/** A Herald with a scripted resolver (TestHerald cannot pass one) and a small API client. */
async function startGuarded(kind: StoreKind, resolve: Resolver, validateUrls: boolean) {
  const store: TestStore = await freshStore(kind);
  const herald: Herald = await startHerald(makeConfig({
    port: 0, host: '127.0.0.1', dataDir: store.dataDir, databaseUrl: store.databaseUrl, adminKey: ADMIN_KEY,
    allowPrivateUrls: false, validateUrls, logLevel: 'silent',
  }), { logger: createLogger('silent'), resolve });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${herald.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return { api, stop: async () => (await herald.close(), await store.cleanup()) };
}

for (const kind of STORE_KINDS) {
  describe(`DNS rebinding: the address dialled is checked, not only the one saved (${kind})`, { timeout: 30_000 }, () => {
    let rx: TestReceiver;
    before(async () => {
      rx = await TestReceiver.start();
    });
    after(async () => rx.close());

    test('a name public when saved and loopback when dialled: deliveries, test sends and the validation request are refused', async () => {
      // 93.184.216.34 is only ever an answer here: nothing is sent to it.
      const resolve = scriptedResolver({
        'rebind.test': [[v4('93.184.216.34')], [v4('127.0.0.1')]],
        'rebind-on-save.test': [[v4('93.184.216.34')], [v4('127.0.0.1')]],
        'flaky.test': [[v4('93.184.216.34')], Object.assign(new Error('timeout'), { code: 'EAI_AGAIN' })],
      });
      const g = await startGuarded(kind, resolve, true);
      try {
        await g.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test', settings: { validate_urls: false } });
        const w = await g.api('POST', '/orgs/acme/webhooks', { url: `http://rebind.test:${rx.port}/hook`, events: ['r.e'], policy: { retry_schedule: [] } });
        assert.equal(w.status, 201, JSON.stringify(w.body));
        const ev = await g.api('POST', '/orgs/acme/events', { event: 'r.e', entity: { id: 1 } });
        const d = await eventually(async () => {
          const list = (await g.api('GET', `/orgs/acme/webhooks/${w.body.id}/deliveries?event_id=${ev.body.id}`)).body.data;
          return list[0]?.status === 'failed' ? (await g.api('GET', `/orgs/acme/deliveries/${list[0].id}`)).body : null;
        }, 10_000);
        assert.equal(d.attempt_list[0].error_code, 'blocked_address');
        const t = await g.api('POST', `/orgs/acme/webhooks/${w.body.id}/test`, { event: 'r.e', entity: {} });
        assert.equal(t.body.error.code, 'blocked_address');

        const f = await g.api('POST', '/orgs/acme/webhooks', { url: `http://flaky.test:${rx.port}/hook`, events: ['f.e'] });
        assert.equal(f.status, 201);
        const ft = await g.api('POST', `/orgs/acme/webhooks/${f.body.id}/trial`, { event: 'f.e', entity: {} });
        assert.equal(ft.body.error.code, 'dns', 'a DNS failure at connect time fails closed');

        // With validation on, the validation request itself dials through the guard.
        await g.api('POST', '/orgs', { id: 'checked', name: 'Checked', owner_email: 'o@checked.test' });
        const v = await g.api('POST', '/orgs/checked/webhooks', { url: `http://rebind-on-save.test:${rx.port}/hook`, events: ['r.e'] });
        assert.equal(v.status, 422);
        assert.equal(v.body.error.code, 'HERALD_URL_UNREACHABLE');
        assert.equal(v.body.error.details.reason, 'blocked_address');
        assert.ok(resolve.calls.filter((c) => c === 'rebind.test').length >= 3, 'resolved at save and again at each connect');
        assert.equal(rx.received.length, 0, 'the loopback receiver never heard from Herald');
      } finally {
        await g.stop();
      }
    });
  });

  describe(`adversarial receivers (${kind})`, { timeout: 60_000 }, () => {
    let rx: TestReceiver;
    let internal: TestReceiver;
    let silent: TcpServer;
    let silentPort = 0;
    const sockets: Socket[] = [];
    let h: TestHerald;
    before(async () => {
      rx = await TestReceiver.start();
      internal = await TestReceiver.start();
      // Accepts connections and never writes a byte.
      silent = createTcpServer((s) => {
        sockets.push(s);
        s.on('error', () => undefined);
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      silentPort = (silent.address() as { port: number }).port;
      // One request at a time: a receiver that holds its slot past the deadline would stall everything.
      h = await TestHerald.start(kind, { responseBodyLimit: 1000, worker: { maxInFlight: 1, claimBatch: 1 } });
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
    });
    after(async () => {
      await h?.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
      await rx.close();
      await internal.close();
    });

    const lastAttempt = async (webhookId: string, eventId: string) => eventually(async () => {
      const list = (await h.api('GET', `/orgs/acme/webhooks/${webhookId}/deliveries?event_id=${eventId}`)).body.data;
      if (!list[0] || list[0].status === 'pending') return null;
      return { status: list[0].status as string, ...(await h.api('GET', `/orgs/acme/deliveries/${list[0].id}`)).body.attempt_list.at(-1) };
    }, 15_000);

    /** Sends one event to a stalling webhook, then one to a healthy one: the second must wait for the first's deadline only. */
    async function slotIsFreed(stallUrl: string, event: string) {
      rx.respond((_r, res) => void res.end('ok'));
      const stall = (await h.api('POST', '/orgs/acme/webhooks', { url: stallUrl, events: [event], policy: { timeout_ms: 700, retry_schedule: [] } })).body;
      const healthy = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url(`/after-${event}`), events: [`${event}.ok`] })).body;
      const started = Date.now();
      const e1 = (await h.api('POST', '/orgs/acme/events', { event, entity: {} })).body;
      await new Promise((r) => setTimeout(r, 100)); // the stalling attempt holds the one slot
      const e2 = (await h.api('POST', '/orgs/acme/events', { event: `${event}.ok`, entity: {} })).body;
      const stalled = await lastAttempt(stall.id, e1.id);
      assert.equal(stalled.status, 'failed');
      assert.equal(stalled.error_code, 'timeout');
      assert.ok(stalled.duration_ms >= 650 && stalled.duration_ms < 2000, `cut at the deadline (${stalled.duration_ms} ms)`);
      const ok = await lastAttempt(healthy.id, e2.id);
      assert.equal(ok.status, 'succeeded', 'the slot was given back');
      const waited = Date.parse(ok.started_at) - started;
      assert.ok(waited >= 600 && waited < 5000, `the healthy delivery started once the deadline freed the slot (${waited} ms)`);
      await eventually(async () => (await h.metric('herald_deliveries_in_flight')) === 0, 2000);
    }

    test('a socket that never answers hits the deadline and frees the worker slot', async () => {
      await slotIsFreed(`http://127.0.0.1:${silentPort}/never`, 'never.e');
      assert.ok(sockets.length >= 1, 'the silent receiver was connected to');
    });

    test('a receiver that trickles its answer hits the deadline and frees the worker slot', async () => {
      const trickle = await TestReceiver.start();
      const timers: NodeJS.Timeout[] = [];
      trickle.respond((_r, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        timers.push(setInterval(() => res.write('.'), 50));
      });
      try {
        await slotIsFreed(trickle.url('/trickle'), 'trickle.e');
      } finally {
        for (const t of timers) clearInterval(t);
        await trickle.close();
      }
    });

    test('a redirect to an internal address is not followed and is a failure', async () => {
      const targets = [internal.url('/internal'), 'http://169.254.169.254/latest/meta-data/'];
      for (const [i, location] of targets.entries()) {
        rx.respond((_r, res) => void res.writeHead(302, { location }).end());
        const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url(`/redirect-${i}`), events: [`redirect.e${i}`], policy: { retry_schedule: [] } })).body;
        const ev = (await h.api('POST', '/orgs/acme/events', { event: `redirect.e${i}`, entity: {} })).body;
        const a = await lastAttempt(w.id, ev.id);
        assert.equal(a.status, 'failed');
        assert.equal(a.status_code, 302);
        assert.equal(a.error_code, 'redirect');
      }
      assert.equal(internal.received.length, 0, 'the internal receiver never got the redirected request');
    });

    test('huge bodies, gzip bombs and binary answers are stored up to the cap', async () => {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
      const answers: Record<string, (res: import('node:http').ServerResponse) => void> = {
        huge: (res) => res.end('x'.repeat(5_000_000)),
        bomb: (res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb),
        binary: (res) => res.end(Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 65, 66])),
      };
      rx.respond((r, res) => answers[r.path.slice(1)]!(res));
      for (const name of Object.keys(answers)) {
        const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url(`/${name}`), events: [`body.${name}`] })).body;
        const ev = (await h.api('POST', '/orgs/acme/events', { event: `body.${name}`, entity: {} })).body;
        const a = await lastAttempt(w.id, ev.id);
        assert.equal(a.status, 'succeeded', `${name}: ${a.error_message}`);
        assert.ok(a.response_body.length <= 1000, `${name}: ${a.response_body.length} characters kept`);
        assert.equal(a.response_truncated, name !== 'binary', name);
        assert.ok(!a.response_body.includes('\u0000'), `${name}: NUL is stored as U+FFFD (PostgreSQL text cannot hold it)`);
      }
    });
  });
}

describe('compressed answers are inflated for the log, within the cap', () => {
  let rx: TestReceiver;
  before(async () => {
    rx = await TestReceiver.start();
  });
  after(async () => rx.close());

  test('gzip, deflate and br are inflated; a bomb stops at the cap; a body that lies about gzip is kept as far as it goes', async () => {
    const text = JSON.stringify({ status: 'success', note: 'compressed answer' });
    const bodies: Record<string, [string, Buffer]> = {
      gzip: ['gzip', gzipSync(text)], deflate: ['deflate', deflateSync(text)], br: ['br', brotliCompressSync(text)],
      bomb: ['gzip', gzipSync(Buffer.alloc(200 * 1024 * 1024, 'a'))], liar: ['gzip', Buffer.from('plain text, not gzip')],
    };
    rx.respond((r, res) => {
      const [encoding, bytes] = bodies[r.path.slice(1)]!;
      res.writeHead(200, { 'content-encoding': encoding }).end(bytes);
    });
    const s = new HttpSender({ connectionsPerOrigin: 4, responseBodyLimit: 4096, allowPrivateUrls: true });
    try {
      for (const name of ['gzip', 'deflate', 'br']) {
        const r = await s.send(rx.url(`/${name}`), {}, '{}', 5000);
        assert.equal(r.body, text, name);
        assert.equal(r.truncated, false);
      }
      const started = Date.now();
      const bomb = await s.send(rx.url('/bomb'), {}, '{}', 5000);
      assert.equal(bomb.status_code, 200);
      assert.equal(bomb.body, 'a'.repeat(4096), '200 MiB inflated stops at the 4 KiB cap');
      assert.equal(bomb.truncated, true);
      assert.ok(Date.now() - started < 3000, 'the rest is never inflated');
      const liar = await s.send(rx.url('/liar'), {}, '{}', 5000);
      assert.equal(liar.status_code, 200);
      assert.equal(liar.truncated, true, 'what cannot be inflated is marked as cut');
    } finally {
      await s.close();
    }
  });
});

describe('TLS trust for receivers with their own CA or a self-signed certificate', { timeout: 30_000 }, () => {
  let pki: TestPki;
  let tls: TlsReceiver;
  before(async () => {
    pki = makePki();
    tls = await TlsReceiver.start(pki.selfSigned);
  });
  after(async () => {
    await tls?.close();
    pki?.cleanup();
  });

  test('a self-signed receiver fails with error code tls, and succeeds once its certificate is trusted', async () => {
    const untrusted = await TestHerald.start('sqlite');
    try {
      const w = await untrusted.setup(tls.url('/self'), ['t.e']);
      const r = await untrusted.api('POST', `/orgs/acme/webhooks/${w.id}/test`, { event: 't.e', entity: {} });
      assert.equal(r.body.succeeded, false);
      assert.equal(r.body.error.code, 'tls');
      assert.match(r.body.error.message, /HERALD_TRUSTED_CA_FILE/);
      assert.equal(tls.requests.length, 0);
    } finally {
      await untrusted.stop();
    }
    const trusted = await TestHerald.start('sqlite', { trustedCaFile: pki.selfSigned.file });
    try {
      const w = await trusted.setup(tls.url('/self'), ['t.e']);
      const r = await trusted.api('POST', `/orgs/acme/webhooks/${w.id}/test`, { event: 't.e', entity: {} });
      assert.equal(r.body.succeeded, true, JSON.stringify(r.body.error));
      assert.equal(tls.posts.length, 1);
    } finally {
      await trusted.stop();
    }
  });

  test('HERALD_TRUSTED_CA_FILE that cannot be used stops the start with a config error', async () => {
    for (const file of [`${pki.dir}/missing.pem`, `${pki.dir}/server.ext`]) {
      await assert.rejects(TestHerald.start('sqlite', { trustedCaFile: file }), (e: { code?: string }) => e.code === 'HERALD_CONFIG_INVALID', file);
    }
  });
});
