import { Type } from '@sinclair/typebox';
import { buildBody } from '../../engine/envelope.js';
import { HeraldError } from '../../errors.js';
import type { EventType } from '../../model.js';
import * as q from '../../store/queries/event-types.js';
import { compileStrict } from '../validation.js';
import { refuseUnsafeSchema } from '../schema-safety.js';
import { requireGlobal, requireScope } from '../auth.js';
import { Envelope, EventType as EventTypeSchema, EventTypeList } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { EventTypeCreate } from '../schemas.js';
import type { RouteDeps } from '../server.js';
import { mapPage, pageOf, PageQuery, pageRequest } from '../pagination.js';
import { eventTypeView } from '../views.js';

const NameParams = Type.Object({ name: Type.String({ maxLength: 128 }) });

/** A schema must itself compile, or ingest would fail later for every event of the type. */
function checkSchema(schema: unknown): void {
  if (schema === null || schema === undefined) return;
  refuseUnsafeSchema(schema, '/schema');
  try {
    compileStrict(schema as object);
  } catch (err) {
    throw new HeraldError('HERALD_BAD_REQUEST', [`schema is not a valid JSON Schema: ${(err as Error).message}`]);
  }
}

export function catalogueRoutes(app: ApiInstance, { ctx, eventTypes }: RouteDeps): void {
  const db = ctx.store.db;

  app.get('/event-types', route({ operationId: 'listEventTypes', tags: ['event types'], summary: 'The event catalogue, by name', querystring: PageQuery, response: { 200: EventTypeList } }), async (req) => {
    requireScope(req.principal!, 'event_types:read');
    const page = pageRequest(req.query);
    return mapPage(pageOf(await q.listEventTypes(db, page.limit + 1, page.cursor), page.limit, (t) => t.name), eventTypeView);
  });

  app.post('/event-types', route({ operationId: 'createEventType', tags: ['event types'], summary: 'Add an event type', body: EventTypeCreate, response: { 201: EventTypeSchema } }), async (req, reply) => {
    requireGlobal(req.principal!, 'event_types:write');
    const body = req.body;
    checkSchema(body.schema);
    const now = Date.now();
    const t: EventType = {
      name: body.name, kind: body.kind ?? 'admin', description: body.description ?? '', schema: body.schema ?? null,
      example: body.example ?? null, deprecated: body.deprecated ?? false, created_at: now, updated_at: now,
    };
    if (await q.getEventType(db, t.name)) throw new HeraldError('HERALD_EVENT_TYPE_EXISTS', [t.name]);
    await q.upsertEventType(db, t, false);
    eventTypes.forget();
    return reply.status(201).send(eventTypeView(t));
  });

  app.get('/event-types/:name', route({ operationId: 'getEventType', tags: ['event types'], summary: 'Read an event type', params: NameParams, response: { 200: EventTypeSchema } }), async (req) => {
    requireScope(req.principal!, 'event_types:read');
    const { name } = req.params;
    const t = await q.getEventType(db, name);
    if (!t) throw new HeraldError('HERALD_EVENT_TYPE_NOT_FOUND', [name]);
    return eventTypeView(t);
  });

  app.get('/event-types/:name/example', route({ operationId: 'getEventTypeExample', tags: ['event types'], summary: 'The example envelope of an event type, as it would be sent', params: NameParams, response: { 200: Envelope } }), async (req) => {
    requireScope(req.principal!, 'event_types:read');
    const { name } = req.params;
    const t = await q.getEventType(db, name);
    if (!t) throw new HeraldError('HERALD_EVENT_TYPE_NOT_FOUND', [name]);
    // A type without an example (e.g. department.deleted) is sent without an entity, as real deliveries are.
    const example = t.example as Record<string, unknown> | null;
    const id = example && typeof example === 'object' ? example.id : undefined;
    const body = buildBody(
      {
        event_type: t.name, event_time: Date.now(), org_id: 'example_org', app_id: t.kind === 'data' ? 'example_app' : null,
        entity_type: t.name.split('.')[0]!, entity_id: typeof id === 'string' || typeof id === 'number' ? String(id) : null,
        entity: JSON.stringify(example), modified_fields: '[]',
      },
      { mode: 'envelope', attempt: 1, isTest: false },
    );
    return JSON.parse(body) as unknown;
  });
}
