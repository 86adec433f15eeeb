import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OriginLimiter } from '../src/outbound/origin-limiter.js';

const ORIGIN = 'http://receiver.test';

/** Takes n slots (some may wait); returns their release functions in the order granted. */
function take(l: OriginLimiter, n: number): { granted: (() => void)[]; waiting: Promise<() => void>[] } {
  const granted: (() => void)[] = [];
  const waiting: Promise<() => void>[] = [];
  for (let i = 0; i < n; i++) {
    const r = l.tryAcquire(ORIGIN);
    if (r) granted.push(r);
    else waiting.push(l.acquire(ORIGIN));
  }
  return { granted, waiting };
}

describe('per-origin request limit', () => {
  test('starts at twice the floor, never above the maximum; waiters get slots in order as others finish', async () => {
    const l = new OriginLimiter(1024);
    const { granted, waiting } = take(l, 70);
    assert.equal(granted.length, 64);
    assert.equal(l.queued, 6);
    granted[0]!();
    granted[0]!(); // releasing twice frees one slot only
    await waiting[0];
    assert.equal(l.queued, 5);
    l.stopAdjusting();

    const small = new OriginLimiter(2);
    assert.equal(take(small, 5).granted.length, 2, 'a maximum under the floor is a fixed limit');
  });

  test('with room to spare and requests waiting, the limit grows by 30 % per step up to the maximum and lets waiters in', async () => {
    const l = new OriginLimiter(100);
    const { granted, waiting } = take(l, 120);
    assert.equal(granted.length, 64);
    l.adjust(0.3, 250);
    assert.equal(l.limitOf(ORIGIN), 84);
    assert.equal(l.queued, 36);
    l.adjust(0.3, 250);
    assert.equal(l.limitOf(ORIGIN), 100, 'capped at the maximum');
    assert.equal(l.queued, 20);
    await Promise.all(waiting.slice(0, 36));
    l.stopAdjusting();
  });

  test('a fast receiver does not get more slots however many requests wait: they are a burst, not a slow receiver', () => {
    const l = new OriginLimiter(1024);
    const { granted } = take(l, 100);
    for (const r of granted) r(); // answered at once
    l.adjust(0.3, 250);
    assert.equal(l.limitOf(ORIGIN), 64);
    l.stopAdjusting();
  });

  test('when the process is saturated, a fast origin shrinks toward what its traffic needs, not below the floor', () => {
    const l = new OriginLimiter(1024);
    const { granted } = take(l, 64);
    // 64 answers in 250 ms, the fastest in 2 ms: 0.256/ms × 2 ms × 2 ≈ 2 needed → floor of 32,
    // reached in steps of at most 20 %.
    for (const r of granted) r();
    take(l, 64);
    l.adjust(0.97, 250);
    const after = l.limitOf(ORIGIN)!;
    assert.ok(after < 64 && after >= 32, `shrank to ${after}`);
    assert.equal(take(l, 1).granted.length, 0, 'no new slot while more are active than the limit');
    l.stopAdjusting();
  });

  test('a saturated process keeps the requests a slow origin needs in flight', async () => {
    const l = new OriginLimiter(1024);
    const { granted, waiting } = take(l, 400);
    l.adjust(0.3, 250);
    l.adjust(0.3, 250);
    l.adjust(0.3, 250);
    const grown = l.limitOf(ORIGIN)!;
    assert.ok(grown > 64, `grew to ${grown}`);
    // Answers take 100 ms here: hold every slot that long, then release them all.
    await Promise.all(waiting.slice(0, grown - 64));
    await new Promise((r) => setTimeout(r, 100));
    for (const r of granted) r();
    l.adjust(0.97, 25);
    // 64 finished in 25 ms, each after ≥ 100 ms: 2.56/ms × 100 ms × 2 ≈ 512 needed, more than it has.
    assert.equal(l.limitOf(ORIGIN), grown);
    l.stopAdjusting();
  });
});
