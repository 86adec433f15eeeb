import { fromBase64, fromHex, timingSafeEqual } from './bytes.js';
import { noMatch, type CheckInput } from './check.js';
import { WebhookVerificationError } from './errors.js';
import { requireHeader } from './headers.js';

/*
 * The two schemes that sign the body alone. Nothing in the signed bytes dates the request, so
 * there is no tolerance to check: drop replays by remembering `webhook-id`.
 */

/** GitHub style: `sha256=<hex>` HMAC-SHA256 of the body. */
export async function checkHmacSha256(input: CheckInput): Promise<void> {
  const header = requireHeader(input.headers, input.header);
  const candidates: Uint8Array<ArrayBuffer>[] = [];
  let wellFormed = 0;
  for (const item of header.split(/[\s,]+/)) {
    if (!/^sha256=/i.test(item)) continue;
    wellFormed++;
    const bytes = fromHex(item.slice('sha256='.length));
    if (bytes !== undefined) candidates.push(bytes);
  }
  if (wellFormed === 0) throw new WebhookVerificationError('bad_format', 'The signature header holds no sha256=<hex>');
  for (const key of input.keys) {
    const expected = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, input.body));
    for (const candidate of candidates) if (timingSafeEqual(expected, candidate)) return;
  }
  throw noMatch();
}

/** SalesIQ and Dialog Insight style: base64 RSASSA-PKCS1-v1_5 SHA-256 signature of the body. */
export async function checkRsa(input: CheckInput): Promise<void> {
  const header = requireHeader(input.headers, input.header);
  const candidates = header
    .split(/[\s,]+/)
    .map((item) => fromBase64(item))
    .filter((bytes): bytes is Uint8Array<ArrayBuffer> => bytes !== undefined && bytes.length > 0);
  if (candidates.length === 0) throw new WebhookVerificationError('bad_format', 'The signature header is not base64');
  for (const key of input.keys) {
    for (const candidate of candidates) {
      if (await globalThis.crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, candidate, input.body)) return;
    }
  }
  throw noMatch();
}
