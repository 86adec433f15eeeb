import { fromBase64, utf8 } from './bytes.js';
import { WebhookVerificationError } from './errors.js';
import type { SignatureScheme } from './schemes.js';

/**
 * Turns the secrets or public keys a receiver configured into CryptoKeys, once per verifier.
 * Every problem here is the receiver's configuration, never the request: code `bad_key`.
 */
export interface KeyOptions {
  scheme: SignatureScheme;
  secret?: string | readonly string[] | undefined;
  publicKey?: string | readonly string[] | undefined;
}

const HMAC: HmacImportParams = { name: 'HMAC', hash: 'SHA-256' };
const RSA: RsaHashedImportParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) throw new WebhookVerificationError('bad_key', 'WebCrypto (globalThis.crypto.subtle) is not available here');
  return s;
}

function list(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return (typeof value === 'string' ? [value] : [...value]).map((v) => v.trim()).filter((v) => v !== '');
}

function badKey(message: string): WebhookVerificationError {
  return new WebhookVerificationError('bad_key', message);
}

export async function importKeys(opts: KeyOptions): Promise<CryptoKey[]> {
  const hmac = opts.scheme === 'standard' || opts.scheme === 'hmac-timestamp' || opts.scheme === 'hmac-sha256';
  const material = list(hmac ? opts.secret : opts.publicKey);
  if (material.length === 0) {
    throw badKey(hmac ? `The ${opts.scheme} scheme needs \`secret\`` : `The ${opts.scheme} scheme needs \`publicKey\``);
  }
  switch (opts.scheme) {
    case 'standard':
      return Promise.all(material.map((s) => importHmac(standardSecretBytes(s))));
    case 'hmac-timestamp':
    case 'hmac-sha256':
      // Stripe and GitHub style: the secret's text itself is the key, whatever it looks like.
      return Promise.all(material.map((s) => importHmac(utf8(s))));
    case 'standard-ed25519':
      return Promise.all(material.map(importEd25519));
    case 'rsa-sha256':
      return Promise.all(material.map(importRsa));
    default:
      throw badKey(`Unknown scheme ${String(opts.scheme)}`);
  }
}

/** `whsec_` then base64 of the key bytes; the prefix is optional, as in the Standard Webhooks libraries. */
function standardSecretBytes(secret: string): Uint8Array<ArrayBuffer> {
  const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const bytes = fromBase64(body);
  if (bytes === undefined || bytes.length === 0) throw badKey('A standard scheme secret is whsec_ followed by base64');
  return bytes;
}

function importHmac(key: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return subtle().importKey('raw', key, HMAC, false, ['sign']);
}

async function importEd25519(text: string): Promise<CryptoKey> {
  try {
    if (text.startsWith('-----BEGIN')) return await subtle().importKey('spki', pemBody(text), 'Ed25519', false, ['verify']);
    const raw = text.startsWith('whpk_') ? fromBase64(text.slice('whpk_'.length)) : undefined;
    if (raw === undefined || raw.length !== 32) throw badKey('An Ed25519 public key is whpk_ followed by base64 of 32 bytes');
    return await subtle().importKey('raw', raw, 'Ed25519', false, ['verify']);
  } catch (err) {
    throw err instanceof Error && err.name === 'WebhookVerificationError' ? err : badKey(`The Ed25519 public key cannot be imported: ${String(err)}`);
  }
}

/** SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or the .NET XML form `<RSAKeyValue>` that seed 004 hands out. */
async function importRsa(text: string): Promise<CryptoKey> {
  try {
    if (text.startsWith('<')) return await subtle().importKey('jwk', rsaXmlToJwk(text), RSA, false, ['verify']);
    if (text.includes('BEGIN RSA PUBLIC KEY')) {
      throw badKey('This is a PKCS#1 key; give the SPKI form (-----BEGIN PUBLIC KEY-----) or the XML key Herald shows');
    }
    return await subtle().importKey('spki', pemBody(text), RSA, false, ['verify']);
  } catch (err) {
    throw err instanceof Error && err.name === 'WebhookVerificationError' ? err : badKey(`The RSA public key cannot be imported: ${String(err)}`);
  }
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const match = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(pem);
  const bytes = match?.[1] === undefined ? undefined : fromBase64(match[1].replace(/\s+/g, ''));
  if (bytes === undefined) throw badKey('A PEM public key starts with -----BEGIN PUBLIC KEY-----');
  return bytes;
}

function rsaXmlToJwk(xml: string): JsonWebKey {
  const field = (tag: string): string => {
    const inner = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1]?.replace(/\s+/g, '');
    const bytes = inner === undefined ? undefined : fromBase64(inner);
    if (bytes === undefined || bytes.length === 0) throw badKey(`The RSA XML key has no valid <${tag}>`);
    return base64Url(bytes);
  };
  return { kty: 'RSA', n: field('Modulus'), e: field('Exponent'), ext: true };
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
