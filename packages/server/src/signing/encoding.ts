import { SigningError } from './errors.js';

// Buffer.from(s, 'base64') silently skips characters it does not know, so a typo in a pasted
// secret would produce a different key instead of an error; check the alphabet first.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** Strict standard base64 (padding optional) to bytes. */
export function decodeBase64Strict(text: string, what: string): Buffer {
  if (text.length === 0 || !BASE64.test(text)) {
    throw new SigningError('HERALD_SIGNING_BAD_KEY', `${what} is not valid base64`);
  }
  return Buffer.from(text, 'base64');
}

/** Unpadded standard base64, the form Standard Webhooks secrets take. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

export function base64UrlToBase64(text: string): string {
  return Buffer.from(text, 'base64url').toString('base64');
}
