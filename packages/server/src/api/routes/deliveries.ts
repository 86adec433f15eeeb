import type { Static } from '@sinclair/typebox';
import { HeraldError } from '../../errors.js';
import * as q from '../../store/queries/deliveries.js';
import { loadWebhook } from '../../services/webhooks.js';
import { requireOrg, requireScope } from '../auth.js';
import { Delivery, DeliveryDetail, DeliveryList } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { DeliveryQuery, IdParams, OrgParams } from '../schemas.js';
import { requireDateTime } from '../date-time.js';
import type { RouteDeps } from '../server.js';
import { mapPage, pageOf, pageRequest } from '../pagination.js';
import { attemptView, deliveryView, eventView } from '../views.js';

export function deliveryRoutes(app: ApiInstance, { ctx, orgs }: RouteDeps): void {
  const db = ctx.store.db;
  const list = async (org: string, query: Static<typeof DeliveryQuery>, webhookId?: string) => {
    const page = pageRequest(query);
    const rows = await q.listDeliveries(db, org, {
      limit: page.limit + 1,
      ...(webhookId ? { webhookId } : {}),
      ...(page.cursor !== null ? { before: page.cursor } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.event_id ? { eventId: query.event_id } : {}),
      ...(query.digest_id ? { digestId: query.digest_id } : {}),
      ...(query.event_type ? { eventType: query.event_type } : {}),
      ...(query.since ? { since: requireDateTime(query.since, 'since') } : {}),
      ...(query.until ? { until: requireDateTime(query.until, 'until') } : {}),
    });
    return mapPage(pageOf(rows, page.limit, (d) => d.id), deliveryView);
  };

  app.get('/orgs/:org/webhooks/:id/deliveries', route({ operationId: 'listWebhookDeliveries', tags: ['deliveries'], summary: "A webhook's delivery log, newest first", params: IdParams, querystring: DeliveryQuery, response: { 200: DeliveryList } }), async (req) => {
    const { org, id } = req.params;
    requireScope(req.principal!, 'deliveries:read');
    requireOrg(req.principal!, org);
    await loadWebhook(db, org, id);
    return list(org, req.query, id);
  });

  app.get('/orgs/:org/deliveries', route({ operationId: 'listDeliveries', tags: ['deliveries'], summary: "An org's deliveries, newest first", params: OrgParams, querystring: DeliveryQuery, response: { 200: DeliveryList } }), async (req) => {
    const { org } = req.params;
    requireScope(req.principal!, 'deliveries:read');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    return list(org, req.query);
  });

  app.get('/orgs/:org/deliveries/:id', route({ operationId: 'getDelivery', tags: ['deliveries'], summary: 'A delivery with its event and every attempt', params: IdParams, response: { 200: DeliveryDetail } }), async (req) => {
    const { org, id } = req.params;
    requireScope(req.principal!, 'deliveries:read');
    requireOrg(req.principal!, org);
    const d = await q.getDelivery(db, org, id);
    if (!d) throw new HeraldError('HERALD_DELIVERY_NOT_FOUND', [id]);
    const [attempts, event] = await Promise.all([q.listAttempts(db, id), q.getEvent(db, org, d.event_id)]);
    return { ...deliveryView(d), event: event ? eventView(event) : null, attempt_list: attempts.map(attemptView) };
  });

  app.post('/orgs/:org/deliveries/:id/retry', route({ operationId: 'retryDelivery', tags: ['deliveries'], summary: 'Resend a delivery now (same webhook-id, a new attempt)', params: IdParams, response: { 202: Delivery } }), async (req, reply) => {
    const { org, id } = req.params;
    requireScope(req.principal!, 'deliveries:write');
    requireOrg(req.principal!, org);
    const d = await q.getDelivery(db, org, id);
    if (!d) throw new HeraldError('HERALD_DELIVERY_NOT_FOUND', [id]);
    // The engine re-queues it on its own connection and wakes its worker.
    if (!(await ctx.engine.requeue({ kind: 'delivery', orgId: org, deliveryId: id }))) throw new HeraldError('HERALD_DELIVERY_IN_PROGRESS', [id]);
    return reply.status(202).send({ ...deliveryView({ ...d, status: 'pending', next_attempt_at: Date.now() }) });
  });
}
