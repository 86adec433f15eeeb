// The load generator: a child process driven over IPC. Modes:
//   ceiling  undici Pool POSTing fixed-size bodies at N connections for a duration
//   batch    POST batches of events (1000 per call) with C calls in flight until `total` sent
//   single   closed loop: C concurrent single-event POSTs for a duration
//   open     open loop: events at a fixed rate for a duration (sent_at = scheduled time)
// Every event entity carries `sent_at` (wall-clock ms, sub-ms precision) for latency.
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { forkTracked } from './children.mjs';
import { isMain, note, onNote, ready, request, serveIpc, waitReady } from './ipc.mjs';
import { EVENT_TYPE } from './constants.mjs';

const wallNow = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- parent side

export async function startLoad({ name = 'load', onProgress } = {}) {
  const child = forkTracked(fileURLToPath(import.meta.url), [], { name });
  await waitReady(child);
  if (onProgress) onNote(child, onProgress);
  return {
    child,
    pid: child.pid,
    run: (mode, opts, timeoutMs) => request(child, 'run', { mode, opts }, timeoutMs ?? 30 * 60 * 1000),
    close: () => request(child, 'close', {}, 5000).catch(() => null),
  };
}

// ---------------------------------------------------------------- child side

export function eventBody(i, sentAt, eventName = EVENT_TYPE) {
  return {
    event: eventName,
    entity_type: 'bench',
    entity_id: `e${i}`,
    entity: { id: `e${i}`, seq: i, sent_at: Math.round(sentAt * 1000) / 1000, kind: 'bench', amount: 4200, note: 'benchmark event' },
  };
}

function makeStatusCounter() {
  const codes = {};
  let firstError = null;
  return {
    codes,
    add(code, bodyText) {
      codes[code] = (codes[code] ?? 0) + 1;
      if ((code < 200 || code >= 300) && !firstError) firstError = `${code}: ${String(bodyText).slice(0, 500)}`;
    },
    err(e) {
      codes.error = (codes.error ?? 0) + 1;
      if (!firstError) firstError = String(e?.message ?? e);
    },
    get firstError() {
      return firstError;
    },
  };
}

function percentiles(arr) {
  if (!arr.length) return { n: 0 };
  const a = Float64Array.from(arr).sort();
  const q = (p) => a[Math.min(a.length - 1, Math.max(0, Math.ceil(p * a.length) - 1))];
  return { n: a.length, p50: q(0.5), p99: q(0.99), max: a[a.length - 1] };
}

/** Both the orchestrator and the receiver know this instant: the warm-up ends at startAtWall + warmupMs. */
async function waitUntilWall(w) {
  const d = w ? w - wallNow() : 0;
  if (d > 0) await new Promise((r) => setTimeout(r, Math.min(d, 10_000)));
}

function progressTicker(fn, ms = 1000) {
  const t = setInterval(fn, ms);
  return () => clearInterval(t);
}

async function runCeiling({ origin, path = '/hook/0', connections = 64, bodyBytes = 1024, durationMs = 5000, warmupMs = 500 }) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const body = Buffer.alloc(bodyBytes, 'x');
  const headers = { 'content-type': 'application/octet-stream' };
  const st = makeStatusCounter();
  const tBegin = performance.now();
  const tStart = tBegin + warmupMs;
  const tEnd = tStart + durationMs;
  let counted = 0;
  let total = 0;
  const stopTick = progressTicker(() => note({ phase: 'ceiling', done: counted, elapsedMs: Math.max(0, performance.now() - tStart) }));
  async function loop() {
    while (performance.now() < tEnd) {
      try {
        const res = await pool.request({ path, method: 'POST', headers, body });
        await res.body.dump();
        st.add(res.statusCode);
        total++;
        const t = performance.now();
        if (t >= tStart && t <= tEnd && res.statusCode === 200) counted++;
      } catch (e) {
        st.err(e);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, loop));
  stopTick();
  await pool.close();
  return { requests: counted, total, durationMs, rps: counted / (durationMs / 1000), statuses: st.codes, firstError: st.firstError };
}

async function runBatch({ origin, path, headers = {}, total, batchSize = 1000, concurrency = 4, startSeq = 0, eventName = EVENT_TYPE, wrap = 'events' }) {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const hdrs = { 'content-type': 'application/json', ...headers };
  const st = makeStatusCounter();
  const nBatches = Math.ceil(total / batchSize);
  let next = 0;
  let accepted = 0;
  let failedCalls = 0;
  const callMs = [];
  const t0 = performance.now();
  const w0 = wallNow();
  const stopTick = progressTicker(() => note({ phase: 'batch', done: accepted, total, elapsedMs: performance.now() - t0 }));
  async function loop() {
    while (true) {
      const b = next++;
      if (b >= nBatches) return;
      const from = b * batchSize;
      const to = Math.min(total, from + batchSize);
      const now = wallNow();
      const events = [];
      for (let i = from; i < to; i++) events.push(eventBody(startSeq + i, now, eventName));
      const body = JSON.stringify(wrap ? { [wrap]: events } : events);
      const c0 = performance.now();
      try {
        const res = await pool.request({ path, method: 'POST', headers: hdrs, body });
        const text = await res.body.text();
        st.add(res.statusCode, text);
        if (res.statusCode >= 200 && res.statusCode < 300) accepted += to - from;
        else {
          failedCalls++;
          if (failedCalls > 20) throw new Error(`too many failed batch calls; first: ${st.firstError}`);
        }
      } catch (e) {
        if (String(e.message).startsWith('too many')) throw e;
        st.err(e);
        failedCalls++;
        if (failedCalls > 20) throw new Error(`too many failed batch calls; first: ${st.firstError}`);
      }
      callMs.push(performance.now() - c0);
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    stopTick();
    await pool.close();
  }
  const elapsedMs = performance.now() - t0;
  return {
    total,
    accepted,
    failedCalls,
    elapsedMs,
    eventsPerSec: accepted / (elapsedMs / 1000),
    window: [w0, wallNow()],
    callMs: percentiles(callMs),
    statuses: st.codes,
    firstError: st.firstError,
  };
}

async function runSingle({ origin, path, headers = {}, concurrency = 32, durationMs = 10000, warmupMs = 0, startAtWall = 0, eventName = EVENT_TYPE, maxRequests = 5_000_000 }) {
  await waitUntilWall(startAtWall);
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const hdrs = { 'content-type': 'application/json', ...headers };
  const st = makeStatusCounter();
  let seq = 0;
  let accepted = 0;
  let acceptedWarmup = 0;
  const respMs = [];
  const tBegin = performance.now();
  const t0 = tBegin + warmupMs; // measured window starts after the warm-up
  const w0 = performance.timeOrigin + t0;
  const tEnd = t0 + durationMs;
  const stopTick = progressTicker(() => note({ phase: performance.now() < t0 ? 'single (warm-up)' : 'single', done: accepted, elapsedMs: Math.max(0, performance.now() - t0) }));
  async function loop() {
    while (performance.now() < tEnd && seq < maxRequests) {
      const i = seq++;
      const c0 = performance.now();
      const sentAt = performance.timeOrigin + c0;
      const measured = c0 >= t0;
      try {
        const res = await pool.request({ path, method: 'POST', headers: hdrs, body: JSON.stringify(eventBody(i, sentAt, eventName)) });
        const text = await res.body.text();
        st.add(res.statusCode, text);
        if (res.statusCode >= 200 && res.statusCode < 300) {
          if (measured) accepted++;
          else acceptedWarmup++;
        }
      } catch (e) {
        st.err(e);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (measured) respMs.push(performance.now() - c0);
      if ((st.codes.error ?? 0) > 1000) throw new Error(`too many request errors; first: ${st.firstError}`);
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    stopTick();
    await pool.close();
  }
  const elapsedMs = performance.now() - t0;
  return { sent: seq, accepted, acceptedWarmup, acceptedTotal: accepted + acceptedWarmup, elapsedMs, acceptedPerSec: accepted / (elapsedMs / 1000), window: [w0, wallNow()], responseMs: percentiles(respMs), statuses: st.codes, firstError: st.firstError };
}

// A send "leaves late" when the generator starts it more than lateMs after its scheduled instant
// (its event loop was busy or starved of CPU): then the generator, not the server, is behind.
// `late` and `lagMs` count the measured sends only (after the warm-up).
async function runOpen({ origin, path, headers = {}, rate = 1000, durationMs = 20000, warmupMs = 0, startAtWall = 0, connections = 128, maxOutstanding = 2000, lateMs = 10, eventName = EVENT_TYPE }) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const hdrs = { 'content-type': 'application/json', ...headers };
  const st = makeStatusCounter();
  const total = Math.round((rate * (durationMs + warmupMs)) / 1000);
  const warmupCount = Math.round((rate * warmupMs) / 1000);
  const interval = 1000 / rate;
  let sent = 0;
  let accepted = 0;
  let outstanding = 0;
  let skipped = 0;
  let maxLagMs = 0;
  let late = 0;
  let failed = 0;
  const respMs = [];
  const lagMs = [];
  const p0 = startAtWall ? Math.max(performance.now(), startAtWall - performance.timeOrigin) : performance.now() + 20;
  const w0 = performance.timeOrigin + p0;
  const stopTick = progressTicker(() => note({ phase: 'open', done: sent, total, outstanding, elapsedMs: performance.now() - p0 }));
  const pending = new Set();
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - p0) / interval) + 1);
      while (sent < due) {
        const i = sent++;
        const sched = p0 + i * interval;
        const c0 = performance.now();
        const lag = c0 - sched;
        if (lag > maxLagMs) maxLagMs = lag;
        if (outstanding >= maxOutstanding) {
          skipped++;
          continue;
        }
        if (i >= warmupCount) {
          lagMs.push(lag);
          if (lag > lateMs) late++;
        }
        outstanding++;
        const p = pool
          .request({ path, method: 'POST', headers: hdrs, body: JSON.stringify(eventBody(i, performance.timeOrigin + sched, eventName)) })
          .then(async (res) => {
            const text = await res.body.text();
            st.add(res.statusCode, text);
            if (res.statusCode >= 200 && res.statusCode < 300) accepted++;
            else failed++;
          })
          .catch((e) => {
            failed++;
            st.err(e);
          })
          .finally(() => {
            outstanding--;
            if (i >= warmupCount) respMs.push(performance.now() - c0);
            pending.delete(p);
          });
        pending.add(p);
      }
      if (sent >= total) return resolve();
      const nextAt = p0 + sent * interval;
      setTimeout(tick, Math.max(0, Math.min(50, nextAt - performance.now())));
    };
    tick();
  });
  await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 30000))]);
  stopTick();
  await pool.close();
  return { total, sent, accepted, failed, skipped, late, lateMs, lagMs: percentiles(lagMs), maxLagMs, warmupCount, window: [w0 + warmupMs, wallNow()], responseMs: percentiles(respMs), statuses: st.codes, firstError: st.firstError };
}

function main() {
  serveIpc({
    async run({ mode, opts }) {
      if (mode === 'ceiling') return runCeiling(opts);
      if (mode === 'batch') return runBatch(opts);
      if (mode === 'single') return runSingle(opts);
      if (mode === 'open') return runOpen(opts);
      throw new Error(`unknown load mode ${mode}`);
    },
    close() {
      setTimeout(() => process.exit(0), 20);
      return true;
    },
  });
  ready();
}

if (isMain(import.meta.url)) main();
