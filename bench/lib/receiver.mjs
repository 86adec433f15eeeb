// The webhook receiver: a plain node:http server that answers every request 200 with a tiny
// body, optionally after a delay. Run as a child process (forked by startReceiver below).
// It counts POSTs in 10 ms buckets (so the orchestrator can compute rates over any window and
// the time at which the n-th delivery arrived), tracks requests in flight, and, when asked,
// reads `"sent_at":<ms>` out of each body to record ingest->arrival latency.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, ready, request, serveIpc, waitReady } from './ipc.mjs';
import { HOST } from './constants.mjs';
import { forkTracked } from './children.mjs';

export const wallNow = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- parent side

/** Fork a receiver; resolves to { child, port, url(path), call(cmd,args) }. */
export async function startReceiver({ name = 'receiver', delayMs = 0, latency = false } = {}) {
  const child = forkTracked(fileURLToPath(import.meta.url), [], { name });
  const msg = await waitReady(child);
  const rc = {
    child,
    port: msg.port,
    origin: `http://${HOST}:${msg.port}`,
    url: (p = '/hook/0') => `http://${HOST}:${msg.port}${p}`,
    call: (cmd, args, t) => request(child, cmd, args, t),
  };
  await rc.call('configure', { delayMs, latency });
  return rc;
}

// ---------------------------------------------------------------- child side

const BUCKET_MS = 10;
const MAX_BUCKETS = 2 * 3600 * 1000 / BUCKET_MS; // two hours
const MAX_LAT_SAMPLES = 4_000_000;
const SENT_AT = /"sent_at":(-?[0-9.]+)/;

function main() {
  let delayMs = 0;
  let latency = false;
  let latencyFrom = 0; // only events with sent_at >= latencyFrom (wall ms) are sampled (warm-up excluded)
  let t0 = wallNow();
  let buckets = new Uint32Array(MAX_BUCKETS);
  let count = 0;
  let other = 0;
  let signed = 0;
  let inflight = 0;
  let maxInflight = 0;
  let firstAt = 0;
  let lastAt = 0;
  let lat = new Float64Array(1 << 16);
  let latN = 0;
  let latDropped = 0;
  let perPath = new Map();
  let bodyBytes = 0;
  let latMaxPerSec = []; // worst ingest->arrival latency per second since reset (shows periodic stalls)
  const reply = Buffer.from('ok');

  function reset() {
    t0 = wallNow();
    buckets = new Uint32Array(MAX_BUCKETS);
    count = other = signed = latN = latDropped = bodyBytes = 0;
    maxInflight = inflight;
    firstAt = lastAt = 0;
    perPath = new Map();
    latMaxPerSec = [];
  }

  function addLatency(v) {
    if (latN >= MAX_LAT_SAMPLES) {
      latDropped++;
      return;
    }
    if (latN === lat.length) {
      const n = new Float64Array(Math.min(lat.length * 2, MAX_LAT_SAMPLES));
      n.set(lat);
      lat = n;
    }
    lat[latN++] = v;
  }

  const server = http.createServer((req, res) => {
    inflight++;
    if (inflight > maxInflight) maxInflight = inflight;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        inflight--;
      }
    };
    res.on('finish', finish);
    res.on('close', finish);
    const isPost = req.method === 'POST';
    let chunks = latency && isPost ? [] : null;
    req.on('data', (c) => {
      bodyBytes += c.length;
      if (chunks) chunks.push(c);
    });
    req.on('end', () => {
      const now = wallNow();
      if (isPost) {
        count++;
        if (!firstAt) firstAt = now;
        lastAt = now;
        const b = Math.floor((now - t0) / BUCKET_MS);
        if (b >= 0 && b < MAX_BUCKETS) buckets[b]++;
        if (req.headers['webhook-signature'] || req.headers['x-webhook-signature']) signed++;
        const p = req.url ?? '/';
        if (perPath.size < 2000 || perPath.has(p)) perPath.set(p, (perPath.get(p) ?? 0) + 1);
        if (chunks) {
          const body = chunks.length === 1 ? chunks[0].toString('latin1') : Buffer.concat(chunks).toString('latin1');
          const m = SENT_AT.exec(body);
          if (m) {
            const sent = Number(m[1]);
            if (sent >= latencyFrom) {
              const v = now - sent;
              addLatency(v);
              const sec = Math.floor((now - t0) / 1000);
              if (sec >= 0 && sec < 7200 && !(latMaxPerSec[sec] >= v)) latMaxPerSec[sec] = v;
            }
          }
        }
      } else {
        other++;
      }
      const send = () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': reply.length });
        res.end(reply);
      };
      if (delayMs > 0) setTimeout(send, delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;
  server.maxRequestsPerSocket = 0;
  server.listen(0, HOST, () => ready({ port: server.address().port }));

  function timeOfCount(n) {
    // wall time at which the n-th POST (1-based) arrived, at bucket resolution (end of bucket)
    if (n <= 0) return firstAt || null;
    let acc = 0;
    for (let i = 0; i < MAX_BUCKETS; i++) {
      acc += buckets[i];
      if (acc >= n) return t0 + (i + 1) * BUCKET_MS;
    }
    return null;
  }

  function countBetween(from, to) {
    const a = Math.max(0, Math.floor((from - t0) / BUCKET_MS));
    const b = Math.min(MAX_BUCKETS, Math.ceil((to - t0) / BUCKET_MS));
    let acc = 0;
    for (let i = a; i < b; i++) acc += buckets[i];
    return acc;
  }

  function latencyStats() {
    if (!latN) return { n: 0 };
    const a = lat.slice(0, latN).sort();
    const q = (p) => a[Math.min(latN - 1, Math.max(0, Math.ceil(p * latN) - 1))];
    let sum = 0;
    for (let i = 0; i < latN; i++) sum += a[i];
    return { n: latN, dropped: latDropped, min: a[0], p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: a[latN - 1], mean: sum / latN };
  }

  serveIpc({
    configure(args) {
      if (args.delayMs !== undefined) delayMs = Number(args.delayMs) || 0;
      if (args.latency !== undefined) latency = !!args.latency;
      if (args.latencyFrom !== undefined) latencyFrom = Number(args.latencyFrom) || 0;
      return { delayMs, latency, latencyFrom };
    },
    reset() {
      reset();
      return { t0 };
    },
    stats(args) {
      const out = {
        now: wallNow(),
        t0,
        count,
        other,
        signed,
        inflight,
        maxInflight,
        firstAt,
        lastAt,
        bodyBytes,
        paths: perPath.size,
      };
      if (args.latency) {
        out.latency = latencyStats();
        out.latencyMaxPerSecond = Array.from(latMaxPerSec, (v) => (v === undefined ? null : Math.round(v * 10) / 10));
      }
      if (args.perPath) out.perPath = Object.fromEntries(perPath);
      if (args.timesOf) out.timesOf = args.timesOf.map((n) => timeOfCount(n));
      if (args.windows) out.windows = args.windows.map(([f, t]) => countBetween(f, t));
      return out;
    },
    close() {
      server.close();
      setTimeout(() => process.exit(0), 50);
      return true;
    },
  });
}

if (isMain(import.meta.url)) main();
export const RECEIVER_SCRIPT = path.resolve(fileURLToPath(import.meta.url));
