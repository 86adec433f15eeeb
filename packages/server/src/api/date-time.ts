import { HeraldError } from '../errors.js';

/**
 * RFC 3339 date-times as the API accepts them (`since`, `until`): the same instant on both
 * stores whatever the spelling. Date.parse answers NaN for a leap second (23:59:60), which
 * reached PostgreSQL as a number it refused (500); lower-case `t`/`z`, a space separator
 * and offsets without a colon also vary between engines. This reads them all alike.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Milliseconds since the epoch, or null when the text is not a date-time. A leap second
 * counts as the last millisecond of its minute (23:59:60.5 → 23:59:59.999), so it sorts
 * after every earlier instant and before the next minute; fractions beyond milliseconds are
 * cut, not rounded, so a time never moves into the next second.
 */
export function parseDateTime(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  if (day > daysInMonth) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const offsetMin = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (m[10] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return null;
  const leap = second === 60;
  const utc = Date.UTC(year, month - 1, day, hour, minute, leap ? 59 : second, leap ? 999 : ms);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear puts them back.
  const fixed = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  return fixed - offsetMin * 60_000;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** parseDateTime for a field the schema already checked; a 400 if it still cannot be read. */
export function requireDateTime(text: string, field: string): number {
  const ms = parseDateTime(text);
  if (ms === null) throw new HeraldError('HERALD_BAD_REQUEST', [`${field} is not an RFC 3339 date-time`]);
  return ms;
}
