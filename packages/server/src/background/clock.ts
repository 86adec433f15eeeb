/**
 * The time background services read and sleep by. Services are given one rather than calling
 * Date.now() and setTimeout themselves, so a test can drive them with a clock it moves by hand
 * (test/helpers/manual-clock.ts) instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn once `ms` of this clock's time have passed; answers a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};
