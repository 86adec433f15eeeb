import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadMasterKey, parseMasterKey, SecretBox, SecretBoxError, type MasterKey } from '../src/crypto/secret-box.js';

const v1: MasterKey = { version: 1, key: randomBytes(32) };
const v2: MasterKey = { version: 2, key: randomBytes(32) };
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function boxCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SecretBoxError, `expected a SecretBoxError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected a SecretBoxError');
}

/** Flips one bit of the decoded bytes of part `index` (2..5) of a sealed string. */
function flip(sealed: string, index: number, byte = 0): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[byte] = (bytes[byte] ?? 0) ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  const box = new SecretBox(v1);

  it('round-trips text, including empty, non-ASCII and PEM-sized values', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${randomBytes(1200).toString('base64')}\n-----END PRIVATE KEY-----\n`;
    for (const text of [secret, '', 'clé 🔑', pem]) assert.equal(box.open(box.seal(text, 'wh_1'), 'wh_1'), text);
  });

  it('writes a compact versioned text form and never repeats a ciphertext', () => {
    const a = box.seal(secret, 'wh_1');
    assert.match(a, /^hb1\.1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.ok(!a.includes(secret.slice(6)));
    assert.notEqual(a, box.seal(secret, 'wh_1'));
  });

  it('refuses to open under another owner id', () => {
    assert.equal(boxCode(() => box.open(box.seal(secret, 'wh_1'), 'wh_2')), 'HERALD_SECRET_BOX_TAMPERED');
  });

  it('refuses any altered byte', () => {
    const sealed = box.seal(secret, 'wh_1');
    for (const index of [2, 3, 4, 5]) assert.equal(boxCode(() => box.open(flip(sealed, index), 'wh_1')), 'HERALD_SECRET_BOX_TAMPERED');
    assert.equal(boxCode(() => box.open(flip(sealed, 5, 40), 'wh_1')), 'HERALD_SECRET_BOX_TAMPERED');
  });

  it('refuses a sealed string whose version was rewritten to another loaded key', () => {
    const both = new SecretBox(v2, [v1]);
    const rewritten = box.seal(secret, 'wh_1').replace(/^hb1\.1\./, 'hb1.2.');
    assert.equal(boxCode(() => both.open(rewritten, 'wh_1')), 'HERALD_SECRET_BOX_TAMPERED');
  });

  it('opens strings sealed under an older master key after rotation, and flags them for resealing', () => {
    const old = box.seal(secret, 'wh_1');
    const rotated = new SecretBox(v2, [v1]);
    assert.equal(rotated.open(old, 'wh_1'), secret);
    assert.equal(rotated.needsReseal(old), true);
    const fresh = rotated.seal(secret, 'wh_1');
    assert.match(fresh, /^hb1\.2\./);
    assert.equal(rotated.needsReseal(fresh), false);
    assert.equal(boxCode(() => box.open(fresh, 'wh_1')), 'HERALD_SECRET_BOX_UNKNOWN_VERSION');
  });

  it('refuses a different master key of the same version', () => {
    const other = new SecretBox({ version: 1, key: randomBytes(32) });
    assert.equal(boxCode(() => other.open(box.seal(secret, 'wh_1'), 'wh_1')), 'HERALD_SECRET_BOX_TAMPERED');
  });

  it('refuses malformed strings and bad master keys', () => {
    for (const bad of ['', 'hb1', 'hb2.1.a.b.c.d', 'hb1.x.a.b.c.d', 'hb1.1.a.b.c.d', `${box.seal(secret, 'w')}.x`]) {
      assert.equal(boxCode(() => box.open(bad, 'w')), 'HERALD_SECRET_BOX_BAD_FORMAT');
    }
    assert.equal(boxCode(() => new SecretBox({ version: 1, key: randomBytes(16) })), 'HERALD_SECRET_BOX_BAD_KEY');
    assert.equal(boxCode(() => new SecretBox({ version: 0, key: randomBytes(32) })), 'HERALD_SECRET_BOX_BAD_KEY');
    assert.equal(boxCode(() => new SecretBox(v1, [{ version: 1, key: randomBytes(32) }])), 'HERALD_SECRET_BOX_BAD_KEY');
  });
});

describe('loadMasterKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-mk-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates <dataDir>/master.key with mode 0600 and reads the same key back', () => {
    const dataDir = join(dir, 'fresh', 'nested');
    const created = loadMasterKey({ dataDir });
    assert.equal(created.version, 1);
    assert.equal(created.key.length, 32);
    const file = join(dataDir, 'master.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = loadMasterKey({ dataDir, envValue: '' });
    assert.equal(again.version, 1);
    assert.ok(again.key.equals(created.key));
    assert.ok(!readFileSync(file, 'utf8').includes(created.key.toString('hex')));
  });

  it('prefers HERALD_MASTER_KEY in base64, base64url, hex or versioned form', () => {
    const key = randomBytes(32);
    const dataDir = join(dir, 'env');
    for (const [value, version] of [
      [key.toString('base64'), 1],
      [key.toString('base64url'), 1],
      [key.toString('hex'), 1],
      [`v2:${key.toString('base64')}`, 2],
      [`7:${key.toString('hex')}`, 7],
    ] as const) {
      const mk = loadMasterKey({ envValue: value, dataDir });
      assert.equal(mk.version, version);
      assert.ok(mk.key.equals(key));
    }
    assert.throws(() => statSync(join(dataDir, 'master.key')), { code: 'ENOENT' });
  });

  it('refuses keys of the wrong size, in the environment or the file', () => {
    assert.equal(boxCode(() => loadMasterKey({ envValue: randomBytes(16).toString('base64'), dataDir: dir })), 'HERALD_SECRET_BOX_BAD_KEY');
    assert.equal(boxCode(() => parseMasterKey('v2:not-a-key')), 'HERALD_SECRET_BOX_BAD_KEY');
    const dataDir = join(dir, 'broken');
    loadMasterKey({ dataDir });
    writeFileSync(join(dataDir, 'master.key'), 'v1:short\n');
    assert.equal(boxCode(() => loadMasterKey({ dataDir })), 'HERALD_SECRET_BOX_BAD_KEY');
  });
});
