// The herald command as users run it (bin/herald.js, built by `npm run build`): every command
// answers --help, every wrong setting stops it with one line, and start-up refuses to run
// broken (issue 18: a second process with another master key answered /healthz 200 but
// could not sign).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HELP_SETTING_NAMES } from '../src/cli/settings-help.js';
import { ADMIN_KEY, TestHerald } from './helpers/herald.js';
import { freePort } from './helpers/process.js';
import { freshStore, STORE_KINDS, type TestStore } from './helpers/stores.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
const DOCS = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment without any HERALD_ setting of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HERALD_')) env[k] = v;
  return { ...env, ...extra };
}

/** Runs `herald <args>` to its end (killed after 30 s, which fails the test). */
function herald(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** No stack trace: a configuration mistake is one line saying what to fix. */
function assertOneLine(r: Run, variable: string): void {
  assert.equal(r.code, 2, `${variable}: exit ${r.code}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${variable}: ${r.stderr}`);
  assert.match(lines[0]!, /^herald: /);
  assert.ok(lines[0]!.includes(variable), `${variable} not named: ${lines[0]}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

describe('herald --help', () => {
  const helps = [
    ['--help'], ['-h'], ['help'],
    ['serve', '--help'], ['serve', '-h'], ['serve', '--role', 'worker', '--help'],
    ['doctor', '--help'], ['doctor', '-h'],
    ['catalogue', '--help'], ['catalogue', '-h'],
    ['catalogue', 'load', '--help'], ['catalogue', 'load', '-h'],
    ['catalogue', 'list', '--help'], ['catalogue', 'example', '--help'], ['catalogue', 'example', '-h'],
  ];
  for (const args of helps) {
    test(`herald ${args.join(' ')} prints its usage and exits 0 (no API key, no server needed)`, async () => {
      const r = await herald(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage/);
      assert.equal(r.stderr, '');
    });
  }

  test('herald --help names every setting docs/configuration.md documents, and documents every one it names', async () => {
    const r = await herald(['--help']);
    const docs = readFileSync(DOCS, 'utf8');
    const documented = [...docs.matchAll(/^\| `(HERALD_[A-Z_]+)` \|/gm)].map((m) => m[1]!);
    assert.ok(documented.length >= 24, `only ${documented.length} settings found in the docs table`);
    for (const name of documented) assert.ok(r.stdout.includes(name), `${name} is documented but not in herald --help`);
    for (const name of HELP_SETTING_NAMES) assert.ok(docs.includes(`\`${name}\``), `${name} is in herald --help but not in docs/configuration.md`);
  });

  test('an unknown option of serve is a usage error, not a stack trace', async () => {
    const r = await herald(['serve', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^herald: Unknown option '--bogus'/);
    assert.match(r.stderr, /Usage: herald serve/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('a wrong setting stops herald with one line naming it', () => {
  const wrong: [string, string][] = [
    ['HERALD_PORT', 'eighty'], ['HERALD_PORT', '70000'], ['HERALD_HOST', 'not..a host'],
    ['HERALD_DATABASE_URL', 'mysql://db/herald'], ['HERALD_DATABASE_URL', 'not a url'], ['HERALD_DATABASE_WAIT_MS', '-1'],
    ['HERALD_ADMIN_KEY', 'short'],
    ['HERALD_MASTER_KEY', 'short'], ['HERALD_MASTER_KEY', 'a'.repeat(63)],
    ['HERALD_ALLOW_PRIVATE_URLS', 'maybe'], ['HERALD_VALIDATE_URLS', 'sometimes'],
    ['HERALD_TRUSTED_CA_FILE', '/nonexistent/ca.pem'],
    ['HERALD_CLOCK_SCALE', '0'], ['HERALD_CLOCK_SCALE', 'fast'],
    ['HERALD_SMTP_URL', 'mail.example.com'], ['HERALD_SMTP_URL', 'http://mail.example.com'],
    ['HERALD_SMTP_FROM', 'nobody'], ['HERALD_PUBLIC_URL', 'herald.example.com'], ['HERALD_DASHBOARD_DIR', '/nonexistent/dashboard'],
    ['HERALD_LOG_LEVEL', 'loud'],
    ['HERALD_BODY_LIMIT', '10'], ['HERALD_RESPONSE_BODY_LIMIT', '-5'],
    ['HERALD_WORKER_CONCURRENCY', '0'], ['HERALD_WORKER_BATCH', '1.5'], ['HERALD_LEASE_MS', '10'],
    ['HERALD_CONNECTIONS_PER_ORIGIN', 'many'], ['HERALD_IDLE_CHECK_MS', '5'], ['HERALD_SHUTDOWN_GRACE_MS', 'soon'],
    ['HERALD_THREADS', 'three'],
  ];
  for (const [variable, value] of wrong) {
    test(`${variable}=${value}`, async () => {
      const r = await herald(['serve'], { HERALD_DATA_DIR: tempDir(), HERALD_PORT: '0', [variable]: value });
      assertOneLine(r, variable);
    });
  }

  test('a data directory Herald cannot create: serve exits 2 naming HERALD_DATA_DIR, doctor exits 1', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    assertOneLine(await herald(['serve'], { HERALD_DATA_DIR: join(file, 'data'), HERALD_PORT: '0' }), 'HERALD_DATA_DIR');
    const r = await herald(['doctor'], { HERALD_DATA_DIR: join(file, 'data') });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /FAIL +store +.*cannot be created.*HERALD_DATA_DIR/);
  });

  test('doctor validates the settings the same way', async () => {
    assertOneLine(await herald(['doctor'], { HERALD_DATA_DIR: tempDir(), HERALD_LOG_LEVEL: 'loud' }), 'HERALD_LOG_LEVEL');
  });
});

describe('start-up refuses to run broken', () => {
  test('an unreachable PostgreSQL is retried for HERALD_DATABASE_WAIT_MS, then serve exits 2 saying so', async () => {
    const port = await freePort(); // nothing listens there
    const r = await herald(['serve'], {
      HERALD_DATA_DIR: tempDir(),
      HERALD_PORT: '0',
      HERALD_DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${port}/herald`,
      HERALD_DATABASE_WAIT_MS: '1500',
    });
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.length >= 2, `no retry was reported: ${r.stderr}`);
    assert.match(lines.at(-1)!, /cannot reach PostgreSQL .*HERALD_DATABASE_URL.*HERALD_DATABASE_WAIT_MS/);
    assert.doesNotMatch(r.stderr, /secret/, 'the password is printed');
    assert.ok(r.ms >= 1500, `gave up after ${r.ms} ms`);
  });

  for (const kind of STORE_KINDS) {
    describe(`on ${kind}`, () => {
      let store: TestStore;
      after(async () => store?.cleanup());

      /** The doctor of a configuration on this test store. */
      const doctor = (env: Record<string, string>) =>
        herald(['doctor'], {
          HERALD_DATA_DIR: store.dataDir,
          HERALD_PORT: '0',
          ...(store.databaseUrl ? { HERALD_DATABASE_URL: store.databaseUrl } : {}),
          ...env,
        });

      test('a process with another master key refuses to start; the one the store was started with still starts', async () => {
        store = await freshStore(kind);
        const first = await TestHerald.start(kind, { masterKey: KEY_A }, store);
        await first.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
        const w = await first.api('POST', '/orgs/acme/webhooks', { url: 'http://127.0.0.1:9/h', events: ['a.b'] });
        assert.equal(w.status, 201);
        const refused = (e: { code?: string; message?: string }) => {
          assert.equal(e.code, 'HERALD_STARTUP_REFUSED');
          assert.match(e.message!, /HERALD_MASTER_KEY does not open this store's secrets/);
          return true;
        };
        // On PostgreSQL while the first still runs, as a second process would be; an SQLite
        // data directory takes one process at a time, so there after the first stopped.
        if (kind === 'postgres') await assert.rejects(TestHerald.start(kind, { masterKey: KEY_B }, store), refused);
        await first.herald.close();
        if (kind === 'sqlite') await assert.rejects(TestHerald.start(kind, { masterKey: KEY_B }, store), refused);
        // The command says it in one line and exits 2 (what a supervisor or an operator sees).
        const serve = await herald(['serve'], {
          HERALD_DATA_DIR: store.dataDir,
          HERALD_PORT: '0',
          HERALD_MASTER_KEY: KEY_B,
          HERALD_LOG_LEVEL: 'silent',
          ...(store.databaseUrl ? { HERALD_DATABASE_URL: store.databaseUrl } : {}),
        });
        assertOneLine(serve, 'HERALD_MASTER_KEY');
        assert.match(serve.stderr, /does not open this store's secrets/);
        const again = await TestHerald.start(kind, { masterKey: KEY_A }, store);
        await again.herald.close();
      });

      test('herald doctor says whether the master key opens the store, and exits 1 when it does not', async () => {
        const good = await doctor({ HERALD_MASTER_KEY: KEY_A });
        assert.equal(good.code, 0, good.stdout + good.stderr);
        assert.match(good.stdout, /master key .*opens the store's secrets/);
        assert.match(good.stdout, /threads /);
        assert.match(good.stdout, /private URLs /);
        const bad = await doctor({ HERALD_MASTER_KEY: KEY_B });
        assert.equal(bad.code, 1, bad.stdout);
        assert.match(bad.stdout, /FAIL +master key .*does NOT open/);
      });

      test('a store from before the check value is measured against its sealed webhook keys', async () => {
        const h = await TestHerald.start(kind, { masterKey: KEY_A }, store);
        await h.herald.store.db.run('DELETE FROM herald_meta');
        await h.herald.close();
        await assert.rejects(TestHerald.start(kind, { masterKey: KEY_B }, store), { code: 'HERALD_STARTUP_REFUSED' });
        const ok = await TestHerald.start(kind, { masterKey: KEY_A }, store);
        assert.ok(await ok.herald.store.db.get("SELECT value FROM herald_meta WHERE key = 'master_key_check'"));
        await ok.herald.close();
      });

      test('a schema newer than the code: serve refuses with a message, doctor exits 1', async () => {
        const h = await TestHerald.start(kind, { masterKey: KEY_A }, store);
        await h.herald.store.db.run('INSERT INTO herald_migrations (version, name, applied_at) VALUES (?, ?, ?)', [999_999, '999999_future.sql', Date.now()]);
        await h.herald.close();
        await assert.rejects(TestHerald.start(kind, { masterKey: KEY_A }, store), (e: { code?: string; message?: string }) => {
          assert.equal(e.code, 'HERALD_SCHEMA_TOO_NEW');
          assert.match(e.message!, /newer than this Herald.*999999/);
          return true;
        });
        const r = await doctor({ HERALD_MASTER_KEY: KEY_A, HERALD_ADMIN_KEY: ADMIN_KEY });
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stdout, /FAIL +schema +newer than this Herald \(migrations 999999 unknown\)/);
      });
    });
  }

  test('herald doctor on a fresh data directory: nothing stops it; an unreachable SMTP server does', async () => {
    const dir = tempDir();
    const fresh = await herald(['doctor'], { HERALD_DATA_DIR: dir });
    assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
    assert.match(fresh.stdout, /store +SQLite file .*does not exist yet/);
    assert.match(fresh.stdout, /smtp +HERALD_SMTP_URL is unset/);
    const port = await freePort();
    const smtp = await herald(['doctor'], { HERALD_DATA_DIR: dir, HERALD_SMTP_URL: `smtp://127.0.0.1:${port}`, HERALD_ALLOW_PRIVATE_URLS: 'true' });
    assert.equal(smtp.code, 1, smtp.stdout);
    assert.match(smtp.stdout, /FAIL +smtp +127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\)/);
    assert.match(smtp.stdout, /warn +private URLs +HERALD_ALLOW_PRIVATE_URLS=true/);
  });
});
