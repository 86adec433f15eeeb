/** Row decoding shared by the query families: JSON text columns and 0/1 flags. */
export function json<T>(v: unknown, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  return JSON.parse(String(v)) as T;
}

export function flag(v: unknown): boolean {
  return v === 1 || v === true || v === '1';
}

/** `IN (?, ?, …)` for n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
