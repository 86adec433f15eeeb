// Turns collected runs into medians, the results table, the targets table and the JSON file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmtNum, median, medianRunIndex } from './lib/stats.mjs';

// ---------------------------------------------------------------- summaries

export function summarise(c, runs) {
  const all = runs.filter((r) => r && !r.error);
  const clean = all.filter((r) => !r.disturbed);
  const ok = clean.length ? clean : all; // medians over undisturbed runs when there are any
  const keys = new Set();
  for (const r of ok) for (const [k, v] of Object.entries(r.metrics ?? {})) if (typeof v === 'number') keys.add(k);
  const med = {};
  const range = {};
  for (const k of keys) {
    const vals = ok.map((r) => r.metrics[k]).filter((v) => typeof v === 'number' && Number.isFinite(v));
    med[k] = median(vals);
    range[k] = vals.length ? [Math.min(...vals), Math.max(...vals)] : null;
  }
  const mi = medianRunIndex(ok.map((r) => r.metrics), c.primary);
  const medRun = ok[mi];
  return {
    id: c.id,
    scenario: c.scenario,
    store: c.store,
    label: c.label,
    primary: c.primary,
    rows: c.rows,
    runs: runs.length,
    ok_runs: ok.length,
    disturbed_runs: ok.filter((r) => r.disturbed).length,
    disturbed_runs_excluded: clean.length ? all.length - clean.length : 0,
    median: med,
    range,
    resources: medRun ? medRun.phases?.[medRun.primaryPhase] ?? null : null,
    primary_phase: medRun?.primaryPhase ?? null,
    all_phases_of_median_run: medRun?.phases ?? null,
    info: medRun?.info ?? null,
    errors: runs.filter((r) => r?.error).map((r) => r.error),
    raw: runs,
  };
}

// ---------------------------------------------------------------- formatting

function fmtValue(v, unit) {
  if (v === null || v === undefined) return 'n/a';
  if (unit === 'ms') return v < 10 ? `${v.toFixed(2)} ms` : v < 100 ? `${v.toFixed(1)} ms` : `${fmtNum(v)} ms`;
  if (unit === 'MB') return `${fmtNum(v, 1)} MB`;
  if (unit === 'x') return `${v.toFixed(2)}×`;
  if (unit === 'B') return `${fmtNum(v)} B`;
  if (unit === '/s') return `${fmtNum(v)}/s`;
  if (unit === 'µs') return `${fmtNum(v)} µs`;
  if (unit === '') return Math.abs(v) < 100 ? fmtNum(v, 2) : fmtNum(v);
  return `${fmtNum(v, Math.abs(v) < 100 ? 2 : 0)} ${unit}`.trim();
}

function fmtResources(res) {
  if (!res) return '';
  return Object.entries(res)
    .filter(([n]) => !n.startsWith('_'))
    .map(([n, r]) => `${n} ${r.cpu_s.toFixed(1)}s cpu/${Math.round(r.peak_rss_mb)}MB`)
    .join(' · ');
}

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function printResults(summaries, log = console.log) {
  const W = [26, 40, 16, 24];
  log('');
  log('RESULTS (median of runs; resources = CPU seconds / peak RSS of each process during the measured phase of the median run)');
  log(`${pad('case', W[0])}${pad('figure', W[1])}${pad('median', W[2])}${pad('runs min–max', W[3])}resources`);
  log('-'.repeat(150));
  for (const s of summaries) {
    if (!s.ok_runs) {
      log(`${pad(s.label, W[0])}${pad('FAILED / not measured', W[1])}${s.errors[0] ? String(s.errors[0]).split('\n')[0].slice(0, 160) : ''}`);
      continue;
    }
    s.rows.forEach((row, i) => {
      const v = s.median[row.key];
      const rg = s.range[row.key];
      const rgs = rg && s.ok_runs > 1 ? `${fmtValue(rg[0], row.unit)} – ${fmtValue(rg[1], row.unit)}` : '';
      log(`${pad(i === 0 ? s.label : '', W[0])}${pad(row.label, W[1])}${pad(fmtValue(v, row.unit), W[2])}${pad(rgs, W[3])}${i === 0 ? fmtResources(s.resources) : ''}`);
    });
    if (s.disturbed_runs) log(`${pad('', W[0])}(${s.disturbed_runs} of ${s.ok_runs} run(s) disturbed by other processes on the machine)`);
    if (s.disturbed_runs_excluded) log(`${pad('', W[0])}(${s.disturbed_runs_excluded} disturbed run(s) repeated and left out of the median)`);
    if (s.errors.length) log(`${pad('', W[0])}(${s.errors.length} run(s) failed: ${String(s.errors[0]).split('\n')[0].slice(0, 140)})`);
  }
}

// ---------------------------------------------------------------- targets

const get = (byId, id, key) => byId.get(id)?.median?.[key] ?? null;
const div = (a, b) => (a === null || b === null || !b ? null : a / b);

export function computeTargets(summaries) {
  const byId = new Map(summaries.map((s) => [s.id, s]));
  const T = [];
  const add = (name, value, bound, op, unit, detail) => {
    const ok = value === null ? null : op === '>=' ? value >= bound : value <= bound;
    T.push({ name, value, bound, op, unit, ok, detail });
  };
  const ceiling = get(byId, 'ceiling', 'rps');
  const bDrain = get(byId, 'baseline-drain', 'rate');
  const bE2e = get(byId, 'baseline-e2e', 'delivered_per_s');
  const dS = get(byId, 'drain-sqlite', 'rate');
  const dP = get(byId, 'drain-postgres', 'rate');
  add('drain SQLite / ceiling', div(dS, ceiling), 0.5, '>=', 'x');
  add('drain SQLite / baseline drain', div(dS, bDrain), 2.5, '>=', 'x');
  add('drain PG / ceiling', div(dP, ceiling), 0.4, '>=', 'x');
  add('end-to-end SQLite / baseline', div(get(byId, 'e2e-sqlite', 'delivered_per_s'), bE2e), 2, '>=', 'x');
  if (byId.has('e2e-postgres')) add('end-to-end PG / baseline (info)', div(get(byId, 'e2e-postgres', 'delivered_per_s'), bE2e), 2, '>=', 'x');
  add('batch ingest SQLite (events/s, durable)', get(byId, 'drain-sqlite', 'ingest_rate'), 50000, '>=', '/s');
  add('latency p99 SQLite @1000/s', get(byId, 'latency-sqlite', 'p99_ms'), 25, '<=', 'ms');
  add('latency p99 PG @1000/s', get(byId, 'latency-postgres', 'p99_ms'), 50, '<=', 'ms');
  add('fan-out SQLite / drain SQLite', div(get(byId, 'fanout-sqlite', 'rate'), dS), 0.8, '>=', 'x');
  add('fan-out PG / drain PG', div(get(byId, 'fanout-postgres', 'rate'), dP), 0.8, '>=', 'x');
  for (const st of ['sqlite', 'postgres']) {
    const nm = st === 'sqlite' ? 'SQLite' : 'PG';
    add(`backlog ${nm}: Herald peak RSS`, get(byId, `backlog-${st}`, 'herald_rss_mb'), 300, '<=', 'MB');
    add(`backlog ${nm}: last 10% / first 10% rate`, div(get(byId, `backlog-${st}`, 'last10_rate'), get(byId, `backlog-${st}`, 'first10_rate')), 0.9, '>=', 'x');
  }
  add('PG statements per delivery (drain, worker)', get(byId, 'drain-postgres-stmts', 'statements_per_delivery'), 3, '<=', '');
  add('slow endpoints SQLite deliveries/s', get(byId, 'slow-sqlite', 'rate'), 5000, '>=', '/s');
  add('slow endpoints SQLite Herald peak RSS', get(byId, 'slow-sqlite', 'herald_rss_mb'), 300, '<=', 'MB');
  // openloop: highest open-loop rate with p99 ingest→arrival ≤ 100 ms, Herald / baseline
  const bOpen = get(byId, 'openloop-baseline', 'max_rate');
  add('open-loop rate SQLite / baseline', div(get(byId, 'openloop-sqlite', 'max_rate'), bOpen), 2, '>=', 'x');
  if (byId.has('openloop-postgres')) add('open-loop rate PG / baseline (info)', div(get(byId, 'openloop-postgres', 'max_rate'), bOpen), 2, '>=', 'x');
  add('destinations SQLite: each broker / http', get(byId, 'destinations-sqlite', 'min_ratio'), 1, '>=', 'x');
  add('destinations PG: each broker / http', get(byId, 'destinations-postgres', 'min_ratio'), 1, '>=', 'x');
  return T;
}

export function computeRatios(summaries) {
  const byId = new Map(summaries.map((s) => [s.id, s]));
  const out = [];
  for (const st of ['sqlite', 'postgres']) {
    const d = div(get(byId, `drain-${st}`, 'rate'), get(byId, 'baseline-drain', 'rate'));
    const e = div(get(byId, `e2e-${st}`, 'delivered_per_s'), get(byId, 'baseline-e2e', 'delivered_per_s'));
    const p99 = div(get(byId, `e2e-${st}`, 'p99_ms'), get(byId, 'baseline-e2e', 'p99_ms'));
    if (d !== null) out.push({ name: `drain Herald ${st} / baseline`, value: d });
    if (e !== null) out.push({ name: `end-to-end delivered/s Herald ${st} / baseline`, value: e });
    if (p99 !== null) out.push({ name: `end-to-end p99 Herald ${st} / baseline (lower is better)`, value: p99 });
    const open = div(get(byId, `openloop-${st}`, 'max_rate'), get(byId, 'openloop-baseline', 'max_rate'));
    if (open !== null) out.push({ name: `open-loop rate at p99 ≤ 100 ms Herald ${st} / baseline`, value: open });
  }
  for (const st of ['sqlite', 'postgres']) {
    for (const kind of ['redis_stream', 'nats', 'amqp']) {
      const v = get(byId, `destinations-${st}`, `${kind}_vs_http`);
      if (v !== null) out.push({ name: `destinations ${st}: ${kind.replace('_', '-')} / http deliveries/s`, value: v });
    }
  }
  const two = div(get(byId, 'drain-postgres-2w', 'rate'), get(byId, 'drain-postgres', 'rate'));
  if (two !== null) out.push({ name: 'drain PG: 2 worker processes / 1 worker process', value: two });
  return out;
}

export function printTargets(targets, ratios, log = console.log) {
  if (ratios.length) {
    log('');
    log('RATIOS');
    for (const r of ratios) log(`  ${pad(r.name, 60)}${r.value.toFixed(2)}×`);
  }
  log('');
  log('TARGETS');
  log(`${pad('target', 48)}${pad('measured', 16)}${pad('bound', 14)}ok`);
  log('-'.repeat(84));
  for (const t of targets) {
    const mark = t.ok === null ? '–  (not measured)' : t.ok ? '✓' : '✗';
    log(`${pad(t.name, 48)}${pad(fmtValue(t.value, t.unit), 16)}${pad(`${t.op === '>=' ? '≥' : '≤'} ${fmtValue(t.bound, t.unit)}`, 14)}${mark}`);
  }
}

// ---------------------------------------------------------------- machine + file

export function machineInfo() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch { /* keep */ }
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu_model: cpuModel,
    mem_total_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    hostname_hash: null,
  };
}

export function writeJson(dir, results) {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = results.started.replace(/[:.]/g, '-');
  const file = path.join(dir, `${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  return file;
}

// ---------------------------------------------------------------- markdown (for docs/performance.md)

function runsCell(s) {
  let t = String(s.ok_runs);
  if (s.disturbed_runs) t += s.disturbed_runs === s.ok_runs ? ' (all disturbed ⚠)' : ` (${s.disturbed_runs} disturbed ⚠)`;
  if (s.disturbed_runs_excluded) t += ` (+${s.disturbed_runs_excluded} disturbed, left out)`;
  const failed = (s.errors ?? []).length;
  if (failed) t += ` (+${failed} failed)`;
  return t;
}

export function markdown(results) {
  const L = [];
  const m = results.machine;
  L.push(`Run \`${results.command}\` started ${results.started} (${results.elapsed_s ?? '?'} s); ${m.nproc} × ${m.cpu_model}, ${m.mem_total_gb} GB, Node ${m.node}.`);
  if (results.herald_build) L.push(`Herald: git ${results.herald_build.git_head ?? '?'}${results.herald_build.server_sources_modified ? ' + uncommitted server changes' : ''}, dist built ${results.herald_build.dist_cli_mtime ?? 'n/a'}.`);
  L.push('');
  L.push('| case | figure | median | runs | resources (CPU s / peak RSS, measured phase) |');
  L.push('| --- | --- | --- | --- | --- |');
  for (const s of results.cases) {
    if (s.skipped || !s.ok_runs) {
      L.push(`| ${s.label} | not measured | | | ${String(s.skipped ?? s.errors?.[0] ?? '').split('\n')[0].replace(/\|/g, '/').slice(0, 120)} |`);
      continue;
    }
    s.rows.forEach((row, i) => {
      const res = i === 0 ? fmtResources(s.resources) : '';
      L.push(`| ${i === 0 ? s.label : ''} | ${row.label} | ${fmtValue(s.median[row.key], row.unit)} | ${i === 0 ? runsCell(s) : ''} | ${res} |`);
    });
  }
  L.push('');
  L.push('| target | measured | bound | |');
  L.push('| --- | --- | --- | --- |');
  for (const t of results.targets ?? []) {
    L.push(`| ${t.name} | ${fmtValue(t.value, t.unit)} | ${t.op === '>=' ? '≥' : '≤'} ${fmtValue(t.bound, t.unit)} | ${t.ok === null ? 'not measured' : t.ok ? '✓' : '✗'} |`);
  }
  if (results.ratios?.length) {
    L.push('');
    for (const r of results.ratios) L.push(`- ${r.name}: ${r.value.toFixed(2)}×`);
  }
  if (results.warnings?.length) {
    L.push('');
    L.push('Warnings:');
    for (const w of results.warnings) L.push(`- ${w.split('\n')[0]}`);
  }
  return L.join('\n');
}

// `node bench/report.mjs bench/results/<file>.json [--markdown]` re-prints a saved run.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/report.mjs bench/results/<timestamp>.json [--markdown]');
    process.exit(2);
  }
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (process.argv.includes('--markdown')) console.log(markdown(results));
  else {
    printResults(results.cases.filter((c) => !c.skipped && c.rows));
    printTargets(results.targets ?? [], results.ratios ?? []);
  }
}
