// Small numeric helpers shared by scenarios and the report.

export function median(xs) {
  const a = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((x, y) => x - y);
  if (!a.length) return null;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Index of the run whose `key` figure is the median (lower median for even counts). */
export function medianRunIndex(runs, key) {
  const vals = runs.map((r, i) => [r?.[key], i]).filter(([v]) => typeof v === 'number' && Number.isFinite(v));
  if (!vals.length) return 0;
  vals.sort((a, b) => a[0] - b[0]);
  return vals[(vals.length - 1) >> 1][1];
}

export function fmtNum(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  if (typeof x !== 'number') return String(x);
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtMs(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  return x < 10 ? `${x.toFixed(2)} ms` : x < 100 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

export const wallNow = () => performance.timeOrigin + performance.now();
