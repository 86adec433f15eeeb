import type { DeliveryPolicy, SignatureConfig } from '../model.js';

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
  /** The seed sentences this preset implements, quoted, with the setting that does it. */
  sources: { seed: string; sentence: string; setting: string }[];
}

export const PRESET_NAMES = ['standard', 'salesiq', 'smarterbot', 'dialog-insight'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const S = 1000;
const M = 60 * S;
const H = 60 * M;

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
    sources: [
      { seed: '001', sentence: 'Auto-retry count: 3 attempts, retried every 1 minute.', setting: 'retry_schedule: 1m, 1m, 1m' },
      { seed: '001', sentence: 'Timeout per webhook execution: 5 seconds.', setting: 'timeout_ms: 5000' },
      { seed: '001', sentence: 'Header: "x-siqsignature"', setting: 'signature: rsa-sha256, header x-siqsignature' },
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
    sources: [
      { seed: '004', sentence: 'This POST has a 15 second timeout.', setting: 'timeout_ms: 15000' },
      { seed: '004', sentence: '2nd attempt: 1 minute later … 5th attempt: 60 minutes', setting: 'retry_schedule: 1m, 15m, 30m, 60m' },
      { seed: '004', sentence: 'Your application must confirm the reception … using an HTTP reply where the 200 code status is OK', setting: 'success.status: [200]' },
    ],
  },
};

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}
