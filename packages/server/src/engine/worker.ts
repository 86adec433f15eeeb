import type { Clock } from '../background/clock.js';
import { detach } from '../background/detach.js';
import { BackgroundService } from '../background/service.js';
import type { WorkerConfig } from '../config.js';
import { newId, randomToken } from '../ids.js';
import type { Attempt } from '../model.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { traceCompletion } from '../ops/trace-spans.js';
import type { HttpSender } from '../outbound/http-sender.js';
import { retryDelay } from '../policy/resolve.js';
import { webhookStateOf } from '../store/queries/webhooks.js';
import { isTransientStoreError } from '../store/sql.js';
import type { Store } from '../store/store.js';
import type { ClaimedDelivery, DeliveryResult, HeldLeases } from '../store/types.js';
import { buildDeliveryBody } from './body.js';
import { ClaimShares, type ClaimPlan } from './claim-shares.js';
import { claimedFresh, type FreshDelivery, type FreshLease } from './fresh-deliveries.js';
import { runAttempt } from './run-attempt.js';
import { WebhookGates } from './webhook-gate.js';
import type { WebhookRuntime, WebhookRuntimeCache } from './webhook-runtime.js';

export interface WorkerDeps {
  store: Store;
  runtimes: WebhookRuntimeCache;
  sender: HttpSender;
  config: WorkerConfig;
  clockScale: number;
  metrics: Metrics;
  log: Logger;
  /** Called after each completion batch commits (alert rules, src/alerts/); must be cheap and must not throw. */
  onCompleted?: (batch: readonly DeliveryResult[], fenced: ReadonlySet<string>) => void;
  clock?: Clock;
}

/**
 * Results written per transaction at most, and how long the first of a batch may wait: a few
 * milliseconds, or longer while the worker is busy (many requests in flight, or the last
 * batch was not small). Then more results are on their way, and much of a transaction's cost
 * is per commit, not per row (the same hot pages written again), paid on the engine thread: at
 * ~6,000 deliveries/s a 5 ms wait made transactions of ~55 results, 40 ms makes them ~300
 * (docs/performance.md, session 10). Arrival latency is unaffected (the request already went
 * out); under load an attempt shows in the API up to 40 ms after its answer.
 */
const RESULT_BATCH = 512;
const RESULT_DELAY_MS = 5;
const BUSY_RESULT_DELAY_MS = 40;
const BUSY_IN_FLIGHT = 64;
const BUSY_LAST_BATCH = 8;
/** How long notifications of new work are gathered into one claim. */
const NUDGE_MS = 4;
/** After a claim that left webhooks out found nothing else due, the next such claim waits this long (or for new work). */
const QUIET_MS = 50;

/**
 * The delivery engine of one process. Claims due deliveries in batches under a lease,
 * keeps up to maxInFlight requests going, and writes results back in batches fenced by
 * each claim's token. It never polls in a loop: it is woken by new work (notifier), by a
 * timer set to the next due time, and by freed capacity. Its claim loop is a look of the
 * background-service lifecycle (background/service.ts), which serializes and re-arms it.
 */
export class DeliveryWorker extends BackgroundService {
  private inFlight = 0;
  private results: DeliveryResult[] = [];
  /** How many results the last flush wrote (a busy worker's results wait longer: scheduleFlush). */
  private lastBatch = 0;
  private flushing = false;
  /** Cancels the pending timed flush (on this service's clock), and when it fires. */
  private cancelFlush: (() => void) | null = null;
  private flushAt = 0;
  /** Claims still holding leases: token → ids of its deliveries not yet written back. */
  private readonly held = new Map<string, Set<string>>();
  private cancelRenew: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];
  /** Per-webhook rate limits and concurrency caps. */
  private readonly gates = new WebhookGates(this.clock);
  /** Lease tokens: unique per process (random prefix) and per claim (counter); no random bytes per claim. */
  private readonly tokenPrefix = `${randomToken(9)}.`;
  private claims = 0;
  /** How long stop() lets requests in flight finish. */
  private graceMs = 10_000;
  /** Deliveries held per webhook, and the plan of each claim. */
  private readonly shares: ClaimShares;
  private quietUntil = 0;
  /**
   * Whether the last look left due work unclaimed for want of room (the in-flight budget, a
   * crowded origin): then a finished request, which makes room, brings the next look. When
   * the last claim emptied what was due, a finished request makes none: new work (the
   * notifier, fresh deliveries stored), the written result of a finished fifo delivery and
   * the timer set to the next due time do.
   * (A look per finished request cost two queries and a transaction per delivery.)
   */
  private starved = true;
  private unsubscribeQuiet: (() => void) | null = null;
  /** Deliveries this engine's ingest stored leased to this worker, for the next look to send (fresh-deliveries.ts). */
  private fresh: { token: string; rows: FreshDelivery[] }[] = [];
  /**
   * Fresh deliveries taken and not yet sent: those of ingest commits under way, and those
   * stored and waiting in `fresh`. They count as in flight when the next claim or commit
   * measures its room.
   */
  private reservedFresh = 0;

  /**
   * New work is announced with every ingest commit. Under a stream of single-event ingests a
   * claim per notification would be one write transaction per delivery, so notifications
   * arriving within NUDGE_MS are answered by one claim (arrival latency: +4 ms at most).
   */
  constructor(private readonly d: WorkerDeps) {
    super({ name: 'delivery worker', log: d.log, clock: d.clock, notifier: { source: d.store.notifier, gatherMs: NUDGE_MS } });
    d.metrics.watchInFlight(() => this.inFlight);
    this.shares = new ClaimShares(d.config, d.sender);
  }

  override start(): void {
    if (this.running) return;
    this.armRenew();
    // New work ends a quiet spell: a webhook left out of the last claim may be due again.
    this.unsubscribeQuiet = this.d.store.notifier.subscribe(() => {
      this.quietUntil = 0;
    });
    super.start();
  }

  /**
   * Room for the fresh deliveries of one ingest commit of this engine (fresh-deliveries.ts):
   * the commit writes those this worker takes leased to it, under the lease's token, and once
   * the commit is durable the next look sends them, without the gathered wake-up, the fair
   * claim, or a transaction to lease them. It takes as many as an ordinary claim could take
   * now, and none of a webhook whose origin is crowded (claim-shares.ts); the rest are stored
   * due at once, for the claim. Null while the worker is stopped. Cheap and never throws.
   */
  openFresh(): FreshLease | null {
    if (!this.running) return null;
    const token = this.nextToken();
    const ids = new Set<string>();
    let plan: ClaimPlan | null | undefined;
    let taken = 0;
    let open = true;
    const close = (stored: number): boolean => {
      if (!open) return false;
      open = false;
      this.reservedFresh -= taken - stored;
      return true;
    };
    return {
      token,
      until: this.now() + this.d.config.leaseMs,
      take: (webhookId, deliveryId) => {
        if (!open) return false;
        plan ??= this.shares.plan(this.inFlight + this.reservedFresh, false);
        if (!plan || plan.reserve || taken >= plan.limit || plan.skip.has(webhookId)) return false;
        // Held (and so renewed) from now: a slow commit must not let the lease lapse.
        if (taken === 0) this.held.set(token, ids);
        ids.add(deliveryId);
        taken++;
        this.reservedFresh++;
        return true;
      },
      sent: (stored) => {
        if (!this.running) {
          // Stopped meanwhile: the leases are given back (afterStop gave back what it held then).
          if (close(0)) this.detached(this.giveBack(token, stored.map((f) => f.id)), 'release');
          return;
        }
        if (!close(stored.length)) return;
        if (stored.length === 0) {
          this.held.delete(token);
          return;
        }
        this.fresh.push({ token, rows: stored });
        this.wake();
      },
      cancel: () => {
        if (close(0)) this.held.delete(token);
      },
    };
  }

  /** Deliveries being attempted or waiting to be written back. */
  get busy(): number {
    let n = 0;
    for (const ids of this.held.values()) n += ids.size;
    return n;
  }

  /**
   * Claims while there is room. Answers when to look next: after the queue emptied, the next
   * due time; while busy, nothing (finishing requests wake the worker: `starved`).
   */
  protected async look(): Promise<number | null> {
    const { leaseMs } = this.d.config;
    try {
      if (this.fresh.length > 0) await this.sendFresh();
      while (this.running) {
        // How much to claim and which webhooks to leave out: the in-flight budget, its
        // reserve and the per-origin gate (claim-shares.ts, docs/deliveries.md "Fairness").
        const quiet = this.now() < this.quietUntil;
        const plan = this.shares.plan(this.inFlight + this.reservedFresh, quiet);
        if (!plan || (quiet && plan.skip.size > 0)) {
          this.starved = true;
          return quiet ? this.quietUntil : null;
        }
        // Whether this claim leaves webhooks out, as planned (the gate's set changes as requests finish).
        const leftOut = plan.skip.size > 0;
        const token = this.nextToken();
        const rows = await this.d.store.hot.claim(plan.limit, this.now(), leaseMs, token, plan.skip);
        if (rows.length > 0) {
          this.d.metrics.leased.inc({ by: 'claim' }, rows.length);
          await this.dispatch(rows, token);
        }
        if (rows.length < plan.limit) {
          // Only left-out webhooks may have more due: their finishing requests, new work or
          // the timer bring the next claim.
          this.starved = leftOut;
          if (leftOut) this.quietUntil = this.now() + QUIET_MS;
          // Emptied, and no wake-up queued another look at once: sleep until the next due time.
          return this.running && !this.wakeQueued ? await this.nextLookAt() : null;
        }
      }
      return null;
    } catch (err) {
      this.starved = true;
      this.log.error({ err }, 'claiming deliveries failed; trying again in 1 s');
      return this.now() + 1000;
    }
  }

  private nextToken(): string {
    return `${this.tokenPrefix}${(this.claims++).toString(36)}`;
  }

  /** Sends the fresh deliveries stored leased to this worker since the last look (openFresh). */
  private async sendFresh(): Promise<void> {
    const ready = this.fresh;
    this.fresh = [];
    for (const { token, rows } of ready) {
      this.d.metrics.leased.inc({ by: 'fresh' }, rows.length);
      try {
        await this.dispatch(rows.map((f) => claimedFresh(f, token)), token);
      } finally {
        // Launched (counted in flight) or decided by now.
        this.reservedFresh -= rows.length;
      }
    }
  }

  /** Gives back leases of deliveries this worker will not send (it stopped before they were stored). */
  private async giveBack(token: string, ids: string[]): Promise<void> {
    this.held.delete(token);
    if (ids.length === 0) return;
    try {
      await this.d.store.hot.release({ ids, tokens: [token] }, this.now());
      this.d.store.notifier.notify();
    } catch (err) {
      this.log.warn({ err, count: ids.length }, 'giving back fresh leases failed; they are claimed again when the lease ends');
    }
  }

  /** Fifo webhooks that lost their head are rescued by the leader (fifo-rescue.ts), not here. */
  private async nextLookAt(): Promise<number> {
    const next = await this.d.store.hot.nextDueAt();
    const now = this.now();
    // Due now but not claimed (another worker holds it locked, or its webhook was left out of
    // the claim): look again shortly, not in a spin.
    const at = next === null ? now + this.d.config.idleCheckMs : Math.max(next, now + 20, this.quietUntil);
    return Math.min(at, now + this.d.config.idleCheckMs);
  }


  private async dispatch(rows: ClaimedDelivery[], token: string): Promise<void> {
    this.held.set(token, new Set(rows.map((r) => r.id)));
    const wanted = new Map<string, number>();
    for (const r of rows) if (r.webhook_revision !== null) wanted.set(r.webhook_id, r.webhook_revision);
    let runtimes: Map<string, WebhookRuntime>;
    try {
      runtimes = await this.d.runtimes.load(wanted);
    } catch (err) {
      // Without settings nothing can be sent: give the leases back for another try.
      this.log.error({ err }, 'loading webhook settings failed; releasing the claim');
      this.held.delete(token);
      await this.d.store.hot.release({ ids: rows.map((r) => r.id), tokens: [token] }, this.now() + 1000);
      return;
    }
    for (const row of rows) {
      const rt = runtimes.get(row.webhook_id);
      this.shares.add(row.webhook_id, rt?.url ?? null);
      try {
        this.route(row, rt, token);
      } catch (err) {
        // Whatever went wrong, the claimed delivery gets its one result.
        this.push(this.engineFailure(row, token, err));
      }
    }
  }

  /** Sends a claimed delivery, or decides it without an attempt (webhook gone, disabled, paced). */
  private route(row: ClaimedDelivery, rt: WebhookRuntime | undefined, token: string): void {
    const base = { delivery_id: row.id, webhook_id: row.webhook_id, fifo: row.fifo, lease_token: token, attempt: null };
    if (row.webhook_state !== null && !rt) {
      // Its settings could not be loaded (logged by the cache): try again in a minute, no attempt used.
      this.push({ ...base, status: 'pending', next_attempt_at: this.now() + 60_000 });
    } else if (row.webhook_state === null || !rt) {
      this.push({ ...base, status: 'cancelled', next_attempt_at: null });
    } else if (row.webhook_state !== 'enabled' && !row.is_test) {
      this.push({ ...base, status: 'skipped', next_attempt_at: null });
    } else {
      const limits = { maxInFlight: rt.policy.max_in_flight ?? null, ratePerSec: rt.policy.rate_limit ?? null };
      if (!WebhookGates.limited(limits)) {
        this.detached(this.launch(row, rt, false), 'attempt');
        return;
      }
      // A start that had to wait in the webhook's queue looks at the webhook again first: it may
      // have been deleted, disabled or changed meanwhile.
      let waited = false;
      const gate = this.gates.submit(row.webhook_id, limits, () => this.detached(waited ? this.launchAfterWait(row, rt, token) : this.launch(row, rt, true), 'attempt'));
      waited = true;
      if (!gate.accepted) {
        // Its webhook's queue here is full: back to the store for later, no attempt used.
        this.push({ ...base, status: 'pending', next_attempt_at: this.now() + gate.retryInMs });
      }
    }
  }

  /**
   * The result of a claimed delivery whose handling threw (a bug, or data Herald cannot
   * read): a failed attempt with code `error`, retried by the webhook's schedule when there is
   * one (in a minute otherwise), so the delivery is neither lost nor held forever.
   */
  private engineFailure(row: ClaimedDelivery, token: string, err: unknown, rt?: WebhookRuntime): DeliveryResult {
    this.report(err, 'attempt', { deliveryId: row.id, webhookId: row.webhook_id }, 'a claimed delivery could not be attempted; it is retried');
    const now = this.now();
    const attemptNo = row.attempts + 1;
    const attempt: Attempt = {
      id: newId('att', now), delivery_id: row.id, webhook_id: row.webhook_id, org_id: row.org_id, attempt: attemptNo,
      started_at: now, duration_ms: 0, outcome: 'failure', status_code: null, error_code: 'error',
      error_message: `Herald could not attempt this delivery: ${err instanceof Error ? err.message : String(err)}`,
      request_headers: {}, response_headers: null, response_body: null, response_truncated: false, is_test: row.is_test,
    };
    const delay = row.is_test ? null : rt ? retryDelay(rt.policy, attemptNo, this.d.clockScale, null) : 60_000;
    return {
      delivery_id: row.id, webhook_id: row.webhook_id, fifo: row.fifo, lease_token: token, attempt,
      status: delay === null ? 'failed' : 'pending', next_attempt_at: delay === null ? null : now + delay,
    };
  }

  /** The result of last resort: nothing can be recorded, so the delivery is due again in a minute. */
  private unattempted(row: ClaimedDelivery, token: string): DeliveryResult {
    return {
      delivery_id: row.id, webhook_id: row.webhook_id, fifo: row.fifo, lease_token: token, attempt: null,
      status: 'pending', next_attempt_at: this.now() + 60_000,
    };
  }

  /** Counts and logs an engine error; never throws (a failing logger must not lose a result). */
  private report(err: unknown, stage: string, where: Record<string, unknown>, message: string): void {
    try {
      this.d.metrics.engineErrors.inc({ stage });
      this.log.error({ err, ...where }, message);
    } catch {
      // Nothing more can be done; the caller still records its result.
    }
  }

  /** Work nobody awaits: a rejection is an engine error, logged and counted, never an unhandled one. */
  private detached(work: Promise<unknown>, stage: string): void {
    detach(work, (err) => this.report(err, stage, {}, `the delivery worker's ${stage} step failed unexpectedly`));
  }

  /**
   * A delivery whose start waited for its webhook's pace: sent if the webhook is as it was
   * claimed; otherwise decided as a claim would decide it now (deleted: cancelled, no longer
   * enabled: skipped, changed: given back to be claimed with the new settings), no request made.
   */
  private async launchAfterWait(row: ClaimedDelivery, rt: WebhookRuntime, token: string): Promise<void> {
    let now: { state: string; revision: number } | undefined | null;
    try {
      now = await webhookStateOf(this.d.store.db, row.webhook_id);
    } catch (err) {
      // Not knowing is no reason to hold the delivery: it goes as claimed.
      this.log.warn({ err, webhookId: row.webhook_id }, 'reading the webhook before a paced start failed; sending as claimed');
      now = null;
    }
    if (now === null || (now !== undefined && now.revision === rt.revision && (now.state === 'enabled' || row.is_test))) {
      await this.launch(row, rt, true);
      return;
    }
    this.gates.done(row.webhook_id);
    const base = { delivery_id: row.id, webhook_id: row.webhook_id, fifo: row.fifo, lease_token: token, attempt: null };
    if (now === undefined) this.push({ ...base, status: 'cancelled', next_attempt_at: null });
    else if (now.state !== 'enabled' && !row.is_test) this.push({ ...base, status: 'skipped', next_attempt_at: null });
    else this.push({ ...base, status: 'pending', next_attempt_at: this.now() });
    this.wake();
  }

  /** One request; its result is pushed whatever happens, and its slot and gate are given back. */
  private async launch(row: ClaimedDelivery, rt: WebhookRuntime, gated: boolean): Promise<void> {
    this.inFlight++;
    let result: DeliveryResult | undefined;
    try {
      result = await this.attempt(row, rt);
    } catch (err) {
      result = this.engineFailure(row, row.lease_token, err, rt);
    } finally {
      this.inFlight--;
      if (gated) this.gates.done(row.webhook_id);
      // Should even the failure's record throw (its retry policy unreadable), the delivery still
      // gets its one result: due again in a minute, no attempt used, its lease given back.
      this.push(result ?? this.unattempted(row, row.lease_token));
    }
    if (this.starved) this.wake();
  }

  private async attempt(row: ClaimedDelivery, rt: WebhookRuntime): Promise<DeliveryResult> {
    const attemptNo = row.attempts + 1;
    const { attempt, response, ok } = await runAttempt(this.d.sender, rt, {
      deliveryId: row.id, webhookId: row.webhook_id, orgId: row.org_id, attemptNo, isTest: row.is_test, eventId: row.event_id, eventType: row.event_type,
      body: buildDeliveryBody(row, rt, attemptNo), timeoutMs: rt.policy.timeout_ms,
    }, () => this.now());
    this.d.metrics.observeAttempt(attempt.outcome, response.duration_ms / 1000);
    const base = { delivery_id: row.id, webhook_id: row.webhook_id, fifo: row.fifo, lease_token: row.lease_token, attempt };
    if (ok) return { ...base, status: 'succeeded', next_attempt_at: null };
    if (response.status_code === 410 && rt.policy.on_410 === 'deactivate' && !row.is_test) {
      return { ...base, status: 'failed', next_attempt_at: null, deactivate_reason: 'gone_410' };
    }
    // A test send reports its one attempt; it is not retried.
    const delay = row.is_test ? null : retryDelay(rt.policy, attemptNo, this.d.clockScale, response.retry_after_ms);
    if (delay === null) return { ...base, status: 'failed', next_attempt_at: null };
    return { ...base, status: 'pending', next_attempt_at: this.now() + delay };
  }

  /**
   * Results are written in batches: at once when a batch is full, else a few milliseconds
   * after the first one waits, longer while the worker is busy (RESULT_DELAY_MS above).
   */
  private push(result: DeliveryResult): void {
    this.shares.done(result.webhook_id);
    this.results.push(result);
    if (this.flushing) return;
    if (this.results.length >= RESULT_BATCH) {
      this.detached(this.flush(), 'result');
      return;
    }
    this.scheduleFlush(result.fifo === true);
  }

  /**
   * Sets the timer that writes what waits, unless one fires sooner. `urgent`: a fifo webhook's
   * result waits, and its next delivery starts only once it is written: never the long wait.
   */
  private scheduleFlush(urgent: boolean): void {
    const busy = this.inFlight >= BUSY_IN_FLIGHT || this.lastBatch >= BUSY_LAST_BATCH;
    const delay = busy && !urgent ? BUSY_RESULT_DELAY_MS : RESULT_DELAY_MS;
    const at = this.now() + delay;
    if (this.cancelFlush !== null) {
      if (this.flushAt <= at) return;
      this.cancelFlush();
    }
    this.flushAt = at;
    this.cancelFlush = this.clock.after(delay, () => {
      this.cancelFlush = null;
      this.detached(this.flush(), 'result');
    });
  }

  /**
   * Writes what waits; then, while a full batch waits again, that too. Fewer results that came
   * in meanwhile wait for company like any other (a loop writing whatever came during the
   * previous write made chains of transactions of one to three results).
   */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    this.cancelFlush?.();
    this.cancelFlush = null;
    let written = 0;
    // A fifo delivery's final result lets its webhook's next one start: look for it at once.
    let fifoDone = false;
    try {
      while (this.results.length > 0 && (written === 0 || this.results.length >= RESULT_BATCH)) {
        const batch = this.results.splice(0, RESULT_BATCH * 2);
        written += batch.length;
        fifoDone ||= batch.some((r) => r.fifo === true && r.status !== 'pending');
        try {
          await this.write(batch);
        } catch (err) {
          // The store is unreachable: nothing is lost, the whole batch waits and is written later.
          this.results.unshift(...batch);
          this.log.error({ err, count: batch.length }, 'writing delivery results failed; retrying in 1 s');
          await new Promise<void>((r) => this.clock.after(1000, r));
        }
      }
    } finally {
      this.flushing = false;
      this.lastBatch = written;
    }
    if (this.results.length > 0) this.scheduleFlush(this.results.some((r) => r.fifo === true));
    // Retries and releases armed the timer (afterCommit); room made by finished requests wakes
    // a starved worker as they finish.
    if (fifoDone || this.starved) this.wake();
    this.notifyIdle();
  }

  /**
   * Writes a batch of results. A batch the store refuses for what is in it (not for being
   * unreachable) is split in halves until the row that fails is alone; that row is recorded
   * as an engine error and left to its lease (it is claimed again once the lease ends, since
   * it is no longer renewed), and every other result is written. Throws only a transient
   * store error, for the caller to retry the whole batch.
   */
  private async write(batch: DeliveryResult[]): Promise<void> {
    try {
      const report = await traceCompletion(batch.length, this.d.store.dialect, () => this.d.store.hot.complete(batch, this.now()));
      this.afterCommit(batch, report.fenced);
    } catch (err) {
      if (isTransientStoreError(err)) throw err;
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.write(batch.slice(0, half));
        await this.write(batch.slice(half));
        return;
      }
      const [bad] = batch;
      this.d.metrics.engineErrors.inc({ stage: 'result' });
      this.log.error({ err, deliveryId: bad?.delivery_id, webhookId: bad?.webhook_id }, 'a delivery result cannot be written; the delivery is attempted again when its lease ends');
      this.release(batch);
    }
  }

  /** Forgets results that will not be written: their claims no longer hold these deliveries. */
  private release(batch: readonly DeliveryResult[]): void {
    for (const r of batch) {
      const ids = this.held.get(r.lease_token);
      if (!ids) continue;
      ids.delete(r.delivery_id);
      if (ids.size === 0) this.held.delete(r.lease_token);
    }
  }

  private afterCommit(batch: readonly DeliveryResult[], fenced: readonly string[]): void {
    const fencedSet = new Set(fenced);
    this.release(batch);
    // Counted per batch: one counter update per outcome rather than one per delivery.
    const outcomes = new Map<string, number>();
    for (const r of batch) {
      if (fencedSet.has(r.delivery_id)) continue;
      const outcome = r.status === 'pending' ? 'retry' : r.status;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (r.status === 'pending' && r.next_attempt_at !== null) this.arm(r.next_attempt_at);
    }
    for (const [outcome, n] of outcomes) this.d.metrics.completed.inc({ outcome }, n);
    if (fenced.length > 0) {
      this.d.metrics.fenced.inc(fenced.length);
      this.log.warn({ count: fenced.length }, 'lease lost before results were written: the attempts are logged, the next holder decides');
    }
    this.d.onCompleted?.(batch, fencedSet);
  }

  /** The deliveries this worker holds, by id, with the tokens of the claims holding them. */
  private heldLeases(): HeldLeases {
    const ids: string[] = [];
    for (const set of this.held.values()) for (const id of set) ids.push(id);
    return { ids, tokens: [...this.held.keys()] };
  }

  /** Renews held leases every third of a lease, from start() until the stop has given them back. */
  private armRenew(): void {
    this.cancelRenew = this.clock.after(Math.max(250, Math.floor(this.d.config.leaseMs / 3)), () => {
      this.detached(this.renewLeases(), 'renew');
      if (this.cancelRenew !== null) this.armRenew();
    });
  }

  private async renewLeases(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await this.d.store.hot.renew(this.heldLeases(), this.now() + this.d.config.leaseMs);
    } catch (err) {
      this.log.warn({ err }, 'renewing leases failed');
    }
  }

  private notifyIdle(): void {
    if (this.inFlight > 0 || this.results.length > 0 || this.flushing) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Stops claiming, lets requests in flight finish for up to graceMs, writes their results,
   * and gives back the leases of whatever is still unfinished so another worker takes it at once.
   */
  override stop(graceMs = 10_000): Promise<void> {
    if (this.running) this.graceMs = graceMs;
    this.unsubscribeQuiet?.();
    this.unsubscribeQuiet = null;
    return super.stop();
  }

  /** After the claim under way ended (the lifecycle stopped the timer and notifications). */
  protected override async afterStop(): Promise<void> {
    const graceMs = this.graceMs;
    // Deliveries waiting for their webhook's pace never start; their leases are given back below.
    this.gates.clear();
    if (this.inFlight > 0 || this.results.length > 0 || this.flushing) {
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        // Real time, whatever the clock: the grace bounds how long a shutdown takes.
        new Promise<void>((r) => setTimeout(r, graceMs).unref()),
      ]);
    }
    this.cancelRenew?.();
    this.cancelRenew = null;
    if (this.held.size > 0) {
      await this.d.store.hot.release(this.heldLeases(), this.now());
      this.d.store.notifier.notify();
    }
    this.held.clear();
    this.shares.clear();
    // Stored leased to this worker and not sent: their leases were given back with the rest.
    for (const { rows } of this.fresh) this.reservedFresh -= rows.length;
    this.fresh = [];
  }
}
