/**
 * A destination's credentials at rest: one sealed string per webhook, made by the same
 * SecretBox as signing secrets. The associated data names the purpose as well as the owner,
 * so a sealed destination secret cannot be swapped with the owner's sealed signing secret.
 */
import type { SecretBox } from '../crypto/secret-box.js';
import type { DestinationSecrets } from './types.js';

function aad(ownerId: string): string {
  return `destination:${ownerId}`;
}

/** Seals the secrets of `ownerId`'s destination; null when there are none to keep. */
export function sealDestinationSecrets(box: SecretBox, ownerId: string, secrets: DestinationSecrets): string | null {
  const kept: DestinationSecrets = {};
  if (secrets.password !== undefined) kept.password = secrets.password;
  if (secrets.token !== undefined) kept.token = secrets.token;
  if (Object.keys(kept).length === 0) return null;
  return box.seal(JSON.stringify(kept), aad(ownerId));
}

/** Opens what sealDestinationSecrets made (null: no secrets). Throws SecretBoxError when tampered. */
export function openDestinationSecrets(box: SecretBox, ownerId: string, sealed: string | null): DestinationSecrets {
  if (sealed === null) return {};
  const value: unknown = JSON.parse(box.open(sealed, aad(ownerId)));
  const out: DestinationSecrets = {};
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.password === 'string') out.password = v.password;
    if (typeof v.token === 'string') out.token = v.token;
  }
  return out;
}
