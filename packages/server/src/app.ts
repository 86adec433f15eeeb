import type { FastifyInstance } from 'fastify';
import type { AppContext } from './api/context.js';
import { hashApiKey, newApiKeySecret } from './api/auth.js';
import type { AlertService } from './alerts/alert-service.js';
import { buildApi } from './api/server.js';
import { BackgroundServices } from './background/services.js';
import { DeliveryThread } from './background/thread.js';
import { registerSystemEventTypes } from './catalogue/system.js';
import type { HeraldConfig } from './config.js';
import type { DigestScheduler } from './engine/digest-scheduler.js';
import type { RetentionJob } from './engine/retention.js';
import { planFanOut } from './engine/fan-out.js';
import { IngestQueue } from './engine/ingest-queue.js';
import type { DeliveryWorker } from './engine/worker.js';
import { newId } from './ids.js';
import { API_SCOPES } from './model.js';
import { createLogger, type Logger } from './ops/logger.js';
import { Metrics } from './ops/metrics.js';
import { secretBoxFor, senderFor } from './ops/parts.js';
import { runStartupChecks } from './ops/startup-checks.js';
import type { Resolver } from './outbound/address-guard.js';
import { loadTrustedCas } from './outbound/trust.js';
import { countAdminKeys, ensureApiKey, insertApiKey } from './store/queries/api-keys.js';
import { openStore, type Store } from './store/store.js';

export interface Herald {
  config: HeraldConfig;
  store: Store;
  app: FastifyInstance;
  /** The delivery engine when it runs on this thread (worker processes without a delivery thread). */
  worker: DeliveryWorker | null;
  /** Closes digest periods (as `worker`). */
  digests: DigestScheduler | null;
  /** Alert rules, mail and operational events (as `worker`). */
  alerts: AlertService | null;
  /** Purges attempts and logs past each org's retention (as `worker`). */
  retention: RetentionJob | null;
  /** `--role all` with config.deliveryThread: the background services' own thread (then the four above are null). */
  deliveryThread: DeliveryThread | null;
  log: Logger;
  /** The address the HTTP server listens on. */
  url: string;
  /** An admin key created on first start (printed once), when HERALD_ADMIN_KEY was not set. */
  generatedAdminKey: string | null;
  /** Graceful stop: no new requests, in-flight deliveries finished or released, store closed. */
  close(): Promise<void>;
}

/** Makes the bootstrap admin key exist: HERALD_ADMIN_KEY, or a new one on a store without any. */
async function bootstrapAdminKey(store: Store, config: HeraldConfig): Promise<string | null> {
  const now = Date.now();
  const key = { id: newId('ak', now), name: 'admin', scopes: [...API_SCOPES], org_id: null, email: null, created_at: now, revoked_at: null };
  if (config.adminKey) {
    await ensureApiKey(store.db, key, hashApiKey(config.adminKey));
    return null;
  }
  if ((await countAdminKeys(store.db)) > 0) return null;
  const secret = newApiKeySecret();
  await insertApiKey(store.db, key, hashApiKey(secret));
  return secret;
}

/** Starts a Herald process: store, API (unless role worker), workers (unless role api). */
export async function startHerald(config: HeraldConfig, opts: { logger?: Logger; resolve?: Resolver } = {}): Promise<Herald> {
  const log = opts.logger ?? createLogger(config.logLevel);
  // Read before anything opens: an unusable file stops the start with a message.
  const trustedCas = config.trustedCaFile ? loadTrustedCas(config.trustedCaFile) : undefined;
  let ready = false;
  let fatal = false;
  // A store or delivery thread died: /healthz answers 503 from now on, so a supervisor restarts the process.
  const onFatal = (err: Error) => {
    ready = false;
    fatal = true;
    log.fatal({ err }, 'a thread of Herald stopped working; restart Herald (nothing acknowledged is lost)');
  };
  const store = await openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    sqliteThread: config.sqliteThread ?? true,
    onBackgroundError: (err) => log.warn({ err }, 'store background connection failed; reconnecting'),
    onFatal,
  });
  const box = secretBoxFor(config);
  // Refuse to run rather than run broken (a master key that cannot open the store's secrets).
  await runStartupChecks({ db: store.db, box, config }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const metrics = new Metrics(store);
  const ingest = new IngestQueue(store, planFanOut);
  const sender = senderFor(config, trustedCas, opts.resolve);
  metrics.watchOutbound(() => sender.waiting);
  const ctx: AppContext = { config, store, box, ingest, metrics, sender, log, ready: () => ready };
  const generatedAdminKey = await bootstrapAdminKey(store, config);
  await registerSystemEventTypes(store.db);

  // --role all: delivery on a thread of its own, unless turned off, or the SQLite store has no
  // store thread to share, or a test injected a resolver (functions cannot cross threads).
  const wantThread = config.role === 'all' && config.deliveryThread === true && !opts.resolve;
  const hotPathPort = wantThread && store.dialect === 'sqlite' ? store.shareHotPath() : null;
  const threaded = wantThread && (store.dialect === 'postgres' || hotPathPort !== null);
  const background = config.role !== 'api' && !threaded ? new BackgroundServices({ store, config, box, sender, metrics, log }) : null;
  const app = await buildApi(ctx, { serveApi: config.role !== 'worker' });
  const url = await app.listen({ port: config.port, host: config.host });
  let deliveryThread: DeliveryThread | null = null;
  if (threaded) {
    try {
      deliveryThread = await DeliveryThread.start({ config, hotPathPort, onFatal });
    } catch (err) {
      await app.close();
      await sender.close();
      await store.close();
      throw err;
    }
    const thread = deliveryThread;
    metrics.addSource(() => thread.metrics());
    // Work stored here wakes the thread at once (on PostgreSQL its LISTEN would too, a round trip later).
    store.notifier.subscribe(() => thread.wake());
  }
  background?.start();
  ready = !fatal;
  log.info({ url, store: store.dialect, role: config.role }, 'Herald is ready');

  let closing: Promise<void> | null = null;
  return {
    config, store, app, log, url, generatedAdminKey, deliveryThread,
    worker: background?.worker ?? null,
    digests: background?.digests ?? null,
    alerts: background?.alerts ?? null,
    retention: background?.retention ?? null,
    close: () => {
      closing ??= (async () => {
        ready = false;
        await app.close();
        await background?.stop(config.worker.shutdownGraceMs);
        await deliveryThread?.stop(config.worker.shutdownGraceMs);
        await sender.close();
        await store.close();
      })();
      return closing;
    },
  };
}
