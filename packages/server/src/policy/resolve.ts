import type { DeliveryPolicy, SuccessRule } from '../model.js';
import { formatDuration, parseDuration } from './duration.js';
import { PRESETS, type PresetName } from './presets.js';
import { RANGES } from './ranges.js';

/** The policy fields a webhook may set over its preset, as the API takes and shows them. */
export interface PolicyOverrides {
  timeout_ms?: number;
  retry_schedule?: string[];
  retry_jitter?: number;
  success?: { status?: (number | '2xx')[]; bodies?: string[] | null };
  on_410?: 'deactivate' | 'retry';
  rate_limit?: number | null;
  max_in_flight?: number | null;
  ordering?: 'any' | 'fifo';
}

export const MAX_TIMEOUT_MS = RANGES['policy.timeout_ms'].max;

/** Checks overrides; answers a list of problems (empty when valid). */
export function checkOverrides(o: PolicyOverrides): string[] {
  const problems: string[] = [];
  if (o.timeout_ms !== undefined && (o.timeout_ms < 100 || o.timeout_ms > MAX_TIMEOUT_MS)) {
    problems.push(`policy.timeout_ms must be between 100 and ${MAX_TIMEOUT_MS}`);
  }
  o.retry_schedule?.forEach((d, i) => {
    const ms = parseDuration(d);
    if (ms === null) problems.push(`policy.retry_schedule[${i}] "${d}" is not a duration such as 30s, 5m, 2h, 1d`);
    else if (ms > RANGES['policy.retry_schedule[]'].max) problems.push(`policy.retry_schedule[${i}] is longer than 7 days`);
  });
  if (o.retry_jitter !== undefined && (o.retry_jitter < 0 || o.retry_jitter > 0.5)) {
    problems.push('policy.retry_jitter must be between 0 and 0.5');
  }
  return problems;
}

/** The webhook's effective policy: its preset's, with its own fields on top. */
export function resolvePolicy(preset: PresetName, o: PolicyOverrides): DeliveryPolicy {
  const base = PRESETS[preset].policy;
  const success: SuccessRule = {
    status: o.success?.status ?? base.success.status,
  };
  const bodies = o.success?.bodies === undefined ? base.success.bodies : (o.success.bodies ?? undefined);
  if (bodies) success.bodies = bodies;
  return {
    timeout_ms: o.timeout_ms ?? base.timeout_ms,
    retry_schedule_ms: o.retry_schedule ? o.retry_schedule.map((d) => parseDuration(d) ?? 0) : base.retry_schedule_ms,
    retry_jitter: o.retry_jitter ?? base.retry_jitter,
    success,
    on_410: o.on_410 ?? base.on_410,
    rate_limit: o.rate_limit ?? base.rate_limit ?? null,
    max_in_flight: o.max_in_flight ?? base.max_in_flight ?? null,
    ordering: o.ordering ?? base.ordering ?? 'any',
  };
}

/** The effective policy as the API shows it. */
export function policyView(p: DeliveryPolicy): Record<string, unknown> {
  return {
    timeout_ms: p.timeout_ms,
    retry_schedule: p.retry_schedule_ms.map(formatDuration),
    retry_jitter: p.retry_jitter,
    success: p.success.bodies ? { status: p.success.status, bodies: p.success.bodies } : { status: p.success.status },
    on_410: p.on_410,
    rate_limit: p.rate_limit ?? null,
    max_in_flight: p.max_in_flight ?? null,
    ordering: p.ordering ?? 'any',
  };
}

/** True when a response meets the success rule (status, then exact body when bodies are set). */
export function isSuccess(rule: SuccessRule, status: number, body: string | null): boolean {
  const statusOk = rule.status.some((s) => (s === '2xx' ? status >= 200 && status < 300 : s === status));
  if (!statusOk) return false;
  if (!rule.bodies) return true;
  return body !== null && rule.bodies.includes(body);
}

/**
 * Delay before the next attempt after `attemptsMade` failed ones, or null when the schedule
 * is spent. Jitter spreads retries of many deliveries that failed together; HERALD_CLOCK_SCALE
 * shrinks the delay for tests and demos. A Retry-After the receiver sent is honoured within
 * [scheduled delay, 2 × scheduled delay].
 */
export function retryDelay(
  p: DeliveryPolicy,
  attemptsMade: number,
  clockScale: number,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number | null {
  const scheduled = p.retry_schedule_ms[attemptsMade - 1];
  if (scheduled === undefined) return null;
  let delay = scheduled;
  if (retryAfterMs !== null) delay = Math.min(Math.max(retryAfterMs, scheduled), 2 * scheduled);
  if (p.retry_jitter > 0) delay = delay * (1 + (random() * 2 - 1) * p.retry_jitter);
  return Math.max(0, Math.round(delay / clockScale));
}
