import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from './encoding.js';
import { SigningError } from './errors.js';
import { rsaPublicKeyToXml } from './rsa-xml.js';
import type { KeyMaterial, PublicKeyView, SignatureScheme } from './types.js';

export const STANDARD_SECRET_PREFIX = 'whsec_';
export const ED25519_SECRET_PREFIX = 'whsk_';
export const ED25519_PUBLIC_PREFIX = 'whpk_';

// Standard Webhooks asks for secrets of 24 to 64 random bytes; 24 is what Svix issues.
const STANDARD_SECRET_BYTES = 24;
const STANDARD_SECRET_MIN = 24;
const STANDARD_SECRET_MAX = 64;
const RSA_BITS = 2048;

// Fixed DER headers that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI), so raw
// keys can become KeyObjects without a JWK round trip (which insists on both halves).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function generateKeyMaterial(scheme: SignatureScheme): KeyMaterial {
  switch (scheme) {
    case 'standard':
      return { kind: 'hmac', secret: STANDARD_SECRET_PREFIX + encodeBase64(randomBytes(STANDARD_SECRET_BYTES)) };
    case 'hmac-timestamp':
    case 'hmac-sha256':
      // These schemes key HMAC with the secret's UTF-8 text (as Stripe and GitHub do); hex keeps
      // it safe to paste into env files and shells, and the prefix says what it is.
      return { kind: 'hmac', secret: STANDARD_SECRET_PREFIX + randomBytes(32).toString('hex') };
    case 'standard-ed25519': {
      const seed = randomBytes(32);
      const publicRaw = ed25519PublicFromSeed(seed);
      return {
        kind: 'ed25519',
        secretKey: ED25519_SECRET_PREFIX + encodeBase64(seed),
        publicKey: ED25519_PUBLIC_PREFIX + encodeBase64(publicRaw),
      };
    }
    case 'rsa-sha256': {
      const pair = generateKeyPairSync('rsa', { modulusLength: RSA_BITS, publicExponent: 0x10001 });
      return {
        kind: 'rsa',
        privateKeyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        publicKeyPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      };
    }
    default:
      throw new SigningError('HERALD_SIGNING_UNKNOWN_SCHEME', `Unknown signature scheme ${String(scheme)}`);
  }
}

export function publicView(material: KeyMaterial, opts: { includeSecret: boolean }): PublicKeyView {
  switch (material.kind) {
    case 'hmac':
      return opts.includeSecret ? { secret: material.secret } : {};
    case 'rsa':
      return { public_key: material.publicKeyPem, public_key_xml: rsaPublicKeyToXml(material.publicKeyPem) };
    case 'ed25519':
      return { public_key: material.publicKey };
  }
}

/** The HMAC key of the `standard` scheme: the base64 after `whsec_` (prefix optional, as in the reference libraries). */
export function decodeStandardSecret(secret: string): Buffer {
  const body = secret.startsWith(STANDARD_SECRET_PREFIX) ? secret.slice(STANDARD_SECRET_PREFIX.length) : secret;
  const key = decodeBase64Strict(body, 'The standard scheme secret');
  if (key.length < STANDARD_SECRET_MIN || key.length > STANDARD_SECRET_MAX) {
    throw new SigningError(
      'HERALD_SIGNING_BAD_KEY',
      `A standard scheme secret must hold ${STANDARD_SECRET_MIN} to ${STANDARD_SECRET_MAX} bytes, this one holds ${key.length}`,
    );
  }
  return key;
}

/** The HMAC key of the UTF-8 schemes (`hmac-timestamp`, `hmac-sha256`): the secret text itself. */
export function decodeUtf8Secret(secret: string): Buffer {
  if (secret.length === 0) throw new SigningError('HERALD_SIGNING_BAD_KEY', 'The HMAC secret is empty');
  return Buffer.from(secret, 'utf8');
}

function ed25519PublicFromSeed(seed: Buffer): Buffer {
  const privateKey = ed25519PrivateKeyFromSeed(seed);
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return spki.subarray(ED25519_SPKI_PREFIX.length);
}

function ed25519PrivateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * `whsk_` holds base64 of the 32-byte seed. The 64-byte libsodium form (seed then public key)
 * is accepted too, so keys made with other Standard Webhooks tools can be imported.
 */
export function ed25519PrivateKey(material: { secretKey: string; publicKey: string }): KeyObject {
  if (!material.secretKey.startsWith(ED25519_SECRET_PREFIX)) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', `An Ed25519 secret key starts with ${ED25519_SECRET_PREFIX}`);
  }
  const raw = decodeBase64Strict(material.secretKey.slice(ED25519_SECRET_PREFIX.length), 'The Ed25519 secret key');
  if (raw.length !== 32 && raw.length !== 64) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', 'An Ed25519 secret key holds a 32-byte seed (or 64 bytes: seed and public key)');
  }
  const seed = raw.subarray(0, 32);
  const derived = ed25519PublicFromSeed(seed);
  // A pair that does not match would sign with a key the receiver was never given.
  if (!derived.equals(ed25519PublicRaw(material.publicKey)) || (raw.length === 64 && !derived.equals(raw.subarray(32)))) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', 'The Ed25519 public key does not belong to the secret key');
  }
  return ed25519PrivateKeyFromSeed(seed);
}

export function ed25519PublicRaw(publicKey: string): Buffer {
  if (!publicKey.startsWith(ED25519_PUBLIC_PREFIX)) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', `An Ed25519 public key starts with ${ED25519_PUBLIC_PREFIX}`);
  }
  const raw = decodeBase64Strict(publicKey.slice(ED25519_PUBLIC_PREFIX.length), 'The Ed25519 public key');
  if (raw.length !== 32) throw new SigningError('HERALD_SIGNING_BAD_KEY', 'An Ed25519 public key holds 32 bytes');
  return raw;
}
