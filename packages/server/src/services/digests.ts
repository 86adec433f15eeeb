import type { AppContext } from '../api/context.js';
import { problemsAt } from '../api/problems.js';
import { gatherDigests } from '../engine/digest-gather.js';
import { HeraldError } from '../errors.js';
import type { DeliveryMode, Webhook } from '../model.js';
import { checkDelivery, nextDigestAt, sameSchedule, type DeliveryInput } from '../policy/digest-schedule.js';
import { lockWebhookRow, releaseWaiting, setDeliveryMode } from '../store/queries/digests.js';
import { getWebhook } from '../store/queries/webhooks.js';
import type { SqlExecutor } from '../store/sql.js';

/**
 * After a webhook leaves digest mode, an ingest transaction that read its old mode may still
 * commit `batched` members (PostgreSQL; ingest takes no lock on webhooks, to stay fast): the
 * scheduler sweeps them into pending deliveries once more after this long.
 */
const STRAGGLER_SWEEP_MS = 5000;

/** Checks a `delivery` setting (422 HERALD_DELIVERY_INVALID, nothing changed, when unusable). */
export function parseDelivery(input: DeliveryInput): DeliveryMode {
  const r = checkDelivery(input);
  if ('problems' in r) throw new HeraldError('HERALD_DELIVERY_INVALID', [r.problems.join('; ')], { part: 'body', problems: problemsAt('/delivery', r.problems) });
  return r.delivery;
}

/** The first period end of a new webhook (null: it delivers immediately). */
export function firstDigestAt(delivery: DeliveryMode, createdAt: number, clockScale: number): number | null {
  return delivery.mode === 'digest' ? nextDigestAt(delivery, createdAt, createdAt, clockScale) : null;
}

/**
 * Applies a new delivery mode inside PATCH's transaction, after the webhook's row was updated
 * (so its row lock is held: the scheduler cannot close a period in between). Switching to
 * immediate hands every waiting member to the workers as an ordinary pending delivery.
 * Answers the stored next_digest_at and how many members were released.
 */
export async function applyDeliveryMode(tx: SqlExecutor, w: Webhook, delivery: DeliveryMode, now: number, clockScale: number) {
  // The same setting again leaves the current period alone (w was read before the row lock: its
  // next_digest_at may be stale, so it is not written back).
  if (sameSchedule(w.delivery, delivery)) return { next_digest_at: w.next_digest_at, released: 0 };
  let next: number;
  let released = 0;
  if (delivery.mode === 'digest') {
    next = nextDigestAt(delivery, w.created_at, now, clockScale);
  } else {
    released = await releaseWaiting(tx, w.id, now);
    next = now + STRAGGLER_SWEEP_MS;
  }
  await setDeliveryMode(tx, w.id, delivery, next);
  return { next_digest_at: next, released };
}

/**
 * Sends what a digest webhook has waiting now, as digests, without moving its schedule.
 * Each transaction first takes the webhook's row lock, so a period the scheduler closes at
 * the same moment and this flush never take the same member.
 */
export async function flushDigest(ctx: AppContext, orgId: string, webhookId: string) {
  const w = await getWebhook(ctx.store.db, orgId, webhookId);
  if (!w) throw new HeraldError('HERALD_WEBHOOK_NOT_FOUND', [webhookId]);
  if (w.delivery.mode !== 'digest') throw new HeraldError('HERALD_WEBHOOK_NOT_DIGEST', [webhookId]);
  const total = { digests: 0, events: 0 };
  for (;;) {
    const now = Date.now();
    const r = await ctx.store.db.transaction(async (tx) => {
      if (!(await lockWebhookRow(tx, w.id))) throw new HeraldError('HERALD_WEBHOOK_NOT_FOUND', [webhookId]);
      return gatherDigests(tx, w, now, now);
    });
    total.digests += r.digests;
    total.events += r.events;
    if (!r.more) break;
  }
  if (total.digests > 0) ctx.store.notifier.notify();
  return total;
}
