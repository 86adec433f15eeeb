import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { MessageChannel } from 'node:worker_threads';
import { test } from 'node:test';
import { channelSpec, openChannel, serveChannel, type ChannelSpec } from '../src/engine/channel.js';
import { HeraldError } from '../src/errors.js';

/** The typed channel between the API thread and the engine thread (src/engine/channel.ts), over a real MessageChannel. */
interface Calc {
  add(a: number, b: number): Promise<number>;
  refuse(id: string): Promise<void>;
  crash(): Promise<void>;
  poke(n: number): void;
  hidden(): Promise<string>;
}
const SPEC: ChannelSpec<Calc> = { name: 'calc', calls: ['add', 'refuse', 'crash'], notices: ['poke'] };

// channelSpec() makes a spec name every method, at compile time (`npm run typecheck` reads this file):
const FULL = channelSpec<Calc>()({ name: 'calc', calls: ['add', 'refuse', 'crash', 'hidden'], notices: ['poke'] });
// @ts-expect-error -- `hidden` is in neither list: a compile error naming it (`missing: "hidden"`)
channelSpec<Calc>()({ name: 'calc', calls: ['add', 'refuse', 'crash'], notices: ['poke'] });

function pair(impl: Calc, clientSpec: ChannelSpec<Calc> = SPEC) {
  const { port1, port2 } = new MessageChannel();
  serveChannel(port2, SPEC, impl);
  const client = openChannel(port1, clientSpec);
  return { client, close: () => { port1.close(); port2.close(); } };
}

const impl = (pokes: number[]): Calc => ({
  add: async (a, b) => a + b,
  refuse: async (id) => {
    throw new HeraldError('HERALD_WEBHOOK_NOT_FOUND', [id], { hint: 'list the webhooks' });
  },
  crash: async () => {
    throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
  },
  poke: (n) => void pokes.push(n),
  hidden: async () => 'never served',
});

test('calls answer across the channel, in any order, with their own results', async () => {
  const { client, close } = pair(impl([]));
  try {
    const sums = await Promise.all([client.remote.add(1, 2), client.remote.add(40, 2), client.remote.add(-1, 1)]);
    assert.deepEqual(sums, [3, 42, 0]);
    assert.equal(client.pending, 0);
  } finally {
    close();
  }
});

test('a HeraldError crosses as a HeraldError (code, status, message, details); other errors keep their code', async () => {
  const { client, close } = pair(impl([]));
  try {
    const err = await client.remote.refuse('wh_1').catch((e: unknown) => e);
    assert.ok(err instanceof HeraldError);
    assert.equal(err.code, 'HERALD_WEBHOOK_NOT_FOUND');
    assert.equal(err.status, 404);
    assert.equal(err.message, 'Webhook wh_1 not found');
    assert.deepEqual(err.details, { hint: 'list the webhooks' });
    await assert.rejects(client.remote.crash(), (e: Error & { code?: string }) => e.message === 'disk I/O error' && e.code === 'SQLITE_IOERR' && !(e instanceof HeraldError));
  } finally {
    close();
  }
});

test('a method the serving side does not list is refused by name; notices arrive one way', async () => {
  const pokes: number[] = [];
  // A client built from the full list while the server serves fewer (the two ends drifted).
  const { client, close } = pair(impl(pokes), FULL);
  try {
    await assert.rejects(client.remote.hidden(), /calc has no method hidden/);
    client.remote.poke(7);
    client.remote.poke(8);
    // A call after the notices answers after them: the port keeps order.
    assert.equal(await client.remote.add(0, 0), 0);
    assert.deepEqual(pokes, [7, 8]);
  } finally {
    close();
  }
});

test('fail() rejects the calls waiting and every later one (the other thread died)', async () => {
  const { port1 } = new MessageChannel();
  const client = openChannel<Calc>(port1, SPEC);
  try {
    const waiting = client.remote.add(1, 1);
    client.fail(new Error('the engine thread stopped (exit 1)'));
    await assert.rejects(waiting, /engine thread stopped/);
    await assert.rejects(client.remote.add(2, 2), /engine thread stopped/);
  } finally {
    port1.close();
  }
});

test('a context hook carries the caller\'s ambient context with each call and restores it around the method (tracing rides on this)', async () => {
  const caller = new AsyncLocalStorage<string>();
  const server = new AsyncLocalStorage<string>();
  const seen: (string | undefined)[] = [];
  const { port1, port2 } = new MessageChannel();
  serveChannel(port2, SPEC, { ...impl([]), add: async (a, b) => (seen.push(server.getStore()), a + b) }, {
    run: (carried, fn) => server.run(String((carried as { who: string }).who), fn),
  });
  const client = openChannel(port1, SPEC, { capture: () => (caller.getStore() === undefined ? undefined : { who: caller.getStore() }) });
  try {
    assert.equal(await caller.run('request-1', () => client.remote.add(1, 1)), 2);
    assert.equal(await client.remote.add(2, 2), 4, 'nothing to carry: the call crosses as before');
    assert.deepEqual(seen, ['request-1', undefined]);
  } finally {
    port1.close();
    port2.close();
  }
});
