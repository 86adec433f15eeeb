/**
 * The seed-004 rule (dialog-insight preset): a mail after the 1st, 10th, 100th, 1000th and
 * 10000th error of each server day, and deactivation (state_reason consecutive_errors) once
 * at least 100 consecutive errors span at least 8 hours. Errors are failed non-test attempts.
 */
import type { AlertRule } from '../policy/presets.js';
import { scaled, type AlertState, type Failure, type RuleContext, type RuleStep } from './types.js';

type DailyRule = Extract<AlertRule, { rule: 'daily-errors' }>;

export const DAY_MS = 86_400_000;

/**
 * The server day `at` falls in, as a day number: local midnight to midnight of the server's
 * time zone. With a clock scale s, a day lasts DAY_MS / s and days are counted the same way
 * from the Unix epoch in local time (so with s = 1 they are calendar days).
 */
export function serverDay(at: number, scale: number): number {
  const local = at - new Date(at).getTimezoneOffset() * 60_000;
  return Math.floor(local / (DAY_MS / scale));
}

/** When the server day after the one of `at` begins (ms since the epoch). */
export function nextServerDayAt(at: number, scale: number): number {
  const length = DAY_MS / scale;
  const offset = new Date(at).getTimezoneOffset() * 60_000;
  return Math.ceil((serverDay(at, scale) + 1) * length + offset);
}

/** Folds one failure (the streak already counts it, unless stale) into the day count and the streak rule. */
export function dailyErrorsStep(rule: DailyRule, s: AlertState, f: Failure, ctx: RuleContext): RuleStep {
  const day = serverDay(f.at, ctx.scale);
  const state: AlertState = { ...s, day, day_errors: s.day === day ? s.day_errors + 1 : 1 };
  const { errors, span_ms: span } = rule.deactivate_after;
  if (!ctx.stale && state.streak >= errors && state.failing_since !== null && f.at - state.failing_since >= scaled(span, ctx.scale)) {
    // The deactivation mail also says how many errors there were today: no separate count mail.
    return { state, actions: [{ type: 'deactivate', reason: 'consecutive_errors', failure: f }] };
  }
  const actions: RuleStep['actions'] = rule.mail_at.includes(state.day_errors) ? [{ type: 'daily_errors', count: state.day_errors, failure: f }] : [];
  return { state, actions };
}

/** The next error count of the day that mails, or null when none is left today. */
export function nextDailyMark(rule: DailyRule, count: number): number | null {
  return rule.mail_at.find((n) => n > count) ?? null;
}
