import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cannotReject, detach } from '../src/background/detach.js';

/** background/detach.ts: how the server starts work nobody awaits. */
test('detached work: a rejection reaches its handler (never an unhandled rejection); one that "cannot reject" still shows as a process warning', async () => {
  const seen: unknown[] = [];
  detach(Promise.reject(new Error('boom')), (err) => seen.push(err));
  // A handler that throws is contained too.
  detach(Promise.reject(new Error('again')), () => {
    throw new Error('logger down');
  });
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    detach(Promise.reject(new Error('a bug')), cannotReject);
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(seen.map((e) => (e as Error).message), ['boom']);
  assert.deepEqual(warnings.map((w) => w.message), ['a bug']);
});
