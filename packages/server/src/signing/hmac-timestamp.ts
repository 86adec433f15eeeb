import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { checkAttempt } from './headers.js';
import type { Signer } from './types.js';

/**
 * Stripe style (seed 003's smarterbot): `t=<unix s>,v1=<hex>` over `${t}.${body}`, keyed with
 * the secret's UTF-8 bytes. Stripe's own `constructEvent` accepts it unchanged. During rotation
 * each key adds a `v1=` entry. Stripe's parser tries them all, but seed 003's sample keeps only
 * the last `v1`, so the key in use (the oldest) goes last: adding a key must not break
 * receivers that still hold only the old secret.
 */
export function createHmacTimestampSigner(hmacKeys: readonly Buffer[], headerName: string): Signer {
  const keys: readonly KeyObject[] = hmacKeys.map((k) => createSecretKey(k)).reverse();
  return {
    headers(msgId, timestampSec, body) {
      checkAttempt(msgId, timestampSec);
      const timestamp = String(timestampSec);
      const prefix = `${timestamp}.`;
      let value = `t=${timestamp}`;
      for (const key of keys) {
        value += `,v1=${createHmac('sha256', key).update(prefix).update(body).digest('hex')}`;
      }
      return { 'webhook-id': msgId, 'webhook-timestamp': timestamp, [headerName]: value };
    },
  };
}
