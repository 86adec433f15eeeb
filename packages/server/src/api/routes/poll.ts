/**
 * Pull delivery over HTTPS (docs/destinations.md, "poll"): the consumer of a poll webhook
 * long-polls for its due deliveries and acks each one. The engine leases and records them
 * (engine/pull-queue.ts): this layer checks the caller and the input, and stops waiting when
 * the caller goes away or Herald stops (what was leased meanwhile comes back after its
 * visibility timeout).
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { POLL_LIMITS, type PolledDelivery } from '../../engine/pull-queue.js';
import { requireOrg, requireScope, type Principal } from '../auth.js';
import { PollAckResult, PollBatch } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { COMPONENT_KEY } from '../schema-names.js';
import { IdParams } from '../schemas.js';
import type { RouteDeps } from '../server.js';
import { iso } from '../views.js';

const PollQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: POLL_LIMITS.maxItems, description: `deliveries at most (default 10, max ${POLL_LIMITS.maxItems})` })),
  wait: Type.Optional(Type.Integer({ minimum: 0, maximum: POLL_LIMITS.maxWaitSec, description: `seconds to wait for a delivery when none is due (default 0: answer at once; max ${POLL_LIMITS.maxWaitSec})` })),
  visibility: Type.Optional(Type.Integer({
    minimum: 1, maximum: POLL_LIMITS.maxVisibilitySec,
    description: `seconds the answered deliveries stay leased to you; unacked, they are due again then (default ${POLL_LIMITS.defaultVisibilitySec}, max ${POLL_LIMITS.maxVisibilitySec})`,
  })),
});

const AckBody = Type.Object(
  {
    data: Type.Array(
      Type.Object({
        delivery_id: Type.String({ minLength: 1, maxLength: 100 }),
        lease_token: Type.String({ minLength: 1, maxLength: 200 }),
        status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'what your handler answered; 2xx (or absent) is a success' })),
        body: Type.Optional(Type.String({ maxLength: 1_048_576, description: "your handler's answer, kept in the attempt log (capped like any response body)" })),
        ok: Type.Optional(Type.Boolean({ description: 'overrides the verdict of status' })),
        error: Type.Optional(Type.String({ maxLength: 2000, description: 'why it failed when there is no status' })),
      }, { additionalProperties: false }),
      { minItems: 1, maxItems: POLL_LIMITS.maxItems },
    ),
  },
  { additionalProperties: false, [COMPONENT_KEY]: 'PollAck' },
);

/** The consumer's token: the org's key, or a portal link that manages the org (docs/destinations.md). */
function requireConsumer(p: Principal, org: string): void {
  requireScope(p, 'webhooks:read');
  requireScope(p, 'deliveries:write');
  requireOrg(p, org);
}

export function pollRoutes(app: ApiInstance, { ctx }: RouteDeps): void {
  let closing = false;
  const onClose = new Set<() => void>();
  app.addHook('preClose', (done) => {
    closing = true;
    for (const f of onClose) f();
    done();
  });

  app.get('/orgs/:org/webhooks/:id/poll', route({
    operationId: 'pollDeliveries', tags: ['deliveries'],
    summary: "Lease a poll webhook's due deliveries (long poll): each is the signed request with a lease token to ack",
    params: IdParams, querystring: PollQuery, response: { 200: PollBatch },
  }), async (req, reply) => {
    const { org, id } = req.params;
    requireConsumer(req.principal!, org);
    const waitMs = closing ? 0 : (req.query.wait ?? 0) * 1000;
    const pollId = randomUUID();
    const polled = ctx.engine.poll({
      id: pollId, orgId: org, webhookId: id, limit: req.query.limit ?? 10, waitMs,
      visibilityMs: (req.query.visibility ?? POLL_LIMITS.defaultVisibilitySec) * 1000,
    });
    // When the caller left first, the poll's own outcome (even a refusal) is no one's to hear.
    polled.catch(() => undefined);
    // The caller left, or Herald is stopping: stop waiting (anything leased meanwhile comes back after its visibility timeout).
    let stop: () => void = () => undefined;
    const gone = new Promise<PolledDelivery[]>((resolve) => {
      stop = () => {
        ctx.engine.cancelPoll(pollId);
        resolve([]);
      };
      onClose.add(stop);
      reply.raw.once('close', stop);
    });
    try {
      const items = await Promise.race([polled, gone]);
      return { data: items.map((i) => ({ ...i, leased_until: iso(i.leased_until) })) };
    } finally {
      onClose.delete(stop);
      reply.raw.off('close', stop);
    }
  });

  app.post('/orgs/:org/webhooks/:id/poll/ack', route({
    operationId: 'ackPolledDeliveries', tags: ['deliveries'],
    summary: 'Answer leased deliveries: each answer is recorded as an attempt (a failure is retried by the policy); a stale lease token is reported as fenced',
    params: IdParams, body: AckBody, response: { 200: PollAckResult },
  }), async (req) => {
    const { org, id } = req.params;
    requireConsumer(req.principal!, org);
    const results = await ctx.engine.ack(org, id, req.body.data);
    return { data: results.map((r) => ({ ...r, next_attempt_at: r.next_attempt_at === undefined ? null : iso(r.next_attempt_at) })) };
  });
}
