import type { DeliveryPolicy, SignatureConfig } from '../model.js';

/**
 * When a preset mails and deactivates, as data (evaluated by src/alerts/). Every preset also
 * deactivates on 410 and mails about it (policy.on_410). Durations are divided by
 * HERALD_CLOCK_SCALE when evaluated. See docs/alerts.md for the reading of each seed sentence.
 */
export type AlertRule =
  /** Seed 000: warning, second warning, then deactivation, each gated by `window_ms` without success. */
  | { rule: 'failure-ladder'; window_ms: number }
  /** Seed 004: mail at these error counts of each (server) day; deactivate after `errors` consecutive errors spanning `span_ms`. */
  | { rule: 'daily-errors'; mail_at: number[]; deactivate_after: { errors: number; span_ms: number } }
  /** Svix-like: deactivate once failures with no success between have gone on for `span_ms`; mail then. */
  | { rule: 'failing-days'; span_ms: number }
  /** Nothing besides 410. */
  | { rule: 'none' };
export type AlertRuleName = AlertRule['rule'];

/**
 * Presets are plain data: a signature scheme plus a delivery policy that reproduces one
 * seed system. A webhook's own policy fields override its preset's.
 */
export interface Preset {
  name: PresetName;
  description: string;
  signature: SignatureConfig;
  policy: DeliveryPolicy;
  payload_mode: 'envelope' | 'raw';
  /** Alert mail and deactivation (docs/alerts.md). */
  alerts: AlertRule;
  /** The seed sentences this preset implements, quoted, with the setting that does it. */
  sources: { seed: string; sentence: string; setting: string }[];
}

export const PRESET_NAMES = ['standard', 'salesiq', 'smarterbot', 'dialog-insight'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  standard: {
    name: 'standard',
    description: 'Standard Webhooks v1 signing, Svix-compatible retries (5 s … 10 h), any 2xx succeeds',
    signature: { scheme: 'standard' },
    payload_mode: 'envelope',
    policy: {
      timeout_ms: 15 * S,
      retry_schedule_ms: [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H],
      retry_jitter: 0.2,
      success: { status: ['2xx'] },
      on_410: 'deactivate',
    },
    alerts: { rule: 'failing-days', span_ms: 5 * D },
    sources: [],
  },
  salesiq: {
    name: 'salesiq',
    description: 'SalesIQ (seeds 000–002): RSA SHA-256 in x-siqsignature, 5 s timeout, 3 retries 1 minute apart',
    signature: { scheme: 'rsa-sha256', header: 'x-siqsignature' },
    payload_mode: 'envelope',
    policy: {
      timeout_ms: 5 * S,
      retry_schedule_ms: [1 * M, 1 * M, 1 * M],
      retry_jitter: 0,
      success: { status: ['2xx'] },
      on_410: 'deactivate',
    },
    alerts: { rule: 'failure-ladder', window_ms: 1 * H },
    sources: [
      { seed: '001', sentence: 'Auto-retry count: 3 attempts, retried every 1 minute.', setting: 'retry_schedule: 1m, 1m, 1m' },
      { seed: '001', sentence: 'Timeout per webhook execution: 5 seconds.', setting: 'timeout_ms: 5000' },
      { seed: '001', sentence: 'Header: "x-siqsignature"', setting: 'signature: rsa-sha256, header x-siqsignature' },
      { seed: '000', sentence: 'No emails will be triggered for the first failure.', setting: 'alerts: failure-ladder' },
      {
        seed: '000',
        sentence: 'The first warning email will be sent after the second failure, with no success within the past hour.',
        setting: 'alerts: failure-ladder, window 1h (warning 1)',
      },
      {
        seed: '000',
        sentence: 'The second warning/alert will be sent following the third failure, with no success within an hour of the first warning email.',
        setting: 'alerts: failure-ladder, window 1h (warning 2)',
      },
      {
        seed: '000',
        sentence: 'Upon the fourth failure, with no success within an hour since the second warning email, the bot will be disabled, and a third warning/alert email will be sent.',
        setting: 'alerts: failure-ladder, window 1h (deactivation, state_reason failure_ladder)',
      },
      {
        seed: '000',
        sentence: 'If the webhook returns a 410 error at any time, it will be instantly deactivated, and a warning/alert email will be sent.',
        setting: 'on_410: deactivate (mail on deactivation)',
      },
      {
        seed: '000',
        sentence: 'SalesIQ will send an email alert to both the bot creator/modifier and the portal owner.',
        setting: 'alert mail to the org owner, the creator and last modifier, and alert_emails',
      },
    ],
  },
  smarterbot: {
    name: 'smarterbot',
    description: 'Smarterbot (seed 003): t=…,v1=<hex> HMAC in X-Webhook-Signature, raw record body, success only on exact bodies',
    signature: { scheme: 'hmac-timestamp', header: 'X-Webhook-Signature' },
    payload_mode: 'raw',
    policy: {
      timeout_ms: 10 * S,
      retry_schedule_ms: [1 * M, 3 * M],
      retry_jitter: 0,
      success: { status: ['2xx'], bodies: ['{"status":"success"}', '{"status":"Success: test request received"}'] },
      on_410: 'deactivate',
    },
    alerts: { rule: 'none' },
    sources: [
      { seed: '003', sentence: 'After failure, retry within 1 minute and 3 minutes.', setting: 'retry_schedule: 1m, 3m' },
      {
        seed: '003',
        sentence: '{"status":"success"} or {"status":"Success: test request received"} (case-sensitive…), returning other values is considered a failure.',
        setting: 'success.bodies',
      },
    ],
  },
  'dialog-insight': {
    name: 'dialog-insight',
    description: 'Dialog Insight (seed 004): RSA SHA-256 in X-DI-Signature, 15 s timeout, retries at 1, 15, 30, 60 min, only status 200',
    signature: { scheme: 'rsa-sha256', header: 'X-DI-Signature' },
    payload_mode: 'envelope',
    policy: {
      timeout_ms: 15 * S,
      retry_schedule_ms: [1 * M, 15 * M, 30 * M, 60 * M],
      retry_jitter: 0,
      success: { status: [200] },
      on_410: 'deactivate',
    },
    alerts: { rule: 'daily-errors', mail_at: [1, 10, 100, 1000, 10000], deactivate_after: { errors: 100, span_ms: 8 * H } },
    sources: [
      { seed: '004', sentence: 'This POST has a 15 second timeout.', setting: 'timeout_ms: 15000' },
      { seed: '004', sentence: '2nd attempt: 1 minute later … 5th attempt: 60 minutes', setting: 'retry_schedule: 1m, 15m, 30m, 60m' },
      { seed: '004', sentence: 'Your application must confirm the reception … using an HTTP reply where the 200 code status is OK', setting: 'success.status: [200]' },
      {
        seed: '004',
        sentence: "After the 1th, 10th, 100th, 1000th, 10000th error of each day (based on Dialog Insight' server time).",
        setting: 'alerts: daily-errors, mail_at 1, 10, 100, 1000, 10000 (days of the server clock)',
      },
      { seed: '004', sentence: 'When your webhook has been automatically deactivated.', setting: 'alerts: mail on deactivation' },
      {
        seed: '004',
        sentence: 'Your system will be considered in failure when at least 100 consecutive errors have occurred within a minimum of 8 hours.',
        setting: 'alerts: daily-errors, deactivate_after 100 errors spanning 8h (state_reason consecutive_errors)',
      },
    ],
  },
};

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}
