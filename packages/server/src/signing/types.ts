/**
 * The data shapes shared by every signing scheme. They live apart from index.ts so that the
 * scheme modules can import them without an import cycle.
 */
export type SignatureScheme = 'standard' | 'standard-ed25519' | 'hmac-timestamp' | 'hmac-sha256' | 'rsa-sha256';

export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = Object.freeze([
  'standard',
  'standard-ed25519',
  'hmac-timestamp',
  'hmac-sha256',
  'rsa-sha256',
]);

/** The name of the header that carries the signature, per scheme, when the webhook names none. */
export const DEFAULT_HEADERS: Record<SignatureScheme, string> = Object.freeze({
  standard: 'webhook-signature',
  'standard-ed25519': 'webhook-signature',
  'hmac-timestamp': 'X-Webhook-Signature',
  'hmac-sha256': 'X-Hub-Signature-256',
  'rsa-sha256': 'x-siqsignature',
});

/** Secret material, stored encrypted; JSON-serialisable. */
export type KeyMaterial =
  | { kind: 'hmac'; secret: string }
  | { kind: 'rsa'; privateKeyPem: string; publicKeyPem: string }
  | { kind: 'ed25519'; secretKey: string; publicKey: string };

/** What the API may show about a key. `secret` only at creation. */
export interface PublicKeyView {
  secret?: string;
  public_key?: string;
  public_key_xml?: string;
}

export interface Signer {
  /** Every header to add to one attempt: `webhook-id`, `webhook-timestamp` and the signature header. */
  headers(msgId: string, timestampSec: number, body: string): Record<string, string>;
}

/** A webhook holds at most two keys: the one in use and the one rotating in. */
export const MAX_KEYS_PER_WEBHOOK = 2;
