import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { retryDelay } from '../src/inbox/dispatcher.js';
import { parseDuration } from '../src/inbox/options.js';
import { createSigner, generateKeyMaterial, type KeyMaterial, type SignatureScheme } from '../src/signing/index.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { InboxProcess, inboxRows, LocalHandler } from './helpers/inbox.js';
import { freePort } from './helpers/process.js';

/**
 * `herald inbox` as users run it: the built command as a child process, a real local handler,
 * requests signed by Herald's own signers or delivered by a real Herald. The inbox keeps one
 * SQLite file whatever Herald's store, so this runs on SQLite only.
 */
describe('herald inbox', () => {
  let dir: string;
  const running: InboxProcess[] = [];
  const handlers: LocalHandler[] = [];
  let n = 0;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'herald-inbox-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
    await Promise.all(handlers.splice(0).map((h) => h.close()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const dbFile = () => join(dir, `inbox-${n++}.db`);
  async function inbox(args: string[], env: Record<string, string> = {}): Promise<InboxProcess> {
    const p = await InboxProcess.start(args, env);
    running.push(p);
    return p;
  }
  async function handler(port = 0): Promise<LocalHandler> {
    const h = await LocalHandler.start(port);
    handlers.push(h);
    return h;
  }

  function sign(scheme: SignatureScheme, key: KeyMaterial, id: string, body: string, opts: { header?: string; timestampSec?: number } = {}) {
    return createSigner(scheme, [key], opts.header).headers(id, opts.timestampSec ?? Math.floor(Date.now() / 1000), body);
  }
  async function post(url: string, headers: Record<string, string>, body: string) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: await res.text() };
  }
  const secretOf = (k: KeyMaterial) => (k.kind === 'hmac' ? k.secret : assert.fail('not an HMAC key'));

  test('standard: each verified request is stored before the 200 and handed over in order, body and headers unchanged', async () => {
    const key = generateKeyMaterial('standard');
    const local = await handler();
    const db = dbFile();
    const ib = await inbox(['--scheme', 'standard', '--secret', secretOf(key), '--forward-to', local.url(), '--db', db]);
    const sent: { id: string; body: string; headers: Record<string, string> }[] = [];
    for (let i = 1; i <= 5; i++) {
      const id = `msg_order_${i}`;
      const body = JSON.stringify({ event: 'conversation.created', entity: { id: `c${i}`, text: 'héllo' } });
      const headers = sign('standard', key, id, body);
      const res = await post(ib.url(), headers, body);
      assert.equal(res.status, 200);
      assert.equal(res.body, '{"status":"success"}');
      // Answered 200 means committed: the row is in the file now, whatever the hand-off does.
      assert.equal(inboxRows(db).at(-1)?.request_id, id);
      sent.push({ id, body, headers });
    }
    await local.waitFor(5);
    assert.deepEqual(local.ids(), sent.map((s) => s.id));
    for (const [i, got] of local.received.entries()) {
      const s = sent[i]!;
      assert.equal(got.body, s.body);
      assert.equal(got.headers['webhook-signature'], s.headers['webhook-signature']);
      assert.equal(got.headers['webhook-timestamp'], s.headers['webhook-timestamp']);
      assert.equal(got.headers['content-type'], 'application/json');
    }
    const rows = await eventually(async () => {
      const r = inboxRows(db);
      return r.every((row) => row.state === 'done') ? r : undefined;
    });
    assert.deepEqual(rows.map((r) => r.request_id), sent.map((s) => s.id));
    assert.equal(rows[0]!.body.toString('utf8'), sent[0]!.body);
    await ib.waitForLine(/handed over #5 msg_order_5 \(attempt 1\): 200/);
  });

  test('a bad signature is answered 401 and nothing is stored or handed over', async () => {
    const key = generateKeyMaterial('standard');
    const other = generateKeyMaterial('standard');
    const local = await handler();
    const db = dbFile();
    const ib = await inbox(['--scheme', 'standard', '--secret', secretOf(key), '--forward-to', local.url(), '--db', db]);
    const body = '{"event":"a","entity":{"id":"1"}}';
    const forged = [
      { headers: sign('standard', key, 'msg_tampered', body), body: body.replace('"1"', '"2"'), code: 'no_matching_signature' },
      { headers: sign('standard', other, 'msg_other_key', body), body, code: 'no_matching_signature' },
      { headers: {}, body, code: 'missing_header' },
      { headers: sign('standard', key, 'msg_old', body, { timestampSec: Math.floor(Date.now() / 1000) - 3600 }), body, code: 'timestamp_out_of_tolerance' },
    ];
    for (const f of forged) {
      const res = await post(ib.url(), f.headers, f.body);
      assert.equal(res.status, 401);
      assert.equal(JSON.parse(res.body).error.code, f.code);
    }
    const get = await fetch(ib.url());
    assert.equal(get.status, 405);
    assert.equal(inboxRows(db).length, 0);
    // A good request after them is the first, and only, thing the handler sees.
    assert.equal((await post(ib.url(), sign('standard', key, 'msg_good', body), body)).status, 200);
    await local.waitFor(1);
    assert.deepEqual(local.ids(), ['msg_good']);
    assert.deepEqual(inboxRows(db).map((r) => r.request_id), ['msg_good']);
    await ib.waitForLine(/refused \/hooks: 401 no_matching_signature/);
  });

  test('a duplicate webhook-id is answered 200, stored once and handed over once', async () => {
    const key = generateKeyMaterial('standard');
    const local = await handler();
    const db = dbFile();
    const ib = await inbox(['--scheme', 'standard', '--secret', secretOf(key), '--forward-to', local.url(), '--db', db]);
    const body = '{"event":"dup","entity":{}}';
    const first = sign('standard', key, 'msg_dup', body);
    assert.equal((await post(ib.url(), first, body)).status, 200);
    await local.waitFor(1);
    // The sender's retry: same id, a new timestamp and signature.
    const retry = sign('standard', key, 'msg_dup', body, { timestampSec: Math.floor(Date.now() / 1000) + 1 });
    assert.equal((await post(ib.url(), retry, body)).status, 200);
    assert.equal((await post(ib.url(), sign('standard', key, 'msg_next', body), body)).status, 200);
    await local.waitFor(2);
    // In order: had the duplicate been handed over, it would have come before msg_next.
    assert.deepEqual(local.ids(), ['msg_dup', 'msg_next']);
    assert.deepEqual(inboxRows(db).map((r) => r.request_id), ['msg_dup', 'msg_next']);
    await ib.waitForLine(/duplicate msg_dup \/hooks: already stored as #1/);
  });

  test('handler down: hand-offs are retried with backoff, later events wait, all arrive in order once it is back', async () => {
    const key = generateKeyMaterial('standard');
    const port = await freePort();
    const db = dbFile();
    const ib = await inbox(['--scheme', 'standard', '--secret', secretOf(key), '--forward-to', `http://127.0.0.1:${port}/local`, '--db', db, '--retry-min', '50ms', '--retry-max', '200ms']);
    const body = '{"event":"down","entity":{}}';
    for (const id of ['msg_d1', 'msg_d2']) assert.equal((await post(ib.url(), sign('standard', key, id, body), body)).status, 200);
    await ib.waitForLine(/hand-off failed #1 msg_d1 \(attempt 3\): .*ECONNREFUSED/);
    const rows = inboxRows(db);
    assert.ok(rows[0]!.attempts >= 3);
    assert.equal(rows[1]!.attempts, 0, 'the second event waits behind the first');
    const local = await handler(port);
    await local.waitFor(2);
    assert.deepEqual(local.ids(), ['msg_d1', 'msg_d2']);
    await eventually(async () => inboxRows(db).every((r) => r.state === 'done'));
  });

  test('a handler that answers an error is retried until it answers 2xx; --max-attempts gives up and goes on', async () => {
    const key = generateKeyMaterial('standard');
    const local = await handler();
    let failures = 2;
    local.answer = (_req, res) => res.writeHead(failures-- > 0 ? 503 : 204).end();
    const db = dbFile();
    const ib = await inbox(['--scheme', 'standard', '--secret', secretOf(key), '--forward-to', local.url(), '--db', db, '--retry-min', '20ms', '--retry-max', '40ms']);
    const body = '{"event":"flaky","entity":{}}';
    assert.equal((await post(ib.url(), sign('standard', key, 'msg_flaky', body), body)).status, 200);
    await ib.waitForLine(/handed over #1 msg_flaky \(attempt 3\): 204/);
    assert.deepEqual(local.ids(), ['msg_flaky', 'msg_flaky', 'msg_flaky']);
    await ib.stop();

    const gaveUp = await handler();
    gaveUp.answer = (req, res) => res.writeHead(req.headers['webhook-id'] === 'msg_poison' ? 500 : 200).end();
    const db2 = dbFile();
    const ib2 = await inbox(['--scheme', 'standard', '--secret', secretOf(key), '--forward-to', gaveUp.url(), '--db', db2, '--retry-min', '20ms', '--retry-max', '40ms', '--max-attempts', '2']);
    for (const id of ['msg_poison', 'msg_after']) assert.equal((await post(ib2.url(), sign('standard', key, id, body), body)).status, 200);
    await ib2.waitForLine(/handed over #2 msg_after/);
    assert.deepEqual(gaveUp.ids(), ['msg_poison', 'msg_poison', 'msg_after']);
    assert.deepEqual(inboxRows(db2).map((r) => [r.request_id, r.state, r.attempts]), [['msg_poison', 'failed', 2], ['msg_after', 'done', 1]]);
  });

  test('kill -9 after the 200 and before the hand-off: after a restart the request is handed over, and still de-duplicated', async () => {
    const key = generateKeyMaterial('standard');
    const port = await freePort();
    const db = dbFile();
    // An hour between tries: only the restart can bring the event to the handler within the test.
    const args = ['--scheme', 'standard', '--secret', secretOf(key), '--forward-to', `http://127.0.0.1:${port}/local`, '--db', db, '--retry-min', '1h', '--retry-max', '1h'];
    const ib = await inbox(args);
    const body = '{"event":"crash","entity":{"id":"k"}}';
    assert.equal((await post(ib.url(), sign('standard', key, 'msg_crash', body), body)).status, 200);
    await ib.waitForLine(/hand-off failed #1 msg_crash \(attempt 1\)/);
    await ib.crash();
    assert.deepEqual(inboxRows(db).map((r) => [r.request_id, r.state]), [['msg_crash', 'pending']]);

    const local = await handler(port);
    const restarted = await inbox(args);
    await local.waitFor(1);
    assert.deepEqual(local.ids(), ['msg_crash']);
    assert.equal(local.received[0]!.body, body);
    // The sender retries the request it got no answer for (or got one it lost): not stored again.
    assert.equal((await post(restarted.url(), sign('standard', key, 'msg_crash', body), body)).status, 200);
    assert.equal((await post(restarted.url(), sign('standard', key, 'msg_after_crash', body), body)).status, 200);
    await local.waitFor(2);
    assert.deepEqual(local.ids(), ['msg_crash', 'msg_after_crash']);
  });

  test('kill -9 during a hand-off: the event is handed over again after the restart (at least once)', async () => {
    const key = generateKeyMaterial('standard');
    const local = await handler();
    local.answer = () => undefined; // holds the first hand-off open: the inbox dies waiting
    const db = dbFile();
    const args = ['--scheme', 'standard', '--secret', secretOf(key), '--forward-to', local.url(), '--db', db];
    const ib = await inbox(args);
    const body = '{"event":"inflight","entity":{}}';
    assert.equal((await post(ib.url(), sign('standard', key, 'msg_inflight', body), body)).status, 200);
    await local.waitFor(1);
    await ib.crash();
    local.answer = (_req, res) => res.writeHead(200).end();
    const restarted = await inbox(args);
    await local.waitFor(2);
    assert.deepEqual(local.ids(), ['msg_inflight', 'msg_inflight']);
    await restarted.waitForLine(/handed over #1 msg_inflight \(attempt 1\)/);
    await eventually(async () => inboxRows(db)[0]?.state === 'done');
  });

  test('every other scheme: hmac-timestamp, hmac-sha256, standard-ed25519 and rsa-sha256 (SalesIQ x-siqsignature) accept their own signature only', async () => {
    const cases: { scheme: SignatureScheme; flags: (k: KeyMaterial) => string[]; env?: (k: KeyMaterial) => Record<string, string> }[] = [
      // The secret from the environment, beside a stale one (rotation): either may sign.
      { scheme: 'hmac-timestamp', flags: () => [], env: (k) => ({ HERALD_INBOX_SECRET: `whsec_${'0'.repeat(64)}, ${secretOf(k)}` }) },
      { scheme: 'hmac-sha256', flags: (k) => ['--secret', secretOf(k)] },
      { scheme: 'standard-ed25519', flags: (k) => ['--public-key', k.kind === 'ed25519' ? k.publicKey : ''] },
      {
        scheme: 'rsa-sha256',
        flags: (k) => {
          const file = join(dir, 'salesiq.pem');
          writeFileSync(file, k.kind === 'rsa' ? k.publicKeyPem : '');
          return ['--public-key', file];
        },
      },
    ];
    for (const c of cases) {
      const key = generateKeyMaterial(c.scheme);
      const stranger = generateKeyMaterial(c.scheme);
      const local = await handler();
      const db = dbFile();
      const ib = await inbox(['--scheme', c.scheme, ...c.flags(key), '--forward-to', local.url(), '--db', db], c.env?.(key) ?? {});
      const body = JSON.stringify({ event: c.scheme, entity: { id: 'x' } });
      const bad = await post(ib.url(), sign(c.scheme, stranger, `msg_bad_${c.scheme}`, body), body);
      assert.equal(bad.status, 401, c.scheme);
      assert.equal((await post(ib.url(), sign(c.scheme, key, `msg_${c.scheme}`, body), body)).status, 200, c.scheme);
      await local.waitFor(1);
      assert.deepEqual(local.ids(), [`msg_${c.scheme}`], c.scheme);
      assert.equal(local.received[0]!.body, body);
      assert.deepEqual(inboxRows(db).map((r) => r.request_id), [`msg_${c.scheme}`], c.scheme);
    }
  });

  test('--exec: the body on stdin, headers in HTTP_* variables, in order; a failing command is retried', async () => {
    const key = generateKeyMaterial('hmac-sha256');
    const out = join(dir, `exec-${n}`);
    mkdirSync(out);
    const command = 'test -f "$OUT/ready" || exit 3; cat > "$OUT/$INBOX_SEQ.json"; echo "$HTTP_WEBHOOK_ID $INBOX_ATTEMPT" >> "$OUT/ids"';
    const db = dbFile();
    const ib = await inbox(['--scheme', 'hmac-sha256', '--secret', secretOf(key), '--exec', command, '--db', db, '--retry-min', '50ms', '--retry-max', '100ms'], { OUT: out });
    const bodies = ['{"event":"e","entity":{"n":1}}', '{"event":"e","entity":{"n":2}}'];
    for (const [i, body] of bodies.entries()) assert.equal((await post(ib.url(), sign('hmac-sha256', key, `msg_exec_${i + 1}`, body), body)).status, 200);
    await ib.waitForLine(/hand-off failed #1 msg_exec_1 \(attempt 2\): the command exited 3/);
    writeFileSync(join(out, 'ready'), '');
    await ib.waitForLine(/handed over #2 msg_exec_2/);
    assert.equal(readFileSync(join(out, '1.json'), 'utf8'), bodies[0]);
    assert.equal(readFileSync(join(out, '2.json'), 'utf8'), bodies[1]);
    const ids = readFileSync(join(out, 'ids'), 'utf8').trim().split('\n');
    assert.equal(ids.length, 2);
    assert.match(ids[0]!, /^msg_exec_1 ([2-9]|\d\d+)$/, 'the first succeeded after failed attempts');
    assert.equal(ids[1], 'msg_exec_2 1');
  });

  test('retry delays double from --retry-min up to --retry-max; durations parse as documented', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 100].map((a) => retryDelay(a, 1_000, 5_000)), [1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
    assert.deepEqual(['250ms', '2s', '5m', '1h', '1500', '0.5s'].map(parseDuration), [250, 2_000, 300_000, 3_600_000, 1_500, 500]);
    assert.deepEqual(['', 'soon', '5d', '-1s'].map(parseDuration), [undefined, undefined, undefined, undefined]);
  });

  test('--help prints the usage and exits 0; a bad flag prints one line and exits 2', async () => {
    const help = await InboxProcess.run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--forward-to <url>/);
    for (const args of [['--bogus'], ['--scheme', 'nope', '--secret', 'x', '--exec', 'true'], ['--scheme', 'standard', '--secret', 'whsec_x'], ['--scheme', 'rsa-sha256', '--public-key', join(dir, 'missing.pem'), '--exec', 'true']]) {
      const r = await InboxProcess.run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^herald inbox: /);
    }
    assert.equal(existsSync(join(process.cwd(), 'herald-inbox.db')), false, 'a refused start creates no file');
  });
});

describe('herald inbox behind a real Herald', () => {
  let h: TestHerald;
  const dir = mkdtempSync(join(tmpdir(), 'herald-inbox-e2e-'));
  before(async () => {
    h = await TestHerald.start('sqlite');
    await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
  });
  after(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A webhook to a port the inbox will take, the inbox with the webhook's key, three events. */
  async function deliverThrough(name: string, webhook: Record<string, unknown>, keyFlags: (w: any) => string[]) {
    const port = await freePort();
    const w = (await h.api('POST', '/orgs/acme/webhooks', { url: `http://127.0.0.1:${port}/hooks`, events: [`${name}.created`], ...webhook })).body;
    assert.ok(w.id, JSON.stringify(w));
    const local = await LocalHandler.start();
    const db = join(dir, `${name}.db`);
    const ib = await InboxProcess.start([...keyFlags(w), '--forward-to', local.url(), '--db', db, '--port', String(port)]);
    try {
      for (let i = 1; i <= 3; i++) assert.equal((await h.api('POST', '/orgs/acme/events', { event: `${name}.created`, entity: { id: `${name}-${i}` } })).status, 202);
      await local.waitFor(3);
      const rows = await eventually(async () => {
        const r = inboxRows(db);
        return r.length === 3 && r.every((row) => row.state === 'done') ? r : undefined;
      });
      // Handed over in the order the inbox received them, each with Herald's webhook-id.
      assert.deepEqual(local.ids(), rows.map((r) => r.request_id));
      assert.deepEqual(local.received.map((r) => JSON.stringify(JSON.parse(r.body))).sort(), rows.map((r) => JSON.stringify(JSON.parse(r.body.toString('utf8')))).sort());
      // Herald took the inbox's answer as success under the preset's own rule.
      const log = await eventually(async () => {
        const d = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/deliveries`)).body.data as { status: string }[];
        return d.length === 3 && d.every((x) => x.status === 'succeeded') ? d : undefined;
      });
      assert.equal(log.length, 3);
    } finally {
      await ib.stop();
      await local.close();
    }
  }

  test('standard (Standard Webhooks HMAC): Herald delivers, the inbox verifies, stores and forwards', async () => {
    await deliverThrough('std', {}, (w) => ['--scheme', 'standard', '--secret', w.key.secret]);
  });

  test('dialog-insight preset (RSA in X-DI-Signature, status 200 only), key given as the .NET XML file', async () => {
    await deliverThrough('di', { preset: 'dialog-insight' }, (w) => {
      const file = join(dir, 'di.xml');
      writeFileSync(file, w.key.public_key_xml);
      return ['--preset', 'dialog-insight', '--public-key', file];
    });
  });

  test('smarterbot preset (hmac-timestamp, success only on an exact body)', async () => {
    await deliverThrough('sb', { preset: 'smarterbot' }, (w) => ['--preset', 'smarterbot', '--secret', w.key.secret]);
  });
});
