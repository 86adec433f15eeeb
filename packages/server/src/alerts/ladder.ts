/**
 * The seed-000 failure ladder (salesiq preset), read so that escalation needs time without
 * success (docs/alerts.md quotes the sentences):
 * - no mail on the first failure;
 * - warning 1 on a failure that is at least the 2nd consecutive one, when there was no
 *   success in the past window (1 h);
 * - warning 2 on a later failure, once at least a window has passed since warning 1 (a
 *   success in between resets the whole ladder, so "no success since" always holds here);
 * - deactivation (state_reason failure_ladder) and a mail on a later failure, once at least a
 *   window has passed since warning 2.
 */
import type { AlertRule } from '../policy/presets.js';
import { scaled, type AlertState, type Failure, type RuleContext, type RuleStep } from './types.js';

type LadderRule = Extract<AlertRule, { rule: 'failure-ladder' }>;

/** The ladder's step after deactivation: nothing more happens until the webhook is re-enabled. */
export const LADDER_DEACTIVATED = 3;

/** Folds one failure (the streak already counts it) into the ladder. */
export function ladderStep(rule: LadderRule, s: AlertState, f: Failure, ctx: RuleContext): RuleStep {
  if (ctx.stale) return { state: s, actions: [] };
  const window = scaled(rule.window_ms, ctx.scale);
  if (s.step === 0) {
    const quiet = ctx.lastSuccessAt === null || f.at - ctx.lastSuccessAt >= window;
    if (s.streak >= 2 && quiet) {
      return { state: { ...s, step: 1, warned_at: f.at }, actions: [{ type: 'warning', step: 1, failure: f }] };
    }
  } else if (s.step === 1 && s.warned_at !== null && f.at - s.warned_at >= window) {
    return { state: { ...s, step: 2, warned_at: f.at }, actions: [{ type: 'warning', step: 2, failure: f }] };
  } else if (s.step === 2 && s.warned_at !== null && f.at - s.warned_at >= window) {
    return { state: { ...s, step: LADDER_DEACTIVATED }, actions: [{ type: 'deactivate', reason: 'failure_ladder', failure: f }] };
  }
  return { state: s, actions: [] };
}
