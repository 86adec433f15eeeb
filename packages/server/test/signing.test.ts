import { execFileSync } from 'node:child_process';
import { createHmac, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import {
  createSigner,
  DEFAULT_HEADERS,
  generateKeyMaterial,
  publicView,
  rsaPublicKeyToXml,
  rsaXmlToPublicKeyPem,
  SIGNATURE_SCHEMES,
  SigningError,
  type KeyMaterial,
} from '../src/signing/index.js';

const now = (): number => Math.floor(Date.now() / 1000);
// Compact JSON as Herald sends it, with non-ASCII text so UTF-8 handling is exercised.
const body = JSON.stringify({ version: 1, event: 'conversation.created', entity: { name: 'Zoë 🎉', rating: 2 } });

function secretOf(k: KeyMaterial): string {
  assert.equal(k.kind, 'hmac');
  return k.secret;
}

function rsaOf(k: KeyMaterial): { privateKeyPem: string; publicKeyPem: string } {
  assert.equal(k.kind, 'rsa');
  return k;
}

function signingCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SigningError, `expected a SigningError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected a SigningError');
}

describe('standard scheme', () => {
  it('issues whsec_ secrets of 24 random bytes', () => {
    const secret = secretOf(generateKeyMaterial('standard'));
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.notEqual(secret, secretOf(generateKeyMaterial('standard')));
  });

  it('is accepted unchanged by standardwebhooks and svix', () => {
    const key = generateKeyMaterial('standard');
    const headers = createSigner('standard', [key]).headers('msg_2aJ0', now(), body);
    assert.deepEqual(Object.keys(headers).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    assert.match(headers['webhook-signature'] ?? '', /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(new StandardWebhook(secretOf(key)).verify(body, headers), JSON.parse(body));
    assert.deepEqual(new SvixWebhook(secretOf(key)).verify(body, headers), JSON.parse(body));
  });

  it('matches the reference implementation on the Standard Webhooks spec example', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const ts = 1614265330;
    const payload = '{"test": 2432232314}';
    const ours = createSigner('standard', [{ kind: 'hmac', secret }]).headers(id, ts, payload)['webhook-signature'];
    assert.equal(ours, new StandardWebhook(secret).sign(id, new Date(ts * 1000), payload));
    assert.equal(ours, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with both keys during rotation, and each secret alone verifies', () => {
    const oldKey = generateKeyMaterial('standard');
    const newKey = generateKeyMaterial('standard');
    const headers = createSigner('standard', [oldKey, newKey]).headers('msg_rot', now(), body);
    const entries = (headers['webhook-signature'] ?? '').split(' ');
    assert.equal(entries.length, 2);
    for (const entry of entries) assert.match(entry, /^v1,/);
    for (const key of [oldKey, newKey]) {
      assert.deepEqual(new StandardWebhook(secretOf(key)).verify(body, headers), JSON.parse(body));
      assert.deepEqual(new SvixWebhook(secretOf(key)).verify(body, headers), JSON.parse(body));
    }
  });

  it('accepts the header name in another case but not another name', () => {
    const key = generateKeyMaterial('standard');
    assert.ok('Webhook-Signature' in createSigner('standard', [key], 'Webhook-Signature').headers('m', 1, '{}'));
    assert.equal(signingCode(() => createSigner('standard', [key], 'X-Signature')), 'HERALD_SIGNING_HEADER_FIXED');
  });
});

describe('standard-ed25519 scheme', () => {
  function verifyV1a(publicKey: string, headers: Record<string, string>): boolean {
    const raw = Buffer.from(publicKey.slice('whpk_'.length), 'base64');
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const sig = (headers['webhook-signature'] ?? '').replace(/^v1a,/, '');
    const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
    return cryptoVerify(null, Buffer.from(signed), key, Buffer.from(sig, 'base64'));
  }

  it('issues whsk_/whpk_ keys and signs v1a with the oldest key', () => {
    const oldKey = generateKeyMaterial('standard-ed25519');
    const newKey = generateKeyMaterial('standard-ed25519');
    assert.equal(oldKey.kind, 'ed25519');
    assert.equal(newKey.kind, 'ed25519');
    assert.equal(Buffer.from(oldKey.secretKey.slice(5), 'base64').length, 32);
    assert.equal(Buffer.from(oldKey.publicKey.slice(5), 'base64').length, 32);
    assert.deepEqual(publicView(oldKey, { includeSecret: true }), { public_key: oldKey.publicKey });
    const headers = createSigner('standard-ed25519', [oldKey, newKey]).headers('msg_ed', now(), body);
    assert.match(headers['webhook-signature'] ?? '', /^v1a,[A-Za-z0-9+/]{86}==$/);
    assert.equal(verifyV1a(oldKey.publicKey, headers), true);
    assert.equal(verifyV1a(newKey.publicKey, headers), false);
  });

  it('accepts the 64-byte seed+public form and refuses a pair that does not match', () => {
    const a = generateKeyMaterial('standard-ed25519');
    const b = generateKeyMaterial('standard-ed25519');
    assert.equal(a.kind, 'ed25519');
    assert.equal(b.kind, 'ed25519');
    const long = Buffer.concat([Buffer.from(a.secretKey.slice(5), 'base64'), Buffer.from(a.publicKey.slice(5), 'base64')]);
    const signer = createSigner('standard-ed25519', [{ ...a, secretKey: `whsk_${long.toString('base64')}` }]);
    assert.equal(verifyV1a(a.publicKey, signer.headers('m1', now(), body)), true);
    assert.equal(signingCode(() => createSigner('standard-ed25519', [{ ...a, publicKey: b.publicKey }])), 'HERALD_SIGNING_BAD_KEY');
  });
});

describe('hmac-timestamp scheme', () => {
  const stripe = new Stripe('sk_test_x');

  it('is accepted by stripe.webhooks.constructEvent under Stripe-Signature', () => {
    const key = generateKeyMaterial('hmac-timestamp');
    assert.match(secretOf(key), /^whsec_[0-9a-f]{64}$/);
    const headers = createSigner('hmac-timestamp', [key], 'Stripe-Signature').headers('msg_s', now(), body);
    const header = headers['Stripe-Signature'] ?? '';
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(headers['webhook-timestamp'], header.slice(2, header.indexOf(',')));
    assert.deepEqual(stripe.webhooks.constructEvent(body, header, secretOf(key)), JSON.parse(body));
  });

  it('defaults to X-Webhook-Signature and passes seed 003 sample logic', () => {
    const key = generateKeyMaterial('hmac-timestamp');
    const headers = createSigner('hmac-timestamp', [key]).headers('msg_t', now(), body);
    assert.equal(DEFAULT_HEADERS['hmac-timestamp'], 'X-Webhook-Signature');
    const value = headers['X-Webhook-Signature'] ?? '';
    // Seed 003's receiver: split on ',' then '=', keep the last v1, HMAC t + '.' + re-serialised body.
    const parts = Object.fromEntries(value.split(',').map((p) => p.split('=') as [string, string]));
    const expected = createHmac('sha256', secretOf(key)).update(`${parts.t}.${JSON.stringify(JSON.parse(body))}`, 'utf8').digest('hex');
    assert.equal(parts.v1, expected);
  });

  it('carries one v1 per key during rotation, the key in use last', () => {
    const oldKey = generateKeyMaterial('hmac-timestamp');
    const newKey = generateKeyMaterial('hmac-timestamp');
    const header = createSigner('hmac-timestamp', [oldKey, newKey], 'Stripe-Signature').headers('m', now(), body)['Stripe-Signature'] ?? '';
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const key of [oldKey, newKey]) stripe.webhooks.constructEvent(body, header, secretOf(key));
    const lastV1 = header.split(',v1=')[2];
    const t = header.slice(2, header.indexOf(','));
    assert.equal(lastV1, createHmac('sha256', secretOf(oldKey)).update(`${t}.${body}`).digest('hex'));
  });
});

describe('hmac-sha256 scheme', () => {
  it('is accepted by @octokit/webhooks-methods and signs with the oldest key only', async () => {
    const oldKey = generateKeyMaterial('hmac-sha256');
    const newKey = generateKeyMaterial('hmac-sha256');
    const headers = createSigner('hmac-sha256', [oldKey, newKey]).headers('msg_gh', now(), body);
    const signature = headers['X-Hub-Signature-256'] ?? '';
    assert.match(signature, /^sha256=[0-9a-f]{64}$/);
    assert.equal(await octokitVerify(secretOf(oldKey), body, signature), true);
    assert.equal(await octokitVerify(secretOf(newKey), body, signature), false);
    assert.equal(await octokitVerify(secretOf(oldKey), body.replace('2', '1'), signature), false);
  });
});

describe('rsa-sha256 scheme', () => {
  const first = generateKeyMaterial('rsa-sha256');
  const second = generateKeyMaterial('rsa-sha256');

  it('makes 2048-bit keys and shows only public forms', () => {
    const { privateKeyPem, publicKeyPem } = rsaOf(first);
    assert.match(privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(createPublicKey(publicKeyPem).asymmetricKeyDetails?.modulusLength, 2048);
    const view = publicView(first, { includeSecret: true });
    assert.deepEqual(Object.keys(view).sort(), ['public_key', 'public_key_xml']);
    assert.equal(view.public_key, publicKeyPem);
    assert.ok(!JSON.stringify(view).includes('PRIVATE'));
  });

  it('gives the XML key the same modulus and exponent as the PEM key', () => {
    const { publicKeyPem } = rsaOf(first);
    const xml = rsaPublicKeyToXml(publicKeyPem);
    assert.match(xml, /^<RSAKeyValue><Modulus>[A-Za-z0-9+/]{342}==<\/Modulus><Exponent>AQAB<\/Exponent><\/RSAKeyValue>$/);
    const back = createPublicKey(rsaXmlToPublicKeyPem(xml));
    assert.ok(back.equals(createPublicKey(publicKeyPem)));
    const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
    assert.equal(Buffer.from(jwk.n ?? '', 'base64url').toString('base64'), /<Modulus>(.*)<\/Modulus>/.exec(xml)?.[1]);
  });

  it('is accepted by openssl dgst -sha256 -verify and signs with the oldest key', () => {
    const headers = createSigner('rsa-sha256', [first, second], 'X-DI-Signature').headers('msg_rsa', now(), body);
    const signature = headers['X-DI-Signature'] ?? '';
    assert.match(signature, /^[A-Za-z0-9+/]{342}==$/);
    const dir = mkdtempSync(join(tmpdir(), 'herald-rsa-'));
    try {
      writeFileSync(join(dir, 'body.json'), body);
      writeFileSync(join(dir, 'sig.bin'), Buffer.from(signature, 'base64'));
      const run = (pem: string): string => {
        writeFileSync(join(dir, 'pub.pem'), pem);
        try {
          return execFileSync('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'body.json'], {
            cwd: dir,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          }).trim();
        } catch (err) {
          return String((err as { stdout?: string }).stdout ?? '').trim();
        }
      };
      assert.equal(run(rsaOf(first).publicKeyPem), 'Verified OK');
      assert.equal(run(rsaOf(second).publicKeyPem), 'Verification failure');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults to x-siqsignature', () => {
    const headers = createSigner('rsa-sha256', [first]).headers('msg_siq', 1700000000, body);
    assert.deepEqual(Object.keys(headers).sort(), ['webhook-id', 'webhook-timestamp', 'x-siqsignature']);
    assert.equal(cryptoVerify('sha256', Buffer.from(body), rsaOf(first).publicKeyPem, Buffer.from(headers['x-siqsignature'] ?? '', 'base64')), true);
  });
});

describe('input validation', () => {
  const hmac = generateKeyMaterial('standard');
  const rsa = generateKeyMaterial('rsa-sha256');

  it('lists every scheme, each with a default header', () => {
    assert.deepEqual([...SIGNATURE_SCHEMES], ['standard', 'standard-ed25519', 'hmac-timestamp', 'hmac-sha256', 'rsa-sha256']);
    for (const scheme of SIGNATURE_SCHEMES) assert.equal(typeof DEFAULT_HEADERS[scheme], 'string');
  });

  it('refuses bad schemes, key counts and key kinds with stable codes', () => {
    assert.equal(signingCode(() => createSigner('nope' as 'standard', [hmac])), 'HERALD_SIGNING_UNKNOWN_SCHEME');
    assert.equal(signingCode(() => generateKeyMaterial('nope' as 'standard')), 'HERALD_SIGNING_UNKNOWN_SCHEME');
    assert.equal(signingCode(() => createSigner('standard', [])), 'HERALD_SIGNING_NO_KEYS');
    assert.equal(signingCode(() => createSigner('standard', [hmac, hmac, hmac])), 'HERALD_SIGNING_TOO_MANY_KEYS');
    assert.equal(signingCode(() => createSigner('rsa-sha256', [hmac])), 'HERALD_SIGNING_KEY_MISMATCH');
    assert.equal(signingCode(() => createSigner('standard', [rsa])), 'HERALD_SIGNING_KEY_MISMATCH');
    assert.equal(signingCode(() => createSigner('standard-ed25519', [rsa])), 'HERALD_SIGNING_KEY_MISMATCH');
  });

  it('refuses unusable key material', () => {
    assert.equal(signingCode(() => createSigner('standard', [{ kind: 'hmac', secret: 'whsec_not base64!' }])), 'HERALD_SIGNING_BAD_KEY');
    assert.equal(signingCode(() => createSigner('standard', [{ kind: 'hmac', secret: 'whsec_c2hvcnQ=' }])), 'HERALD_SIGNING_BAD_KEY');
    assert.equal(signingCode(() => createSigner('hmac-sha256', [{ kind: 'hmac', secret: '' }])), 'HERALD_SIGNING_BAD_KEY');
    assert.equal(signingCode(() => createSigner('rsa-sha256', [{ ...rsaOf(rsa), kind: 'rsa', privateKeyPem: 'garbage' }])), 'HERALD_SIGNING_BAD_KEY');
    assert.equal(signingCode(() => rsaPublicKeyToXml('garbage')), 'HERALD_SIGNING_BAD_KEY');
    assert.equal(signingCode(() => rsaXmlToPublicKeyPem('<RSAKeyValue></RSAKeyValue>')), 'HERALD_SIGNING_BAD_KEY');
  });

  it('refuses header names that are not tokens or that Herald sends itself', () => {
    assert.equal(signingCode(() => createSigner('rsa-sha256', [rsa], 'X Sig')), 'HERALD_SIGNING_BAD_HEADER_NAME');
    assert.equal(signingCode(() => createSigner('rsa-sha256', [rsa], 'Webhook-Id')), 'HERALD_SIGNING_BAD_HEADER_NAME');
  });

  it('refuses ids and timestamps a receiver could not reproduce', () => {
    const signer = createSigner('standard', [hmac]);
    assert.equal(signingCode(() => signer.headers('', 1, '{}')), 'HERALD_SIGNING_BAD_INPUT');
    assert.equal(signingCode(() => signer.headers('a b', 1, '{}')), 'HERALD_SIGNING_BAD_INPUT');
    assert.equal(signingCode(() => signer.headers('m', 1.5, '{}')), 'HERALD_SIGNING_BAD_INPUT');
    assert.equal(signingCode(() => signer.headers('m', -1, '{}')), 'HERALD_SIGNING_BAD_INPUT');
  });

  it('keeps HMAC secrets out of the public view unless asked', () => {
    assert.deepEqual(publicView(hmac, { includeSecret: false }), {});
    assert.deepEqual(publicView(hmac, { includeSecret: true }), { secret: secretOf(hmac) });
  });
});
