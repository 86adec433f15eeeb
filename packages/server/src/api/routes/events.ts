import { Type } from '@sinclair/typebox';
import { HeraldError } from '../../errors.js';
import { ingestEvents } from '../../services/events.js';
import { getEvent, listDeliveries } from '../../store/queries/deliveries.js';
import { deliveryCounts, listEvents, noDeliveries } from '../../store/queries/events.js';
import { requireOrg, requireScope } from '../auth.js';
import { requireDateTime } from '../date-time.js';
import { MAX_LIMIT, pageOf, pageProps, pageRequest } from '../pagination.js';
import { BatchIngested, EventDetail, EventList, Ingested } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { EventBatch, EventInput, EventName, IdParams, OrgParams, Slug } from '../schemas.js';
import type { RouteDeps } from '../server.js';
import { deliveryView, eventView } from '../views.js';

const EventQuery = Type.Object({
  ...pageProps,
  type: Type.Optional({ ...EventName, description: 'events of this type' }),
  app: Type.Optional({ ...Slug, description: 'data events of this app' }),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'received at or after this time (RFC 3339)' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'received before this time (RFC 3339)' })),
});

export function eventRoutes(app: ApiInstance, { ctx, orgs, eventTypes }: RouteDeps): void {
  const db = ctx.store.db;

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

  app.get('/orgs/:org/events', route({ operationId: 'listEvents', tags: ['events'], summary: "An org's events, newest first, each with its deliveries counted by status", params: OrgParams, querystring: EventQuery, response: { 200: EventList } }), async (req) => {
    const { org } = req.params;
    const p = req.principal!;
    requireScope(p, 'events:read');
    requireOrg(p, org);
    await orgs.require(org);
    const query = req.query;
    // A portal link limited to one app sees that app's events only.
    if (p.appId !== null && query.app !== undefined && query.app !== p.appId) {
      throw new HeraldError('HERALD_PORTAL_APP_ONLY', [p.appId, 'it lists the events of its app only']);
    }
    const appId = p.appId ?? query.app;
    const page = pageRequest(query);
    const rows = await listEvents(db, org, {
      limit: page.limit + 1,
      before: page.cursor,
      ...(query.type !== undefined ? { type: query.type } : {}),
      ...(appId !== undefined ? { appId } : {}),
      ...(query.since !== undefined ? { since: requireDateTime(query.since, 'since') } : {}),
      ...(query.until !== undefined ? { until: requireDateTime(query.until, 'until') } : {}),
    });
    const { data, next_cursor } = pageOf(rows, page.limit, (e) => e.id);
    const counts = await deliveryCounts(db, data.map((e) => e.id));
    return { data: data.map((e) => ({ ...eventView(e), delivery_counts: counts.get(e.id) ?? noDeliveries() })), next_cursor };
  });

  app.get('/orgs/:org/events/:id', route({ operationId: 'getEvent', tags: ['events'], summary: 'Read an event with its deliveries counted by status and the newest 250 of them', params: IdParams, response: { 200: EventDetail } }), async (req) => {
    const { org, id } = req.params;
    requireScope(req.principal!, 'events:read');
    requireOrg(req.principal!, org);
    const e = await getEvent(db, org, id);
    if (!e) throw new HeraldError('HERALD_EVENT_NOT_FOUND', [id]);
    const [deliveries, counts] = await Promise.all([listDeliveries(db, org, { eventId: id, limit: MAX_LIMIT + 1 }), deliveryCounts(db, [id])]);
    const { data, next_cursor } = pageOf(deliveries, MAX_LIMIT, (d) => d.id);
    return {
      ...eventView(e), delivery_counts: counts.get(id) ?? noDeliveries(), delivery_list: data.map(deliveryView), delivery_list_next_cursor: next_cursor,
    };
  });
}
