import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { verify as heraldVerify } from '@herald/receiver';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { TestHerald } from './helpers/herald.js';
import { TestReceiver, type Received } from './helpers/receiver.js';

/**
 * Real deliveries, verified by the libraries and tools receivers already use, unchanged.
 * Signing does not depend on the store, so this runs on SQLite only.
 */
describe('signatures on real deliveries', () => {
  let h: TestHerald;
  let rx: TestReceiver;
  const dir = mkdtempSync(join(tmpdir(), 'herald-sig-'));
  before(async () => {
    rx = await TestReceiver.start();
    h = await TestHerald.start('sqlite');
    await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
  });
  after(async () => {
    await h.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  /** Creates a webhook, sends one event, answers the webhook and the request that arrived. */
  async function deliverOne(body: Record<string, unknown>): Promise<{ w: any; got: Received }> {
    const path = `/sig${n++}`;
    const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url(path), events: ['sig.test'], ...body })).body;
    assert.ok(w.id, JSON.stringify(w));
    const before = rx.posts.length;
    await h.api('POST', '/orgs/acme/events', { event: 'sig.test', entity: { id: 'e1', text: 'héllo' } });
    await rx.waitFor(before + 1);
    const got = rx.posts.find((p, i) => i >= before && p.path === path)!;
    await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { state: 'disabled' });
    return { w, got };
  }

  const header = (r: Received, name: string) => String(r.headers[name.toLowerCase()]);

  test('Stripe style (hmac-timestamp under Stripe-Signature) passes stripe.webhooks.constructEvent', async () => {
    const { w, got } = await deliverOne({ signature: { scheme: 'hmac-timestamp', header: 'Stripe-Signature' } });
    const stripe = new Stripe('sk_test_unused');
    const event = stripe.webhooks.constructEvent(got.body, header(got, 'Stripe-Signature'), w.key.secret) as unknown as { entity: { id: string } };
    assert.equal(event.entity.id, 'e1');
    assert.throws(() => stripe.webhooks.constructEvent(`${got.body} `, header(got, 'Stripe-Signature'), w.key.secret));
  });

  test('smarterbot preset: X-Webhook-Signature t=…,v1=<hex> over t.body, raw record body, seed 003 check passes', async () => {
    const { w, got } = await deliverOne({ preset: 'smarterbot' });
    assert.deepEqual(JSON.parse(got.body), { id: 'e1', text: 'héllo' }, 'the record itself, no envelope');
    const sig = header(got, 'X-Webhook-Signature');
    const parts = Object.fromEntries(sig.split(',').map((kv) => kv.split('=') as [string, string]));
    // Seed 003's receiver sample re-serialises the parsed body: our compact JSON survives that.
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', w.key.secret).update(`${parts.t}.${JSON.stringify(JSON.parse(got.body))}`, 'utf8').digest('hex');
    assert.equal(parts.v1, expected);
  });

  test('GitHub style (hmac-sha256) passes @octokit/webhooks-methods verify', async () => {
    const { w, got } = await deliverOne({ signature: { scheme: 'hmac-sha256' } });
    assert.match(header(got, 'X-Hub-Signature-256'), /^sha256=[0-9a-f]{64}$/);
    assert.equal(await octokitVerify(w.key.secret, got.body, header(got, 'X-Hub-Signature-256')), true);
  });

  test('salesiq and dialog-insight presets (RSA) pass openssl dgst -sha256 -verify with the PEM key', async () => {
    for (const [preset, name] of [['salesiq', 'x-siqsignature'], ['dialog-insight', 'X-DI-Signature']] as const) {
      const { w, got } = await deliverOne({ preset });
      const pub = join(dir, `${preset}.pem`);
      const sig = join(dir, `${preset}.sig`);
      const body = join(dir, `${preset}.json`);
      writeFileSync(pub, w.key.public_key);
      writeFileSync(sig, Buffer.from(header(got, name), 'base64'));
      writeFileSync(body, got.body);
      const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sig, body]).toString();
      assert.match(out, /Verified OK/);
      // The XML form of the key verifies too (seed 004 hands receivers either).
      await heraldVerify({ headers: got.headers as Record<string, string>, body: got.body }, { scheme: 'rsa-sha256', header: name, publicKey: w.key.public_key_xml });
    }
  });

  test('standard-ed25519 verifies with @herald/receiver and the whpk_ public key', async () => {
    const { w, got } = await deliverOne({ signature: { scheme: 'standard-ed25519' } });
    assert.match(header(got, 'webhook-signature'), /^v1a,/);
    const payload = (await heraldVerify({ headers: got.headers as Record<string, string>, body: got.body }, { scheme: 'standard-ed25519', publicKey: w.key.public_key })) as { entity: { id: string } };
    assert.equal(payload.entity.id, 'e1');
  });

  test('rotation through the API: with two keys both secrets verify, after deleting the old one only the new', async () => {
    const path = '/rotate';
    const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url(path), events: ['rot.test'] })).body;
    const added = (await h.api('POST', `/orgs/acme/webhooks/${w.id}/keys`)).body;
    const send = async () => {
      const before = rx.posts.length;
      await h.api('POST', '/orgs/acme/events', { event: 'rot.test', entity: { id: 'r' } });
      await rx.waitFor(before + 1);
      const got = rx.posts.slice(before).find((p) => p.path === path)!;
      return { body: got.body, headers: { 'webhook-id': header(got, 'webhook-id'), 'webhook-timestamp': header(got, 'webhook-timestamp'), 'webhook-signature': header(got, 'webhook-signature') } };
    };
    const both = await send();
    assert.equal(both.headers['webhook-signature'].split(' ').length, 2);
    new StandardWebhook(w.key.secret).verify(both.body, both.headers);
    new StandardWebhook(added.secret).verify(both.body, both.headers);
    assert.equal((await h.api('DELETE', `/orgs/acme/webhooks/${w.id}/keys/${w.key.id}`)).status, 204);
    const after = await send();
    assert.equal(after.headers['webhook-signature'].split(' ').length, 1);
    new StandardWebhook(added.secret).verify(after.body, after.headers);
    assert.throws(() => new StandardWebhook(w.key.secret).verify(after.body, after.headers));
  });

  test('secured: false sends no signature but keeps webhook-id', async () => {
    const { got } = await deliverOne({ secured: false });
    assert.equal(got.headers['webhook-signature'], undefined);
    assert.match(header(got, 'webhook-id'), /^msg_/);
  });
});
