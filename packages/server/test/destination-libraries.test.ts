/**
 * Broker client libraries load on a destination's first connection, not when Herald starts
 * (destinations/client-library.ts): a process without broker webhooks never loads them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ClientLibrary } from '../src/destinations/client-library.js';

const SERVER = fileURLToPath(new URL('..', import.meta.url));

/** Runs ESM `code` in a fresh Node (with tsx) and answers which broker libraries it loaded. */
function librariesLoadedBy(code: string): string[] {
  const probe = `${code}
const { createRequire } = await import('node:module');
const cache = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify(['amqplib', 'nats', 'ioredis'].filter((l) => cache.some((k) => k.includes('/node_modules/' + l + '/')))));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: SERVER, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as string[];
}

test('importing the destinations, and making one, loads no broker library', () => {
  assert.deepEqual(librariesLoadedBy(`
const { createDestination } = await import('./src/destinations/index.ts');
createDestination({ kind: 'amqp', url: 'amqp://127.0.0.1:5672/%2F', exchange: '', routing_key: 'q', persistent: true, mandatory: true }, {});`), []);
});

test("a destination's first send loads its own library only", async () => {
  const stream = `herald-test:libraries:${process.pid}`;
  try {
    assert.deepEqual(librariesLoadedBy(`
const { createDestination } = await import('./src/destinations/index.ts');
const d = createDestination({ kind: 'redis-stream', url: 'redis://127.0.0.1:6379/0', stream: '${stream}' }, {});
const [o] = await d.send([{ deliveryId: 'msg_libraries', eventType: 'library.loaded', headers: {}, body: '{}' }], 5000);
if (!o.ok) throw new Error(o.errorMessage);
await d.close();`), ['ioredis']);
  } finally {
    const r = new Redis({ host: '127.0.0.1', port: 6379 });
    await r.del(stream);
    await r.quit();
  }
});

test('ClientLibrary: loaded only after get(), and loaded once', async () => {
  let loads = 0;
  const lib = new ClientLibrary('x', async () => ({ n: ++loads }));
  assert.throws(() => lib.loaded, /x is used before its first connection loaded it/);
  assert.equal(lib.loadedOrNull, null);
  const [a, b] = await Promise.all([lib.get(), lib.get()]);
  assert.equal(a, b);
  assert.equal(lib.loaded.n, 1);
  assert.equal(loads, 1);
});
