import { sign, type KeyObject } from 'node:crypto';
import { checkAttempt } from './headers.js';
import type { Signer } from './types.js';

/**
 * Standard Webhooks v1a: Ed25519 over `${id}.${timestamp}.${body}`, sent as `v1a,<base64>`.
 * Receivers verify with the `whpk_` public key alone, so they never hold a signing secret.
 */
export function createEd25519Signer(privateKey: KeyObject, headerName: string): Signer {
  return {
    headers(msgId, timestampSec, body) {
      checkAttempt(msgId, timestampSec);
      const timestamp = String(timestampSec);
      const signature = sign(null, Buffer.from(`${msgId}.${timestamp}.${body}`, 'utf8'), privateKey).toString('base64');
      return { 'webhook-id': msgId, 'webhook-timestamp': timestamp, [headerName]: `v1a,${signature}` };
    },
  };
}
