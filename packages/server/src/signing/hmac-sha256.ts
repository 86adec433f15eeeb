import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { checkAttempt } from './headers.js';
import type { Signer } from './types.js';

/**
 * GitHub style: `sha256=<hex>` over the body alone, keyed with the secret's UTF-8 bytes. The
 * signed bytes hold no timestamp, so receivers rely on `webhook-id` to drop replays.
 */
export function createHmacSha256Signer(hmacKey: Buffer, headerName: string): Signer {
  const key: KeyObject = createSecretKey(hmacKey);
  return {
    headers(msgId, timestampSec, body) {
      checkAttempt(msgId, timestampSec);
      const signature = createHmac('sha256', key).update(body).digest('hex');
      return { 'webhook-id': msgId, 'webhook-timestamp': String(timestampSec), [headerName]: `sha256=${signature}` };
    },
  };
}
