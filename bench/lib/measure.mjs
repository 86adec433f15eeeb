// Shared measurement of "ingest call start -> arrival at the receiver", used identically for
// Herald and for the baseline so their figures compare.
//   closed loop (end-to-end): C concurrent single-event ingest calls for a duration
//   open loop (latency):      a fixed event rate for a duration
// Both begin with a warm-up (sent, delivered, not counted) at an instant agreed in advance
// with the receiver, which samples latency only for events sent after the warm-up.
import { wallNow } from './stats.mjs';

export async function measureIngestToArrival({ receiver, load, mode, loadOpts, warmupMs, waitAllDelivered }) {
  const startAtWall = wallNow() + 300;
  const measureFrom = startAtWall + warmupMs;
  await receiver.call('reset');
  await receiver.call('configure', { latency: true, latencyFrom: measureFrom });
  const res = await load.run(mode, { ...loadOpts, warmupMs, startAtWall });
  const acceptedTotal = mode === 'single' ? res.acceptedTotal : res.accepted;
  const done = await waitAllDelivered(acceptedTotal);
  const rs = await receiver.call('stats', { latency: true, windows: [res.window] });
  const winS = (res.window[1] - res.window[0]) / 1000;
  const lat = rs.latency ?? {};
  const metrics = {
    delivered_per_s: rs.windows[0] / winS,
    accepted_per_s: mode === 'single' ? res.acceptedPerSec : (res.accepted - res.warmupCount) / winS,
    accepted_total: acceptedTotal,
    arrivals_total: rs.count,
    latency_samples: lat.n ?? 0,
    p50_ms: lat.p50 ?? null,
    p90_ms: lat.p90 ?? null,
    p99_ms: lat.p99 ?? null,
    p999_ms: lat.p999 ?? null,
    max_ms: lat.max ?? null,
    ingest_p50_ms: res.responseMs?.p50 ?? null,
    ingest_p99_ms: res.responseMs?.p99 ?? null,
    all_delivered: done.reached ? 1 : 0,
    catch_up_s: done.reached && done.tDone ? Math.max(0, (done.tDone - res.window[1]) / 1000) : null,
  };
  if (mode === 'open') {
    metrics.open_loop_skipped = res.skipped;
    metrics.open_loop_max_lag_ms = res.maxLagMs;
    metrics.open_loop_lag_p99_ms = res.lagMs?.p99 ?? null;
    metrics.open_loop_late = res.late;
    metrics.open_loop_failed = res.failed;
  }
  return { res, done, rs, metrics, latencyMaxPerSecond: rs.latencyMaxPerSecond };
}
