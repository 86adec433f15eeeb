import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';
import { getApiKey } from '../store/queries/api-keys.js';
import { getEventType } from '../store/queries/event-types.js';
import { getApp, getOrg } from '../store/queries/orgs.js';
import { getWebhook } from '../store/queries/webhooks.js';
import type { SqlExecutor } from '../store/sql.js';
import { apiKeyView, appView, eventTypeView, orgView, webhookView } from './views.js';

/**
 * ETag on single resources and If-Match on their changes (docs/api.md#concurrency). The tag is
 * a hash of the resource as the API shows it, without what Herald's own work keeps changing
 * (a webhook's counters, last times and 24-hour figures): a PATCH made with the tag of a GET
 * fails (412) only if the resource itself changed since, by a person, a key or Herald
 * (a deactivation), never because deliveries went on.
 */
type Kind = 'org' | 'app' | 'eventType' | 'webhook' | 'apiKey';

/** Operations whose success answer carries the resource's ETag. */
export const TAGGED_ANSWERS: Readonly<Record<string, Kind>> = {
  createOrg: 'org', getOrg: 'org', updateOrg: 'org',
  createApp: 'app', getApp: 'app',
  createEventType: 'eventType', getEventType: 'eventType',
  createWebhook: 'webhook', getWebhook: 'webhook', updateWebhook: 'webhook',
  createApiKey: 'apiKey', getApiKey: 'apiKey',
};

/** Operations that honour If-Match, and the resource it is compared with (a key's webhook for a key's deletion). */
export const IF_MATCH_OPERATIONS: Readonly<Record<string, Kind>> = {
  updateOrg: 'org', updateWebhook: 'webhook', deleteWebhook: 'webhook', deleteWebhookKey: 'webhook', revokeApiKey: 'apiKey',
};

/** Fields left out of the tag: Herald's own bookkeeping, and secrets shown once on creation. */
const UNTAGGED = new Set([
  'key', 'failures', 'consecutive_failures', 'successes', 'last_triggered_at', 'last_success_at', 'last_failure_at',
  'next_digest_at', 'attempts_24h', 'failures_24h', 'success_rate_24h',
]);

/** JSON with object keys sorted, so a tag does not depend on the order a store gives them back. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The ETag of a resource's view (a strong validator: quoted, no W/). */
export function etagOf(view: Record<string, unknown>): string {
  const kept = Object.fromEntries(Object.entries(view).filter(([k]) => !UNTAGGED.has(k)));
  return `"${createHash('sha256').update(canonical(kept)).digest('base64url').slice(0, 27)}"`;
}

type Params = { org?: string; id?: string; name?: string; app?: string };
type Caller = { orgId: string | null };

/** The resource's view as stored now, or undefined when it does not exist for this caller. */
async function currentView(db: SqlExecutor, kind: Kind, params: Params, caller: Caller): Promise<Record<string, unknown> | undefined> {
  const inOrg = (org: string | null | undefined) => caller.orgId === null || caller.orgId === org;
  switch (kind) {
    case 'org': {
      const o = params.org !== undefined && inOrg(params.org) ? await getOrg(db, params.org) : undefined;
      return o && orgView(o);
    }
    case 'webhook': {
      const w = params.org !== undefined && params.id !== undefined && inOrg(params.org) ? await getWebhook(db, params.org, params.id) : undefined;
      return w && webhookView(w);
    }
    case 'apiKey': {
      const k = params.id !== undefined ? await getApiKey(db, params.id) : undefined;
      return k && inOrg(k.org_id) ? apiKeyView(k) : undefined;
    }
    case 'app': {
      const a = params.org !== undefined && params.app !== undefined && inOrg(params.org) ? await getApp(db, params.org, params.app) : undefined;
      return a && appView(a);
    }
    case 'eventType': {
      const t = params.name !== undefined ? await getEventType(db, params.name) : undefined;
      return t && eventTypeView(t);
    }
  }
}

/** True when an If-Match header value names this tag (`*` names any existing resource); weak tags never match. */
export function ifMatchHolds(header: string, etag: string): boolean {
  return header.split(',').map((t) => t.trim()).some((t) => t === '*' || t === etag);
}

const operationOf = (req: FastifyRequest) => (req.routeOptions.schema as { operationId?: string } | undefined)?.operationId ?? '';

/** The longest a conditional change may hold its resource's turn (a request that never answers). */
const TURN_LIMIT_MS = 30_000;

/**
 * One conditional change per resource at a time in this process: the If-Match comparison and
 * the change it guards run as one step, so two writers holding the same tag cannot both pass.
 */
class Turns {
  private readonly tails = new Map<string, Promise<void>>();

  /** Waits for the resource's turn; answers the release (safe to call more than once). */
  async take(key: string): Promise<() => void> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    const timer = setTimeout(() => release(), TURN_LIMIT_MS);
    timer.unref();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      if (this.tails.get(key) === tail) this.tails.delete(key);
      done();
    };
    return release;
  }
}

const RELEASE = Symbol('herald.ifMatchRelease');
type WithTurn = FastifyRequest & { [RELEASE]?: () => void };

/**
 * `check` (a preHandler) refuses a stale If-Match with 412, holding the resource's turn until
 * the answer is sent (`release`, on response or abort); `tag` (an onSend) adds the ETag to answers.
 */
export function etagHooks(db: SqlExecutor) {
  const turns = new Turns();

  async function check(req: FastifyRequest): Promise<void> {
    const kind = IF_MATCH_OPERATIONS[operationOf(req)];
    const header = req.headers['if-match'];
    if (kind === undefined || header === undefined) return;
    const params = req.params as Params;
    (req as WithTurn)[RELEASE] = await turns.take(`${kind}\u0000${params.org ?? ''}\u0000${params.id ?? params.app ?? params.name ?? ''}`);
    const view = await currentView(db, kind, params, { orgId: req.principal?.orgId ?? null });
    // A resource that does not exist is the route's to answer (404), not a failed precondition.
    if (view === undefined) return;
    if (!ifMatchHolds(Array.isArray(header) ? header.join(',') : header, etagOf(view))) {
      throw new HeraldError('HERALD_PRECONDITION_FAILED');
    }
  }

  async function tag(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    if (TAGGED_ANSWERS[operationOf(req)] === undefined || reply.statusCode < 200 || reply.statusCode >= 300 || typeof payload !== 'string') return payload;
    try {
      const view = JSON.parse(payload) as unknown;
      if (view !== null && typeof view === 'object' && !Array.isArray(view)) reply.header('etag', etagOf(view as Record<string, unknown>));
    } catch {
      // Not JSON: nothing to tag.
    }
    return payload;
  }

  async function release(req: FastifyRequest): Promise<void> {
    (req as WithTurn)[RELEASE]?.();
  }

  return { check, tag, release };
}
