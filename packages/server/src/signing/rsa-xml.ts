import { createPublicKey, type KeyObject } from 'node:crypto';
import { base64UrlToBase64 } from './encoding.js';
import { SigningError } from './errors.js';

/**
 * .NET's `RSACryptoServiceProvider.FromXmlString` wants the modulus and exponent as big-endian
 * unsigned integers in standard base64 without a leading zero byte; JWK's `n` and `e` are the
 * same bytes in base64url, so a JWK export is the whole conversion.
 */
export function rsaPublicKeyToXml(spkiPem: string): string {
  const jwk = rsaPublicKeyObject(spkiPem).export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', 'The RSA public key has no modulus or exponent');
  }
  return `<RSAKeyValue><Modulus>${base64UrlToBase64(jwk.n)}</Modulus><Exponent>${base64UrlToBase64(jwk.e)}</Exponent></RSAKeyValue>`;
}

/** The inverse, so an XML key pasted by a user (or ours, in tests) can be checked against a PEM. */
export function rsaXmlToPublicKeyPem(xml: string): string {
  const modulus = /<Modulus>\s*([A-Za-z0-9+/=\s]+?)\s*<\/Modulus>/.exec(xml)?.[1];
  const exponent = /<Exponent>\s*([A-Za-z0-9+/=\s]+?)\s*<\/Exponent>/.exec(xml)?.[1];
  if (modulus === undefined || exponent === undefined) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', 'An RSA XML key needs <Modulus> and <Exponent>');
  }
  const toUrl = (b64: string): string => Buffer.from(b64.replace(/\s+/g, ''), 'base64').toString('base64url');
  try {
    return createPublicKey({ key: { kty: 'RSA', n: toUrl(modulus), e: toUrl(exponent) }, format: 'jwk' })
      .export({ format: 'pem', type: 'spki' })
      .toString();
  } catch (err) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', `The RSA XML key is not usable: ${(err as Error).message}`);
  }
}

function rsaPublicKeyObject(spkiPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(spkiPem);
  } catch (err) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', `The RSA public key is not a PEM key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', `Expected an RSA public key, got ${String(key.asymmetricKeyType)}`);
  }
  return key;
}
