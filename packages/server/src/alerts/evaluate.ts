/**
 * One evaluation of one webhook's alert state against the failed attempts of a completion
 * batch: the part every preset shares (resets, streak, 410), then the preset's rule.
 */
import type { AlertRule } from '../policy/presets.js';
import { dailyErrorsStep } from './daily-errors.js';
import { failingDaysStep } from './failing-days.js';
import { ladderStep } from './ladder.js';
import type { AlertAction, AlertState, Failure, RuleContext, RuleStep, WebhookFacts } from './types.js';

/** Forgets the streak and the ladder (a success, or re-enabling after a deactivation); day counts stay. */
export function resetStreak(s: AlertState): AlertState {
  return { ...s, streak: 0, failing_since: null, last_failure_at: null, step: 0, warned_at: null };
}

/** Counts a failure into the streak unless it is older than the last success. */
function countFailure(s: AlertState, f: Failure, lastSuccessAt: number | null): AlertState {
  if (lastSuccessAt !== null && f.at <= lastSuccessAt) return s;
  return { ...s, streak: s.streak + 1, failing_since: s.failing_since ?? f.at, last_failure_at: Math.max(s.last_failure_at ?? 0, f.at) };
}

function ruleStep(rule: AlertRule, s: AlertState, f: Failure, ctx: RuleContext): RuleStep {
  switch (rule.rule) {
    case 'failure-ladder':
      return ladderStep(rule, s, f, ctx);
    case 'daily-errors':
      return dailyErrorsStep(rule, s, f, ctx);
    case 'failing-days':
      return failingDaysStep(rule, s, f, ctx);
    case 'none':
      return { state: s, actions: [] };
  }
}

/**
 * Folds failures (any order; sorted here) into the state. Successes are not passed in: the
 * hot path already keeps the webhook's last_success_at, and a newer one than the state saw
 * resets the streak here, so a batch of successes costs the alert side nothing.
 */
export function evaluateAlerts(
  rule: AlertRule,
  state: AlertState,
  webhook: WebhookFacts,
  failures: readonly Failure[],
  scale: number,
): { state: AlertState; actions: AlertAction[] } {
  let s: AlertState = { ...state };
  if (webhook.state === 'enabled' && s.deactivated_revision !== null) {
    // Re-enabled since the deactivation we reported: start afresh.
    s = { ...resetStreak(s), deactivated_revision: null };
  }
  if (webhook.last_success_at !== s.success_seen_at) {
    s = { ...resetStreak(s), success_seen_at: webhook.last_success_at };
  }
  const sorted = [...failures].sort((a, b) => a.at - b.at);
  const lastSuccessAt = webhook.last_success_at;
  const gone = sorted.find((f) => f.gone);
  if (
    gone && webhook.state === 'deactivated' && webhook.state_reason === 'gone_410' && webhook.revision !== s.deactivated_revision
  ) {
    for (const f of sorted) s = countFailure(s, f, lastSuccessAt);
    return { state: { ...s, deactivated_revision: webhook.revision }, actions: [{ type: 'deactivated', reason: 'gone_410', failure: gone }] };
  }
  // Disabled by a person, deactivated, or a draft: attempts still in flight count for nothing.
  if (webhook.state !== 'enabled') return { state: s, actions: [] };
  const actions: AlertAction[] = [];
  for (const f of sorted) {
    const stale = lastSuccessAt !== null && f.at <= lastSuccessAt;
    s = countFailure(s, f, lastSuccessAt);
    const step = ruleStep(rule, s, f, { scale, lastSuccessAt, stale });
    s = step.state;
    actions.push(...step.actions);
    // Deactivated: later failures of the batch were in flight already and change nothing.
    if (step.actions.some((a) => a.type === 'deactivate')) break;
  }
  return { state: s, actions };
}
