/**
 * Encryption at rest for signing secrets and private keys.
 *
 * Envelope encryption: every secret gets a fresh 32-byte data key; the secret is sealed with
 * AES-256-GCM under the data key, and the data key is sealed with AES-256-GCM under the master
 * key. The owner id (the webhook id) is associated data of both layers, so a ciphertext copied
 * onto another webhook's row fails to open. The master key version travels inside the sealed
 * string, so an operator can rotate the master key and keep opening old rows.
 *
 * Sealed form: `hb1.<version>.<wrap iv>.<wrapped data key + tag>.<iv>.<ciphertext + tag>`,
 * the last four in unpadded base64url.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MasterKey {
  version: number;
  /** 32 bytes. */
  key: Buffer;
}

export const SECRET_BOX_ERROR_CODES = [
  'HERALD_SECRET_BOX_BAD_KEY',
  'HERALD_SECRET_BOX_BAD_FORMAT',
  'HERALD_SECRET_BOX_UNKNOWN_VERSION',
  'HERALD_SECRET_BOX_TAMPERED',
] as const;
export type SecretBoxErrorCode = (typeof SECRET_BOX_ERROR_CODES)[number];

export class SecretBoxError extends Error {
  readonly code: SecretBoxErrorCode;

  constructor(code: SecretBoxErrorCode, message: string) {
    super(message);
    this.name = 'SecretBoxError';
    this.code = code;
  }
}

const FORMAT = 'hb1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_VERSION = 1_000_000;
const KEY_FILE = 'master.key';

export class SecretBox {
  private readonly current: MasterKey;
  private readonly byVersion: ReadonlyMap<number, Buffer>;

  constructor(current: MasterKey, older: MasterKey[] = []) {
    const byVersion = new Map<number, Buffer>();
    for (const mk of [current, ...older]) {
      checkMasterKey(mk);
      if (byVersion.has(mk.version)) {
        throw new SecretBoxError('HERALD_SECRET_BOX_BAD_KEY', `Two master keys share version ${mk.version}`);
      }
      // Copied so a caller zeroing or reusing its Buffer cannot change what this box holds.
      byVersion.set(mk.version, Buffer.from(mk.key));
    }
    this.current = { version: current.version, key: byVersion.get(current.version) as Buffer };
    this.byVersion = byVersion;
  }

  seal(plaintext: string, aad: string): string {
    const dataKey = randomBytes(KEY_BYTES);
    const wrapIv = randomBytes(IV_BYTES);
    const wrapped = gcmSeal(this.current.key, wrapIv, dataKey, wrapAad(this.current.version, aad));
    const iv = randomBytes(IV_BYTES);
    const ciphertext = gcmSeal(dataKey, iv, Buffer.from(plaintext, 'utf8'), dataAad(aad));
    dataKey.fill(0);
    return [FORMAT, String(this.current.version), b64(wrapIv), b64(wrapped), b64(iv), b64(ciphertext)].join('.');
  }

  open(sealed: string, aad: string): string {
    const parts = parse(sealed);
    const master = this.byVersion.get(parts.version);
    if (master === undefined) {
      throw new SecretBoxError('HERALD_SECRET_BOX_UNKNOWN_VERSION', `No master key of version ${parts.version} is loaded`);
    }
    const dataKey = gcmOpen(master, parts.wrapIv, parts.wrapped, wrapAad(parts.version, aad));
    try {
      return gcmOpen(dataKey, parts.iv, parts.ciphertext, dataAad(aad)).toString('utf8');
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * A key for one purpose (e.g. signing portal links), derived from the current master key
   * with HKDF-SHA256, so no second secret has to be configured or stored.
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.current.key, Buffer.alloc(0), `herald:${purpose}`, KEY_BYTES));
  }

  /** True when the sealed string was made under an older master key and should be sealed again. */
  needsReseal(sealed: string): boolean {
    return parse(sealed).version !== this.current.version;
  }
}

/**
 * `HERALD_MASTER_KEY` (base64 or hex of 32 bytes, optionally `v<n>:` or `<n>:` first) wins;
 * without it the key lives in `<dataDir>/master.key`, created on first start with mode 0600.
 */
export function loadMasterKey(opts: { envValue?: string; dataDir: string }): MasterKey {
  const env = opts.envValue?.trim();
  if (env !== undefined && env !== '') return parseMasterKey(env);
  const file = join(opts.dataDir, KEY_FILE);
  try {
    return parseMasterKey(readFileSync(file, 'utf8').trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const created: MasterKey = { version: 1, key: randomBytes(KEY_BYTES) };
  // Written whole to a private temp file, then linked into place: link() fails if another
  // process created the key meanwhile (then its key is the one to use), and nobody can ever
  // read a half-written key.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${formatMasterKey(created)}\n`, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseMasterKey(readFileSync(file, 'utf8').trim());
  } finally {
    unlinkSync(tmp);
  }
  // The umask may have masked the mode; the file must not be readable by anyone else.
  chmodSync(file, 0o600);
  return created;
}

/** Parses `[v]<version>:<key>` or a bare key (version 1); the key is 64 hex digits or base64/base64url of 32 bytes. */
export function parseMasterKey(text: string): MasterKey {
  const match = /^(?:v?(\d{1,7}):)?(.+)$/s.exec(text.trim());
  const encoded = match?.[2]?.trim() ?? '';
  const version = match?.[1] === undefined ? 1 : Number(match[1]);
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(encoded)) key = Buffer.from(encoded, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(encoded)) key = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key === undefined || key.length !== KEY_BYTES) {
    throw new SecretBoxError('HERALD_SECRET_BOX_BAD_KEY', 'A master key is 32 bytes written as 64 hex digits or base64, optionally after "v<version>:"');
  }
  const mk = { version, key };
  checkMasterKey(mk);
  return mk;
}

export function formatMasterKey(mk: MasterKey): string {
  return `v${mk.version}:${mk.key.toString('base64')}`;
}

function checkMasterKey(mk: MasterKey): void {
  if (!Number.isSafeInteger(mk.version) || mk.version < 1 || mk.version > MAX_VERSION) {
    throw new SecretBoxError('HERALD_SECRET_BOX_BAD_KEY', `A master key version is a whole number from 1 to ${MAX_VERSION}`);
  }
  if (!Buffer.isBuffer(mk.key) || mk.key.length !== KEY_BYTES) {
    throw new SecretBoxError('HERALD_SECRET_BOX_BAD_KEY', `A master key holds exactly ${KEY_BYTES} bytes`);
  }
}

// Distinct associated data per layer, so a wrapped data key can never be mistaken for a
// sealed secret; the wrap layer also binds the version the string claims.
function wrapAad(version: number, aad: string): Buffer {
  return Buffer.from(`${FORMAT}\0key\0${version}\0${aad}`, 'utf8');
}

function dataAad(aad: string): Buffer {
  return Buffer.from(`${FORMAT}\0data\0${aad}`, 'utf8');
}

function gcmSeal(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function gcmOpen(key: Buffer, iv: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SecretBoxError(
      'HERALD_SECRET_BOX_TAMPERED',
      'The sealed secret does not open: it was altered, belongs to another owner, or was sealed under another master key',
    );
  }
}

interface SealedParts {
  version: number;
  wrapIv: Buffer;
  wrapped: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
}

function parse(sealed: string): SealedParts {
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  const [format, version, wrapIv, wrapped, iv, ciphertext] = parts;
  const bad = (): SecretBoxError => new SecretBoxError('HERALD_SECRET_BOX_BAD_FORMAT', `A sealed secret looks like ${FORMAT}.<version>.<4 base64url parts>`);
  if (parts.length !== 6 || format !== FORMAT || version === undefined || !/^[1-9]\d{0,6}$/.test(version)) throw bad();
  const decoded = [wrapIv, wrapped, iv, ciphertext].map((p) => (p !== undefined && /^[A-Za-z0-9_-]+$/.test(p) ? Buffer.from(p, 'base64url') : undefined));
  const [a, b, c, d] = decoded;
  if (a === undefined || b === undefined || c === undefined || d === undefined) throw bad();
  if (a.length !== IV_BYTES || c.length !== IV_BYTES || b.length !== KEY_BYTES + TAG_BYTES || d.length < TAG_BYTES) throw bad();
  return { version: Number(version), wrapIv: a, wrapped: b, iv: c, ciphertext: d };
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64url');
}
