import { createHash, X509Certificate } from 'node:crypto';
import { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContextOptions } from 'node:tls';
import { iso } from '../time.js';

/**
 * Client certificates for mutual TLS (seed 004): a PKCS#12 file (.pfx/.p12) or a PEM
 * certificate and private key, each with an optional passphrase. Checked when uploaded by
 * building the TLS context OpenSSL will use on every attempt, so a file that would fail at
 * connect time is refused at upload with the reason instead.
 */
export type ClientCertificateMaterial =
  | { pfx: string; passphrase?: string | undefined }
  | { cert: string; key: string; passphrase?: string | undefined };

/** What the API shows of a client certificate: never the key. */
export interface ClientCertificateInfo {
  subject: string;
  issuer: string;
  /** Expiry, ms since the epoch. */
  not_after: number;
  fingerprint_sha256: string;
}

/** A webhook's client certificate as the sender uses it. */
export interface ClientIdentity {
  /** The webhook it belongs to: one pool of connections per webhook. */
  owner: string;
  /** Changes whenever the certificate does, so a replaced one gets a new pool. */
  version: string;
  tls: Pick<SecureContextOptions, 'pfx' | 'cert' | 'key' | 'passphrase'>;
}

export type ClientCertificateProblem = 'invalid' | 'unsupported' | 'passphrase' | 'mismatch' | 'expired';

export class ClientCertificateError extends Error {
  constructor(readonly problem: ClientCertificateProblem, message: string, readonly validity?: { from: string; to: string }) {
    super(message);
    this.name = 'ClientCertificateError';
  }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function tlsOptions(m: ClientCertificateMaterial): ClientIdentity['tls'] {
  const passphrase = m.passphrase === undefined || m.passphrase === '' ? {} : { passphrase: m.passphrase };
  if ('pfx' in m) {
    const text = m.pfx.replace(/\s+/g, '');
    if (!BASE64.test(text)) throw new ClientCertificateError('invalid', 'pfx must be the PKCS#12 file in base64 (base64 -w0 client.pfx)');
    return { pfx: Buffer.from(text, 'base64'), ...passphrase };
  }
  return { cert: m.cert, key: m.key, ...passphrase };
}

/** Maps OpenSSL's words to what the person uploading can do about them. */
function explain(err: unknown, pfx: boolean): ClientCertificateError {
  const e = err as { code?: string; message?: string };
  const text = `${e.code ?? ''} ${e.message ?? ''}`;
  if (/mac verify failure|bad decrypt|BAD_DECRYPT|bad password|interrupted or cancelled/i.test(text)) {
    return new ClientCertificateError('passphrase', 'the passphrase is wrong, or the file needs one');
  }
  if (/Unsupported PKCS12 PFX|UNSUPPORTED_OPERATION|unsupported algorithm|legacy/i.test(text) && pfx) {
    return new ClientCertificateError(
      'unsupported',
      'the PKCS#12 file uses legacy encryption (RC2-40 or similar) that OpenSSL 3 no longer reads: export it again with AES, e.g. '
        + 'openssl pkcs12 -in old.pfx -nodes -legacy | openssl pkcs12 -export -out new.pfx',
    );
  }
  if (/key values mismatch|KEY_VALUES_MISMATCH/i.test(text)) {
    return new ClientCertificateError('mismatch', 'the private key does not belong to the certificate');
  }
  if (/Unable to load private key/i.test(text)) return new ClientCertificateError('invalid', 'the PKCS#12 file holds no private key');
  if (pfx) return new ClientCertificateError('invalid', `not a readable PKCS#12 (.pfx/.p12) file (${e.message ?? 'unreadable'})`);
  return new ClientCertificateError('invalid', `cert and key must be PEM text (-----BEGIN CERTIFICATE----- / -----BEGIN PRIVATE KEY-----): ${e.message ?? 'unreadable'}`);
}

/** The leaf certificate OpenSSL loaded from the options (works for PKCS#12, which Node cannot parse otherwise). */
function loadedCertificate(options: ClientIdentity['tls']): X509Certificate | null {
  const context = createSecureContext(options);
  const socket = new TLSSocket(new Socket(), { secureContext: context });
  try {
    const raw = socket.getCertificate() as { raw?: Buffer } | null;
    return raw?.raw ? new X509Certificate(raw.raw) : null;
  } finally {
    socket.destroy();
  }
}

/**
 * Checks that the material makes a usable TLS client identity now: it opens with the
 * passphrase, holds a certificate and its matching key, and the certificate is valid today.
 * Throws ClientCertificateError saying which of these fails.
 */
export function inspectClientCertificate(m: ClientCertificateMaterial, now = Date.now()): ClientCertificateInfo {
  const options = tlsOptions(m);
  const pfx = options.pfx !== undefined;
  if (!pfx && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(String(options.key))) {
    throw new ClientCertificateError('invalid', 'key must be a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN ENCRYPTED PRIVATE KEY-----)');
  }
  let cert: X509Certificate | null;
  try {
    cert = loadedCertificate(options);
  } catch (err) {
    throw explain(err, pfx);
  }
  if (!cert) throw new ClientCertificateError('invalid', 'no certificate found in the upload');
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(now >= from && now <= to)) {
    throw new ClientCertificateError('expired', `valid from ${cert.validFrom} to ${cert.validTo}`, { from: iso(from), to: iso(to) });
  }
  return {
    subject: cert.subject.split('\n').join(', '),
    issuer: cert.issuer.split('\n').join(', '),
    not_after: to,
    fingerprint_sha256: cert.fingerprint256,
  };
}

/** The sender's identity for stored material (opened from its sealed form). */
export function clientIdentity(owner: string, sealed: string, m: ClientCertificateMaterial): ClientIdentity {
  return { owner, version: createHash('sha256').update(sealed).digest('base64url').slice(0, 22), tls: tlsOptions(m) };
}
