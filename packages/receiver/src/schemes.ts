/** The signature schemes Herald signs with; the names match the server's `signature.scheme`. */
export type SignatureScheme = 'standard' | 'standard-ed25519' | 'hmac-timestamp' | 'hmac-sha256' | 'rsa-sha256';

export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = Object.freeze([
  'standard',
  'standard-ed25519',
  'hmac-timestamp',
  'hmac-sha256',
  'rsa-sha256',
]);

/** The signature header each scheme uses unless the webhook names another (then pass `header`). */
export const DEFAULT_HEADERS: Readonly<Record<SignatureScheme, string>> = Object.freeze({
  standard: 'webhook-signature',
  'standard-ed25519': 'webhook-signature',
  'hmac-timestamp': 'X-Webhook-Signature',
  'hmac-sha256': 'X-Hub-Signature-256',
  'rsa-sha256': 'x-siqsignature',
});
