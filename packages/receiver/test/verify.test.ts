import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createSigner, generateKeyMaterial, publicView, type KeyMaterial, type SignatureScheme } from '../../server/src/signing/index.js';
import { createVerifier, DEFAULT_HEADERS, verify, verifyRequest, WebhookVerificationError, type VerifyOptions } from '../src/index.js';

const body = JSON.stringify({ version: 1, event: 'conversation.created', entity: { name: 'Zoë 🎉', rating: 2 } });
const T = 1_760_000_000;
const at = (sec: number) => (): number => sec * 1000;

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof WebhookVerificationError, `expected a WebhookVerificationError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected verification to fail');
}

/** The receiver-side options for a key, as its owner would copy them from Herald's API. */
function receiverKey(scheme: SignatureScheme, key: KeyMaterial): Pick<VerifyOptions, 'secret' | 'publicKey'> {
  const view = publicView(key, { includeSecret: true });
  return view.secret !== undefined ? { secret: view.secret } : { publicKey: view.public_key ?? '' };
}

const schemes: readonly SignatureScheme[] = ['standard', 'standard-ed25519', 'hmac-timestamp', 'hmac-sha256', 'rsa-sha256'];
const keys = new Map(schemes.map((s) => [s, [generateKeyMaterial(s), generateKeyMaterial(s)] as const]));

describe('round trips against the server signer', () => {
  for (const scheme of schemes) {
    const [oldKey, newKey] = keys.get(scheme) ?? assert.fail();

    it(`${scheme}: verifies and returns the payload; tampering and wrong keys fail`, async () => {
      const headers = createSigner(scheme, [oldKey]).headers('msg_1', T, body);
      const opts: VerifyOptions = { scheme, ...receiverKey(scheme, oldKey), now: at(T + 10) };
      assert.deepEqual(await verify({ headers, body }, opts), JSON.parse(body));
      assert.deepEqual(await verify({ headers, body: new TextEncoder().encode(body) }, opts), JSON.parse(body));
      assert.deepEqual(await verify({ headers: new Headers(headers), body }, opts), JSON.parse(body));
      assert.equal(await code(verify({ headers, body: body.replace('2}', '1}') }, opts)), 'no_matching_signature');
      assert.equal(await code(verify({ headers, body }, { ...opts, ...receiverKey(scheme, newKey) })), 'no_matching_signature');
    });

    it(`${scheme}: accepts any of several configured keys`, async () => {
      const headers = createSigner(scheme, [newKey]).headers('msg_2', T, body);
      const both = receiverKey(scheme, oldKey).secret !== undefined
        ? { secret: [receiverKey(scheme, oldKey).secret as string, receiverKey(scheme, newKey).secret as string] }
        : { publicKey: [receiverKey(scheme, oldKey).publicKey as string, receiverKey(scheme, newKey).publicKey as string] };
      assert.deepEqual(await verify({ headers, body }, { scheme, ...both, now: at(T) }), JSON.parse(body));
    });
  }

  it('standard and hmac-timestamp: both keys verify while rotating', async () => {
    for (const scheme of ['standard', 'hmac-timestamp'] as const) {
      const [oldKey, newKey] = keys.get(scheme) ?? assert.fail();
      const headers = createSigner(scheme, [oldKey, newKey]).headers('msg_r', T, body);
      for (const key of [oldKey, newKey]) {
        assert.deepEqual(await verify({ headers, body }, { scheme, ...receiverKey(scheme, key), now: at(T) }), JSON.parse(body));
      }
    }
  });

  it('rsa-sha256: the .NET XML key verifies like the PEM key, under a custom header', async () => {
    const [key] = keys.get('rsa-sha256') ?? assert.fail();
    const headers = createSigner('rsa-sha256', [key], 'X-DI-Signature').headers('msg_di', T, body);
    const xml = publicView(key, { includeSecret: false }).public_key_xml ?? '';
    assert.deepEqual(await verify({ headers, body }, { scheme: 'rsa-sha256', publicKey: xml, header: 'x-di-signature' }), JSON.parse(body));
    assert.equal(await code(verify({ headers, body }, { scheme: 'rsa-sha256', publicKey: xml })), 'missing_header');
  });

  it('hmac-timestamp under Stripe-Signature, read case-insensitively from a plain object', async () => {
    const [key] = keys.get('hmac-timestamp') ?? assert.fail();
    const headers = createSigner('hmac-timestamp', [key], 'Stripe-Signature').headers('msg_s', T, body);
    const opts: VerifyOptions = { scheme: 'hmac-timestamp', ...receiverKey('hmac-timestamp', key), header: 'stripe-signature', now: at(T) };
    assert.deepEqual(await verify({ headers, body }, opts), JSON.parse(body));
  });
});

describe('Standard Webhooks spec example', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const ts = 1614265330;
  const payload = '{"test": 2432232314}';
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature };
  const opts: VerifyOptions = { scheme: 'standard', secret, now: at(ts) };

  it('the expected signature is what the reference library computes', () => {
    assert.equal(new StandardWebhook(secret).sign(id, new Date(ts * 1000), payload), signature);
  });

  it('verifies, also among other entries and under svix-* names', async () => {
    assert.deepEqual(await verify({ headers, body: payload }, opts), { test: 2432232314 });
    const several = { ...headers, 'webhook-signature': `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,abc ${signature}` };
    assert.deepEqual(await verify({ headers: several, body: payload }, opts), { test: 2432232314 });
    const svix = { 'svix-id': id, 'svix-timestamp': String(ts), 'svix-signature': signature };
    assert.deepEqual(await verify({ headers: svix, body: payload }, opts), { test: 2432232314 });
  });

  it('rejects a tampered payload, a wrong secret and a wrong id', async () => {
    assert.equal(await code(verify({ headers, body: '{"test": 2432232315}' }, opts)), 'no_matching_signature');
    assert.equal(await code(verify({ headers, body: payload }, { ...opts, secret: 'whsec_OfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })), 'no_matching_signature');
    assert.equal(await code(verify({ headers: { ...headers, 'webhook-id': 'msg_other' }, body: payload }, opts)), 'no_matching_signature');
  });

  it('rejects old and future timestamps beyond the tolerance, accepts them within', async () => {
    assert.equal(await code(verify({ headers, body: payload }, { ...opts, now: at(ts + 301) })), 'timestamp_out_of_tolerance');
    assert.equal(await code(verify({ headers, body: payload }, { ...opts, now: at(ts - 301) })), 'timestamp_out_of_tolerance');
    assert.ok(await verify({ headers, body: payload }, { ...opts, now: at(ts + 299) }));
    assert.ok(await verify({ headers, body: payload }, { ...opts, now: at(ts + 3000), toleranceSeconds: 3600 }));
  });

  it('reports missing and malformed headers', async () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const partial: Record<string, string> = { ...headers };
      delete partial[name];
      assert.equal(await code(verify({ headers: partial, body: payload }, opts)), 'missing_header');
    }
    assert.equal(await code(verify({ headers: { ...headers, 'webhook-timestamp': '16142653.30' }, body: payload }, opts)), 'bad_format');
    assert.equal(await code(verify({ headers: { ...headers, 'webhook-signature': 'garbage' }, body: payload }, opts)), 'bad_format');
    assert.equal(await code(verify({ headers: { ...headers, 'webhook-signature': 'v2,Zm9v' }, body: payload }, opts)), 'no_matching_signature');
  });
});

describe('the other schemes reject what they must', () => {
  it('hmac-timestamp: stale t, missing t, garbage', async () => {
    const [key] = keys.get('hmac-timestamp') ?? assert.fail();
    const headers = createSigner('hmac-timestamp', [key]).headers('m', T, body);
    const opts: VerifyOptions = { scheme: 'hmac-timestamp', ...receiverKey('hmac-timestamp', key), now: at(T + 301) };
    assert.equal(await code(verify({ headers, body }, opts)), 'timestamp_out_of_tolerance');
    const value = headers[DEFAULT_HEADERS['hmac-timestamp']] ?? '';
    const noT = { 'x-webhook-signature': value.replace(/^t=\d+,/, '') };
    assert.equal(await code(verify({ headers: noT, body }, { ...opts, now: at(T) })), 'bad_format');
    const noV1 = { 'x-webhook-signature': `t=${T}` };
    assert.equal(await code(verify({ headers: noV1, body }, { ...opts, now: at(T) })), 'no_matching_signature');
  });

  it('hmac-sha256 and rsa-sha256 carry no timestamp, so no tolerance applies', async () => {
    for (const scheme of ['hmac-sha256', 'rsa-sha256'] as const) {
      const [key] = keys.get(scheme) ?? assert.fail();
      const headers = createSigner(scheme, [key]).headers('m', T, body);
      assert.ok(await verify({ headers, body }, { scheme, ...receiverKey(scheme, key), now: at(T + 86_400) }));
      const garbled = { [DEFAULT_HEADERS[scheme]]: scheme === 'rsa-sha256' ? '%%%' : 'md5=abc' };
      assert.equal(await code(verify({ headers: garbled, body }, { scheme, ...receiverKey(scheme, key) })), 'bad_format');
    }
  });

  it('standard-ed25519 ignores v1 entries and needs the public key', async () => {
    const [key] = keys.get('standard-ed25519') ?? assert.fail();
    const headers = createSigner('standard-ed25519', [key]).headers('m', T, body);
    const publicKey = publicView(key, { includeSecret: false }).public_key ?? '';
    const onlyV1 = { ...headers, 'webhook-signature': (headers['webhook-signature'] ?? '').replace('v1a,', 'v1,') };
    assert.equal(await code(verify({ headers: onlyV1, body }, { scheme: 'standard-ed25519', publicKey, now: at(T) })), 'no_matching_signature');
  });

  it('a valid signature over a body that is not JSON is bad_format', async () => {
    const [key] = keys.get('hmac-sha256') ?? assert.fail();
    const headers = createSigner('hmac-sha256', [key]).headers('m', T, 'not json');
    assert.equal(await code(verify({ headers, body: 'not json' }, { scheme: 'hmac-sha256', ...receiverKey('hmac-sha256', key) })), 'bad_format');
  });
});

describe('configuration errors are bad_key', () => {
  const headers = { 'webhook-id': 'm', 'webhook-timestamp': String(T), 'webhook-signature': 'v1,Zm9v' };

  it('reports missing, unusable and mismatched keys before looking at the request', async () => {
    assert.equal(await code(verify({ headers, body }, { scheme: 'standard' })), 'bad_key');
    assert.equal(await code(verify({ headers, body }, { scheme: 'standard', secret: [] })), 'bad_key');
    assert.equal(await code(verify({ headers, body }, { scheme: 'standard', secret: 'whsec_!!!' })), 'bad_key');
    assert.equal(await code(verify({ headers: {}, body }, { scheme: 'rsa-sha256', secret: 'whsec_abc' })), 'bad_key');
    assert.equal(await code(verify({ headers: {}, body }, { scheme: 'rsa-sha256', publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' })), 'bad_key');
    assert.equal(await code(verify({ headers: {}, body }, { scheme: 'rsa-sha256', publicKey: '<RSAKeyValue><Modulus></Modulus></RSAKeyValue>' })), 'bad_key');
    assert.equal(await code(verify({ headers: {}, body }, { scheme: 'standard-ed25519', publicKey: 'whpk_c2hvcnQ=' })), 'bad_key');
    assert.equal(await code(verify({ headers: {}, body }, { scheme: 'nope' as SignatureScheme, secret: 'x' })), 'bad_key');
  });
});

describe('verifyRequest and createVerifier', () => {
  it('verifies a Fetch Request with a verifier built once', async () => {
    const [key] = keys.get('standard') ?? assert.fail();
    const verifier = createVerifier({ scheme: 'standard', ...receiverKey('standard', key), now: at(T) });
    for (const id of ['a', 'b']) {
      const headers = createSigner('standard', [key]).headers(id, T, body);
      const request = new Request('https://example.test/hook', { method: 'POST', headers, body });
      assert.deepEqual(await verifyRequest(request, verifier), JSON.parse(body));
    }
  });
});
