#!/usr/bin/env node
// Herald benchmark suite.
//   node bench/run.mjs [--quick] [--only drain,ceiling] [--store sqlite|postgres|both] [--runs N]
// Prints a results table and a targets table, and writes bench/results/<timestamp>.json.
// Every process it starts is stopped at the end, on error and on Ctrl-C.
import fs from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR } from './lib/constants.mjs';
import { installSignalHandlers, killAll, runCleanups, setLogDir, getLogDir, liveChildren } from './lib/children.mjs';
import { heraldAvailable } from './lib/herald.mjs';
import { computeRatios, computeTargets, machineInfo, printResults, printTargets, summarise, writeJson } from './report.mjs';

const SCENARIOS = ['ceiling', 'baseline', 'drain', 'e2e', 'latency', 'fanout', 'backlog', 'slow'];
const ALIASES = { 'end-to-end': 'e2e', endtoend: 'e2e', 'fan-out': 'fanout', 'slow-endpoints': 'slow', slowendpoints: 'slow', bullmq: 'baseline' };
const HERALD_SCENARIOS = new Set(['drain', 'e2e', 'latency', 'fanout', 'backlog', 'slow']);

function usage() {
  return `usage: node bench/run.mjs [--quick] [--only ${SCENARIOS.join(',')}] [--store sqlite|postgres|both] [--runs N] [--set key=value]

  --quick        1 run, smaller counts (whole suite in about two minutes)
  --only LIST    comma-separated scenarios (aliases: end-to-end, fan-out, slow-endpoints)
  --store S      store for Herald scenarios: sqlite, postgres or both (default both)
  --runs N       runs per figure, the median is reported (default 3; quick 1)
  --set k=v      override a size from bench/lib/sizes.mjs (e.g. --set drainN=5000)
  --max-minutes M  abort the whole suite after M minutes (default 180; quick 10)`;
}

function parseArgs(argv) {
  const o = { quick: false, only: null, store: 'both', runs: null, sizeOverrides: {}, maxMinutes: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a.startsWith('--only')) o.only = val().split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).map((s) => ALIASES[s] ?? s);
    else if (a.startsWith('--store')) o.store = val();
    else if (a.startsWith('--runs')) o.runs = Number(val());
    else if (a.startsWith('--max-minutes')) o.maxMinutes = Number(val());
    else if (a === '--set') {
      const [k, v] = argv[++i].split('=');
      o.sizeOverrides[k] = Number(v);
    } else if (a === '--help' || a === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${usage()}`);
  }
  if (o.only) for (const s of o.only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
  if (!['sqlite', 'postgres', 'both'].includes(o.store)) throw new Error('--store must be sqlite, postgres or both');
  if (o.runs !== null && !(o.runs >= 1 && o.runs <= 20)) throw new Error('--runs must be 1..20');
  o.runs ??= o.quick ? 1 : 3;
  o.maxMinutes ??= o.quick ? 10 : 180;
  return o;
}

async function main() {
  installSignalHandlers();
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  const started = new Date().toISOString();
  const stamp = started.replace(/[:.]/g, '-');
  setLogDir(path.join(RESULTS_DIR, 'logs', stamp));
  const watchdog = setTimeout(() => {
    console.error(`\nsuite exceeded --max-minutes ${opts.maxMinutes}; stopping`);
    process.kill(process.pid, 'SIGTERM');
  }, opts.maxMinutes * 60_000);
  watchdog.unref();

  const stores = opts.store === 'both' ? ['sqlite', 'postgres'] : [opts.store];
  const selected = SCENARIOS.filter((s) => !opts.only || opts.only.includes(s));
  const machine = machineInfo();
  const results = {
    started,
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    options: opts,
    machine,
    notes: [],
    warnings: [],
    cases: [],
  };
  const ctx = {
    quick: opts.quick,
    runs: opts.runs,
    stores,
    sizeOverrides: opts.sizeOverrides,
    runTag: 'setup',
    note: (m) => {
      results.notes.push(m);
      console.log(`  note: ${m}`);
    },
    warn: (m) => {
      results.warnings.push(m);
      console.log(`  WARNING: ${m}`);
    },
  };

  console.log(`Herald bench — ${opts.quick ? 'quick' : 'full'} · runs ${opts.runs} · stores ${stores.join('+')} · scenarios ${selected.join(', ')}`);
  console.log(`machine: ${machine.nproc} cpus (${machine.cpu_model}), ${machine.mem_total_gb} GB, node ${machine.node}`);
  console.log(`child logs: ${path.relative(process.cwd(), getLogDir())}`);
  const herald = heraldAvailable();
  if (!herald.ok && selected.some((s) => HERALD_SCENARIOS.has(s))) ctx.warn(`Herald scenarios skipped: ${herald.reason}`);

  const t0 = Date.now();
  let failures = 0;
  for (const sname of selected) {
    if (HERALD_SCENARIOS.has(sname) && !herald.ok) {
      results.cases.push({ id: sname, scenario: sname, label: sname, skipped: herald.reason, ok_runs: 0, errors: [herald.reason], rows: [], runs: 0 });
      continue;
    }
    const mod = await import(`./scenarios/${sname}.mjs`);
    console.log(`\n== ${sname}: ${mod.title}`);
    let setupOk = true;
    if (mod.setup) {
      try {
        await mod.setup(ctx);
      } catch (err) {
        setupOk = false;
        ctx.warn(`${sname} setup failed: ${err.message}`);
      }
    }
    try {
      const cs = mod.cases(ctx).filter((c) => !c.store || !['sqlite', 'postgres'].includes(c.store) || stores.includes(c.store));
      for (const c of cs) {
        const runs = [];
        const nRuns = c.runs ?? opts.runs;
        for (let r = 1; r <= nRuns; r++) {
          ctx.runTag = `${c.id}-r${r}`;
          const t = Date.now();
          console.log(`  [${c.label}] run ${r}/${nRuns} …`);
          if (!setupOk) {
            runs.push({ error: 'scenario setup failed' });
            break;
          }
          try {
            const res = await c.runOnce();
            runs.push(res);
            const row = c.rows[0];
            const v = res.metrics?.[row.key];
            console.log(`  [${c.label}] run ${r}/${nRuns}: ${row.label} = ${typeof v === 'number' ? Math.round(v * 100) / 100 : v}  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
          } catch (err) {
            failures++;
            const msg = String(err?.message ?? err);
            console.log(`  [${c.label}] run ${r}/${nRuns} FAILED: ${msg}`);
            if (err?.stack) fs.appendFileSync(path.join(getLogDir(), 'errors.log'), `${ctx.runTag}: ${err.stack}\n`);
            runs.push({ error: msg });
            // make sure nothing of the failed run is left running before the next one
            await killAll(3000);
            if (c.stopOnError !== false) break;
          }
        }
        const s = summarise(c, runs);
        results.cases.push(s);
      }
    } finally {
      if (mod.teardown) await mod.teardown(ctx).catch((e) => ctx.warn(`${sname} teardown failed: ${e.message}`));
    }
  }

  results.finished = new Date().toISOString();
  results.elapsed_s = Math.round((Date.now() - t0) / 100) / 10;
  const measured = results.cases.filter((c) => c.rows?.length || c.skipped);
  printResults(measured.filter((c) => !c.skipped));
  for (const c of measured.filter((c) => c.skipped)) console.log(`(${c.scenario}: not measured — ${c.skipped})`);
  results.targets = computeTargets(results.cases.filter((c) => !c.skipped));
  results.ratios = computeRatios(results.cases.filter((c) => !c.skipped));
  printTargets(results.targets, results.ratios);
  if (results.warnings.length) {
    console.log('\nWARNINGS');
    for (const w of results.warnings) console.log(`  - ${w}`);
  }
  const file = writeJson(RESULTS_DIR, results);
  console.log(`\nsuite took ${results.elapsed_s} s; JSON: ${path.relative(process.cwd(), file)}`);
  await killAll();
  await runCleanups();
  if (liveChildren().length) console.error('warning: some child processes did not exit');
  process.exit(failures ? 1 : 0);
}

main().catch(async (err) => {
  console.error(err?.stack ?? err);
  await killAll();
  await runCleanups();
  process.exit(1);
});
