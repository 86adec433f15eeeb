import type { PayloadMode } from '../model.js';

/** The event fields a request body is built from (as stored: entity is compact JSON text). */
export interface EnvelopeSource {
  event_type: string;
  event_time: number;
  org_id: string;
  app_id: string | null;
  entity_type: string | null;
  entity_id: string | null;
  /** Compact JSON text, or "null" for events without an entity (e.g. department.deleted). */
  entity: string;
  /** JSON text of a string array. */
  modified_fields: string;
}

export interface BodyOptions {
  mode: PayloadMode;
  attempt: number;
  isTest: boolean;
  /** Name of the test flag: `is_test` (default) or `isTest` (dialog-insight, seed 004). */
  testFlag?: string;
}

/**
 * The request body: the seed-002 envelope, or the entity alone in raw mode. Built by
 * concatenation from stored JSON text, so the entity's bytes are sent exactly as ingested,
 * the result is what JSON.stringify would write, and these exact bytes are signed.
 */
export function buildBody(e: EnvelopeSource, o: BodyOptions): string {
  if (o.mode === 'raw') {
    if (!o.isTest) return e.entity;
    // A test send in raw mode still says it is a test, at the top of the record when it is an object.
    const flag = JSON.stringify(o.testFlag ?? 'is_test');
    return e.entity.startsWith('{') && e.entity !== '{}' ? `{${flag}:true,${e.entity.slice(1)}` : e.entity;
  }
  let s = `{"version":"1","event":${JSON.stringify(e.event_type)},"event_time":${e.event_time},"org_id":${JSON.stringify(e.org_id)}`;
  if (e.app_id !== null) s += `,"app_id":${JSON.stringify(e.app_id)}`;
  s += `,"attempt":${o.attempt}`;
  if (e.entity_type !== null) s += `,"entity_type":${JSON.stringify(e.entity_type)}`;
  if (e.entity_id !== null) s += `,"entity_id":${JSON.stringify(e.entity_id)}`;
  if (e.entity !== 'null') s += `,"entity":${e.entity}`;
  s += `,"modified_fields":${e.modified_fields}`;
  if (o.isTest) s += `,${JSON.stringify(o.testFlag ?? 'is_test')}:true`;
  return `${s}}`;
}
