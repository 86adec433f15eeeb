#!/usr/bin/env node
// Herald benchmark suite.
//   node bench/run.mjs [--quick] [--only drain,ceiling] [--store sqlite|postgres|both] [--runs N]
// Prints a results table and a targets table, and writes bench/results/<timestamp>.json.
// Every process it starts is stopped at the end, on error and on Ctrl-C.
import fs from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR } from './lib/constants.mjs';
import { installSignalHandlers, isShuttingDown, killAll, runCleanups, setLogDir, getLogDir, liveChildren } from './lib/children.mjs';
import { heraldAvailable, heraldBuild } from './lib/herald.mjs';
import { busyFraction, busyReport } from './lib/proc-stats.mjs';
import { computeRatios, computeTargets, machineInfo, printResults, printTargets, summarise, writeJson } from './report.mjs';

const SCENARIOS = ['ceiling', 'baseline', 'drain', 'e2e', 'latency', 'fanout', 'backlog', 'slow', 'openloop', 'destinations'];
const ALIASES = { 'end-to-end': 'e2e', endtoend: 'e2e', 'fan-out': 'fanout', 'slow-endpoints': 'slow', slowendpoints: 'slow', bullmq: 'baseline', 'open-loop': 'openloop', brokers: 'destinations' };
const HERALD_SCENARIOS = new Set(['drain', 'e2e', 'latency', 'fanout', 'backlog', 'slow', 'openloop', 'destinations']);

function usage() {
  return `usage: node bench/run.mjs [--quick] [--only ${SCENARIOS.join(',')}] [--store sqlite|postgres|both] [--runs N] [--set key=value]

  --quick        1 run, smaller counts, SQLite only unless --store says otherwise (about two minutes)
  --only LIST    comma-separated scenarios (aliases: end-to-end, fan-out, slow-endpoints, open-loop)
  --store S      store for Herald scenarios: sqlite, postgres or both (default both; quick: sqlite)
  --runs N       runs per figure, the median is reported (default 3; quick 1)
  --set k=v      override a size from bench/lib/sizes.mjs (e.g. --set drainN=5000)
  --max-minutes M  abort the whole suite after M minutes (default 180; quick 10)`;
}

function parseArgs(argv) {
  const o = { quick: false, only: null, store: null, runs: null, sizeOverrides: {}, maxMinutes: null };
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
  // quick mode keeps to SQLite unless asked, so the whole quick suite stays around two minutes
  o.store ??= o.quick ? 'sqlite' : 'both';
  if (!['sqlite', 'postgres', 'both'].includes(o.store)) throw new Error('--store must be sqlite, postgres or both');
  if (o.runs !== null && !(o.runs >= 1 && o.runs <= 20)) throw new Error('--runs must be 1..20');
  o.runs ??= o.quick ? 1 : 3;
  o.maxMinutes ??= o.quick ? 10 : 180;
  return o;
}

/** Wait (bounded) until the machine is mostly idle before a run; warn if it never is. */
async function waitForQuiet(ctx, maxSeconds) {
  let b = 0;
  for (let i = 0; i < maxSeconds * 2; i++) {
    b = await busyFraction(500);
    if (b < 0.15) return;
    if (i === 0) console.log(`    … machine busy (${Math.round(b * 100)}% CPU used by other processes); waiting up to ${maxSeconds} s`);
  }
  const rep = await busyReport(1000);
  const who = rep.top.map((t) => `${t.comm}[${t.pid}] ${t.cpu_s}s`).join(', ');
  ctx.warn(`${ctx.runTag}: machine still ${Math.round(b * 100)}% busy with other processes when the run started (top over 1 s: ${who})`);
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
    herald_build: heraldBuild(),
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
  const hb = results.herald_build;
  console.log(`herald: git ${hb.git_head ?? '?'}${hb.server_sources_modified ? ' (+ uncommitted server changes)' : ''}, dist built ${hb.dist_cli_mtime ?? 'n/a'}`);
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
        // A run disturbed by other processes on the machine is kept in the JSON but repeated
        // (at most nRuns extra attempts), and medians use undisturbed runs when there are any.
        const maxAttempts = nRuns * 2;
        for (let attempt = 1, clean = 0; clean < nRuns && attempt <= maxAttempts; attempt++) {
          const r = runs.length + 1;
          ctx.runTag = `${c.id}-r${r}`;
          const t = Date.now();
          console.log(`  [${c.label}] run ${r} (${clean + 1}/${nRuns}) …`);
          await waitForQuiet(ctx, opts.quick ? 10 : 30);
          if (!setupOk) {
            runs.push({ error: 'scenario setup failed' });
            break;
          }
          try {
            const res = await c.runOnce();
            const mach = res.phases?.[res.primaryPhase]?._machine;
            if (mach && mach.capacity_s > 0 && mach.unaccounted_s / mach.capacity_s > 0.1) {
              const more = attempt < maxAttempts && !opts.quick ? '; repeating it' : '';
              ctx.warn(`${ctx.runTag}: ${Math.round((100 * mach.unaccounted_s) / mach.capacity_s)}% of the machine's CPU went to processes outside the bench during the measured phase; this run's figures are disturbed${more} (other processes seen: ${mach.top_others?.join(', ') || 'only short-lived ones'})`);
              res.disturbed = true;
            } else clean++;
            runs.push(res);
            if (res.disturbed && opts.quick) clean++; // quick mode: no repeats
            const row = c.rows[0];
            const v = res.metrics?.[row.key];
            console.log(`  [${c.label}] run ${r}: ${row.label} = ${typeof v === 'number' ? Math.round(v * 100) / 100 : v}  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
          } catch (err) {
            if (isShuttingDown()) return new Promise(() => {}); // shutdown() exits the process
            failures++;
            const msg = String(err?.message ?? err);
            console.log(`  [${c.label}] run ${r} FAILED: ${msg}`);
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
  results.herald_build_at_end = heraldBuild();
  const b0 = results.herald_build;
  const b1 = results.herald_build_at_end;
  if (b1.dist_cli_mtime !== b0.dist_cli_mtime) {
    ctx.warn(`Herald was rebuilt during the suite (dist ${b0.dist_cli_mtime} → ${b1.dist_cli_mtime}); figures may mix versions`);
  } else if (b1.git_head !== b0.git_head) {
    ctx.note(`commits were made during the suite (${b0.git_head} → ${b1.git_head}) but the measured build (dist ${b0.dist_cli_mtime}) did not change`);
  }
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
