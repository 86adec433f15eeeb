import { HeraldError } from '../../errors.js';
import { ingestEvents } from '../../services/events.js';
import { getEvent, listDeliveries } from '../../store/queries/deliveries.js';
import { requireOrg, requireScope } from '../auth.js';
import { BatchIngested, EventDetail, Ingested } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { EventBatch, EventInput, IdParams, OrgParams } from '../schemas.js';
import type { RouteDeps } from '../server.js';
import { deliveryView, eventView } from '../views.js';

export function eventRoutes(app: ApiInstance, { ctx, orgs, eventTypes }: RouteDeps): void {
  app.post('/orgs/:org/events', route({ operationId: 'ingestEvent', tags: ['events'], summary: 'Ingest one event: 202 once it and its deliveries are durable', params: OrgParams, body: EventInput, response: { 202: Ingested } }), async (req, reply) => {
    const { org } = req.params;
    requireScope(req.principal!, 'events:write');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const header = req.headers['idempotency-key'];
    const [result] = await ingestEvents(ctx, eventTypes, org, [req.body], typeof header === 'string' ? header : undefined, req.headers);
    if (result!.replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(202).send({ id: result!.event_id, deliveries: result!.deliveries });
  });

  app.post('/orgs/:org/events/batch', route({ operationId: 'ingestEventBatch', tags: ['events'], summary: 'Ingest up to 1,000 events, all or nothing', params: OrgParams, body: EventBatch, response: { 202: BatchIngested } }), async (req, reply) => {
    const { org } = req.params;
    requireScope(req.principal!, 'events:write');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const results = await ingestEvents(ctx, eventTypes, org, req.body.events, undefined, req.headers);
    return reply.status(202).send({ data: results.map((r) => ({ id: r.event_id, deliveries: r.deliveries, replayed: r.replayed })) });
  });

  app.get('/orgs/:org/events/:id', route({ operationId: 'getEvent', tags: ['events'], summary: 'Read an event with its deliveries', params: IdParams, response: { 200: EventDetail } }), async (req) => {
    const { org, id } = req.params;
    requireScope(req.principal!, 'events:read');
    requireOrg(req.principal!, org);
    const e = await getEvent(ctx.store.db, org, id);
    if (!e) throw new HeraldError('HERALD_EVENT_NOT_FOUND', [id]);
    const deliveries = await listDeliveries(ctx.store.db, org, { eventId: id, limit: 250 });
    return { ...eventView(e), delivery_list: deliveries.map(deliveryView) };
  });
}
