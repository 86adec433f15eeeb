// Open-loop rate search: the highest fixed event rate a system sustains. Used by
// scenarios/openloop.mjs for Herald and for the baseline alike: same generator (lib/load.mjs,
// mode "open": each event sent at its scheduled instant whatever the answers), same receiver,
// same criteria.
//
// A step offers one rate for warm-up + a measured window. It passes when
//   - p99 ingest→arrival of the measured events ≤ the bound (from the scheduled instant, so a
//     late generator or a queue in front of ingest cannot hide a delay),
//   - no ingest call failed and none was shed (the generator sheds above 2,000 calls open),
//   - every accepted event arrived by the end of a bounded drain wait after the last answer,
//   - the generator kept up: at most openloopLatePct % of sends left more than openloopLateMs
//     after their scheduled instant. Latency counts from the scheduled instant, so a late
//     generator can only make the system look slower, never faster; the check is there so a
//     rate the generator cannot offer is not reported as the system's limit. A step that fails only because the generator was behind
//     (its lag accounting for any excess p99) is the generator's limit, not the system's: the
//     rate found is then a lower bound. On a 2-core machine the generator competes with the
//     system for CPU, so near saturation both are often behind at once; that counts against
//     the system.
// The rate grows by openloopGrowth while steps pass (or halves, down to openloopMinRate, while
// the first ones fail), then bisects (geometric mean) between the last pass and the first fail. A failing step's backlog is waited for (bounded) before the
// next step; if it does not arrive, the search stops.
import { Meter } from './proc-stats.mjs';
import { measureIngestToArrival } from './measure.mjs';
import { waitForCount } from './wait.mjs';
import { fmtMs, fmtNum } from './stats.mjs';
import { sleep } from './children.mjs';

/** Rates on the ladder, to 3 significant digits (1,000 · 1,250 · 1,560 · 1,950 …). */
export function roundRate(r) {
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(r)) - 2);
  return Math.round(r / unit) * unit;
}

const round1 = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

/** What one step measured, and whether it passed (and if not, why). */
function judge(rate, m, resources, o) {
  const r = m.res;
  const left = r.sent - r.skipped;
  const arrived = m.rs.count;
  const lost = Math.max(0, r.accepted - arrived);
  const measuredSends = r.lagMs?.n ?? 0;
  const latePct = measuredSends ? (100 * r.late) / measuredSends : 0;
  const p99 = m.metrics.p99_ms;
  const lagP99 = r.lagMs?.p99 ?? 0;
  const generatorBehind = latePct > o.openloopLatePct;
  // The system's failures. Latency counts from the scheduled instant, so a late generator adds
  // its own lag to it: a p99 over the bound counts against the system unless the generator was
  // behind and its lag accounts for the excess.
  const reasons = [];
  if (p99 === null) reasons.push('no measured event arrived');
  else if (p99 > o.openloopP99Ms && !(generatorBehind && p99 - lagP99 <= o.openloopP99Ms)) reasons.push(`p99 ${fmtMs(p99)} > ${o.openloopP99Ms} ms`);
  if (r.failed) reasons.push(`${fmtNum(r.failed)} ingest calls failed (first: ${String(r.firstError).slice(0, 120)})`);
  if (r.skipped) reasons.push(`${fmtNum(r.skipped)} sends shed (2,000 ingest calls open)`);
  if (lost) reasons.push(`${fmtNum(lost)} accepted events not arrived ${o.openloopDrainMs / 1000} s after the last answer`);
  // Only when the system did not fail by itself is the step the generator's limit.
  const generatorLimited = generatorBehind && reasons.length === 0;
  if (generatorBehind) reasons.push(`generator ${generatorLimited ? 'behind' : 'also behind'}: ${latePct.toFixed(1)} % of sends left > ${o.openloopLateMs} ms late (lag p99 ${fmtMs(lagP99)})`);
  // the system's own processes: everything the meter holds but the receiver and the generator
  let systemCpu = 0;
  for (const [k, v] of Object.entries(resources)) if (k !== 'receiver' && k !== 'load' && !k.startsWith('_')) systemCpu += v.cpu_s;
  const mach = resources._machine;
  return {
    rate,
    pass: reasons.length === 0,
    generator_behind: generatorBehind,
    generator_limited: generatorLimited,
    reasons,
    p50_ms: round1(m.metrics.p50_ms),
    p99_ms: round1(p99),
    max_ms: round1(m.metrics.max_ms),
    ingest_p99_ms: round1(m.metrics.ingest_p99_ms),
    sent: left,
    accepted: r.accepted,
    arrived,
    lost,
    failed: r.failed,
    skipped: r.skipped,
    late: r.late,
    late_pct: Math.round(latePct * 100) / 100,
    lag_p99_ms: round1(r.lagMs?.p99),
    system_cpu_us_per_event: r.accepted ? Math.round((systemCpu * 1e6) / r.accepted) : null,
    load_cpu_us_per_event: resources.load && left ? Math.round((resources.load.cpu_s * 1e6) / left) : null,
    machine_busy_pct: mach?.capacity_s ? Math.round((100 * mach.busy_s) / mach.capacity_s) : null,
    others_pct: mach?.capacity_s ? Math.max(0, Math.round((100 * mach.unaccounted_s) / mach.capacity_s)) : null,
    resources,
  };
}

function stepLine(s) {
  const cpu = s.system_cpu_us_per_event === null ? '' : ` · system ${s.system_cpu_us_per_event} µs CPU/event, generator ${s.load_cpu_us_per_event} µs`;
  const busy = s.machine_busy_pct === null ? '' : ` · machine ${s.machine_busy_pct} % busy${s.others_pct >= 10 ? ` (${s.others_pct} % by other processes: disturbed)` : ''}`;
  const verdict = s.pass ? 'pass' : `FAIL (${s.reasons.join('; ')})`;
  return `    ${fmtNum(s.rate)}/s: p50 ${fmtMs(s.p50_ms)} · p99 ${fmtMs(s.p99_ms)} · late sends ${s.late_pct} %${cpu}${busy} → ${verdict}`;
}

/**
 * sys: { receiver, load, ingest, meter(m), exited() } (lib/herald-system.mjs,
 * lib/baseline/system.mjs); o: the openloop* sizes. Resolves { steps, best, fail, stopped }:
 * best = the highest passing step, fail = the lowest failing one, stopped = why the ladder
 * ended without a failing step (top of the range, step limit), else null.
 */
export async function searchSustainedRate(sys, o, log = console.log) {
  const arrivals = async () => (await sys.receiver.call('stats', {})).count;
  const steps = [];
  const step = async (rate) => {
    if (steps.length) await sleep(o.openloopPauseMs);
    const meter = new Meter();
    sys.meter(meter);
    meter.add('receiver', sys.receiver.child.pid);
    meter.add('load', sys.load.pid);
    const m = await measureIngestToArrival({
      receiver: sys.receiver,
      load: sys.load,
      mode: 'open',
      loadOpts: { ...sys.ingest, rate, durationMs: o.openloopStepMs, connections: o.openloopConnections, lateMs: o.openloopLateMs },
      warmupMs: steps.length ? o.openloopWarmupMs : o.openloopFirstWarmupMs,
      waitAllDelivered: (n) => waitForCount(arrivals, n, { timeoutMs: o.openloopDrainMs, abortIf: sys.exited, keepSamples: false }),
    });
    const s = judge(rate, m, meter.stop(), o);
    steps.push(s);
    log(stepLine(s));
    if (s.lost) {
      // the next step needs a system that has caught up: wait (bounded) for this one's backlog
      const back = await waitForCount(arrivals, s.accepted, { timeoutMs: o.openloopRecoverMs, abortIf: sys.exited, keepSamples: false });
      s.recovered = back.reached;
      if (!back.reached) log(`    backlog of ${fmtNum(s.rate)}/s not delivered within ${o.openloopRecoverMs / 1000} s more (${back.reason}); search stops`);
    }
    return s;
  };

  let best = null;
  let fail = null;
  let stopped = null;
  for (let i = 0; ; i++) {
    const rate = roundRate(o.openloopStartRate * o.openloopGrowth ** i);
    if (rate > o.openloopMaxRate) {
      stopped = `top of the range (${fmtNum(o.openloopMaxRate)}/s) passed`;
      break;
    }
    if (steps.length >= o.openloopMaxSteps) {
      stopped = `step limit (${o.openloopMaxSteps})`;
      break;
    }
    const s = await step(rate);
    if (!s.pass) {
      fail = s;
      break;
    }
    best = s;
  }
  const canGoOn = () => fail && !fail.generator_limited && fail.recovered !== false && steps.length < o.openloopMaxSteps;
  // the first rate failed: halve it (down to openloopMinRate) until one passes
  while (!best && canGoOn() && roundRate(fail.rate / 2) >= o.openloopMinRate) {
    const s = await step(roundRate(fail.rate / 2));
    if (s.pass) best = s;
    else fail = s;
  }
  for (let k = 0; k < o.openloopRefineSteps && best && canGoOn(); k++) {
    const rate = roundRate(Math.sqrt(best.rate * fail.rate));
    if (rate <= best.rate || rate >= fail.rate) break;
    const s = await step(rate);
    if (s.pass) best = s;
    else fail = s;
  }
  const dead = await sys.exited();
  if (dead) throw new Error(`system under test died during the search: ${dead}`);
  return { steps, best, fail, stopped };
}
