import { newId } from '../ids.js';
import { insertDigest, waitingMembers, type MemberRow } from '../store/queries/digests.js';
import type { SqlExecutor } from '../store/sql.js';
import type { EnvelopeSource } from './envelope.js';

/**
 * Receivers cap request bodies (often at a few MB): a big period goes out as several digests
 * of at most this many events and about this many bytes of entities, each one signed POST.
 */
export const DIGEST_MAX_EVENTS = 1000;
export const DIGEST_MAX_BYTES = 4 * 1024 * 1024;
/** Digests written per transaction: a huge backlog must not hold the webhook's row lock for long. */
const DIGESTS_PER_TRANSACTION = 10;

export interface GatherResult {
  digests: number;
  events: number;
  /** Members still wait (the per-transaction cap was reached): gather again at once. */
  more: boolean;
}

/**
 * Inside the caller's transaction (which holds the webhook's row, see moveDigestAt and
 * lockWebhookRow), turns the webhook's waiting members into digest deliveries: one synthetic
 * event whose entity is the members' envelope sources in order, and one pending delivery of it.
 */
export async function gatherDigests(tx: SqlExecutor, webhook: { id: string; org_id: string }, periodEnd: number, now: number): Promise<GatherResult> {
  const result: GatherResult = { digests: 0, events: 0, more: false };
  for (let i = 0; i < DIGESTS_PER_TRANSACTION; i++) {
    const members = await waitingMembers(tx, webhook.id, DIGEST_MAX_EVENTS);
    if (members.length === 0) return result;
    const chunk = withinBytes(members);
    const deliveryId = newId('msg', now);
    await insertDigest(tx, {
      deliveryId,
      eventId: newId('evt', now),
      orgId: webhook.org_id,
      webhookId: webhook.id,
      entity: JSON.stringify(chunk.map(toSource)),
      periodEnd,
      now,
      memberIds: chunk.map((m) => m.id),
    });
    result.digests++;
    result.events += chunk.length;
    if (chunk.length === members.length && members.length < DIGEST_MAX_EVENTS) return result;
  }
  result.more = (await waitingMembers(tx, webhook.id, 1)).length > 0;
  return result;
}

/** The longest prefix within DIGEST_MAX_BYTES (at least one member, whatever its size). */
function withinBytes(members: MemberRow[]): MemberRow[] {
  let bytes = 0;
  for (let i = 0; i < members.length; i++) {
    bytes += members[i]!.entity.length + 256;
    if (bytes > DIGEST_MAX_BYTES && i > 0) return members.slice(0, i);
  }
  return members;
}

// Stored as text exactly as the envelope builder reads it, so each entity's bytes go out as ingested.
function toSource(m: MemberRow): EnvelopeSource {
  return {
    event_type: m.event_type, event_time: Number(m.event_time), org_id: m.org_id, app_id: m.app_id,
    entity_type: m.entity_type, entity_id: m.entity_id, entity: m.entity, modified_fields: m.modified_fields,
  };
}
