// Herald as a system under test for the ingest→arrival scenarios (e2e, latency, openloop): a
// fresh store, a latency-reading receiver with one webhook on it, one `herald serve` (role all)
// and a load process. `withHeraldSystem` starts them, hands them to `fn` and stops them all.
// The baseline's counterpart, with the same shape, is lib/baseline/system.mjs.
import { startReceiver } from './receiver.mjs';
import { startLoad } from './load.mjs';
import { stopChild } from './children.mjs';
import { createStore } from './store.mjs';
import { startHerald, stopHerald, setupFixture, ingestPaths, authHeaders, completedAcross } from './herald.mjs';
import { pidsByComm } from './proc-stats.mjs';
import { progressPrinter } from './progress.mjs';

/**
 * fn receives { receiver, load, ingest, meter(m), delivered(), exited() }:
 *   ingest       { origin, path, headers } of the single-event ingest call
 *   meter(m)     adds the system's own processes to a Meter (Herald, and PostgreSQL's)
 *   delivered()  deliveries the system recorded as completed
 *   exited()     a reason string if the system died, else null
 */
export async function withHeraldSystem(ctx, storeKind, loadLabel, fn) {
  const store = await createStore(storeKind);
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver`, latency: true });
  let herald = null;
  let load = null;
  try {
    herald = await startHerald({ name: `${ctx.runTag}-herald`, role: 'all', storeEnv: store.env });
    const fx = await setupFixture(herald, [receiver.url('/hook/0')]);
    for (const n of fx.notes) ctx.note(n);
    load = await startLoad({ name: `${ctx.runTag}-load`, onProgress: progressPrinter(`${storeKind} ${loadLabel}`) });
    const h = herald;
    return await fn({
      receiver,
      load,
      ingest: { origin: h.origin, path: ingestPaths.single, headers: authHeaders },
      meter: (m) => {
        m.add('herald', h.pid, { reset: true });
        if (store.kind === 'postgres') m.addGroup('postgres', () => pidsByComm('postgres'));
      },
      delivered: async () => (await completedAcross([h])).done,
      exited: async () => (h.child.bench.exited ? `herald exited (${h.child.bench.code ?? h.child.bench.signal})` : null),
    });
  } finally {
    if (load) {
      await load.close();
      await stopChild(load.child, { graceMs: 2000 });
    }
    if (herald) await stopHerald(herald, 15_000);
    await stopChild(receiver.child, { graceMs: 2000 });
    await store.destroy();
  }
}
