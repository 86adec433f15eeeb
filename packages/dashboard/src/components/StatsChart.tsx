import { useId, useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { WebhookStats } from '../api/types';
import { formatClock, formatMs, formatPercent } from '../format';

const MINUTE = 60_000;
const WINDOWS = [
  { hours: 0.25, label: 'Last 15 minutes' },
  { hours: 1, label: 'Last hour' },
  { hours: 6, label: 'Last 6 hours' },
  { hours: 24, label: 'Last 24 hours' },
] as const;

interface Point {
  t: number;
  succeeded: number;
  failed: number;
  p50: number | null;
  p99: number | null;
}

/** The smallest window that shows every minute with attempts (15 minutes when there are none). */
function fittingWindow(stats: WebhookStats): number {
  const to = Date.parse(stats.to);
  const first = stats.buckets[0] ? Date.parse(stats.buckets[0].t) : to;
  return WINDOWS.find((w) => to - w.hours * 3_600_000 <= first)?.hours ?? 24;
}

/** Every minute of the window, zero where nothing was attempted, so time reads evenly. */
function points(stats: WebhookStats, hours: number): Point[] {
  const end = Math.floor(Date.parse(stats.to) / MINUTE) * MINUTE;
  const start = end - hours * 60 * MINUTE + MINUTE;
  const byMinute = new Map(stats.buckets.map((b) => [Date.parse(b.t), b]));
  const out: Point[] = [];
  for (let t = start; t <= end; t += MINUTE) {
    const b = byMinute.get(t);
    out.push({ t, succeeded: b?.succeeded ?? 0, failed: b?.failed ?? 0, p50: b?.p50_ms ?? null, p99: b?.p99_ms ?? null });
  }
  return out;
}

const COLORS = { succeeded: '#1a7f37', failed: '#c62828', p50: '#1f5fbf', p99: '#8a3ffc' };

/**
 * Deliveries per minute by outcome and latency percentiles of one webhook over the last
 * 24 h (GET …/webhooks/{id}/stats). The totals are also written out as text, so the chart
 * is not the only way to read them.
 */
export function StatsChart({ stats }: { stats: WebhookStats }) {
  const [hours, setHours] = useState<number>(() => fittingWindow(stats));
  const selectId = useId();
  const data = useMemo(() => points(stats, hours), [stats, hours]);
  const t = stats.totals;
  // Half a minute of room at each end, so the first and last minutes' bars are not cut.
  const domain: [number, number] = [(data[0]?.t ?? 0) - MINUTE / 2, (data.at(-1)?.t ?? 0) + MINUTE / 2];
  const tick = (v: number) => formatClock(v);
  const label = (v: unknown) => (typeof v === 'number' ? `Minute from ${formatClock(v)}` : String(v));
  // The figures always cover the stats' 24 hours; the charts cover the chosen window. Each says
  // which, so a heading never names one span above a chart of another.
  const windowLabel = (WINDOWS.find((w) => w.hours === hours)?.label ?? 'Last 24 hours').toLowerCase();

  return (
    <section className="stats" aria-labelledby={`${selectId}-h`}>
      <div className="section-head">
        <h2 id={`${selectId}-h`}>Activity</h2>
        <div className="field inline">
          <label htmlFor={selectId}>Chart window</label>
          <select id={selectId} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {WINDOWS.map((w) => (
              <option key={w.hours} value={w.hours}>
                {w.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <h3>Totals, last 24 hours</h3>
      <dl className="figures">
        <div>
          <dt>Attempts</dt>
          <dd>{t.attempts}</dd>
        </div>
        <div>
          <dt>Succeeded</dt>
          <dd>{t.succeeded}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{t.failed}</dd>
        </div>
        <div>
          <dt>Success rate</dt>
          <dd>{formatPercent(t.success_rate)}</dd>
        </div>
        <div>
          <dt>Latency p50</dt>
          <dd>{formatMs(t.p50_ms)}</dd>
        </div>
        <div>
          <dt>Latency p99</dt>
          <dd>{formatMs(t.p99_ms)}</dd>
        </div>
      </dl>
      {t.attempts === 0 ? (
        <p className="muted">No attempts in the last 24 hours (test sends are not counted).</p>
      ) : (
        <div className="charts">
          <figure className="chart">
            <figcaption>Deliveries per minute by outcome, {windowLabel}</figcaption>
            <BarChart responsive style={{ width: '100%', height: 220 }} data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} title="Deliveries per minute by outcome" barCategoryGap={0}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="t" type="number" scale="time" domain={domain} tickFormatter={tick} minTickGap={40} />
              <YAxis allowDecimals={false} width={36} />
              <Tooltip labelFormatter={label} />
              <Legend />
              <Bar dataKey="succeeded" name="Succeeded" stackId="o" fill={COLORS.succeeded} isAnimationActive={false} />
              <Bar dataKey="failed" name="Failed" stackId="o" fill={COLORS.failed} isAnimationActive={false} />
            </BarChart>
          </figure>
          <figure className="chart">
            <figcaption>Latency per minute (p50 and p99, ms), {windowLabel}</figcaption>
            <LineChart responsive style={{ width: '100%', height: 220 }} data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} title="Latency percentiles per minute">
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="t" type="number" scale="time" domain={domain} tickFormatter={tick} minTickGap={40} />
              <YAxis width={64} tickFormatter={(v: number) => formatMs(v)} />
              <Tooltip labelFormatter={label} formatter={(v) => (typeof v === 'number' ? formatMs(v) : String(v ?? '—'))} />
              <Legend />
              <Line dataKey="p50" name="p50" stroke={COLORS.p50} dot={{ r: 2 }} strokeWidth={2} isAnimationActive={false} connectNulls={false} />
              <Line dataKey="p99" name="p99" stroke={COLORS.p99} dot={{ r: 2 }} strokeWidth={2} isAnimationActive={false} connectNulls={false} />
            </LineChart>
          </figure>
        </div>
      )}
    </section>
  );
}
