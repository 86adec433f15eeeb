/**
 * Request signing, called on every delivery attempt. `createSigner` does the slow work once
 * (key parsing, KeyObject creation); the returned Signer only hashes or signs.
 */
import { createEd25519Signer } from './ed25519.js';
import { SigningError } from './errors.js';
import { checkHeaderName } from './headers.js';
import { createHmacSha256Signer } from './hmac-sha256.js';
import { createHmacTimestampSigner } from './hmac-timestamp.js';
import { decodeStandardSecret, decodeUtf8Secret, ed25519PrivateKey } from './keys.js';
import { createRsaSigner } from './rsa.js';
import { createStandardSigner } from './standard.js';
import { DEFAULT_HEADERS, MAX_KEYS_PER_WEBHOOK, SIGNATURE_SCHEMES, type KeyMaterial, type SignatureScheme, type Signer } from './types.js';

export { SIGNING_ERROR_CODES, SigningError, type SigningErrorCode } from './errors.js';
export { generateKeyMaterial, publicView } from './keys.js';
export { rsaPublicKeyToXml, rsaXmlToPublicKeyPem } from './rsa-xml.js';
export {
  DEFAULT_HEADERS,
  MAX_KEYS_PER_WEBHOOK,
  SIGNATURE_SCHEMES,
  type KeyMaterial,
  type PublicKeyView,
  type SignatureScheme,
  type Signer,
} from './types.js';

/** The schemes whose signature header is fixed by their standard, so a custom name would break every receiver library. */
const FIXED_HEADER: ReadonlySet<SignatureScheme> = new Set<SignatureScheme>(['standard', 'standard-ed25519']);

export function isSignatureScheme(value: unknown): value is SignatureScheme {
  return typeof value === 'string' && (SIGNATURE_SCHEMES as readonly string[]).includes(value);
}

/**
 * @param keys the webhook's keys, oldest first. `standard` and `hmac-timestamp` sign with all of
 *   them (receivers accept any one during rotation); the other schemes sign with the oldest,
 *   the key "in use".
 * @param headerName the signature header; defaults to DEFAULT_HEADERS[scheme].
 */
export function createSigner(scheme: SignatureScheme, keys: readonly KeyMaterial[], headerName?: string): Signer {
  if (!isSignatureScheme(scheme)) {
    throw new SigningError('HERALD_SIGNING_UNKNOWN_SCHEME', `Unknown signature scheme ${String(scheme)}`);
  }
  if (keys.length === 0) throw new SigningError('HERALD_SIGNING_NO_KEYS', 'A webhook needs at least one key to sign with');
  if (keys.length > MAX_KEYS_PER_WEBHOOK) {
    throw new SigningError('HERALD_SIGNING_TOO_MANY_KEYS', `A webhook holds at most ${MAX_KEYS_PER_WEBHOOK} keys, got ${keys.length}`);
  }
  const header = resolveHeader(scheme, headerName);
  const inUse = keys[0] as KeyMaterial;

  switch (scheme) {
    case 'standard':
      return createStandardSigner(keys.map((k) => decodeStandardSecret(hmacSecret(scheme, k))), header);
    case 'hmac-timestamp':
      return createHmacTimestampSigner(keys.map((k) => decodeUtf8Secret(hmacSecret(scheme, k))), header);
    case 'hmac-sha256':
      return createHmacSha256Signer(decodeUtf8Secret(hmacSecret(scheme, inUse)), header);
    case 'standard-ed25519':
      if (inUse.kind !== 'ed25519') throw mismatch(scheme, inUse);
      return createEd25519Signer(ed25519PrivateKey(inUse), header);
    case 'rsa-sha256':
      if (inUse.kind !== 'rsa') throw mismatch(scheme, inUse);
      return createRsaSigner(inUse.privateKeyPem, header);
  }
}

function resolveHeader(scheme: SignatureScheme, headerName: string | undefined): string {
  const fallback = DEFAULT_HEADERS[scheme];
  if (headerName === undefined || headerName === '') return fallback;
  if (FIXED_HEADER.has(scheme) && headerName.toLowerCase() !== fallback) {
    throw new SigningError('HERALD_SIGNING_HEADER_FIXED', `The ${scheme} scheme always signs in ${fallback}`);
  }
  return checkHeaderName(headerName);
}

function hmacSecret(scheme: SignatureScheme, key: KeyMaterial): string {
  if (key.kind !== 'hmac') throw mismatch(scheme, key);
  return key.secret;
}

function mismatch(scheme: SignatureScheme, key: KeyMaterial): SigningError {
  return new SigningError('HERALD_SIGNING_KEY_MISMATCH', `The ${scheme} scheme cannot sign with a key of kind ${key.kind}`);
}
