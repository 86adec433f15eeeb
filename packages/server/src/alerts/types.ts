/**
 * What the alert rules read and decide. The rules are pure functions (state and failed
 * attempts in, new state and actions out); alert-evaluator.ts loads the state under a row
 * lock, runs them, and writes the state, the mail and the operational events it decided in
 * one transaction.
 */
import type { WebhookState } from '../model.js';

/** Per-webhook alert state, one row of webhook_alert_state. Times in ms since the epoch. */
export interface AlertState {
  /** The webhook's last_success_at when the streak fields below were built (null: no success yet). */
  success_seen_at: number | null;
  /** Failed attempts since the last success (or since re-enabling after a deactivation). */
  streak: number;
  /** The first of them. */
  failing_since: number | null;
  last_failure_at: number | null;
  /** Failure ladder: warnings sent in this streak (0, 1, 2), 3 once it deactivated. */
  step: number;
  /** Failure ladder: when the last warning was decided. */
  warned_at: number | null;
  /** Daily errors: the (scaled) server day counted, and its errors so far. */
  day: number | null;
  day_errors: number;
  /** The webhook revision after a deactivation already reported (mailed and emitted once). */
  deactivated_revision: number | null;
}

export const INITIAL_ALERT_STATE: Readonly<AlertState> = Object.freeze({
  success_seen_at: null,
  streak: 0,
  failing_since: null,
  last_failure_at: null,
  step: 0,
  warned_at: null,
  day: null,
  day_errors: 0,
  deactivated_revision: null,
});

/** One failed, non-test attempt, with what a mail says about it. */
export interface Failure {
  at: number;
  delivery_id: string;
  status_code: number | null;
  error_code: string | null;
  error_message: string | null;
  /** The start of the response body (at most RESPONSE_EXCERPT_CHARS characters). */
  response_excerpt: string | null;
  /** This attempt's 410 deactivated the webhook (the hot path did it, in the completion commit). */
  gone: boolean;
}

/** The most of a response body a mail or an operational event quotes. */
export const RESPONSE_EXCERPT_CHARS = 500;

/** What the rules see of the webhook, read in the evaluation transaction. */
export interface WebhookFacts {
  state: WebhookState;
  state_reason: string | null;
  revision: number;
  /** Maintained by the hot path: the newest successful non-test attempt. */
  last_success_at: number | null;
}

export type DeactivationReason = 'gone_410' | 'failure_ladder' | 'consecutive_errors' | 'failing_5_days';

export type AlertAction =
  /** Failure ladder warning 1 or 2. */
  | { type: 'warning'; step: 1 | 2; failure: Failure }
  /** The count-th error of the day. */
  | { type: 'daily_errors'; count: number; failure: Failure }
  /** A rule decided to deactivate: the caller applies it and, if it took effect, reports it. */
  | { type: 'deactivate'; reason: Exclude<DeactivationReason, 'gone_410'>; failure: Failure }
  /** A 410 deactivated it (already applied): the caller reports it. */
  | { type: 'deactivated'; reason: 'gone_410'; failure: Failure };

/** Facts one rule step sees besides the state. */
export interface RuleContext {
  /** HERALD_CLOCK_SCALE: every window is divided by it. */
  scale: number;
  lastSuccessAt: number | null;
  /** The failure is older than the last success: it belongs to no streak (day counts still see it). */
  stale: boolean;
}

export interface RuleStep {
  state: AlertState;
  actions: AlertAction[];
}

/** A window of the rule data, divided by the clock scale. */
export function scaled(ms: number, scale: number): number {
  return ms / scale;
}
