import { concat, fromBase64, timingSafeEqual, utf8 } from './bytes.js';
import { checkTolerance, noMatch, parseTimestamp, type CheckInput } from './check.js';
import { WebhookVerificationError } from './errors.js';
import { requireHeader } from './headers.js';

/**
 * Standard Webhooks: `webhook-signature` holds space-separated `<version>,<base64>` entries
 * over `${webhook-id}.${webhook-timestamp}.${body}`; `v1` is HMAC-SHA256, `v1a` Ed25519.
 * Svix sends the same thing under `svix-*` names, so those are read too.
 */
export async function checkStandard(input: CheckInput, version: 'v1' | 'v1a'): Promise<void> {
  const id = requireHeader(input.headers, 'webhook-id', 'svix-id');
  const timestamp = requireHeader(input.headers, 'webhook-timestamp', 'svix-timestamp');
  const header = input.defaultHeader
    ? requireHeader(input.headers, input.header, 'svix-signature')
    : requireHeader(input.headers, input.header);
  checkTolerance(parseTimestamp(timestamp), input);

  const candidates = signaturesOf(header, version);
  const signed = concat(utf8(`${id}.${timestamp}.`), input.body);
  const subtle = globalThis.crypto.subtle;
  if (version === 'v1') {
    for (const key of input.keys) {
      const expected = new Uint8Array(await subtle.sign('HMAC', key, signed));
      for (const candidate of candidates) if (timingSafeEqual(expected, candidate)) return;
    }
  } else {
    for (const key of input.keys) {
      for (const candidate of candidates) {
        if (candidate.length === 64 && (await subtle.verify('Ed25519', key, candidate, signed))) return;
      }
    }
  }
  throw noMatch();
}

function signaturesOf(header: string, version: 'v1' | 'v1a'): Uint8Array<ArrayBuffer>[] {
  let wellFormed = 0;
  const out: Uint8Array<ArrayBuffer>[] = [];
  // A proxy that folded repeated headers leaves ", " between entries; base64 has no commas,
  // so a trailing comma can only be such a separator.
  for (const token of header.split(/\s+/)) {
    const entry = token.replace(/,+$/, '');
    const comma = entry.indexOf(',');
    if (comma <= 0) continue;
    const bytes = fromBase64(entry.slice(comma + 1));
    if (bytes === undefined) continue;
    wellFormed++;
    if (entry.slice(0, comma) === version) out.push(bytes);
  }
  if (wellFormed === 0) throw new WebhookVerificationError('bad_format', 'The signature header holds no <version>,<base64> entry');
  return out;
}
