// 9. openloop — the highest open-loop rate each system sustains with p99 ingest→arrival ≤ 100 ms
// and nothing lost: Herald (`herald serve`, role all, per store) and the BullMQ baseline, with
// the same generator (single events at fixed rates, sent on the clock whatever the answers),
// the same receiver and the same criteria (lib/rate-search.mjs). Unlike `e2e` (32 calls in a
// closed loop, whose rate is 32 ÷ the call's latency), this is the load users put on a system:
// events come when they come, and what they feel is the delay at the rate they offer.
import { withHeraldSystem } from '../lib/herald-system.mjs';
import { withBaselineSystem } from '../lib/baseline/system.mjs';
import { searchSustainedRate } from '../lib/rate-search.mjs';
import { fmtMs, fmtNum } from '../lib/stats.mjs';
import { sizes } from '../lib/sizes.mjs';
import { setup as baselineSetup, teardown as baselineTeardown } from './baseline.mjs';

export const name = 'openloop';
export const title = 'open loop: highest rate with p99 ingest→arrival ≤ 100 ms and nothing lost (Herald and the baseline)';

const ROWS = [
  { key: 'max_rate', label: 'highest rate passing (events/s)', unit: '/s' },
  { key: 'p50_ms', label: 'p50 ingest→arrival at that rate', unit: 'ms' },
  { key: 'p99_ms', label: 'p99 ingest→arrival at that rate', unit: 'ms' },
  { key: 'first_fail_rate', label: 'lowest rate failing', unit: '/s' },
  { key: 'system_cpu_us_per_event', label: 'system CPU per event at that rate', unit: 'µs' },
  { key: 'load_cpu_us_per_event', label: 'generator CPU per event at that rate', unit: 'µs' },
];

let baselineReady = false;

// The baseline's Redis is switched to AOF everysec for its runs, as in the `baseline` scenario;
// if that fails (no Redis), Herald's runs still go ahead.
export async function setup(ctx) {
  try {
    await baselineSetup(ctx);
    baselineReady = true;
  } catch (err) {
    baselineReady = false;
    ctx.warn(`openloop: the baseline cannot run: ${err.message}`);
  }
}

export async function teardown(ctx) {
  if (baselineReady) await baselineTeardown(ctx);
  baselineReady = false;
}

export function cases(ctx) {
  const herald = (store) => ({
    id: `openloop-${store}`,
    scenario: name,
    store,
    label: `open-loop ${store}`,
    primary: 'max_rate',
    rows: ROWS,
    runOnce: () => withHeraldSystem(ctx, store, 'open-loop load', (sys) => search(ctx, sys)),
  });
  // the baseline between the two stores, so SQLite and the baseline run back to back
  return [
    herald('sqlite'),
    {
      id: 'openloop-baseline',
      scenario: name,
      store: 'redis',
      label: 'open-loop baseline',
      primary: 'max_rate',
      rows: ROWS,
      runOnce: () => {
        if (!baselineReady) throw new Error('baseline not set up (see the warnings)');
        return withBaselineSystem(ctx, 'open-loop load', (sys) => search(ctx, sys));
      },
    },
    herald('postgres'),
  ];
}

async function search(ctx, sys) {
  const o = sizes(ctx);
  const { steps, best, fail, stopped } = await searchSustainedRate(sys, o);
  const at = (s) => `${fmtNum(s.rate)}/s (p50 ${fmtMs(s.p50_ms)}, p99 ${fmtMs(s.p99_ms)})`;
  const why = fail ? `${fmtNum(fail.rate)}/s fails: ${fail.reasons.join('; ')}` : `stopped: ${stopped}`;
  ctx.note(`${ctx.runTag}: ${best ? `highest passing ${at(best)}` : `no rate passed from ${fmtNum(o.openloopStartRate)}/s`}; ${why}`);
  if (fail?.generator_limited) {
    const bound = best ? `${fmtNum(best.rate)}/s is a lower bound of the system's rate, not its limit` : 'no rate of the system was measured';
    ctx.warn(`${ctx.runTag}: the generator could not send ${fmtNum(fail.rate)}/s on time (it shares the machine's CPU with the system under test), so ${bound}`);
  }
  const phase = (s) => `step ${s.rate}/s`;
  // The figure rests on two steps, the highest pass and the lowest fail: the run's primary
  // phase (whose CPU the suite checks for other processes, and whose resources it prints) is
  // the more disturbed of the two, so a fail caused by someone else's load is flagged too.
  const decisive = [best, fail].filter(Boolean);
  const top = decisive.reduce((a, s) => ((s.others_pct ?? 0) > (a.others_pct ?? 0) ? s : a), decisive[0] ?? steps[0]);
  return {
    metrics: {
      max_rate: best?.rate ?? null,
      p50_ms: best?.p50_ms ?? null,
      p99_ms: best?.p99_ms ?? null,
      max_ms: best?.max_ms ?? null,
      first_fail_rate: fail?.rate ?? null,
      system_cpu_us_per_event: best?.system_cpu_us_per_event ?? null,
      load_cpu_us_per_event: best?.load_cpu_us_per_event ?? null,
      machine_busy_pct: best?.machine_busy_pct ?? null,
      generator_limited: fail?.generator_limited ? 1 : 0,
      steps: steps.length,
    },
    phases: Object.fromEntries(steps.map((s) => [phase(s), s.resources])),
    primaryPhase: phase(top),
    info: {
      limit: fail ? fail.reasons : [stopped],
      criteria: { p99_ms: o.openloopP99Ms, drain_s: o.openloopDrainMs / 1000, late_ms: o.openloopLateMs, late_pct: o.openloopLatePct, step_s: o.openloopStepMs / 1000, warmup_s: o.openloopWarmupMs / 1000 },
      steps: steps.map(({ resources: _r, ...rest }) => rest),
    },
  };
}
