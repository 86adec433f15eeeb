/**
 * The engine thread (see engine-thread.ts): opens its own store connection, outbound HTTP pool
 * and metrics, runs the engine, and serves the API's calls on the engine channel.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HeraldConfig } from '../config.js';
import { createLogger } from '../ops/logger.js';
import { Metrics } from '../ops/metrics.js';
import { secretBoxFor, senderFor } from '../ops/parts.js';
import { startTracing, traceChannelContext } from '../ops/tracing.js';
import { loadTrustedCas } from '../outbound/trust.js';
import { openStore } from '../store/store.js';
import { serveChannel } from './channel.js';
import { Engine, ENGINE_CHANNEL } from './engine.js';
import type { EngineThreadSignal } from './engine-thread.js';

const parent = parentPort!;
const signal = (m: EngineThreadSignal) => parent.postMessage(m);
const { config } = workerData as { config: HeraldConfig };
const log = createLogger(config.logLevel).child({ thread: 'engine' });
const tracing = await startTracing(config.tracing, 'engine');

const store = await openStore({
  dataDir: config.dataDir,
  databaseUrl: config.databaseUrl,
  // The process's main thread holds the data directory's lock.
  lock: false,
  onBackgroundError: (err) => log.warn({ err }, 'store background connection failed; reconnecting'),
});
const sender = senderFor(config, config.trustedCaFile ? loadTrustedCas(config.trustedCaFile) : undefined);
const metrics = new Metrics(null, false);
metrics.watchOutbound(() => sender.waiting);
const engine = new Engine({ config, store, box: secretBoxFor(config), sender, metrics, log, deliver: config.role !== 'api' });

// stop() also closes what the thread opened, then the parent ends the thread.
serveChannel(parent, ENGINE_CHANNEL, {
  ingest: (group) => engine.ingest(group),
  sendDirect: (req) => engine.sendDirect(req),
  poll: (req) => engine.poll(req),
  ack: (orgId, webhookId, items) => engine.ack(orgId, webhookId, items),
  requeue: (req) => engine.requeue(req),
  cancelPoll: (id) => engine.cancelPoll(id),
  wake: () => engine.wake(),
  metrics: () => engine.metrics(),
  stop: async (graceMs: number) => {
    try {
      await engine.stop(graceMs);
      await sender.close();
      await store.close();
    } catch (err) {
      log.error({ err }, 'stopping the engine thread failed');
    } finally {
      await tracing.stop();
    }
  },
}, traceChannelContext);

await engine.start();
signal({ ready: true });
