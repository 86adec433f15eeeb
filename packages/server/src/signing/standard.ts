import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { checkAttempt } from './headers.js';
import type { Signer } from './types.js';

/**
 * Standard Webhooks v1 (Svix compatible): HMAC-SHA256 over `${id}.${timestamp}.${body}`, sent
 * as `v1,<base64>`. During rotation every key signs and the entries are space-separated, so a
 * receiver holding either secret accepts the request.
 */
export function createStandardSigner(hmacKeys: readonly Buffer[], headerName: string): Signer {
  const keys: readonly KeyObject[] = hmacKeys.map((k) => createSecretKey(k));
  return {
    headers(msgId, timestampSec, body) {
      checkAttempt(msgId, timestampSec);
      const timestamp = String(timestampSec);
      // The body is fed on its own so a large payload is never copied into a longer string.
      const prefix = `${msgId}.${timestamp}.`;
      let signature = '';
      for (const key of keys) {
        const digest = createHmac('sha256', key).update(prefix).update(body).digest('base64');
        signature = signature === '' ? `v1,${digest}` : `${signature} v1,${digest}`;
      }
      return { 'webhook-id': msgId, 'webhook-timestamp': timestamp, [headerName]: signature };
    },
  };
}
