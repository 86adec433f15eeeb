/**
 * The AMQP confirm window on its own, with a transport that records what it publishes: items go
 * out in arrival order while there is room, each settled message lets the next out, items whose
 * batch settled meanwhile are skipped, back-pressure holds the rest until unblocked, and a
 * drained window gives its waiting items back. (destinations.test.ts drives it through RabbitMQ.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfirmWindow } from '../src/destinations/confirm-window.js';

function recording(opts: { unwanted?: Set<string>; fullAfter?: Set<string>; failing?: Set<string> } = {}): { sent: string[]; window: (size: number) => ConfirmWindow<string> } {
  const sent: string[] = [];
  return {
    sent,
    window: (size) => new ConfirmWindow<string>(size, {
      wanted: (item) => !(opts.unwanted?.has(item) ?? false),
      publish: (item) => {
        if (opts.failing?.has(item) ?? false) return 'failed';
        sent.push(item);
        return (opts.fullAfter?.has(item) ?? false) ? 'full' : 'sent';
      },
    }),
  };
}

describe('confirm window', () => {
  it('publishes in arrival order while there is room; each settled message lets the next out', () => {
    const t = recording();
    const w = t.window(2);
    for (const item of ['a', 'b', 'c', 'd', 'e']) w.add(item);
    w.pump();
    assert.deepEqual(t.sent, ['a', 'b']);
    assert.equal(w.pending, 2);
    assert.equal(w.waiting, 3);
    w.settled();
    assert.deepEqual(t.sent, ['a', 'b', 'c']);
    w.settled();
    w.settled();
    assert.deepEqual(t.sent, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(w.pending, 2);
    assert.equal(w.waiting, 0);
  });

  it('skips items no longer wanted and items the transport could not send, without using room', () => {
    const t = recording({ unwanted: new Set(['b']), failing: new Set(['c']) });
    const w = t.window(2);
    for (const item of ['a', 'b', 'c', 'd', 'e']) w.add(item);
    w.pump();
    assert.deepEqual(t.sent, ['a', 'd']);
    assert.equal(w.pending, 2);
  });

  it('holds everything after a write the transport called full, until unblocked', () => {
    const t = recording({ fullAfter: new Set(['a']) });
    const w = t.window(10);
    for (const item of ['a', 'b', 'c']) w.add(item);
    w.pump();
    assert.deepEqual(t.sent, ['a']);
    w.settled();
    assert.deepEqual(t.sent, ['a'], 'room alone does not resume a blocked transport');
    w.unblock();
    assert.deepEqual(t.sent, ['a', 'b', 'c']);
  });

  it('gives back the waiting items when drained, and publishes nothing of them later', () => {
    const t = recording();
    const w = t.window(1);
    for (const item of ['a', 'b', 'c']) w.add(item);
    w.pump();
    assert.deepEqual(w.drain(), ['b', 'c']);
    w.settled();
    assert.deepEqual(t.sent, ['a']);
    assert.equal(w.waiting, 0);
  });
});
