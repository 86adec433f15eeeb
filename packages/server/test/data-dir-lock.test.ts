import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lockDataDir } from '../src/store/sqlite/data-dir-lock.js';
import { openStore } from '../src/store/store.js';
import { ADMIN_KEY } from './helpers/herald.js';
import { HeraldProcess } from './helpers/process.js';
import { freshStore } from './helpers/stores.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'herald-lock-'));
  dirs.push(d);
  return d;
}

/** Runs `herald serve` on dataDir until it exits (bounded); answers its exit code and stderr. */
async function serveUntilExit(dataDir: string, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      ...process.env, HERALD_DATA_DIR: dataDir, HERALD_PORT: '0', HERALD_HOST: '127.0.0.1', HERALD_ADMIN_KEY: ADMIN_KEY,
      HERALD_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr };
}

test('a second lock on one data directory is refused with the holder and the directory named, until the first is released', () => {
  const dir = tempDir();
  const first = lockDataDir(dir);
  assert.throws(() => lockDataDir(dir), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'HERALD_DATA_DIR_LOCKED');
    assert.equal(err.message, `another Herald (pid ${process.pid}) is using ${dir}; stop it or use another HERALD_DATA_DIR`);
    return true;
  });
  first.release();
  lockDataDir(dir).release();
});

test('openStore takes the lock for the life of the store and gives it back on close', async () => {
  const dir = tempDir();
  const store = await openStore({ dataDir: dir });
  await assert.rejects(openStore({ dataDir: dir }), { code: 'HERALD_DATA_DIR_LOCKED' });
  await store.close();
  const again = await openStore({ dataDir: dir });
  await again.close();
});

test('a second herald serve on one SQLite data directory exits non-zero and the first keeps serving; after kill -9 of the first a new one starts', async () => {
  const ts = await freshStore('sqlite');
  let first: HeraldProcess | null = await HeraldProcess.start(ts);
  let third: HeraldProcess | null = null;
  try {
    const second = await serveUntilExit(ts.dataDir);
    assert.equal(second.code, 2, second.stderr);
    assert.ok(
      second.stderr.includes(`another Herald (pid ${first.proc.pid}) is using ${ts.dataDir}; stop it or use another HERALD_DATA_DIR`),
      second.stderr,
    );
    assert.equal((await fetch(`${first.url}/healthz`)).status, 200, 'the first process is untouched');
    // kill -9 leaves herald.lock and herald.pid behind; the kernel dropped the lock with the process.
    await first.crash();
    first = null;
    third = await HeraldProcess.start(ts);
    assert.equal((await fetch(`${third.url}/healthz`)).status, 200);
  } finally {
    await first?.stop();
    await third?.stop();
    await ts.cleanup();
  }
});
