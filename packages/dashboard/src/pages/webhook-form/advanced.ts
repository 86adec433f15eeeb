import type { DestinationKind, Policy, PolicyOverrides, Webhook } from '../../api/types';

/** The advanced fields as typed (text), and how they become API fields. */
export interface AdvancedState {
  timeoutS: string;
  retry: string;
  successStatus: string;
  successBodies: string;
  on410: '' | 'deactivate' | 'retry';
  rateLimit: string;
  maxInFlight: string;
  ordering: '' | 'any' | 'fifo';
  /** Overrides this form does not show, sent back unchanged so that saving never drops them. */
  other: PolicyOverrides;
  filter: string;
  payload: '' | 'envelope' | 'raw';
  alertEmails: string;
}

export type AdvancedField = keyof AdvancedState;

export function advancedFrom(w: Webhook | undefined): AdvancedState {
  const o: PolicyOverrides = w?.policy_overrides ?? {};
  return {
    timeoutS: o.timeout_ms !== undefined ? String(o.timeout_ms / 1000) : '',
    retry: o.retry_schedule ? (o.retry_schedule.length === 0 ? 'none' : o.retry_schedule.join(', ')) : '',
    successStatus: o.success?.status ? o.success.status.join(', ') : '',
    successBodies: o.success?.bodies ? o.success.bodies.join('\n') : '',
    on410: o.on_410 ?? '',
    rateLimit: typeof o.rate_limit === 'number' ? String(o.rate_limit) : '',
    maxInFlight: typeof o.max_in_flight === 'number' ? String(o.max_in_flight) : '',
    ordering: o.ordering ?? '',
    other: Object.fromEntries(Object.entries(o).filter(([k]) => !MANAGED.has(k))),
    filter: w?.filter ?? '',
    payload: '',
    alertEmails: w?.alert_emails.join(', ') ?? '',
  };
}

/**
 * The fields a destination does not use (docs/destinations.md): the success rule and 410 are
 * HTTP's (a broker's confirm decides success); a poll webhook's consumer also has no timeout
 * and leases at its own pace, so the worker's rate limit and concurrency cap do not apply.
 * The form hides them but keeps their values: saving never drops an override.
 */
export function unusedFields(kind: DestinationKind): AdvancedField[] {
  if (kind === 'http') return [];
  const httpOnly: AdvancedField[] = ['successStatus', 'successBodies', 'on410'];
  return kind === 'poll' ? ['timeoutS', ...httpOnly, 'rateLimit', 'maxInFlight'] : httpOnly;
}

/** The overrides the advanced fields edit; any other is kept as it is. */
const MANAGED = new Set(['timeout_ms', 'retry_schedule', 'success', 'on_410', 'rate_limit', 'max_in_flight', 'ordering']);

const DURATION = /^\d+(ms|s|m|h|d)$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface ParsedAdvanced {
  policy: PolicyOverrides;
  filter: string | null;
  payload: 'envelope' | 'raw' | undefined;
  alert_emails: string[];
  errors: Partial<Record<AdvancedField, string>>;
}

/** Turns the typed fields into overrides; empty fields keep the preset's value. */
export function parseAdvanced(a: AdvancedState): ParsedAdvanced {
  const errors: ParsedAdvanced['errors'] = {};
  const policy: PolicyOverrides = { ...a.other };
  if (a.timeoutS.trim() !== '') {
    const s = Number(a.timeoutS);
    if (!Number.isFinite(s) || s < 0.1 || s > 30) errors.timeoutS = 'Between 0.1 and 30 seconds.';
    else policy.timeout_ms = Math.round(s * 1000);
  }
  const retry = a.retry.trim();
  if (retry !== '') {
    if (retry.toLowerCase() === 'none') policy.retry_schedule = [];
    else {
      const parts = retry.split(/[\s,]+/).filter(Boolean);
      const bad = parts.filter((p) => !DURATION.test(p));
      if (bad.length > 0) errors.retry = `Not a duration: ${bad.join(', ')} (write 30s, 5m, 2h, 1d).`;
      else if (parts.length > 20) errors.retry = 'At most 20 retries.';
      else policy.retry_schedule = parts;
    }
  }
  const statusText = a.successStatus.trim();
  const bodies = a.successBodies.split('\n').map((l) => l.trim()).filter(Boolean);
  if (statusText !== '' || bodies.length > 0) {
    policy.success = {};
    if (statusText !== '') {
      const parts = statusText.split(/[\s,]+/).filter(Boolean);
      const status: (number | '2xx')[] = [];
      for (const p of parts) {
        if (p.toLowerCase() === '2xx') status.push('2xx');
        else if (/^\d{3}$/.test(p) && Number(p) >= 100 && Number(p) <= 599) status.push(Number(p));
        else errors.successStatus = `Not a status: ${p} (write 2xx or codes such as 200, 202).`;
      }
      policy.success.status = status;
    }
    if (bodies.length > 0) policy.success.bodies = bodies;
  }
  if (a.on410 !== '') policy.on_410 = a.on410;
  if (a.rateLimit.trim() !== '') {
    const r = Number(a.rateLimit);
    if (!Number.isFinite(r) || r <= 0 || r > 100_000) errors.rateLimit = 'Requests per second, more than 0 and at most 100,000.';
    else policy.rate_limit = r;
  }
  if (a.maxInFlight.trim() !== '') {
    const m = Number(a.maxInFlight);
    if (!Number.isInteger(m) || m < 1 || m > 10_000) errors.maxInFlight = 'A whole number from 1 to 10,000.';
    else policy.max_in_flight = m;
  }
  if (a.ordering !== '') policy.ordering = a.ordering;
  const emails = a.alertEmails.split(/[\s,;]+/).filter(Boolean);
  const badMail = emails.filter((e) => !EMAIL.test(e));
  if (badMail.length > 0) errors.alertEmails = `Not an email address: ${badMail.join(', ')}.`;
  return {
    policy,
    filter: a.filter.trim() === '' ? null : a.filter.trim(),
    payload: a.payload === '' ? undefined : a.payload,
    alert_emails: emails,
    errors,
  };
}

/** The preset's value, shown as the placeholder of an empty field. */
export function placeholders(p: Policy | undefined): Record<'timeoutS' | 'retry' | 'successStatus' | 'successBodies', string> {
  return {
    timeoutS: p ? String(p.timeout_ms / 1000) : '',
    retry: p ? (p.retry_schedule.length ? p.retry_schedule.join(', ') : 'none') : '',
    successStatus: p ? p.success.status.join(', ') : '',
    successBodies: p?.success.bodies?.join('\n') ?? '(any body)',
  };
}
