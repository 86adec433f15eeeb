import { concat, fromHex, timingSafeEqual, utf8 } from './bytes.js';
import { checkTolerance, noMatch, parseTimestamp, type CheckInput } from './check.js';
import { WebhookVerificationError } from './errors.js';
import { requireHeader } from './headers.js';

/**
 * Stripe style: `t=<unix s>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over `${t}.${body}`. Every
 * `v1` is tried (seed 003's sample keeps only the last one, which breaks during rotation).
 */
export async function checkHmacTimestamp(input: CheckInput): Promise<void> {
  const header = requireHeader(input.headers, input.header);
  let t: string | undefined;
  const candidates: Uint8Array<ArrayBuffer>[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (name === 't') {
      if (t !== undefined && t !== value) throw new WebhookVerificationError('bad_format', 'The signature header holds two timestamps');
      t = value;
    } else if (name === 'v1') {
      const bytes = fromHex(value);
      if (bytes !== undefined) candidates.push(bytes);
    }
  }
  if (t === undefined) throw new WebhookVerificationError('bad_format', 'The signature header has no t=<timestamp>');
  checkTolerance(parseTimestamp(t), input);

  const signed = concat(utf8(`${t}.`), input.body);
  for (const key of input.keys) {
    const expected = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, signed));
    for (const candidate of candidates) if (timingSafeEqual(expected, candidate)) return;
  }
  throw noMatch();
}
