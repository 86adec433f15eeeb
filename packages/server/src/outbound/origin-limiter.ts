import { performance, type EventLoopUtilization } from 'node:perf_hooks';

interface Origin {
  active: number;
  waiting: (() => void)[];
  /** Requests at once allowed now: between the floor and the configured maximum. */
  limit: number;
  /** Someone waited for a slot since the last adjustment (demand above the limit). */
  waited: boolean;
  /** Requests finished since the last adjustment, the shortest of them and their total time (ms). */
  done: number;
  fastestMs: number;
  totalMs: number;
}

/** Below this share of busy time the process has room for more requests at once. */
const ROOM = 0.8;
/** At or above it the process is saturated: more requests at once only cost memory and CPU. */
const SATURATED = 0.92;
const ADJUST_EVERY_MS = 250;
/**
 * Answers faster than this on average never need more than the starting 64 slots: 64 at 5 ms
 * is 12,800 requests/s to one origin, more than one process delivers. Waiters behind such a
 * receiver are a burst of claimed work, or a slow store, not a slow receiver.
 */
const SLOW_ANSWER_MS = 5;

/**
 * At most `limit` requests at once per origin. Requests beyond it wait here, before their
 * deadline starts: a request queued behind a slow receiver must not time out without ever
 * having been sent (and count as that receiver's failure).
 *
 * The limit adapts between a floor (32, or the maximum if lower) and the configured maximum.
 * Every 250 ms the event loop's busy share is read: with room to spare, requests waiting for
 * an origin and its answers taking 5 ms or more on average, its limit grows by 30 % (a slow
 * receiver gets the hundreds of requests in flight its throughput needs within a couple of
 * seconds); when the process is saturated, an
 * origin's limit shrinks toward what its traffic needs (finished/s × its fastest answer × 2),
 * since requests beyond that only wait in this process, each holding a socket and memory. On
 * a fast local receiver this kept the drain rate of 1,024 sockets with ~40 MB less memory.
 */
export class OriginLimiter {
  private readonly origins = new Map<string, Origin>();
  private readonly floor: number;
  private timer: NodeJS.Timeout | null = null;
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private adjustedAt = performance.now();

  constructor(private readonly max: number, floor = 32) {
    this.floor = Math.min(max, floor);
  }

  /** A slot at once, or null when the origin is full (then `acquire` waits for one). */
  tryAcquire(origin: string): (() => void) | null {
    let o = this.origins.get(origin);
    if (!o) {
      o = { active: 0, waiting: [], limit: Math.min(this.max, this.floor * 2), waited: false, done: 0, fastestMs: Infinity, totalMs: 0 };
      this.origins.set(origin, o);
      this.startAdjusting();
    }
    if (o.active >= o.limit) return null;
    o.active++;
    return this.releaser(origin, o);
  }

  async acquire(origin: string): Promise<() => void> {
    const now = this.tryAcquire(origin);
    if (now) return now;
    const o = this.origins.get(origin)!;
    o.waited = true;
    await new Promise<void>((resolve) => o.waiting.push(resolve));
    return this.releaser(origin, o);
  }

  private releaser(origin: string, slot: Origin): () => void {
    const started = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.done++;
      const ms = performance.now() - started;
      slot.totalMs += ms;
      if (ms < slot.fastestMs) slot.fastestMs = ms;
      // The slot passes straight to the next waiter, unless the limit has shrunk below it.
      const next = slot.active <= slot.limit ? slot.waiting.shift() : undefined;
      if (next) next();
      // An idle origin keeps its learned limit until the next adjustment finds it still idle.
      else if (--slot.active === 0 && slot.waiting.length === 0 && !this.timer) this.origins.delete(origin);
    };
  }

  /** Requests waiting for a slot, over all origins. */
  get queued(): number {
    let n = 0;
    for (const o of this.origins.values()) n += o.waiting.length;
    return n;
  }

  /** Origins with at least `min` requests waiting for a slot (the worker's per-origin claim gate). */
  crowded(min: number): Set<string> {
    const out = new Set<string>();
    for (const [origin, o] of this.origins) if (o.waiting.length >= min) out.add(origin);
    return out;
  }

  /** The current limit of an origin (for tests). */
  limitOf(origin: string): number | null {
    return this.origins.get(origin)?.limit ?? null;
  }

  /** Applies one adjustment given the busy share (0..1) over `elapsedMs`; the timer calls it every 250 ms. */
  adjust(busy: number, elapsedMs: number): void {
    for (const [origin, o] of this.origins) {
      if (o.active === 0 && o.waiting.length === 0 && o.done === 0) {
        this.origins.delete(origin);
        continue;
      }
      const slowReceiver = o.done === 0 || o.totalMs / o.done >= SLOW_ANSWER_MS;
      if (busy < ROOM && slowReceiver && (o.waited || o.waiting.length > 0)) {
        o.limit = Math.min(this.max, Math.ceil(o.limit * 1.3));
        this.admit(o);
      } else if (busy >= SATURATED && o.done > 0) {
        const needed = Math.ceil((o.done / elapsedMs) * o.fastestMs * 2);
        o.limit = Math.max(this.floor, Math.min(o.limit, Math.max(needed, Math.floor(o.limit * 0.8))));
      }
      o.waited = o.waiting.length > 0;
      o.done = 0;
      o.fastestMs = Infinity;
      o.totalMs = 0;
    }
    if (this.origins.size === 0) this.stopAdjusting();
  }

  /** Lets waiters in up to a raised limit. */
  private admit(o: Origin): void {
    while (o.active < o.limit && o.waiting.length > 0) {
      o.active++;
      o.waiting.shift()!();
    }
  }

  private startAdjusting(): void {
    if (this.timer || this.max <= this.floor) return;
    this.elu = performance.eventLoopUtilization();
    this.adjustedAt = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const delta = performance.eventLoopUtilization(this.elu);
      this.elu = performance.eventLoopUtilization();
      this.adjust(delta.utilization, now - this.adjustedAt);
      this.adjustedAt = now;
    }, ADJUST_EVERY_MS);
    this.timer.unref();
  }

  /** Stops the adjustment timer (the sender's close; it restarts with the next origin). */
  stopAdjusting(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
