// 1. ceiling — what loopback HTTP can do on this machine: an undici Pool (64 connections,
// pipelining 1) POSTs 1 KB bodies to the receiver as fast as it answers. Every delivery figure
// is read against this number.
import { startReceiver } from '../lib/receiver.mjs';
import { startLoad } from '../lib/load.mjs';
import { Meter } from '../lib/proc-stats.mjs';
import { stopChild } from '../lib/children.mjs';
import { progressPrinter } from '../lib/progress.mjs';

export const name = 'ceiling';
export const title = 'loopback HTTP ceiling (undici Pool, 64 conns, 1 KB POST)';

export function cases(ctx) {
  return [
    {
      id: 'ceiling',
      scenario: name,
      store: null,
      label: 'ceiling',
      primary: 'rps',
      rows: [{ key: 'rps', label: 'requests/s', unit: '/s' }],
      runOnce: () => runCeiling(ctx),
    },
  ];
}

async function runCeiling(ctx) {
  const durationMs = ctx.quick ? 2000 : 5000;
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver` });
  const load = await startLoad({ name: `${ctx.runTag}-load`, onProgress: progressPrinter('ceiling') });
  try {
    const meter = new Meter();
    meter.add('receiver', receiver.child.pid, { reset: true });
    meter.add('load', load.pid, { fresh: true });
    const res = await load.run('ceiling', { origin: receiver.origin, path: '/hook/0', connections: 64, bodyBytes: 1024, durationMs, warmupMs: 500 });
    const resources = meter.stop();
    if (res.firstError) ctx.warn(`ceiling: ${res.firstError}`);
    return {
      metrics: { rps: res.rps, requests: res.requests, duration_s: durationMs / 1000 },
      phases: { ceiling: resources },
      primaryPhase: 'ceiling',
      info: { statuses: res.statuses },
    };
  } finally {
    await load.close();
    await stopChild(load.child, { graceMs: 2000 });
    await stopChild(receiver.child, { graceMs: 2000 });
  }
}
