import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import type { AppContext } from '../api/context.js';
import type { EventInputBody } from '../api/schemas.js';
import { isOperationalEventType } from '../catalogue/system.js';
import { toProblem } from '../api/problems.js';
import { schemaSafetyProblems } from '../api/schema-safety.js';
import { compileStrict } from '../api/validation.js';
import { HeraldError } from '../errors.js';
import { newId } from '../ids.js';
import type { EventType } from '../model.js';
import { traceIngestRequest } from '../ops/trace-spans.js';
import { getEventType } from '../store/queries/event-types.js';
import type { SqlExecutor } from '../store/sql.js';
import type { IngestedEvent, NewEvent } from '../store/types.js';

/**
 * Event types seen at ingest, cached for a few seconds: the catalogue changes rarely and
 * ingest runs thousands of times a second. Entity schemas are compiled once per version.
 */
export class EventTypeCache {
  private readonly cache = new Map<string, { type: EventType | null; validate: ValidateFunction | null; until: number }>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly ttlMs = 5000,
  ) {}

  async get(name: string): Promise<{ type: EventType | null; validate: ValidateFunction | null }> {
    const now = Date.now();
    const hit = this.cache.get(name);
    if (hit && hit.until > now) return hit;
    const type = (await getEventType(this.db, name)) ?? null;
    let validate: ValidateFunction | null = null;
    if (type?.schema && typeof type.schema === 'object') {
      validate = hit?.type?.updated_at === type.updated_at && hit.validate ? hit.validate : compileEntitySchema(type);
    }
    const entry = { type, validate, until: now + this.ttlMs };
    if (this.cache.size > 5000) this.cache.clear();
    this.cache.set(name, entry);
    return entry;
  }

  forget(): void {
    this.cache.clear();
  }
}

/**
 * A stored schema saved before Herald checked patterns (or that no longer compiles) must not
 * run: its events are refused with a 4xx naming the type, and other types ingest as before.
 */
function compileEntitySchema(type: EventType): ValidateFunction {
  const unsafe = schemaSafetyProblems(type.schema);
  if (unsafe.length > 0) throw new HeraldError('HERALD_SCHEMA_UNSAFE', [`event type ${type.name}: ${unsafe[0]!.message}; update its schema`], { event_type: type.name, problems: unsafe });
  try {
    return compileStrict(type.schema as object);
  } catch (err) {
    throw new HeraldError('HERALD_BAD_REQUEST', [`the schema of event type ${type.name} does not compile: ${(err as Error).message}`]);
  }
}

/**
 * Herald's own events (a digest's `herald.digest`, the operational `webhook.deactivated` and
 * `delivery.exhausted`): an ingested one could pass itself off as Herald's.
 */
export function isReservedEventName(event: string): boolean {
  return event.startsWith('herald.') || isOperationalEventType(event);
}

/** The default entity type is the event's module: `conversation.created` → `conversation`. */
function defaultEntityType(event: string): string {
  return event.split('.')[0]!;
}

function defaultEntityId(entity: unknown): string | null {
  const id = entity !== null && typeof entity === 'object' ? (entity as Record<string, unknown>).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

/** Turns API input into events to store; throws (changing nothing) on the first invalid one. */
export async function prepareEvents(types: EventTypeCache, orgId: string, inputs: readonly EventInputBody[], headerKey?: string): Promise<NewEvent[]> {
  // The header carries the same key as the body's idempotency_key, with the same bound.
  if (headerKey !== undefined && (headerKey.length < 1 || headerKey.length > 200)) {
    throw new HeraldError('HERALD_BAD_REQUEST', ['the Idempotency-Key header must be 1 to 200 characters'], { part: 'headers', problems: [{ path: '/idempotency-key', message: 'must be 1 to 200 characters' }] });
  }
  const now = Date.now();
  const out: NewEvent[] = [];
  for (const [i, input] of inputs.entries()) {
    const where = inputs.length > 1 ? `events[${i}]: ` : '';
    if (isReservedEventName(input.event)) {
      throw new HeraldError('HERALD_BAD_REQUEST', [`${where}"${input.event}" is one of Herald's own events (herald.*, webhook.deactivated, delivery.exhausted): only Herald sends it`], { index: i });
    }
    const { type, validate } = await types.get(input.event);
    if (type?.kind === 'data' && input.app_id === undefined) {
      throw new HeraldError('HERALD_EVENT_NEEDS_APP', [input.event], { index: i });
    }
    const entity = input.entity === undefined ? null : input.entity;
    if (validate && !validate(entity)) {
      const base = inputs.length > 1 ? `/events/${i}/entity` : '/entity';
      const problems = (validate.errors ?? []).map((e) => {
        const p = toProblem(e);
        return { path: p.path === '/' ? base : `${base}${p.path}`, message: p.message };
      });
      throw new HeraldError('HERALD_BAD_REQUEST', [`${where}the entity does not match the schema of ${input.event}`], { index: i, part: 'body', problems });
    }
    const key = input.idempotency_key ?? (inputs.length === 1 ? headerKey : undefined) ?? null;
    out.push({
      id: newId('evt', now),
      org_id: orgId,
      app_id: input.app_id ?? null,
      type: input.event,
      entity_type: input.entity_type ?? defaultEntityType(input.event),
      entity_id: input.entity_id === undefined ? defaultEntityId(entity) : String(input.entity_id),
      entity: JSON.stringify(entity),
      modified_fields: input.modified_fields ?? [],
      event_time: input.event_time ?? now,
      idempotency_key: key,
      // What "the same request" means for an idempotency key: the same event body.
      request_hash: key === null ? null : createHash('sha256').update(JSON.stringify({ ...input, idempotency_key: undefined })).digest('base64url'),
      created_at: now,
    });
  }
  return out;
}

/**
 * Stores events and their deliveries durably (group commit); all of them or none. `headers`:
 * the request's, whose `traceparent` the ingest span continues (tracing on).
 */
export function ingestEvents(ctx: AppContext, types: EventTypeCache, orgId: string, inputs: readonly EventInputBody[], headerKey?: string, headers: Record<string, string | string[] | undefined> = {}): Promise<IngestedEvent[]> {
  return traceIngestRequest(orgId, inputs.map((i) => i.event), headers, async () => {
    const events = await prepareEvents(types, orgId, inputs, headerKey);
    const result = await ctx.engine.ingest(events);
    if (!result.ok) throw new HeraldError('HERALD_IDEMPOTENCY_CONFLICT', [result.conflict]);
    ctx.metrics.eventsIngested.inc(result.events.filter((e) => !e.replayed).length);
    return result.events;
  });
}
