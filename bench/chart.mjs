#!/usr/bin/env node
// Draws a results file as one SVG: throughput per scenario (bars) and ingest→arrival latency
// p50/p99 per scenario (log scale). Plain SVG, no dependencies.
// Usage: node bench/chart.mjs [bench/results/<file>.json] [--out docs/performance-chart.svg]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string', default: 'docs/performance-chart.svg' } } });
const dir = 'bench/results';
const file = positionals[0] ?? path.join(dir, fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().at(-1));
const results = JSON.parse(fs.readFileSync(file, 'utf8'));

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (n) => (n >= 1000 ? `${(n / 1000).toFixed(n >= 10_000 ? 0 : 1)}k` : n >= 10 ? n.toFixed(0) : n.toFixed(1));
const colour = (c) => (c.scenario === 'ceiling' ? '#6b7280' : c.scenario === 'baseline' || c.store === 'redis' ? '#d97706' : c.store === 'postgres' ? '#2563eb' : '#059669');

const throughput = [];
const latency = [];
for (const c of results.cases) {
  const primary = c.rows.find((r) => r.key === c.primary);
  const v = c.median?.[c.primary];
  if (primary?.unit === '/s' && typeof v === 'number') throughput.push({ c, label: c.label, v });
  const p50 = c.rows.find((r) => r.unit === 'ms' && /p50/.test(r.key));
  const p99 = c.rows.find((r) => r.unit === 'ms' && /p99/.test(r.key) && !/call/.test(r.key));
  if (p50 && p99 && typeof c.median?.[p50.key] === 'number') latency.push({ c, label: c.label, p50: c.median[p50.key], p99: c.median[p99.key] });
}

const W = 980;
const rowH = 26;
const left = 250;
const barW = W - left - 90;
const out = [];
let y = 0;
const title = (t, sub) => {
  out.push(`<text x="16" y="${y + 24}" font-size="17" font-weight="600">${esc(t)}</text>`);
  out.push(`<text x="16" y="${y + 44}" font-size="12" fill="#4b5563">${esc(sub)}</text>`);
  y += 58;
};

title('Throughput per scenario', 'deliveries (or requests) per second, median of runs — green SQLite, blue PostgreSQL, orange the BullMQ baseline, grey the loopback ceiling');
const max = Math.max(...throughput.map((t) => t.v));
for (const t of throughput) {
  const w = Math.max(1, (t.v / max) * barW);
  out.push(`<text x="${left - 8}" y="${y + 17}" font-size="12" text-anchor="end">${esc(t.label)}</text>`);
  out.push(`<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${colour(t.c)}" rx="2"/>`);
  out.push(`<text x="${left + w + 6}" y="${y + 17}" font-size="12">${fmt(t.v)}/s</text>`);
  y += rowH;
}
y += 20;

title('Ingest → arrival latency', 'p50 (light) and p99 (dark) in milliseconds, log scale');
const lo = 1;
const hi = Math.max(10, ...latency.map((l) => l.p99)) * 1.2;
const xAt = (ms) => left + (Math.log10(Math.max(lo, ms)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * barW;
for (const tick of [1, 10, 100, 1000, 10000].filter((t) => t <= hi)) {
  out.push(`<line x1="${xAt(tick).toFixed(1)}" x2="${xAt(tick).toFixed(1)}" y1="${y}" y2="${y + latency.length * rowH * 1.4}" stroke="#e5e7eb"/>`);
  out.push(`<text x="${xAt(tick).toFixed(1)}" y="${y + latency.length * rowH * 1.4 + 14}" font-size="11" text-anchor="middle" fill="#6b7280">${tick} ms</text>`);
}
for (const l of latency) {
  out.push(`<text x="${left - 8}" y="${y + 17}" font-size="12" text-anchor="end">${esc(l.label)}</text>`);
  out.push(`<rect x="${left}" y="${y + 4}" width="${(xAt(l.p99) - left).toFixed(1)}" height="${rowH - 8}" fill="${colour(l.c)}" rx="2"/>`);
  out.push(`<rect x="${left}" y="${y + 4}" width="${(xAt(l.p50) - left).toFixed(1)}" height="${rowH - 8}" fill="#ffffff" fill-opacity="0.55" rx="2"/>`);
  out.push(`<text x="${xAt(l.p99) + 6}" y="${y + 17}" font-size="12">${fmt(l.p50)} / ${fmt(l.p99)} ms</text>`);
  y += rowH * 1.4;
}
y += 30;
out.push(`<text x="16" y="${y}" font-size="11" fill="#6b7280">${esc(`${results.machine?.nproc ?? '?'} CPUs (${results.machine?.cpu_model ?? '?'}) · Node ${results.machine?.node ?? process.version} · ${results.started ?? ''} · ${path.basename(file)}`)}</text>`);
y += 14;

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="system-ui, sans-serif" fill="#111827">
<rect width="100%" height="100%" fill="#ffffff"/>
${out.join('\n')}
</svg>
`;
fs.writeFileSync(values.out, svg);
console.log(`wrote ${values.out} from ${file} (${throughput.length} throughput bars, ${latency.length} latency bars)`);
