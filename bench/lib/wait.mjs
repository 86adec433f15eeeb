// Bounded polling for "count reached target", with the crossing time interpolated between the
// two samples around it (polls are POLL_MS apart, which would otherwise quantise short runs).
import { POLL_MS } from './constants.mjs';
import { sleep } from './children.mjs';
import { wallNow } from './stats.mjs';

/**
 * getCount: async () => number
 * Resolves { reached, tDone (wall ms, interpolated), last, samples: [[wall, count], ...] }.
 * `abortIf` (optional) is checked every poll; returning a string stops with that reason.
 */
export async function waitForCount(getCount, target, { timeoutMs, pollMs = POLL_MS, onProgress, abortIf, keepSamples = true } = {}) {
  const start = wallNow();
  const samples = [];
  let prev = [start, 0];
  let lastErr = null;
  let errors = 0;
  for (let i = 0; ; i++) {
    const now = wallNow();
    if (now - start > timeoutMs) return { reached: false, reason: `timeout after ${Math.round(timeoutMs / 1000)} s (last count ${prev[1]} of ${target}${lastErr ? `; last error: ${lastErr}` : ''})`, last: prev[1], samples, tDone: null };
    let c;
    try {
      c = await getCount();
    } catch (err) {
      lastErr = String(err?.message ?? err);
      if (++errors > 50) return { reached: false, reason: `count source failing: ${lastErr}`, last: prev[1], samples, tDone: null };
      await sleep(pollMs);
      continue;
    }
    const t = wallNow();
    if (keepSamples && samples.length < 200000) samples.push([t, c]);
    if (onProgress) onProgress({ done: c, total: target, elapsedMs: t - start });
    if (c >= target) {
      const [t1, c1] = prev;
      const tDone = c > c1 && i > 0 ? t1 + ((target - c1) / (c - c1)) * (t - t1) : t;
      return { reached: true, tDone, tSeen: t, last: c, samples };
    }
    prev = [t, c];
    if (abortIf) {
      const why = await abortIf();
      if (why) return { reached: false, reason: why, last: c, samples, tDone: null };
    }
    await sleep(pollMs);
  }
}

/** Time at which `samples` (wall, count) first reached n, linearly interpolated. */
export function crossingTime(samples, n, t0 = null, c0 = 0) {
  let prev = t0 === null ? null : [t0, c0];
  for (const s of samples) {
    if (s[1] >= n) {
      if (!prev || s[1] === prev[1]) return s[0];
      return prev[0] + ((n - prev[1]) / (s[1] - prev[1])) * (s[0] - prev[0]);
    }
    prev = s;
  }
  return null;
}
