import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../../errors.js';
import { ingestEvents } from '../../services/events.js';
import { getEvent, listDeliveries } from '../../store/queries/deliveries.js';
import { requireOrg, requireScope } from '../auth.js';
import { EventBatch, EventInput, IdParams, OrgParams, route } from '../schemas.js';
import type { RouteDeps } from '../server.js';
import { deliveryView, eventView } from '../views.js';

export function eventRoutes(app: FastifyInstance, { ctx, orgs, eventTypes }: RouteDeps): void {
  app.post('/orgs/:org/events', route({ tags: ['events'], summary: 'Ingest one event: 202 once it and its deliveries are durable', params: OrgParams, body: EventInput }), async (req, reply) => {
    const { org } = req.params as Static<typeof OrgParams>;
    requireScope(req.principal!, 'events:write');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const header = req.headers['idempotency-key'];
    const [result] = await ingestEvents(ctx, eventTypes, org, [req.body as Static<typeof EventInput>], typeof header === 'string' ? header : undefined, req.headers);
    if (result!.replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(202).send({ id: result!.event_id, deliveries: result!.deliveries });
  });

  app.post('/orgs/:org/events/batch', route({ tags: ['events'], summary: 'Ingest up to 1,000 events, all or nothing', params: OrgParams, body: EventBatch }), async (req, reply) => {
    const { org } = req.params as Static<typeof OrgParams>;
    requireScope(req.principal!, 'events:write');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const results = await ingestEvents(ctx, eventTypes, org, (req.body as Static<typeof EventBatch>).events, undefined, req.headers);
    return reply.status(202).send({ data: results.map((r) => ({ id: r.event_id, deliveries: r.deliveries, replayed: r.replayed })) });
  });

  app.get('/orgs/:org/events/:id', route({ tags: ['events'], summary: 'Read an event with its deliveries', params: IdParams }), async (req) => {
    const { org, id } = req.params as Static<typeof IdParams>;
    requireScope(req.principal!, 'events:read');
    requireOrg(req.principal!, org);
    const e = await getEvent(ctx.store.db, org, id);
    if (!e) throw new HeraldError('HERALD_EVENT_NOT_FOUND', [id]);
    const deliveries = await listDeliveries(ctx.store.db, org, { eventId: id, limit: 250 });
    return { ...eventView(e), delivery_list: deliveries.map(deliveryView) };
  });
}
