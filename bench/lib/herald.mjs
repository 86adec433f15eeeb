// Starting, stopping and talking to a real `herald serve` process.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { request as httpRequest } from 'undici';
import {
  ADMIN_KEY, API_PREFIX, EVENT_TYPE, HERALD_BIN, HERALD_DIST_CLI, HOST, METRIC_COMPLETED, METRIC_COMPLETED_LABEL,
  METRIC_IN_FLIGHT, ORG_ID, OUTCOME_FAILED, OUTCOME_RETRY, OUTCOME_SUCCEEDED, REPO_ROOT,
} from './constants.mjs';
import { freePort, getLogDir, sleep, spawnTracked, stopChild } from './children.mjs';

/**
 * What Herald build is being measured: git HEAD and when the compiled server last changed (the
 * newest file under dist/: an incremental `tsc -b` rewrites only the files whose sources changed).
 */
export function heraldBuild() {
  let head = null;
  let dirty = null;
  try {
    head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages/server'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
  } catch { /* not a git checkout */ }
  let distMtime = null;
  try {
    const dist = path.dirname(HERALD_DIST_CLI);
    let newest = 0;
    for (const f of fs.readdirSync(dist, { recursive: true })) {
      if (String(f).endsWith('.js')) newest = Math.max(newest, fs.statSync(path.join(dist, String(f))).mtimeMs);
    }
    if (newest > 0) distMtime = new Date(newest).toISOString();
  } catch { /* not built */ }
  return { git_head: head, server_sources_modified: dirty, dist_cli_mtime: distMtime };
}

export function heraldAvailable() {
  if (!fs.existsSync(HERALD_BIN)) return { ok: false, reason: `${path.relative(REPO_ROOT, HERALD_BIN)} does not exist (server not built yet)` };
  if (!fs.existsSync(HERALD_DIST_CLI)) return { ok: false, reason: `${path.relative(REPO_ROOT, HERALD_DIST_CLI)} does not exist (run npm run build)` };
  return { ok: true };
}

function tail(file, n = 30) {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/** BENCH_HERALD_ENV="K=V K2=V2" as an object; a word without "=" is refused with what to write. */
function benchHeraldEnv() {
  const words = (process.env.BENCH_HERALD_ENV ?? '').split(/\s+/).filter(Boolean);
  return Object.fromEntries(words.map((kv) => {
    const at = kv.indexOf('=');
    if (at < 1) throw new Error(`BENCH_HERALD_ENV: "${kv}" is not KEY=VALUE (write e.g. BENCH_HERALD_ENV="HERALD_WORKER_CONCURRENCY=256")`);
    return [kv.slice(0, at), kv.slice(at + 1)];
  }));
}

/**
 * Start `herald serve --role <role>` and wait until GET /healthz answers 200.
 * storeEnv: { HERALD_DATA_DIR } or { HERALD_DATABASE_URL }.
 */
export async function startHerald({ name, role = 'all', storeEnv, extraEnv = {}, readyTimeoutMs = 60_000 }) {
  const port = await freePort();
  const env = {
    HERALD_PORT: String(port),
    HERALD_ADMIN_KEY: ADMIN_KEY,
    HERALD_ALLOW_PRIVATE_URLS: 'true',
    HERALD_LOG_LEVEL: 'warn',
    // The bench receiver counts POSTs: no URL-validation request when its webhooks are saved.
    HERALD_VALIDATE_URLS: 'false',
    NODE_ENV: 'production',
    ...storeEnv,
    ...extraEnv,
    // BENCH_HERALD_ENV="K=V K2=V2" sets Herald settings for an experiment, e.g. HERALD_WORKER_CONCURRENCY=256.
    ...benchHeraldEnv(),
  };
  const tSpawn = performance.timeOrigin + performance.now();
  // BENCH_HERALD_NODE_ARGS passes Node flags to Herald only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_HERALD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawnTracked(process.execPath, [...nodeArgs, HERALD_BIN, 'serve', '--role', role], { name, env, cwd: REPO_ROOT });
  const origin = `http://${HOST}:${port}`;
  const h = { child, pid: child.pid, port, origin, role, name, tSpawn, logFile: path.join(getLogDir() ?? '.', `${name}.log`) };
  const deadline = Date.now() + readyTimeoutMs;
  let lastErr = null;
  while (Date.now() < deadline) {
    if (child.bench.exited) throw new Error(`herald (${name}, role ${role}) exited with ${child.bench.code ?? child.bench.signal} before /healthz answered 200. Log tail:\n${tail(h.logFile)}`);
    try {
      const res = await httpRequest(`${origin}/healthz`, { headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.dump();
      if (res.statusCode === 200) {
        h.tReady = performance.timeOrigin + performance.now();
        return h;
      }
      lastErr = `status ${res.statusCode}`;
    } catch (err) {
      lastErr = err.code ?? err.message;
    }
    await sleep(50);
  }
  await stopChild(child, { graceMs: 3000 });
  throw new Error(`herald (${name}, role ${role}) /healthz not 200 within ${readyTimeoutMs} ms (last: ${lastErr}). Log tail:\n${tail(h.logFile)}`);
}

/** SIGTERM and wait for exit (bounded); reports whether it had to be killed. */
export async function stopHerald(h, graceMs = 30_000) {
  if (!h) return null;
  const r = await stopChild(h.child, { graceMs });
  return r;
}

// ---------------------------------------------------------------- API

export async function api(h, method, p, body, { expect, timeoutMs = 30_000 } = {}) {
  const res = await httpRequest(`${h.origin}${API_PREFIX}${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await res.body.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch { /* not json */ }
  if (expect && !expect.includes(res.statusCode)) {
    throw new Error(`${method} ${API_PREFIX}${p} → ${res.statusCode} (expected ${expect.join('/')}): ${text.slice(0, 500)}`);
  }
  return { status: res.statusCode, json, text };
}

/**
 * Create the bench org and one webhook per target, all subscribed to the bench event type. A
 * target is a receiver URL, or the rest of a webhook's create body (e.g. `{ destination }`).
 * Returns { webhooks: [{id, url}], notes: [] }.
 */
export async function setupFixture(h, targets) {
  const notes = [];
  await api(h, 'POST', '/orgs', { id: ORG_ID, name: 'Bench', owner_email: 'bench@example.com' }, { expect: [200, 201] });
  // Register the event type if the catalogue wants it; ingest may accept unknown types anyway.
  const et = await api(h, 'POST', '/event-types', { name: EVENT_TYPE, description: 'benchmark event', example: { id: 'e1', seq: 1, sent_at: 0 } });
  if (et.status >= 300 && et.status !== 409) notes.push(`POST /event-types answered ${et.status}: ${et.text.slice(0, 200)}`);
  const webhooks = [];
  for (const target of targets) {
    const body = typeof target === 'string' ? { url: target } : target;
    const r = await api(h, 'POST', `/orgs/${ORG_ID}/webhooks`, { ...body, events: [EVENT_TYPE] }, { expect: [200, 201] });
    webhooks.push({ id: r.json?.id, url: body.url ?? null });
  }
  return { webhooks, notes };
}

/** POST one single event (used as a probe). */
export async function ingestOne(h, entity) {
  return api(h, 'POST', `/orgs/${ORG_ID}/events`, { event: EVENT_TYPE, entity }, { expect: [202] });
}

export const ingestPaths = {
  batch: `${API_PREFIX}/orgs/${ORG_ID}/events/batch`,
  single: `${API_PREFIX}/orgs/${ORG_ID}/events`,
};
export const authHeaders = { authorization: `Bearer ${ADMIN_KEY}` };

// ---------------------------------------------------------------- metrics

/** Parse Prometheus text; returns [{ labels, value }] for one metric name. */
export function parseMetric(text, metric) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    let labels = {};
    let valuePart = rest;
    if (rest[0] === '{') {
      const end = rest.indexOf('}');
      const body = rest.slice(1, end);
      for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
      valuePart = rest.slice(end + 1);
    }
    const v = Number(valuePart.trim().split(/\s+/)[0]);
    if (Number.isFinite(v)) out.push({ labels, value: v });
  }
  return out;
}

export async function scrape(h) {
  const res = await httpRequest(`${h.origin}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET /metrics → ${res.statusCode}`);
  const sum = (outcome) => parseMetric(text, METRIC_COMPLETED).filter((s) => s.labels[METRIC_COMPLETED_LABEL] === outcome).reduce((a, s) => a + s.value, 0);
  const inflight = parseMetric(text, METRIC_IN_FLIGHT).reduce((a, s) => a + s.value, 0);
  const present = text.includes(METRIC_COMPLETED);
  return { succeeded: sum(OUTCOME_SUCCEEDED), failed: sum(OUTCOME_FAILED), retry: sum(OUTCOME_RETRY), inflight, present };
}

/** Sum of terminal outcomes over several processes (e.g. two workers). */
export async function completedAcross(hs) {
  const all = await Promise.all(hs.map(scrape));
  const t = { succeeded: 0, failed: 0, retry: 0, inflight: 0, present: all.every((a) => a.present) };
  for (const a of all) for (const k of ['succeeded', 'failed', 'retry', 'inflight']) t[k] += a[k];
  t.done = t.succeeded + t.failed;
  return t;
}
