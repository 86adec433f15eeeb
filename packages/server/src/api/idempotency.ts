import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecretBox } from '../crypto/secret-box.js';
import { HeraldError } from '../errors.js';
import * as q from '../store/queries/idempotency.js';
import { IDEMPOTENCY_WINDOW_MS } from '../store/queries/idempotency.js';
import type { SqlExecutor } from '../store/sql.js';

/**
 * Idempotency-Key on every POST that creates or acts (docs/api.md#idempotency): the same key
 * with the same request within 24 hours answers the first answer again, with
 * `Idempotent-Replayed: true`; with another request it is refused (409). Keys belong to the
 * caller (API key, or portal link's org, app and user), so two callers never share one.
 * Only successes are kept: a refused or failed request frees its key for a retry.
 * Ingest keeps its own idempotency (events.idempotency_key, services/events.ts).
 */
export const IDEMPOTENT_OPERATIONS: ReadonlySet<string> = new Set([
  'createOrg', 'createApp', 'createEventType', 'importEventTypes', 'createWebhook', 'addWebhookKey',
  'sendTestEvent', 'runTrial', 'callWebhook', 'recoverDeliveries', 'retryDelivery', 'flushDigest',
  'createApiKey', 'createPortalLink',
]);

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
/**
 * A reservation whose request has not finished after this long is taken to be lost (its
 * process died) and may be taken over; the longest request (a synchronous call) ends long before.
 */
const ABANDONED_AFTER_MS = 2 * 60 * 1000;

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** The key sent, checked; undefined when none was sent. */
export function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers[IDEMPOTENCY_KEY_HEADER];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw.join(',') : raw;
  let message: string | null = null;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) message = `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`;
  else if (!VISIBLE_ASCII.test(key)) message = 'must be visible ASCII characters';
  if (message !== null) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', [], { part: 'headers', problems: [{ path: `/${IDEMPOTENCY_KEY_HEADER}`, message }] });
  }
  return key;
}

interface Held {
  principal: string;
  key: string;
  createdAt: number;
  /** Set when the answer is a replay: nothing to keep. */
  replayed: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: Held;
  }
}

const operationOf = (req: FastifyRequest) => (req.routeOptions.schema as { operationId?: string } | undefined)?.operationId;

function principalOf(req: FastifyRequest): string {
  const p = req.principal!;
  return [p.kind, p.keyId, p.orgId ?? '', p.appId ?? ''].join(':');
}

function requestHash(req: FastifyRequest): string {
  return createHash('sha256').update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`).digest('base64url');
}

/** The hooks that give the API its idempotency: `before` as a preHandler, `keep` as an onSend. */
export function idempotencyHooks(db: SqlExecutor, box: SecretBox, now: () => number = Date.now) {
  const aad = (h: Pick<Held, 'principal' | 'key'>) => `idempotency:${h.principal}:${h.key}`;

  async function before(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (req.method !== 'POST' || !IDEMPOTENT_OPERATIONS.has(operationOf(req) ?? '')) return undefined;
    const key = idempotencyKeyOf(req);
    if (key === undefined) return undefined;
    const principal = principalOf(req);
    const hash = requestHash(req);
    // Two rounds at most: an expired or abandoned record is removed once, then the key is taken anew.
    for (let round = 0; round < 2; round++) {
      const t = now();
      if (await q.reserveIdempotencyKey(db, principal, key, hash, t)) {
        req.idempotency = { principal, key, createdAt: t, replayed: false };
        return undefined;
      }
      const found = await q.getIdempotencyRecord(db, principal, key);
      if (!found) continue;
      const expired = found.created_at <= t - IDEMPOTENCY_WINDOW_MS;
      const abandoned = found.status === null && found.created_at <= t - ABANDONED_AFTER_MS;
      if (expired || abandoned) {
        await q.releaseIdempotencyKey(db, principal, key, found.created_at);
        continue;
      }
      if (found.request_hash !== hash) throw new HeraldError('HERALD_IDEMPOTENCY_CONFLICT', [key], { idempotency_key: key });
      if (found.status === null || found.response === null) throw new HeraldError('HERALD_IDEMPOTENCY_IN_PROGRESS', [key]);
      req.idempotency = { principal, key, createdAt: found.created_at, replayed: true };
      const body = box.open(found.response, aad({ principal, key }));
      return reply.status(found.status).header(REPLAYED_HEADER, 'true').type('application/json; charset=utf-8').send(body);
    }
    throw new HeraldError('HERALD_IDEMPOTENCY_IN_PROGRESS', [key]);
  }

  async function keep(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const held = req.idempotency;
    if (!held || held.replayed) return payload;
    req.idempotency = undefined;
    const status = reply.statusCode;
    try {
      if (status >= 200 && status < 300) {
        const text = typeof payload === 'string' ? payload : payload == null ? 'null' : JSON.stringify(payload);
        await q.completeIdempotencyKey(db, held.principal, held.key, status, box.seal(text, aad(held)));
      } else {
        await q.releaseIdempotencyKey(db, held.principal, held.key, held.createdAt);
      }
    } catch (err) {
      // The work is done: its answer must not turn into an error. The key stays reserved and is
      // taken over once abandoned, so a retry then runs the request again.
      req.log.error({ err, idempotency_key: held.key }, 'could not keep the answer of an Idempotency-Key');
    }
    return payload;
  }

  return { before, keep };
}
