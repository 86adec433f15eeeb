import { SigningError } from './errors.js';

// RFC 9110 token: what a header name may contain. Checked once per signer, not per attempt.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED = new Set(['webhook-id', 'webhook-timestamp']);

export function checkHeaderName(name: string): string {
  if (!TOKEN.test(name)) {
    throw new SigningError('HERALD_SIGNING_BAD_HEADER_NAME', `${JSON.stringify(name)} is not a valid HTTP header name`);
  }
  if (RESERVED.has(name.toLowerCase())) {
    throw new SigningError('HERALD_SIGNING_BAD_HEADER_NAME', `${name} is sent by Herald itself and cannot carry the signature`);
  }
  return name;
}

/**
 * The id and timestamp end up inside signed bytes and header values, so a stray newline or a
 * fractional timestamp would produce a signature no receiver can reproduce: refuse them.
 */
export function checkAttempt(msgId: string, timestampSec: number): void {
  if (typeof msgId !== 'string' || msgId.length === 0 || msgId.length > 256 || /\s/.test(msgId)) {
    throw new SigningError('HERALD_SIGNING_BAD_INPUT', 'The message id must be 1-256 characters without whitespace');
  }
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new SigningError('HERALD_SIGNING_BAD_INPUT', 'The timestamp must be whole seconds since the Unix epoch');
  }
}
