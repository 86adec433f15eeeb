/** Row decoding shared by the query families: JSON text columns and 0/1 flags. */
export function json<T>(v: unknown, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  return JSON.parse(String(v)) as T;
}

export function flag(v: unknown): boolean {
  return v === 1 || v === true || v === '1';
}

/** A list cut into lists of at most `size` (bounded statements). */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** `IN (?, ?, …)` for n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
