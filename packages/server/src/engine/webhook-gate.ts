import { systemClock, type Clock } from '../background/clock.js';

/**
 * Longest single wait of a gate's timer. setTimeout takes at most 2^31-1 ms and turns a
 * longer delay into 1 ms (with a TimeoutOverflowWarning): a webhook stored with an absurd
 * rate (1e-7 a second) re-armed its timer every millisecond, forever. A longer wait is
 * served in steps of this size; the refill on each wake decides whether to start.
 */
export const MAX_GATE_WAIT_MS = 60_000;

/** How long until the bucket holds one token again, within [1, MAX_GATE_WAIT_MS] ms. */
export function gateWaitMs(tokens: number, ratePerSec: number): number {
  const ms = Math.ceil(((1 - tokens) / ratePerSec) * 1000);
  return Number.isFinite(ms) ? Math.min(MAX_GATE_WAIT_MS, Math.max(1, ms)) : MAX_GATE_WAIT_MS;
}

/** A webhook's own pace: at most `maxInFlight` requests at once and `ratePerSec` starts a second. */
export interface GateLimits {
  maxInFlight: number | null;
  ratePerSec: number | null;
}

interface Gate {
  limits: GateLimits;
  inFlight: number;
  /** Token bucket: tokens available at `refilledAt`; holds at most one second's worth (≥ 1). */
  tokens: number;
  refilledAt: number;
  queue: (() => void)[];
  /** Cancels the armed wait for the next token (null: none armed). */
  timer: (() => void) | null;
}

/**
 * Holds each limited webhook's requests to its concurrency cap and rate limit inside one
 * worker process. A claimed delivery that cannot start yet waits in its webhook's queue
 * (its lease is renewed like any held claim); when the queue is full the caller is told to
 * give the delivery back to the store for later, so memory stays bounded however deep the
 * backlog. Webhooks without limits never touch this.
 */
export class WebhookGates {
  private readonly gates = new Map<string, Gate>();

  constructor(
    private readonly clock: Clock = systemClock,
    /** Longest queue per webhook, beyond which deliveries are given back. */
    private readonly maxQueue = (l: GateLimits) => Math.max(32, 4 * (l.maxInFlight ?? 0), 2 * Math.ceil(l.ratePerSec ?? 0)),
  ) {}

  static limited(l: GateLimits): boolean {
    return l.maxInFlight !== null || l.ratePerSec !== null;
  }

  /**
   * Runs `start` now or when the webhook's limits allow; answers false (and does not keep
   * `start`) when its queue is full, with how long to wait before offering it again.
   */
  submit(webhookId: string, limits: GateLimits, start: () => void): { accepted: true } | { accepted: false; retryInMs: number } {
    let g = this.gates.get(webhookId);
    if (!g) {
      g = { limits, inFlight: 0, tokens: Math.max(1, limits.ratePerSec ?? 1), refilledAt: this.clock.now(), queue: [], timer: null };
      this.gates.set(webhookId, g);
    }
    g.limits = limits;
    if (g.queue.length >= this.maxQueue(limits)) {
      const perSec = limits.ratePerSec ?? Math.max(1, limits.maxInFlight ?? 1);
      return { accepted: false, retryInMs: Math.min(60_000, Math.max(250, Math.ceil((g.queue.length / perSec) * 1000))) };
    }
    g.queue.push(start);
    this.drain(webhookId, g);
    return { accepted: true };
  }

  /** A request of this webhook finished: its slot goes to the next in line. */
  done(webhookId: string): void {
    const g = this.gates.get(webhookId);
    if (!g) return;
    g.inFlight--;
    this.drain(webhookId, g);
  }

  /** Requests waiting in queues (not started). */
  get waiting(): number {
    let n = 0;
    for (const g of this.gates.values()) n += g.queue.length;
    return n;
  }

  /** Forgets every queued start (shutdown: their leases are given back by the worker). */
  clear(): void {
    for (const g of this.gates.values()) if (g.timer) g.timer();
    this.gates.clear();
  }

  private refill(g: Gate): void {
    const rate = g.limits.ratePerSec;
    if (rate === null) return;
    const now = this.clock.now();
    g.tokens = Math.min(Math.max(1, rate), g.tokens + ((now - g.refilledAt) / 1000) * rate);
    g.refilledAt = now;
  }

  private drain(webhookId: string, g: Gate): void {
    const { maxInFlight, ratePerSec } = g.limits;
    while (g.queue.length > 0) {
      if (maxInFlight !== null && g.inFlight >= maxInFlight) break;
      if (ratePerSec !== null) {
        this.refill(g);
        if (g.tokens < 1) {
          if (!g.timer) {
            g.timer = this.clock.after(gateWaitMs(g.tokens, ratePerSec), () => {
              g.timer = null;
              this.drain(webhookId, g);
            });
          }
          break;
        }
        g.tokens -= 1;
      }
      g.inFlight++;
      g.queue.shift()!();
    }
    // An idle gate is forgotten once its bucket is full again (forgetting it sooner would
    // hand out a fresh burst); gates are few: one per limited webhook.
    if (g.inFlight === 0 && g.queue.length === 0 && !g.timer) {
      this.refill(g);
      if (ratePerSec === null || g.tokens >= Math.max(1, ratePerSec)) this.gates.delete(webhookId);
    }
  }
}
