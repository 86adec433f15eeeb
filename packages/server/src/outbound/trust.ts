import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ConfigError } from '../config.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificate authorities outbound TLS trusts when HERALD_TRUSTED_CA_FILE is set: Node's
 * bundled roots plus every PEM certificate in the file (a private CA, or a receiver's
 * self-signed certificate). Throws ConfigError at start when the file is unusable, so a typo
 * is not discovered as failing deliveries.
 */
export function loadTrustedCas(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`HERALD_TRUSTED_CA_FILE: cannot read ${file} (${(err as Error).message})`);
  }
  const pems = text.match(PEM_CERT) ?? [];
  if (pems.length === 0) throw new ConfigError(`HERALD_TRUSTED_CA_FILE: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new ConfigError(`HERALD_TRUSTED_CA_FILE: a certificate in ${file} cannot be parsed (${(err as Error).message})`);
    }
  }
  return [...rootCertificates, ...pems];
}
