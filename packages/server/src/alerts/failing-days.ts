/**
 * The standard preset's rule (as Svix does, but kept in the store): deactivate (state_reason
 * failing_5_days) on a failure that comes at least 5 days after the first failure of a streak
 * with no success in between; mail only then.
 */
import type { AlertRule } from '../policy/presets.js';
import { scaled, type AlertState, type Failure, type RuleContext, type RuleStep } from './types.js';

type FailingDaysRule = Extract<AlertRule, { rule: 'failing-days' }>;

export function failingDaysStep(rule: FailingDaysRule, s: AlertState, f: Failure, ctx: RuleContext): RuleStep {
  if (!ctx.stale && s.failing_since !== null && f.at - s.failing_since >= scaled(rule.span_ms, ctx.scale)) {
    return { state: s, actions: [{ type: 'deactivate', reason: 'failing_5_days', failure: f }] };
  }
  return { state: s, actions: [] };
}
