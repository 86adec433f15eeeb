import type { DestinationKind, Policy, PresetName, SuccessRule } from '../api/types';
import { durationWords, formatMs } from '../format';

/** A preset's or webhook's policy in sentences, for the readable summary. */

const SCHEMES: Record<string, (header?: string) => string> = {
  standard: () => 'Signed with Standard Webhooks v1 (HMAC SHA-256 in webhook-signature, verifiable with the standardwebhooks and svix libraries)',
  'standard-ed25519': () => 'Signed with Standard Webhooks v1a (Ed25519 in webhook-signature)',
  'hmac-timestamp': (h) => `Signed with HMAC SHA-256 as t=<time>,v1=<hex> in ${h ?? 'the signature header'}`,
  'hmac-sha256': (h) => `Signed with HMAC SHA-256 as sha256=<hex> in ${h ?? 'X-Hub-Signature-256'} (GitHub style)`,
  'rsa-sha256': (h) => `Signed with RSA SHA-256, base64, in ${h ?? 'the signature header'}; the public key is shown as PEM and XML`,
};

export function signatureWords(sig: { scheme: string; header?: string }, secured = true): string {
  if (!secured) return 'Not signed (secured is off)';
  return (SCHEMES[sig.scheme] ?? ((h?: string) => `Signed with ${sig.scheme}${h ? ` in ${h}` : ''}`))(sig.header);
}

export function retryWords(schedule: string[]): string {
  if (schedule.length === 0) return 'No retries: one attempt only';
  const n = schedule.length;
  return `Retries ${n} time${n === 1 ? '' : 's'} after a failure, waiting ${schedule.map(durationWords).join(', ')}`;
}

export function successWords(s: SuccessRule): string {
  const statuses = s.status.map((x) => (x === '2xx' ? 'any 2xx' : String(x)));
  const status = statuses.length === 1 && statuses[0] === 'any 2xx' ? 'any 2xx status' : `status ${statuses.join(' or ')}`;
  if (!s.bodies || s.bodies.length === 0) return `Succeeds on ${status}`;
  return `Succeeds on ${status} with a body of exactly ${s.bodies.map((b) => `“${b}”`).join(' or ')}`;
}

/**
 * An alert rule as GET /presets answers it (durations as "1h", "5d"); the dashboard's own
 * reading of each preset stands in when a server answers none.
 */
export interface AlertRule {
  rule: string;
  window?: string;
  span?: string;
  mail_at?: number[];
  deactivate_after?: { errors: number; span?: string };
}

const PRESET_ALERTS: Record<PresetName, AlertRule> = {
  standard: { rule: 'failing-days', span: '5d' },
  salesiq: { rule: 'failure-ladder', window: '1h' },
  smarterbot: { rule: 'none' },
  'dialog-insight': { rule: 'daily-errors', mail_at: [1, 10, 100, 1000, 10000], deactivate_after: { errors: 100, span: '8h' } },
};

const ordinal = (n: number) => `${n.toLocaleString('en')}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

export function alertWords(preset: PresetName, rule?: AlertRule, kind: DestinationKind = 'http'): string {
  const a = rule ?? PRESET_ALERTS[preset];
  switch (a.rule) {
    case 'failure-ladder':
      return `No mail on the first failure; a warning on the 2nd and a second warning on the 3rd failure with no success within ${durationWords(a.window ?? '1h')}; on the 4th it is deactivated and mailed (to creator, modifier and org owner)`;
    case 'daily-errors':
      return `Mails after the ${(a.mail_at ?? []).map(ordinal).join(', ')} error of each day; deactivates after ${a.deactivate_after?.errors ?? 100} consecutive errors spanning at least ${durationWords(a.deactivate_after?.span ?? '8h')}, and mails then`;
    case 'failing-days':
      return `Deactivates after ${durationWords(a.span ?? '5d')} of nothing but failures, and mails then`;
    case 'none':
      return kind === 'http' ? 'No alert mail and no automatic deactivation besides 410' : 'No alert mail and no automatic deactivation';
    default:
      return a.rule;
  }
}

export interface PolicyContext {
  /** Off: requests are not signed. */
  secured?: boolean;
  alerts?: AlertRule;
  /**
   * Where deliveries go: the success rule and 410 are HTTP's; a broker's confirm decides
   * success; a poll webhook's consumer answers each delivery and sets its own pace, with no
   * timeout (docs/destinations.md).
   */
  kind?: DestinationKind;
}

/** How long an attempt waits, what decides its success and what a 410 does, by destination. */
function outcomeSentences(p: Policy, kind: DestinationKind): { wait: string | null; verdict: string[] } {
  switch (kind) {
    case 'http':
      return {
        wait: `Waits ${formatMs(p.timeout_ms)} for an answer`,
        verdict: [
          successWords(p.success),
          p.on_410 === 'deactivate' ? 'A 410 Gone deactivates the webhook at once and mails about it' : 'A 410 Gone is retried like any failure',
        ],
      };
    case 'poll':
      return { wait: null, verdict: ['Succeeds when its consumer answers with a 2xx status or no status; any other answer is a failure'] };
    default:
      return { wait: `Waits ${formatMs(p.timeout_ms)} for the broker to confirm each message`, verdict: ['Succeeds when the broker confirms the message'] };
  }
}

export function policySentences(p: Policy, sig: { scheme: string; header?: string }, payload: 'envelope' | 'raw', preset: PresetName, ctx: PolicyContext = {}): string[] {
  const { secured = true, alerts, kind = 'http' } = ctx;
  const extra = p as Policy & { ordering?: string; rate_limit?: number | null; max_in_flight?: number | null };
  const { wait, verdict } = outcomeSentences(p, kind);
  const out = [
    signatureWords(sig, secured),
    ...(wait ? [wait] : []),
    retryWords(p.retry_schedule),
    ...verdict,
    alertWords(preset, alerts, kind),
    payload === 'raw' ? 'Sends the entity alone as the body (raw)' : 'Sends the event envelope (version, event, event_time, org_id, app_id, attempt, entity…)',
  ];
  if (extra.ordering === 'fifo') out.push('Delivers one event at a time, oldest first (FIFO)');
  // A poll webhook's consumer leases at its own pace: the worker's pacing does not apply.
  if (kind !== 'poll') {
    const unit = kind === 'http' ? 'requests' : 'messages';
    if (typeof extra.rate_limit === 'number') out.push(`At most ${extra.rate_limit} ${unit} per second`);
    if (typeof extra.max_in_flight === 'number') out.push(`At most ${extra.max_in_flight} ${unit} in flight`);
  }
  return out;
}
