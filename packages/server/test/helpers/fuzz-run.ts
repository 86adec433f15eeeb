import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { ERRORS } from '../../src/errors.js';
import { ADMIN_KEY, type TestHerald } from './herald.js';
import {
  CONTENT_TYPES, PATH_VALUES, QUERY_VALUES, RAW_BODIES, Rng, hostileValue, locations, replaceAt, sample, serialize, type JsonSchema,
} from './fuzz-input.js';

/** One operation of the API, as /openapi.json lists it. */
interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  body: JsonSchema | undefined;
}

/** The tables whose rows a refused request must leave as they were. */
const TABLES = ['orgs', 'apps', 'event_types', 'webhooks', 'webhook_subscriptions', 'webhook_keys', 'events', 'deliveries', 'attempts', 'api_keys', 'webhook_alert_state', 'mail_outbox', 'operational_events'];

export interface FuzzResult {
  sent: number;
  refused: number;
  accepted: number;
  failures: string[];
}

async function operations(base: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: op.requestBody?.content['application/json']?.schema,
      });
    }
  }
  // Routes hidden from the document answer requests too.
  for (const path of ['/healthz', '/metrics', '/openapi.json']) ops.push({ method: 'GET', path, pathParams: [], queryParams: [], body: undefined });
  return ops;
}

/** Row hashes of every main table: equal snapshots mean nothing was written. */
async function snapshot(h: TestHerald): Promise<string> {
  const parts: string[] = [];
  for (const t of TABLES) {
    const rows = await h.herald.store.db.all<Record<string, unknown>>(`SELECT * FROM ${t}`);
    const lines = rows.map((r) => JSON.stringify(r)).sort();
    parts.push(`${t}:${rows.length}:${createHash('sha256').update(lines.join('\n')).digest('hex')}`);
  }
  return parts.join(' ');
}

/** Waits until nothing changes any more (a test send logs its attempt just after answering). */
async function settle(h: TestHerald): Promise<string> {
  let last = await snapshot(h);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const now = await snapshot(h);
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** Creates the org, app, event type, webhook, event, delivery, key and API key the fuzzer aims at. */
async function fixtures(h: TestHerald, receiverUrl: string, round: number): Promise<Record<string, string>> {
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await h.api(method, path, body);
    if (r.status >= 300 && r.status !== 409) throw new Error(`fixture ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as Record<string, unknown>;
  };
  await ok('POST', '/orgs', { id: 'fz', name: 'Fuzz', owner_email: 'owner@fuzz.test' });
  // An accepted request may have set a quota or URL rule that would refuse the fixtures.
  const unset = { max_webhooks: null, max_webhooks_counts: null, url_rules: null, validate_urls: null, retention_days: null, alert_mail: null };
  await ok('PATCH', '/orgs/fz', { settings: unset });
  await ok('POST', '/orgs/fz/apps', { id: 'fz', name: 'Fuzz app' });
  await ok('POST', '/event-types', { name: 'fuzz.created', schema: { type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string', maxLength: 50 } } } });
  const webhook = await ok('POST', '/orgs/fz/webhooks', { url: receiverUrl, events: ['fuzz.created'] });
  const key = await ok('POST', `/orgs/fz/webhooks/${String(webhook.id)}/keys`);
  const event = await ok('POST', '/orgs/fz/events', { event: 'fuzz.created', entity: { id: `e${round}`, n: 1 } });
  const deliveries = await ok('GET', `/orgs/fz/webhooks/${String(webhook.id)}/deliveries`);
  const apiKey = await ok('POST', '/api-keys', { name: `fuzz ${round}`, scopes: ['events:write'], org_id: 'fz' });
  const portal = await ok('POST', '/orgs/fz/portal-links', { access: 'manage' });
  return {
    org: 'fz', name: 'fuzz.created', webhook: String(webhook.id), keyId: String(key.id), event: String(event.id),
    delivery: String((deliveries.data as { id: string }[])[0]?.id ?? 'dlv_none'), apiKey: String(apiKey.id), url: receiverUrl,
    portalToken: String(portal.token),
  };
}

/** The fixture a path parameter names in this route. */
function paramValue(op: Operation, name: string, fx: Record<string, string>): string {
  if (name === 'org') return fx.org!;
  if (name === 'name') return fx.name!;
  if (name === 'keyId') return fx.keyId!;
  if (op.path.startsWith('/api/v1/api-keys')) return fx.apiKey!;
  if (op.path.includes('/deliveries/{id}')) return fx.delivery!;
  if (op.path.includes('/events/{id}')) return fx.event!;
  return fx.webhook!;
}

interface Built {
  url: string;
  init: RequestInit & { headers: Record<string, string> };
  mutation: string;
}

/** One request to `op` with one thing wrong in it (or nothing, now and then). */
function build(op: Operation, base: string, fx: Record<string, string>, rng: Rng): Built {
  const canHaveBody = op.method !== 'GET' && op.method !== 'HEAD';
  const kinds = ['path', 'query', 'header', 'none'];
  if (canHaveBody) kinds.push('field', 'field', 'field', 'add-key', 'raw', 'content-type', 'empty-json');
  const kind = rng.pick(kinds);
  let mutation = kind;
  const params = Object.fromEntries(op.pathParams.map((p) => [p, encodeURIComponent(paramValue(op, p, fx))]));
  if (kind === 'path' && op.pathParams.length > 0) {
    const p = rng.pick(op.pathParams);
    params[p] = rng.pick(PATH_VALUES);
    mutation = `path ${p}=${params[p]!.slice(0, 40)}`;
  }
  let path = op.path.replace(/\{(\w+)\}/g, (_, p: string) => params[p] ?? p);
  const query: string[] = [];
  if (kind === 'query') {
    const names = op.queryParams.length > 0 ? op.queryParams : ['limit', 'x'];
    for (let i = 0, n = 1 + rng.int(3); i < n; i++) query.push(`${rng.pick(names)}=${rng.pick(QUERY_VALUES)}`);
    mutation = `query ${query.join('&').slice(0, 80)}`;
  }
  if (query.length > 0) path += `?${query.join('&')}`;
  const headers: Record<string, string> = { authorization: `Bearer ${rng.chance(0.1) ? fx.portalToken : ADMIN_KEY}` };
  if (kind === 'header') {
    const h = rng.pick(['idempotency-key', 'authorization', 'x-forwarded-for', 'accept', 'content-length']);
    headers[h] = rng.pick(['x'.repeat(5000), '', 'Bearer ', 'Bearer hk_%00', 'Basic abc', '1e21', '-1', 'ÿÿ']);
    if (h === 'content-length') delete headers[h]; // fetch frames the body itself; framing is fuzzed on a raw socket
    mutation = `header ${h}`;
  }
  let body: string | Uint8Array | undefined;
  if (canHaveBody && op.body) {
    let value = sample(op.body, rng, '', fx);
    if (kind === 'field' || kind === 'add-key') {
      const at = rng.pick(locations(value));
      const bad = hostileValue(rng);
      const addKey = kind === 'add-key' ? rng.pick(['__proto__', 'constructor', 'prototype', 'a\u0000', 'x'.repeat(200), 'unknown']) : undefined;
      value = replaceAt(value, at, bad, addKey);
      mutation = `${kind} /${at.join('/')}${addKey ? ` +${addKey.slice(0, 20)}` : ''} = ${serialize(bad).slice(0, 40)}`;
    }
    body = serialize(value);
  }
  if (kind === 'raw' && canHaveBody) {
    body = rng.pick(RAW_BODIES);
    mutation = `raw body ${typeof body === 'string' ? JSON.stringify(body.slice(0, 30)) : 'bytes'}`;
  }
  if (kind === 'empty-json') body = '';
  if (body !== undefined || kind === 'empty-json') headers['content-type'] = 'application/json';
  if (kind === 'content-type') {
    const ct = rng.pick(CONTENT_TYPES);
    if (ct) headers['content-type'] = ct;
    else delete headers['content-type'];
    body ??= '{}';
    mutation = `content-type ${ct || '(none)'}`;
  }
  return { url: `${base}${path}`, init: { method: op.method, headers, ...(body !== undefined ? { body } : {}) }, mutation };
}

/** Bytes no HTTP client would send: each must get a Herald error and a closed connection. */
const RAW_REQUESTS = [
  `GET /api/v1/orgs HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`,
  'POST /api/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
  'POST /api/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'G\u0000T /api/v1/orgs HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /api/v1/orgs HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n',
  'POST /api/v1/orgs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
];

function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    socket.setTimeout(5000, () => socket.destroy());
  });
}

/** Checks an answer: no 5xx, and every error `{error: {code, message}}` with a registered code. */
function problemWith(status: number, text: string): string | null {
  if (status >= 500) return `answered ${status}`;
  if (status < 400) return null;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const code = body.error?.code;
    if (typeof code !== 'string' || !(code in ERRORS)) return `error without a registered code: ${text.slice(0, 200)}`;
    if (typeof body.error?.message !== 'string') return `error without a message: ${text.slice(0, 200)}`;
    if (ERRORS[code as keyof typeof ERRORS].status !== status) return `${code} answered with ${status}`;
  } catch {
    return `error that is not JSON: ${text.slice(0, 200)}`;
  }
  return null;
}

/** Sends `count` seeded requests across every operation; answers what went wrong. */
export async function runFuzz(h: TestHerald, opts: { seed: number; count: number; receiverUrl: string }): Promise<FuzzResult> {
  const rng = new Rng(opts.seed);
  const base = h.url;
  const ops = await operations(base);
  let fx = await fixtures(h, opts.receiverUrl, 0);
  const result: FuzzResult = { sent: 0, refused: 0, accepted: 0, failures: [] };
  const fail = (what: string) => {
    if (result.failures.length < 50) result.failures.push(what);
  };
  const port = Number(new URL(base).port);
  for (const raw of RAW_REQUESTS) {
    const answer = await rawExchange(port, raw);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    const problem = status === 0 ? 'no answer' : problemWith(status, answer.slice(answer.indexOf('\r\n\r\n') + 4));
    if (problem || !/\r\nconnection: close\r\n/i.test(answer)) fail(`raw ${JSON.stringify(raw.slice(0, 60))}: ${problem ?? 'no Connection: close'}`);
  }
  let state = await settle(h);
  for (let i = 0; i < opts.count; i++) {
    const op = ops[i < ops.length ? i : rng.int(ops.length)]!; // every operation at least once
    const req = build(op, base, fx, rng);
    let status: number;
    let text: string;
    try {
      const res = await fetch(req.url, req.init);
      status = res.status;
      text = await res.text();
    } catch (err) {
      // The client refused to send it (a header it cannot encode): nothing reached the server.
      if (err instanceof TypeError && !String((err as { cause?: unknown }).cause ?? '').includes('ECONN')) continue;
      fail(`${op.method} ${op.path} [${req.mutation}]: ${String(err)}`);
      continue;
    }
    result.sent++;
    const where = `${op.method} ${op.path} [${req.mutation}] seed ${opts.seed} #${i}`;
    const problem = problemWith(status, text);
    if (problem) fail(`${where}: ${problem}`);
    if (status >= 400) {
      result.refused++;
      const after = await snapshot(h);
      if (after !== state) {
        fail(`${where}: refused with ${status} but changed stored state`);
        state = after;
      }
    } else {
      result.accepted++;
      if (op.method === 'DELETE') fx = await fixtures(h, opts.receiverUrl, i + 1);
      state = await settle(h);
    }
  }
  return result;
}
