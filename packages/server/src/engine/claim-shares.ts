import type { WorkerConfig } from '../config.js';

/** What the worker's next claim may take: how many, and which webhooks it leaves out. */
export interface ClaimPlan {
  limit: number;
  skip: ReadonlySet<string>;
  /** A claim from the reserve (see ClaimShares). */
  reserve: boolean;
}

/** The sender's view of origins the shares need. */
export interface OriginView {
  originOf(url: string): string | null;
  crowdedOrigins(min: number): Set<string>;
}

interface Held {
  count: number;
  origin: string | null;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Keeps one slow or backlogged webhook from holding a whole worker (docs/deliveries.md,
 * "Fairness"). It counts the deliveries each webhook holds in this process (claimed, result
 * not yet written) and plans each claim:
 * - Per-origin claim gate: a webhook whose origin already has a claim batch's worth of
 *   requests waiting for a slot is left out of claims (more of it would only wait, holding
 *   memory); every other webhook is still claimed. A gate over all origins would stop every
 *   webhook because one receiver is slow.
 * - Reserve: ordinary claims fill the in-flight budget but its last eighth. That eighth is
 *   claimed only for webhooks holding fewer than a quarter of it here, a quarter at most per
 *   claim, so a webhook with new work finds room at once even when one receiver has filled
 *   the rest with requests that take seconds (they would free room only as they finish).
 */
export class ClaimShares {
  private readonly held = new Map<string, Held>();
  /** The webhooks held here, by origin: a claim gate is one lookup, not a scan of every webhook held. */
  private readonly byOrigin = new Map<string, Set<string>>();
  private readonly reserve: number;
  private readonly budget: number;
  private readonly reserveShare: number;

  constructor(private readonly config: Pick<WorkerConfig, 'maxInFlight' | 'claimBatch'>, private readonly origins: OriginView) {
    this.reserve = Math.floor(config.maxInFlight / 8);
    this.budget = config.maxInFlight - this.reserve;
    this.reserveShare = Math.max(1, Math.floor(this.reserve / 4));
  }

  /** A claimed delivery of this webhook (sent to `url`) is now held here. */
  add(webhookId: string, url: string | null): void {
    const h = this.held.get(webhookId);
    if (h) {
      h.count++;
      return;
    }
    const origin = url === null ? null : this.origins.originOf(url);
    this.held.set(webhookId, { count: 1, origin });
    if (origin === null) return;
    const hooks = this.byOrigin.get(origin);
    if (hooks) hooks.add(webhookId);
    else this.byOrigin.set(origin, new Set([webhookId]));
  }

  /** A held delivery's result was handed over for writing. */
  done(webhookId: string): void {
    const h = this.held.get(webhookId);
    if (!h || --h.count > 0) return;
    this.held.delete(webhookId);
    if (h.origin === null) return;
    const hooks = this.byOrigin.get(h.origin);
    hooks?.delete(webhookId);
    if (hooks?.size === 0) this.byOrigin.delete(h.origin);
  }

  /** Forgets every count (the worker stopped; what it held was given back). */
  clear(): void {
    this.held.clear();
    this.byOrigin.clear();
  }

  /** Deliveries this webhook holds here (for tests). */
  holding(webhookId: string): number {
    return this.held.get(webhookId)?.count ?? 0;
  }

  /**
   * The next claim, or null for none now. `quiet`: a recent claim that left webhooks out found
   * nothing else due; reserve claims then wait (for new work, or the worker's timer) rather than
   * run again at every finished request.
   */
  plan(inFlight: number, quiet: boolean): ClaimPlan | null {
    const { maxInFlight, claimBatch } = this.config;
    const free = this.budget - inFlight;
    // Wait for a useful number of free slots rather than claiming a few at a time.
    if (free > 0 && (free >= Math.min(claimBatch, this.budget) / 2 || inFlight === 0)) {
      return { limit: Math.min(free, claimBatch), skip: this.gated(), reserve: false };
    }
    const room = maxInFlight - inFlight;
    if (this.reserve === 0 || room <= 0 || quiet) return null;
    const skip = new Set(this.gated());
    for (const [id, h] of this.held) if (h.count >= this.reserveShare) skip.add(id);
    return { limit: Math.min(room, this.reserveShare, claimBatch), skip, reserve: true };
  }

  /**
   * Webhooks whose origin has a claim batch's worth of requests waiting. With one crowded
   * origin (the usual case) this is that origin's own set, not a copy: it changes as requests
   * finish, and a plan that keeps it sees the gate as it is now.
   */
  private gated(): ReadonlySet<string> {
    const crowded = this.origins.crowdedOrigins(this.config.claimBatch);
    if (crowded.size === 0) return NONE;
    if (crowded.size === 1) return this.byOrigin.get(crowded.values().next().value!) ?? NONE;
    const skip = new Set<string>();
    for (const origin of crowded) for (const id of this.byOrigin.get(origin) ?? NONE) skip.add(id);
    return skip;
  }
}
