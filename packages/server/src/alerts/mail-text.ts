/**
 * The text of alert mail: which webhook, what failed, what happens next, how to re-enable.
 * Plain text, so it reads the same in every client and in logs.
 */
import type { AlertRule } from '../policy/presets.js';
import { nextDailyMark } from './daily-errors.js';
import type { AlertState, DeactivationReason, Failure } from './types.js';
import { iso } from '../time.js';

/** What a mail reports (a rule's deactivation is reported once it took effect). */
export type ReportedAlert =
  | { type: 'warning'; step: 1 | 2; failure: Failure }
  | { type: 'daily_errors'; count: number; failure: Failure }
  | { type: 'deactivated'; reason: DeactivationReason; failure: Failure };

export interface MailWebhook {
  id: string;
  org_id: string;
  url: string;
  description: string;
  preset: string;
}

export interface MailContext {
  rule: AlertRule;
  /** The alert state after the evaluation that decided this mail. */
  state: AlertState;
  scale: number;
  /** HERALD_PUBLIC_URL, for the dashboard link and the API address. */
  publicUrl: string | undefined;
}

export interface AlertMail {
  /** Stable name of the mail (kept in the outbox and sent as X-Herald-Alert). */
  kind: 'warning_1' | 'warning_2' | 'daily_errors' | 'deactivated';
  subject: string;
  text: string;
}

const UNITS: [number, string][] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

/** 3600000 → "1 hour", 28800000 → "8 hours" (the preset's wording, before any clock scale). */
export function humanDuration(ms: number): string {
  for (const [size, name] of UNITS) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms === size ? '' : 's'}`;
  }
  return `${ms} ms`;
}

/** "status 500" or "error timeout: …", then the start of the response when there was one. */
export function describeFailure(f: Failure): string {
  const what = f.status_code !== null
    ? `HTTP status ${f.status_code}${f.error_code && f.error_code !== 'status' ? ` (${f.error_code}${f.error_message ? `: ${f.error_message}` : ''})` : ''}`
    : `error ${f.error_code ?? 'error'}${f.error_message ? `: ${f.error_message}` : ''}`;
  const lines = [`What failed: ${what}, at ${iso(f.at)} (delivery ${f.delivery_id}).`];
  if (f.response_excerpt) lines.push('', 'Last response (start of the body):', indent(f.response_excerpt));
  return lines.join('\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

const REASONS: Record<DeactivationReason, (rule: AlertRule, s: AlertState) => string> = {
  gone_410: () => 'it answered 410 Gone, which says the endpoint no longer exists.',
  failure_ladder: (rule) => {
    const w = rule.rule === 'failure-ladder' ? humanDuration(rule.window_ms) : 'an hour';
    return `it kept failing: it failed again at least ${w} after the second warning, with no success since the first failure.`;
  },
  consecutive_errors: (rule, s) => {
    const d = rule.rule === 'daily-errors' ? rule.deactivate_after : { errors: 100, span_ms: 8 * 3_600_000 };
    return `${s.streak} consecutive errors since ${s.failing_since === null ? 'its first failure' : iso(s.failing_since)} ` +
      `(the limit is ${d.errors} consecutive errors spanning at least ${humanDuration(d.span_ms)}).`;
  },
  failing_5_days: (rule, s) => {
    const span = rule.rule === 'failing-days' ? humanDuration(rule.span_ms) : '5 days';
    return `nothing but failures for ${span}: the first failure with no success since was at ${s.failing_since === null ? '?' : iso(s.failing_since)}.`;
  },
};

function whatNext(a: ReportedAlert, ctx: MailContext): string {
  const { rule, state } = ctx;
  if (a.type === 'deactivated') {
    return 'What happens next: Herald sends this webhook nothing until someone re-enables it. Events that arrive ' +
      'meanwhile are kept as skipped deliveries (none is lost) and can be sent after re-enabling (below).';
  }
  if (a.type === 'warning' && rule.rule === 'failure-ladder') {
    const w = humanDuration(rule.window_ms);
    return a.step === 1
      ? `What happens next: if it fails again at least ${w} after this warning, with no success in between, you get a ` +
        `second warning; if it is still failing ${w} after that one, Herald deactivates it. One successful delivery resets this.`
      : `What happens next: if it fails again at least ${w} after this warning, with no success in between, Herald ` +
        'deactivates it and tells you. One successful delivery resets this.';
  }
  if (a.type === 'daily_errors' && rule.rule === 'daily-errors') {
    const next = nextDailyMark(rule, a.count);
    const d = rule.deactivate_after;
    return `What happens next: ${next === null ? 'no more error-count mail today' : `the next mail comes at the ${ordinal(next)} error today`} ` +
      `(days by the server clock). Herald deactivates the webhook after ${d.errors} consecutive errors spanning at least ` +
      `${humanDuration(d.span_ms)}; it has ${state.streak} consecutive error${state.streak === 1 ? '' : 's'} now. ` +
      'One successful delivery resets the consecutive count.';
  }
  return 'What happens next: Herald keeps retrying by the webhook\'s policy.';
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

function howToReEnable(w: MailWebhook, a: ReportedAlert, publicUrl: string | undefined): string {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : '<herald address>';
  const path = `${base}/api/v1/orgs/${w.org_id}/webhooks/${w.id}`;
  const since = iso(a.failure.at);
  const lines = [
    a.type === 'deactivated' ? 'How to re-enable it, once the endpoint works:' : 'If Herald deactivates it, re-enable it once the endpoint works:',
    `    curl -X PATCH ${path} -H 'authorization: Bearer <API key>' -H 'content-type: application/json' -d '{"state":"enabled"}'`,
    'then send what was kept or failed since then:',
    `    curl -X POST ${path}/recover -H 'authorization: Bearer <API key>' -H 'content-type: application/json' -d '{"since":"${since}"}'`,
  ];
  if (publicUrl) lines.push(`Or in the dashboard: ${base}/#/webhooks/${w.id}`);
  return lines.join('\n');
}

/** Subject and text of one alert mail. */
export function composeAlertMail(a: ReportedAlert, w: MailWebhook, ctx: MailContext): AlertMail {
  const label = w.description || w.url;
  let kind: AlertMail['kind'];
  let subject: string;
  let headline: string;
  if (a.type === 'warning') {
    kind = a.step === 1 ? 'warning_1' : 'warning_2';
    subject = `[Herald] Warning ${a.step}: webhook ${label} is failing`;
    headline = a.step === 1
      ? 'This webhook has failed repeatedly, with no successful delivery in the past hour.'
      : 'This webhook is still failing, with no successful delivery since the first warning.';
  } else if (a.type === 'daily_errors') {
    kind = 'daily_errors';
    subject = `[Herald] Webhook ${label}: ${ordinal(a.count)} error today`;
    headline = `This webhook has had ${a.count} error${a.count === 1 ? '' : 's'} today (server time).`;
  } else {
    kind = 'deactivated';
    subject = `[Herald] Webhook ${label} was deactivated`;
    headline = `Herald deactivated this webhook (state_reason ${a.reason}): ${REASONS[a.reason](ctx.rule, ctx.state)}`;
  }
  const text = [
    headline,
    '',
    `Webhook: ${w.id} in org ${w.org_id}`,
    `URL: ${w.url}`,
    ...(w.description ? [`Description: ${w.description}`] : []),
    `Preset: ${w.preset}`,
    '',
    describeFailure(a.failure),
    '',
    whatNext(a, ctx),
    '',
    howToReEnable(w, a, ctx.publicUrl),
    ...(ctx.scale !== 1 ? ['', `(This Herald runs with HERALD_CLOCK_SCALE=${ctx.scale}: every window above is divided by it.)`] : []),
    '',
    `Why you get this: you own org ${w.org_id}, created or changed this webhook, or are listed in its alert_emails.`,
  ].join('\n');
  return { kind, subject, text };
}
