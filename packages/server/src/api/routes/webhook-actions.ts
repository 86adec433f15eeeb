import { Type } from '@sinclair/typebox';
import { HeraldError } from '../../errors.js';
import type { DirectMode } from '../../services/direct-send.js';
import { loadWebhook } from '../../services/webhooks.js';
import { traceDirectSend } from '../../ops/trace-spans.js';
import { requireOrg, requireScope } from '../auth.js';
import { DirectResult, RecoverResult } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { COMPONENT_KEY } from '../schema-names.js';
import { EventName, IdParams, Slug } from '../schemas.js';
import { requireDateTime } from '../date-time.js';
import type { RouteDeps } from '../server.js';

const DirectBody = Type.Object(
  {
    event: EventName,
    entity: Type.Optional(Type.Unknown()),
    app_id: Type.Optional(Slug),
    modified_fields: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 30000 })),
  },
  { additionalProperties: false, [COMPONENT_KEY]: 'DirectSend' },
);

const RecoverBody = Type.Object(
  {
    since: Type.String({ format: 'date-time' }),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    status: Type.Optional(Type.Array(Type.Union([Type.Literal('failed'), Type.Literal('skipped')]), { minItems: 1 })),
  },
  { additionalProperties: false, [COMPONENT_KEY]: 'Recover' },
);

const RECOVER_BATCH = 1000;

/** Test sends, trial runs, synchronous calls, and recovery of failed and skipped deliveries. */
export function webhookActionRoutes(app: ApiInstance, { ctx, orgs }: RouteDeps): void {
  const direct = (mode: DirectMode, operationId: string, summary: string) =>
    app.post(`/orgs/:org/webhooks/:id/${mode}`, route({ operationId, tags: ['webhooks'], summary, params: IdParams, body: DirectBody, response: { 200: DirectResult } }), async (req) => {
      const { org, id } = req.params;
      // Test sends and trials reach only the named webhook: a webhook writer may run them (a portal link too).
      requireScope(req.principal!, mode === 'call' ? 'events:write' : 'webhooks:write');
      requireOrg(req.principal!, org);
      await orgs.require(org);
      return traceDirectSend(org, id, mode, req.headers, () => ctx.engine.sendDirect({ orgId: org, webhookId: id, input: req.body, mode }));
    });
  direct('test', 'sendTestEvent', 'Send a test event now (is_test in the envelope); logged as a test; answers the exchange');
  direct('trial', 'runTrial', 'Run an event against this webhook now; answers the full exchange and writes nothing to the log');
  direct('call', 'callWebhook', 'Deliver one event now and answer the endpoint\'s status, headers and body (10 s deadline by default)');

  app.post('/orgs/:org/webhooks/:id/recover', route({ operationId: 'recoverDeliveries', tags: ['deliveries'], summary: 'Re-queue failed and skipped deliveries created since a time', params: IdParams, body: RecoverBody, response: { 202: RecoverResult } }), async (req, reply) => {
    const { org, id } = req.params;
    requireScope(req.principal!, 'deliveries:write');
    requireOrg(req.principal!, org);
    const w = await loadWebhook(ctx.store.db, org, id);
    const body = req.body;
    const since = requireDateTime(body.since, 'since');
    const until = body.until ? requireDateTime(body.until, 'until') : Date.now() + 1;
    if (!(since < until)) throw new HeraldError('HERALD_BAD_REQUEST', ['since must be before until']);
    const statuses = body.status ?? ['failed', 'skipped'];
    let recovered = 0;
    let batches = 0;
    // Bounded statements: a big log is re-queued a thousand deliveries at a time.
    for (;;) {
      const n = await ctx.engine.requeue({ kind: 'recover', webhookId: w.id, statuses, since, until, limit: RECOVER_BATCH });
      recovered += n;
      batches++;
      if (n < RECOVER_BATCH) break;
    }
    return reply.status(202).send({ recovered, batches, webhook_state: w.state });
  });
}
