import type { DeliveryMode } from '../model.js';
import { CronExpressionParser } from 'cron-parser';
import { parseDuration } from './duration.js';

/** The `delivery` field as the API takes it, before it is checked. */
export interface DeliveryInput {
  mode: 'immediate' | 'digest';
  every?: string;
  at?: string;
  timezone?: string;
  cron?: string;
}

export type DigestDelivery = Extract<DeliveryMode, { mode: 'digest' }>;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Shorter periods are not digests any more; longer ones hold events past retention. */
const MIN_PERIOD_MS = MINUTE_MS;
const MAX_PERIOD_MS = 31 * DAY_MS;
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Checks a `delivery` setting and answers its stored form, or every problem found (the
 * caller answers 422 and changes nothing). `every` defaults to 1d: seed 003 sends "daily".
 */
export function checkDelivery(input: DeliveryInput): { delivery: DeliveryMode } | { problems: string[] } {
  const problems: string[] = [];
  if (input.mode === 'immediate') {
    const extra = (['every', 'at', 'timezone', 'cron'] as const).filter((k) => input[k] !== undefined);
    if (extra.length > 0) problems.push(`delivery.${extra.join(', delivery.')} only apply to mode "digest"`);
    return problems.length > 0 ? { problems } : { delivery: { mode: 'immediate' } };
  }
  if (input.cron !== undefined) return checkCron(input);
  const every = input.every ?? '1d';
  const period = parseDuration(every);
  if (period === null) problems.push(`delivery.every "${every}" is not a duration such as 15m, 1h, 1d`);
  else if (period < MIN_PERIOD_MS || period > MAX_PERIOD_MS) problems.push('delivery.every must be between 1m and 31d');
  if (input.at !== undefined) {
    if (!TIME_OF_DAY.test(input.at)) problems.push(`delivery.at "${input.at}" is not a time of day HH:MM`);
    if (period !== null && period !== DAY_MS) problems.push('delivery.at makes a daily digest: use it with every "1d" (or leave every out)');
  }
  if (input.timezone !== undefined) {
    if (input.at === undefined) problems.push('delivery.timezone only applies with delivery.at');
    if (!isTimeZone(input.timezone)) problems.push(`delivery.timezone "${input.timezone}" is not an IANA time zone such as Europe/Paris`);
  }
  if (problems.length > 0) return { problems };
  const delivery: DigestDelivery = { mode: 'digest', every };
  if (input.at !== undefined) delivery.at = input.at;
  if (input.timezone !== undefined) delivery.timezone = input.timezone;
  return { delivery };
}

/** A cron digest: `cron` (5 or 6 fields) in `timezone` (default UTC); every and at do not apply. */
function checkCron(input: DeliveryInput): { delivery: DeliveryMode } | { problems: string[] } {
  const problems: string[] = [];
  if (input.every !== undefined || input.at !== undefined) problems.push('delivery.cron replaces delivery.every and delivery.at: send one or the other');
  const tz = input.timezone ?? 'UTC';
  if (!isTimeZone(tz)) problems.push(`delivery.timezone "${tz}" is not an IANA time zone such as Europe/Paris`);
  else {
    try {
      const it = CronExpressionParser.parse(input.cron!, { tz, currentDate: new Date() });
      const a = it.next().getTime();
      const b = it.next().getTime();
      if (b - a < MIN_PERIOD_MS) problems.push('delivery.cron fires more often than once a minute');
    } catch (err) {
      problems.push(`delivery.cron "${input.cron}" is not a cron expression: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) return { problems };
  const delivery: DigestDelivery = { mode: 'digest', cron: input.cron! };
  if (input.timezone !== undefined) delivery.timezone = input.timezone;
  return { delivery };
}

/** True when two settings describe the same periods (a PATCH that repeats it keeps the current one). */
export function sameSchedule(a: DeliveryMode, b: DeliveryMode): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * End of the digest period that contains `after` (the first boundary strictly later).
 * Interval digests count from `anchor` (the webhook's creation); daily ones fall at `at` in
 * the time zone. HERALD_CLOCK_SCALE runs a virtual clock `scale` times faster from the anchor,
 * so under a scale a daily digest comes every 86,400/scale seconds, still at its local time.
 */
export function nextDigestAt(d: DigestDelivery, anchor: number, after: number, scale = 1): number {
  const virtual = anchor + (after - anchor) * scale;
  const period = (d.every === undefined ? null : parseDuration(d.every)) ?? DAY_MS;
  const next =
    (d.cron !== undefined ? nextCron(d.cron, d.timezone ?? 'UTC', virtual) : null) ??
    (d.at !== undefined ? nextDaily(d.at, d.timezone ?? 'UTC', virtual) : null) ??
    nextInterval(anchor, period, virtual);
  return Math.max(after + 1, anchor + Math.ceil((next - anchor) / scale));
}

function nextCron(expr: string, tz: string, after: number): number | null {
  try {
    return CronExpressionParser.parse(expr, { tz, currentDate: new Date(after) }).next().getTime();
  } catch {
    return null;
  }
}

function nextInterval(anchor: number, period: number, after: number): number {
  return anchor + (Math.floor((after - anchor) / period) + 1) * period;
}

/** The next `at` in `tz` after `after`; null when the time lies outside what Date can show. */
function nextDaily(at: string, tz: string, after: number): number | null {
  const m = TIME_OF_DAY.exec(at);
  const today = wallClock(after, tz);
  if (!m || !today) return null;
  for (let i = 0; i <= 2; i++) {
    // Date.UTC carries day 32 into the next month, so "tomorrow" needs no calendar code.
    const t = wallToUtc(today.year, today.month, today.day + i, Number(m[1]), Number(m[2]), tz);
    if (t !== null && t > after) return t;
  }
  return null;
}

/**
 * The instant a wall-clock time names in `tz`. On the spring-forward day a time that does not
 * exist comes out one hour later; on the fall-back day a repeated time is its second occurrence.
 */
function wallToUtc(year: number, month: number, day: number, hour: number, minute: number, tz: string): number | null {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = offsetAt(wall, tz);
  if (first === null) return null;
  const second = offsetAt(wall - first, tz);
  return second === null ? null : wall - second;
}

/** How far the wall clock in `tz` is ahead of UTC at instant t, in ms. */
function offsetAt(t: number, tz: string): number | null {
  const w = wallClock(t, tz);
  if (!w) return null;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(t / 1000) * 1000;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(t: number, tz: string): Wall | null {
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) return null;
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const w: Wall = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of f.formatToParts(t)) if (p.type in w) w[p.type as keyof Wall] = Number(p.value);
  return w;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
