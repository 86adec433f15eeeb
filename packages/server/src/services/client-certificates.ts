import type { SecretBox } from '../crypto/secret-box.js';
import { HeraldError, type ErrorCode } from '../errors.js';
import type { StoredClientCertificate } from '../model.js';
import {
  ClientCertificateError,
  clientIdentity,
  inspectClientCertificate,
  type ClientCertificateMaterial,
  type ClientCertificateProblem,
  type ClientIdentity,
} from '../outbound/client-certificate.js';

const CODES: Record<ClientCertificateProblem, ErrorCode> = {
  invalid: 'HERALD_CLIENT_CERT_INVALID',
  unsupported: 'HERALD_CLIENT_CERT_UNSUPPORTED',
  passphrase: 'HERALD_CLIENT_CERT_PASSPHRASE',
  mismatch: 'HERALD_CLIENT_CERT_MISMATCH',
  expired: 'HERALD_CLIENT_CERT_EXPIRED',
};

/**
 * Checks an uploaded client certificate (422 with a code saying what is wrong) and seals it for
 * storage under the master key, the webhook id as associated data (as signing keys are).
 * Answers what is stored, and the identity to use at once (for the URL validation request).
 */
export function prepareClientCertificate(box: SecretBox, webhookId: string, input: ClientCertificateMaterial): { stored: StoredClientCertificate; identity: ClientIdentity } {
  let info;
  try {
    info = inspectClientCertificate(input);
  } catch (err) {
    if (err instanceof ClientCertificateError) {
      throw new HeraldError(CODES[err.problem], [err.message], { problem: err.problem, ...(err.validity ? { valid_from: err.validity.from, valid_to: err.validity.to } : {}) });
    }
    throw err;
  }
  const material: ClientCertificateMaterial = 'pfx' in input
    ? { pfx: input.pfx.replace(/\s+/g, ''), ...(input.passphrase ? { passphrase: input.passphrase } : {}) }
    : { cert: input.cert, key: input.key, ...(input.passphrase ? { passphrase: input.passphrase } : {}) };
  const sealed = box.seal(JSON.stringify(material), webhookId);
  return { stored: { sealed, info }, identity: clientIdentity(webhookId, sealed, material) };
}
