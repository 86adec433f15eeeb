/**
 * Pull delivery (destination `poll`, docs/destinations.md): the consumer of a poll webhook
 * leases its due deliveries (`poll`) and answers each one (`ack`). Both run where the hot path
 * runs (the engine), with its mechanics: a poll is a claim of one webhook's deliveries under a
 * fresh lease token for the visibility timeout, and an ack is a result written through the
 * same complete() as the worker's (attempt log, health counters, fifo, alerts), fenced by
 * that token. An item is the request an HTTP attempt would send, built by the same code
 * (buildDeliveryBody, requestHeaders).
 */
import { systemClock, type Clock } from '../background/clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { HeraldError } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import type { Attempt, DeliveryStatus, Webhook } from '../model.js';
import { retryDelay } from '../policy/resolve.js';
import { nextPullDueAt, pulledDeliveries } from '../store/queries/pull.js';
import { getWebhook } from '../store/queries/webhooks.js';
import type { Store } from '../store/store.js';
import type { ClaimedDelivery, DeliveryResult } from '../store/types.js';
import { requestHeaders } from './attempt-outcome.js';
import { buildDeliveryBody } from './body.js';
import type { DestinationPool } from './destination-pool.js';
import { WebhookRuntimeCache, type WebhookRuntime } from './webhook-runtime.js';

/** Limits of a poll request (docs/destinations.md, "poll"). */
export const POLL_LIMITS = { maxItems: 100, maxWaitSec: 30, defaultVisibilitySec: 30, maxVisibilitySec: 300 } as const;

export interface PollRequest {
  /** Names the poll for cancelPoll (its caller went away). */
  id?: string;
  orgId: string;
  webhookId: string;
  /** Deliveries answered at most. */
  limit: number;
  /** How long to wait for something due when nothing is (0: answer at once). */
  waitMs: number;
  /** How long the answered deliveries stay leased to the caller. */
  visibilityMs: number;
}

export interface PolledDelivery {
  delivery_id: string;
  lease_token: string;
  /** When the lease ends (ms): an unacked delivery is due again then. */
  leased_until: number;
  /** The attempt this is (1 for the first). */
  attempt: number;
  event_id: string;
  event_type: string;
  is_test: boolean;
  /** The signed request, exactly as an HTTP attempt would send it. */
  headers: Record<string, string>;
  body: string;
}

export interface AckItem {
  delivery_id: string;
  lease_token: string;
  /** The status the consumer's handler answered (absent: it took the delivery). */
  status?: number;
  /** Its answer's body, kept in the attempt log (capped like any response body). */
  body?: string;
  /** Overrides the verdict of `status` (2xx or absent: success). */
  ok?: boolean;
  /** Why it failed when there is no status (e.g. the local endpoint refused the connection). */
  error?: string;
}

export interface AckResult {
  delivery_id: string;
  /** recorded: the attempt and the outcome were written; fenced: the lease had ended or passed on (nothing written); not_found. */
  result: 'recorded' | 'fenced' | 'not_found';
  /** After a recorded ack: succeeded, pending (a retry is scheduled) or failed. */
  status?: DeliveryStatus;
  next_attempt_at?: number | null;
}

export interface PullQueueDeps {
  store: Store;
  box: SecretBox;
  destinations: DestinationPool;
  clockScale: number;
  /** The time leases and attempts are stamped with (tests: a clock moved by hand). */
  clock?: Clock | undefined;
  responseBodyLimit: number;
  /** The worker's onCompleted hook (alert rules), when this process runs them. */
  onCompleted?: (batch: readonly DeliveryResult[], fenced: ReadonlySet<string>) => void;
}

/** Stale lease tokens name when they were handed out, so the ack's attempt shows the very headers sent. */
const TOKEN_PREFIX = 'pl';

export class PullQueue {
  private readonly runtimes: WebhookRuntimeCache;
  private stopped = false;
  /** Long polls waiting, each woken by new work or by stop(). */
  private readonly waiters = new Set<() => void>();
  /** Polls in progress by id, and whether their caller went away. */
  private readonly active = new Map<string, { cancelled: boolean }>();

  constructor(private readonly d: PullQueueDeps) {
    this.runtimes = new WebhookRuntimeCache(d.store.db, d.box, undefined, d.destinations);
  }

  private now(): number {
    return (this.d.clock ?? systemClock).now();
  }

  /**
   * Leases up to `limit` due deliveries of a poll webhook. When none is due, waits up to
   * `waitMs` for one (new work wakes it; a retry or an expired lease coming due too) and
   * answers an empty list when the wait ends.
   */
  async poll(req: PollRequest): Promise<PolledDelivery[]> {
    const state = { cancelled: false };
    if (req.id !== undefined) this.active.set(req.id, state);
    try {
      const w = await this.pollWebhook(req.orgId, req.webhookId);
      return await this.waitAndClaim(w, req, state);
    } finally {
      if (req.id !== undefined) this.active.delete(req.id);
    }
  }

  /** Its caller went away: a poll still waiting stops without leasing anything. */
  cancelPoll(id: string): void {
    const state = this.active.get(id);
    if (!state) return;
    state.cancelled = true;
    this.wake();
  }

  private async waitAndClaim(w: Webhook, req: PollRequest, state: { cancelled: boolean }): Promise<PolledDelivery[]> {
    const deadline = this.now() + Math.max(0, req.waitMs);
    for (let round = 0; round < 10_000 && !this.stopped && !state.cancelled; round++) {
      // A read first: a wake-up (any new work of the process) claims, a write, only when this webhook has something due.
      const next = await nextPullDueAt(this.d.store.db, w.id);
      const now = this.now();
      if (next !== null && next <= now) {
        const items = await this.claim(w, req);
        if (items.length > 0) return items;
      }
      if (now >= deadline) return [];
      // Until its next due time (a retry, a lease that ends), new work, or the end of the wait; never a spin.
      await this.sleep(Math.min(deadline, next === null ? deadline : Math.max(next, now + 10)) - now);
    }
    return [];
  }

  private async claim(w: Webhook, req: PollRequest): Promise<PolledDelivery[]> {
    const now = this.now();
    const token = `${TOKEN_PREFIX}.${randomToken(12)}.${now.toString(36)}`;
    const rows = await this.d.store.hot.claimPull(w.id, req.limit, now, req.visibilityMs, token);
    if (rows.length === 0) return [];
    const rt = await this.runtime(rows[0]!);
    const items: PolledDelivery[] = [];
    const decided: DeliveryResult[] = [];
    for (const row of rows) {
      const base = { delivery_id: row.id, webhook_id: row.webhook_id, fifo: row.fifo, lease_token: token, attempt: null };
      // As the worker does: a webhook disabled since the event came gets it as skipped (recoverable), no attempt.
      if (row.webhook_state !== 'enabled' && !row.is_test) {
        decided.push({ ...base, status: 'skipped', next_attempt_at: null });
        continue;
      }
      const attemptNo = row.attempts + 1;
      const body = buildDeliveryBody(row, rt, attemptNo);
      items.push({
        delivery_id: row.id, lease_token: token, leased_until: now + req.visibilityMs, attempt: attemptNo,
        event_id: row.event_id, event_type: row.event_type, is_test: row.is_test,
        headers: requestHeaders(rt.signer, row.id, Math.floor(now / 1000), body), body,
      });
    }
    if (decided.length > 0) await this.d.store.hot.complete(decided, now);
    return items;
  }

  /**
   * Records the consumer's answers: one attempt each, judged (2xx or no status: success),
   * retried by the webhook's schedule when it failed, written by complete() under the lease
   * token. An item whose lease has ended or passed to a later poll is `fenced`: nothing is
   * written, since the delivery is (or will be) someone else's to answer.
   */
  async ack(orgId: string, webhookId: string, items: readonly AckItem[]): Promise<AckResult[]> {
    const w = await this.pollWebhook(orgId, webhookId);
    const now = this.now();
    const ids = [...new Set(items.map((i) => i.delivery_id))];
    const rows = new Map((await pulledDeliveries(this.d.store.db, w.id, ids)).map((r) => [r.id, r]));
    const answers = new Map<string, AckResult>();
    const results: DeliveryResult[] = [];
    const rt = rows.size > 0 ? await this.runtime([...rows.values()][0]!) : null;
    for (const item of items) {
      if (answers.has(item.delivery_id)) continue;
      const row = rows.get(item.delivery_id);
      if (!row) {
        answers.set(item.delivery_id, { delivery_id: item.delivery_id, result: 'not_found' });
      } else if (row.status !== 'pending' || row.pull !== 1 || row.lease_token !== item.lease_token || rt === null) {
        answers.set(item.delivery_id, { delivery_id: item.delivery_id, result: 'fenced' });
      } else {
        const result = this.result(row, rt, item, now);
        results.push(result);
        answers.set(item.delivery_id, { delivery_id: row.id, result: 'recorded', status: result.status, next_attempt_at: result.next_attempt_at });
      }
    }
    if (results.length > 0) {
      const report = await this.d.store.hot.complete(results, now);
      const fenced = new Set(report.fenced);
      for (const id of fenced) answers.set(id, { delivery_id: id, result: 'fenced' });
      this.d.onCompleted?.(results, fenced);
      // A retry scheduled now is due later: long polls waiting on this webhook look again.
      this.wake();
    }
    return ids.map((id) => answers.get(id)!);
  }

  private result(row: ClaimedDelivery, rt: WebhookRuntime, item: AckItem, now: number): DeliveryResult {
    const attemptNo = row.attempts + 1;
    const handedOut = tokenTime(item.lease_token) ?? now;
    const body = buildDeliveryBody(row, rt, attemptNo);
    const status = item.status ?? null;
    const ok = item.ok ?? (status === null ? item.error === undefined : status >= 200 && status < 300);
    const text = item.body ?? null;
    const truncated = text !== null && Buffer.byteLength(text) > this.d.responseBodyLimit;
    const attempt: Attempt = {
      id: newId('att', now), delivery_id: row.id, webhook_id: row.webhook_id, org_id: row.org_id, attempt: attemptNo,
      started_at: handedOut, duration_ms: Math.max(0, now - handedOut), outcome: ok ? 'success' : 'failure',
      status_code: status, error_code: ok ? null : status === null ? 'error' : 'status',
      error_message: ok ? null : item.error ?? (status === null ? 'The consumer reported a failure' : `The consumer answered ${status}`),
      // The very headers the poll handed out: signed at that second over the same body.
      request_headers: requestHeaders(rt.signer, row.id, Math.floor(handedOut / 1000), body),
      response_headers: null,
      response_body: text === null ? null : truncated ? Buffer.from(text).subarray(0, this.d.responseBodyLimit).toString() : text,
      response_truncated: truncated, is_test: row.is_test,
    };
    const base = { delivery_id: row.id, webhook_id: row.webhook_id, fifo: row.fifo, lease_token: item.lease_token, attempt };
    if (ok) return { ...base, status: 'succeeded', next_attempt_at: null };
    // A test send reports its one attempt; it is not retried (as for HTTP).
    const delay = row.is_test ? null : retryDelay(rt.policy, attemptNo, this.d.clockScale, null);
    if (delay === null) return { ...base, status: 'failed', next_attempt_at: null };
    return { ...base, status: 'pending', next_attempt_at: now + delay };
  }

  /** The webhook, if it is a poll webhook of this org. */
  private async pollWebhook(orgId: string, webhookId: string): Promise<Webhook> {
    const w = await getWebhook(this.d.store.db, orgId, webhookId);
    if (!w) throw new HeraldError('HERALD_WEBHOOK_NOT_FOUND', [webhookId]);
    if (w.destination?.settings.kind !== 'poll') throw new HeraldError('HERALD_WEBHOOK_NOT_POLL', [webhookId]);
    return w;
  }

  private async runtime(row: ClaimedDelivery): Promise<WebhookRuntime> {
    const revision = row.webhook_revision ?? 0;
    const rt = (await this.runtimes.load(new Map([[row.webhook_id, revision]]))).get(row.webhook_id);
    if (!rt) throw new Error(`webhook ${row.webhook_id}: its signing keys cannot be opened`);
    return rt;
  }

  /** New work stored (ingest, resend, recovery, a finished retry): waiting polls look again. */
  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Waiting polls answer (empty) at once; later ones too. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}

/** When a poll's lease token was handed out (ms), or null for a token that is not one. */
function tokenTime(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) return null;
  const t = parseInt(parts[2]!, 36);
  return Number.isFinite(t) ? t : null;
}
