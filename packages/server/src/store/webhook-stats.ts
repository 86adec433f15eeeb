import type { DeliveryResult } from './types.js';

/** Per-webhook totals of one completion batch, written with one UPDATE per webhook. */
export interface WebhookStatsDelta {
  webhook_id: string;
  last_triggered_at: number;
  last_success_at: number | null;
  last_failure_at: number | null;
  /** True when a success in the batch resets the consecutive failure count. */
  reset: boolean;
  /** Failures after the batch's last success (or all of them, when reset is false). */
  consecutive_failures: number;
  failures: number;
  successes: number;
}

/**
 * Folds a batch's attempts into per-webhook deltas, ordered by webhook id so that two
 * PostgreSQL workers lock webhook rows in the same order (no deadlock). Test sends
 * are not counted: they say nothing about the endpoint's health in production.
 */
export function aggregateWebhookStats(results: readonly Pick<DeliveryResult, 'attempt'>[]): WebhookStatsDelta[] {
  const byWebhook = new Map<string, WebhookStatsDelta>();
  const attempts = results
    .map((r) => r.attempt)
    .filter((a): a is NonNullable<typeof a> => a !== null && !a.is_test)
    .sort((a, b) => a.started_at - b.started_at);
  for (const a of attempts) {
    let s = byWebhook.get(a.webhook_id);
    if (!s) {
      s = {
        webhook_id: a.webhook_id,
        last_triggered_at: a.started_at,
        last_success_at: null,
        last_failure_at: null,
        reset: false,
        consecutive_failures: 0,
        failures: 0,
        successes: 0,
      };
      byWebhook.set(a.webhook_id, s);
    }
    s.last_triggered_at = Math.max(s.last_triggered_at, a.started_at);
    if (a.outcome === 'success') {
      s.successes++;
      s.last_success_at = a.started_at;
      s.reset = true;
      s.consecutive_failures = 0;
    } else {
      s.failures++;
      s.last_failure_at = a.started_at;
      s.consecutive_failures++;
    }
  }
  return [...byWebhook.values()].sort((x, y) => (x.webhook_id < y.webhook_id ? -1 : 1));
}
