import type { HeaderSource } from './headers.js';
import { WebhookVerificationError } from './errors.js';

/** What each scheme's checker gets: the request, the imported keys and the resolved options. */
export interface CheckInput {
  headers: HeaderSource;
  body: Uint8Array<ArrayBuffer>;
  keys: readonly CryptoKey[];
  /** The signature header's name. */
  header: string;
  /** Whether `header` is the scheme's default, so well-known aliases may be tried too. */
  defaultHeader: boolean;
  toleranceSeconds: number;
  nowMs: number;
}

export function parseTimestamp(text: string): number {
  if (!/^\d{1,12}$/.test(text)) {
    throw new WebhookVerificationError('bad_format', 'The timestamp is not whole seconds since the Unix epoch');
  }
  return Number(text);
}

/** Rejects stale and future timestamps alike: both are how a captured request gets replayed. */
export function checkTolerance(timestampSec: number, input: CheckInput): void {
  if (Math.abs(input.nowMs / 1000 - timestampSec) > input.toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_out_of_tolerance',
      `The request was signed at ${timestampSec}, more than ${input.toleranceSeconds} s from now`,
    );
  }
}

export function noMatch(): WebhookVerificationError {
  return new WebhookVerificationError('no_matching_signature', 'No signature in the request matches the configured keys');
}
