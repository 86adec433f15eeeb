// The README's five-minute tour, run as written (issue 18: it failed on a fresh machine). Only
// the ports change (HERALD_PORT for Herald, the numbers in the text for the rest), so that the
// test cannot collide with anything on 8080 or 9000; `npx herald` is the built command it stands for.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from './helpers/herald.js';
import { freePort } from './helpers/process.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** The tour's shell blocks, in order: start Herald, start the receiver, use the API. */
function tourBlocks(herald: number, receiver: number): string[] {
  const text = readFileSync(README, 'utf8');
  const tour = text.slice(text.indexOf('## Five-minute tour'), text.indexOf('\n## ', text.indexOf('## Five-minute tour') + 5));
  return [...tour.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]!.replaceAll('npx herald', `node ${BIN}`).replaceAll('8080', String(herald)).replaceAll('9000', String(receiver)),
  );
}

/** The tour's TypeScript block (the typed client), with the same port changes. */
function typescriptBlock(herald: number, receiver: number): string {
  const text = readFileSync(README, 'utf8');
  const tour = text.slice(text.indexOf('## Five-minute tour'), text.indexOf('\n## ', text.indexOf('## Five-minute tour') + 5));
  const block = /```ts\n([\s\S]*?)```/.exec(tour);
  assert.ok(block, 'the tour has a TypeScript block');
  return block[1]!.replaceAll('8080', String(herald)).replaceAll('9000', String(receiver));
}

describe('the README tour', () => {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'herald-tour-'));
  after(async () => {
    // Each block runs in a process group of its own: the shell and the program it started.
    for (const c of children) if (c.exitCode === null && c.pid !== undefined) process.kill(-c.pid, 'SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    rmSync(dir, { recursive: true, force: true });
  });

  test('works as written on a fresh data directory and shows the attempts', async () => {
    assert.equal(spawnSync('curl', ['--version']).status, 0, 'the tour uses curl: apt-get install -y curl');
    const [herald, receiver] = [await freePort(), await freePort()];
    const blocks = tourBlocks(herald, receiver);
    assert.equal(blocks.length, 3, 'the tour has three shell blocks: Herald, the receiver, the API calls');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
    let received = '';
    // Herald's block relies on the default port: the environment moves it instead of the text.
    for (const [i, block] of blocks.slice(0, 2).entries()) {
      const blockEnv = i === 0 ? { ...env, HERALD_PORT: String(herald) } : env;
      const child = spawn('bash', ['-c', block], { cwd: dir, env: blockEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.stdout!.on('data', (d: Buffer) => (received += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (received += d.toString()));
      children.push(child);
    }
    await eventually(async () => (await fetch(`http://127.0.0.1:${herald}/healthz`).catch(() => null))?.ok === true || null, 30_000, 100).catch(
      (err: Error) => assert.fail(`${err.message}; Herald and the receiver said:\n${received}`),
    );
    await eventually(async () => (await fetch(`http://127.0.0.1:${receiver}/`).catch(() => null))?.ok === true || null, 10_000, 100);

    // The tour survives a loaded catalogue: its event type is in none of the shipped ones.
    const load = spawnSync(process.execPath, [BIN, 'catalogue', 'load', 'salesiq'], {
      env: { ...env, HERALD_URL: `http://127.0.0.1:${herald}`, HERALD_API_KEY: 'tour-admin-key-0123456789' },
      encoding: 'utf8',
    });
    assert.equal(load.status, 0, load.stderr);

    const api = spawnSync('bash', ['-euo', 'pipefail', '-c', blocks[2]!], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(api.status, 0, `the API block failed:\n${api.stdout}\n${api.stderr}`);
    const last = api.stdout.trim().split('\n').at(-1)!;
    const start = last.lastIndexOf('{"id":"msg_');
    assert.ok(start >= 0, `the last answer is not a delivery: ${last}`);
    const delivery = JSON.parse(last.slice(start)) as { status: string; attempts: number; attempt_list: { status_code: number }[] };
    assert.equal(delivery.status, 'succeeded', last);
    assert.deepEqual(delivery.attempt_list.map((a) => a.status_code), [200]);
    // The children's output is read once the event loop runs again (spawnSync held it).
    await eventually(async () => /"event":"order.paid"/.test(received) || null, 5000, 50).catch(() => undefined);
    assert.match(received, /POST \/hooks msg_\w+ \{"event":"herald.url_validation"/, 'the receiver answered the save-time check');
    assert.match(received, /POST \/hooks msg_\w+ \{"version":"1","event":"order.paid"/, 'the receiver printed the event');
 

    // The same tour through @herald/client: it type-checks, runs, and prints the attempt.
    // Written below node_modules so that '@herald/client' resolves to the workspace package.
    const scratch = join(dirname(README), 'node_modules', '.cache', `herald-tour-${process.pid}`);
    mkdirSync(scratch, { recursive: true });
    try {
      const file = join(scratch, 'tour.mts'); // an ES module wherever it lies (top-level await)
      writeFileSync(file, typescriptBlock(herald, receiver));
      const tsc = spawnSync(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '--noEmit', '--strict', '--skipLibCheck',
        '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', file], { encoding: 'utf8' });
      assert.equal(tsc.status, 0, `the TypeScript block does not type-check:\n${tsc.stdout}${tsc.stderr}`);
      const ts = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: scratch, env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(ts.status, 0, `the TypeScript block failed:\n${ts.stdout}${ts.stderr}`);
      assert.match(ts.stdout, /^wh_\w+ succeeded \[ 200 \]$/m, ts.stdout);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
