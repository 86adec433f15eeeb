import type { Clock } from '../background/clock.js';
import { BackgroundService } from '../background/service.js';
import type { Logger } from '../ops/logger.js';
import { nextDigestAt } from '../policy/digest-schedule.js';
import { dueDigests, earliestDigestAt, moveDigestAt, releaseWaiting, type DueDigest } from '../store/queries/digests.js';
import type { Store } from '../store/store.js';
import { gatherDigests } from './digest-gather.js';

export interface DigestSchedulerDeps {
  store: Store;
  clockScale: number;
  log: Logger;
  /** Longest sleep without a look at the store, in case a wake-up from another process was lost. */
  idleCheckMs: number;
  clock?: Clock;
}

/** Webhooks handled per look; more due ones are taken by the next look, at once. */
const DUE_BATCH = 100;
/**
 * Wake-ups (work notifications) come with every ingest commit; the scheduler only needs them
 * to notice a digest webhook saved by another process, so it looks at most this often.
 */
const NUDGE_MS = 200;

/**
 * Closes digest periods. It runs on the leader (background/leader-election.ts): it sleeps on
 * a timer until the earliest next_digest_at, then closes each due period in its own
 * transaction, claimed by a compare-and-set on next_digest_at, so that a process that still
 * believes it leads after losing its lock cannot build a period twice. The digest itself is
 * then an ordinary pending delivery: claims, leases, retries and fencing are the engine's, so
 * a crash at any point loses nothing and sends no member in two digests.
 */
export class DigestScheduler extends BackgroundService {
  constructor(private readonly d: DigestSchedulerDeps) {
    super({ name: 'digest scheduler', log: d.log, clock: d.clock, notifier: { source: d.store.notifier, gatherMs: NUDGE_MS } });
  }

  protected async look(): Promise<number | null> {
    try {
      let failed = false;
      for (;;) {
        const due = await dueDigests(this.d.store.db, this.now(), DUE_BATCH);
        for (const w of due) {
          if (!this.running) return null;
          try {
            await this.close(w);
          } catch (err) {
            // One webhook's failure must not hold up the others; its period stays due.
            this.log.error({ err, webhookId: w.id }, 'closing a digest period failed; trying again in 1 s');
            failed = true;
          }
        }
        if (due.length < DUE_BATCH || failed) break;
      }
      const next = await earliestDigestAt(this.d.store.db);
      const now = this.now();
      // A failed period is still due: look again in a second, not in a spin.
      return failed ? now + 1000 : Math.min(next ?? Number.POSITIVE_INFINITY, now + this.d.idleCheckMs);
    } catch (err) {
      this.log.error({ err }, 'looking for due digest periods failed; trying again in 1 s');
      return this.now() + 1000;
    }
  }

  /** One period of one webhook, in one transaction: claim it, then gather or release its members. */
  private async close(w: DueDigest): Promise<void> {
    const now = this.now();
    const outcome = await this.d.store.db.transaction(async (tx) => {
      if (w.delivery.mode !== 'digest') {
        // Digest switched off: a sweep for members an in-flight ingest wrote after the switch.
        if (!(await moveDigestAt(tx, w.id, w.next_digest_at, null))) return null;
        return { released: await releaseWaiting(tx, w.id, now), digests: 0, events: 0 };
      }
      // After downtime one digest carries every missed period: the next end is after now.
      const next = nextDigestAt(w.delivery, w.created_at, now, this.d.clockScale);
      if (!(await moveDigestAt(tx, w.id, w.next_digest_at, next))) return null;
      const r = await gatherDigests(tx, w, w.next_digest_at, now);
      // A backlog beyond one transaction's share: the rest of this period goes out at once.
      if (r.more) await moveDigestAt(tx, w.id, next, now);
      return { released: 0, digests: r.digests, events: r.events };
    });
    if (outcome && outcome.digests + outcome.released > 0) {
      this.log.info({ webhookId: w.id, ...outcome }, 'digest period closed');
      this.d.store.notifier.notify();
    }
  }
}
