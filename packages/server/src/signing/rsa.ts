import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { SigningError } from './errors.js';
import { checkAttempt } from './headers.js';
import type { Signer } from './types.js';

/**
 * SalesIQ and Dialog Insight style (seeds 000-002, 004): RSASSA-PKCS1-v1_5 with SHA-256 over
 * the body's UTF-8 bytes, base64, in one header. `openssl dgst -sha256 -verify` and .NET's
 * `RSA.VerifyData(..., SHA256, Pkcs1)` both accept it.
 */
export function createRsaSigner(privateKeyPem: string, headerName: string): Signer {
  const key = rsaPrivateKey(privateKeyPem);
  return {
    headers(msgId, timestampSec, body) {
      checkAttempt(msgId, timestampSec);
      const signature = sign('sha256', Buffer.from(body, 'utf8'), key).toString('base64');
      return { 'webhook-id': msgId, 'webhook-timestamp': String(timestampSec), [headerName]: signature };
    },
  };
}

function rsaPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', `The RSA private key is not a PEM key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', `Expected an RSA private key, got ${String(key.asymmetricKeyType)}`);
  }
  return key;
}
