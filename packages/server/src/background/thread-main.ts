/**
 * The delivery thread (see thread.ts): opens its own store connections, outbound HTTP pool and
 * metrics, runs the background services, and answers the main thread's messages.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { HeraldConfig } from '../config.js';
import { createLogger } from '../ops/logger.js';
import { Metrics } from '../ops/metrics.js';
import { secretBoxFor, senderFor } from '../ops/parts.js';
import { loadTrustedCas } from '../outbound/trust.js';
import { openStore } from '../store/store.js';
import { BackgroundServices } from './services.js';
import type { FromThread, ToThread } from './thread.js';

const parent = parentPort!;
const send = (m: FromThread) => parent.postMessage(m);
const { config, port } = workerData as { config: HeraldConfig; port: MessagePort | null };
const log = createLogger(config.logLevel).child({ thread: 'delivery' });

const store = await openStore({
  dataDir: config.dataDir,
  databaseUrl: config.databaseUrl,
  ...(port ? { sqliteHotPathPort: port } : {}),
  onBackgroundError: (err) => log.warn({ err }, 'store background connection failed; reconnecting'),
  onFatal: (err) => send({ fatal: err.message }),
});
const box = secretBoxFor(config);
const metrics = new Metrics(null, false);
const sender = senderFor(config, config.trustedCaFile ? loadTrustedCas(config.trustedCaFile) : undefined);
metrics.watchOutbound(() => sender.waiting);
const services = new BackgroundServices({ store, config, box, sender, metrics, log });

parent.on('message', (m: ToThread) => {
  // The main thread stored new work and (PostgreSQL) already told other processes.
  if ('wake' in m) store.notifier.wakeLocal();
  else if ('metrics' in m) void metrics.registry.getMetricsAsJSON().then((snapshot) => send({ id: m.id, metrics: snapshot }));
  else if ('stop' in m) {
    void (async () => {
      try {
        await services.stop(m.stop);
        await sender.close();
        await store.close();
      } catch (err) {
        log.error({ err }, 'stopping the delivery thread failed');
      }
      send({ stopped: true });
    })();
  }
});

services.start();
send({ ready: true });
