import type { StoredEvent, Webhook } from './types';

/**
 * The request body of one attempt, rebuilt from the stored event. Herald stores each
 * attempt's headers but not its body (the body is a function of the event, the attempt
 * number and the webhook's payload mode), so the dashboard rebuilds it the way the server's
 * engine/envelope.ts does: the seed-002 envelope in that key order, or the entity alone in
 * raw mode. Shown labelled as rebuilt, since the webhook's settings may have changed since.
 */
export function rebuildBody(e: StoredEvent, w: Pick<Webhook, 'payload' | 'preset'> | null, attempt: number, isTest: boolean): string {
  const entity = JSON.stringify(e.entity ?? null);
  const flag = JSON.stringify(w?.preset === 'dialog-insight' ? 'isTest' : 'is_test');
  if (w?.payload === 'raw') {
    if (!isTest) return entity;
    return entity.startsWith('{') && entity !== '{}' ? `{${flag}:true,${entity.slice(1)}` : entity;
  }
  let s = `{"version":"1","event":${JSON.stringify(e.event)},"event_time":${e.event_time},"org_id":${JSON.stringify(e.org_id)}`;
  if (e.app_id !== null) s += `,"app_id":${JSON.stringify(e.app_id)}`;
  s += `,"attempt":${attempt}`;
  if (e.entity_type !== null) s += `,"entity_type":${JSON.stringify(e.entity_type)}`;
  if (e.entity_id !== null) s += `,"entity_id":${JSON.stringify(e.entity_id)}`;
  if (entity !== 'null') s += `,"entity":${entity}`;
  s += `,"modified_fields":${JSON.stringify(e.modified_fields)}`;
  if (isTest) s += `,${flag}:true`;
  return `${s}}`;
}
