import { DIGEST_EVENT_TYPE } from '../model.js';
import type { ClaimedDelivery } from '../store/types.js';
import { buildBody, type BodyOptions, type EnvelopeSource } from './envelope.js';
import type { WebhookRuntime } from './webhook-runtime.js';

/**
 * The request body of a claimed delivery. A digest (a `herald.digest` event, see
 * digest-gather.ts) is a JSON array of its members' bodies, built exactly as each would be
 * sent alone: envelopes carrying the digest's attempt number, or the bare entities in raw mode.
 * Never throws: a worker's attempt must always produce a result.
 */
export function buildDeliveryBody(row: ClaimedDelivery, rt: WebhookRuntime, attempt: number): string {
  const options: BodyOptions = { mode: rt.payloadMode, attempt, isTest: row.is_test, testFlag: rt.testFlag };
  if (row.event_type === DIGEST_EVENT_TYPE) {
    const members = digestMembers(row.entity);
    if (members) return `[${members.map((m) => buildBody(m, options)).join(',')}]`;
  }
  return buildBody(row, options);
}

/** The members of a digest's entity, or null when it is not one (then it is sent as an ordinary event). */
function digestMembers(entity: string): EnvelopeSource[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(entity);
  } catch {
    return null;
  }
  return Array.isArray(parsed) && parsed.every(isSource) ? parsed : null;
}

function isSource(v: unknown): v is EnvelopeSource {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  const textOrNull = (x: unknown) => x === null || typeof x === 'string';
  return typeof s.event_type === 'string' && typeof s.event_time === 'number' && typeof s.org_id === 'string'
    && textOrNull(s.app_id) && textOrNull(s.entity_type) && textOrNull(s.entity_id)
    && typeof s.entity === 'string' && typeof s.modified_fields === 'string';
}
