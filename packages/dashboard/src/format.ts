/** How times, durations and rates read on screen. */

const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const clockFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : timeFmt.format(t);
}

export function formatClock(ms: number): string {
  return clockFmt.format(ms);
}

/** "3 min ago", "2 h ago", "just now", or the date for anything older than a week. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'Never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 0) return `in ${formatSeconds(-s)}`;
  if (s < 10) return 'just now';
  if (s < 7 * 86_400) return `${formatSeconds(s)} ago`;
  return formatTime(iso);
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  // One decimal, dropped when it is zero: 80 %, 97.5 %, and never 100 % for 99.96 %.
  const pct = Math.floor(rate * 1000) / 10;
  return `${pct.toFixed(1).replace(/\.0$/, '')} %`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1).replace(/\.0$/, '')} s` : `${Math.round(ms)} ms`;
}

/** A policy duration as the API writes it ("5s", "30m", "1h") in words. */
export function durationWords(d: string): string {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) return d;
  const n = Number(m[1]);
  const unit = { ms: 'ms', s: 's', m: 'min', h: 'h', d: n === 1 ? 'day' : 'days' }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return `${n} ${unit}`;
}

/** Pretty JSON when the text is JSON, the text itself otherwise. */
export function prettyBody(text: string | null | undefined): string {
  if (text === null || text === undefined || text === '') return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** An ISO time for <input type="datetime-local"> (local time, minutes). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** A datetime-local value back to ISO 8601 (UTC), or undefined when empty or invalid. */
export function fromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
