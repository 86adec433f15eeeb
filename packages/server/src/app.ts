import type { FastifyInstance } from 'fastify';
import type { AppContext } from './api/context.js';
import { hashApiKey, newApiKeySecret } from './api/auth.js';
import { buildApi } from './api/server.js';
import type { HeraldConfig } from './config.js';
import { loadMasterKey, SecretBox } from './crypto/secret-box.js';
import { DigestScheduler } from './engine/digest-scheduler.js';
import { RetentionJob } from './engine/retention.js';
import { planFanOut } from './engine/fan-out.js';
import { IngestQueue } from './engine/ingest-queue.js';
import { WebhookRuntimeCache } from './engine/webhook-runtime.js';
import { DeliveryWorker } from './engine/worker.js';
import { newId } from './ids.js';
import { API_SCOPES } from './model.js';
import { createLogger, type Logger } from './ops/logger.js';
import { Metrics } from './ops/metrics.js';
import { HttpSender } from './outbound/http-sender.js';
import { countAdminKeys, ensureApiKey, insertApiKey } from './store/queries/api-keys.js';
import { openStore, type Store } from './store/store.js';

export interface Herald {
  config: HeraldConfig;
  store: Store;
  app: FastifyInstance;
  worker: DeliveryWorker | null;
  /** Closes digest periods (worker processes only). */
  digests: DigestScheduler | null;
  /** Purges attempts and logs past each org's retention (worker processes only). */
  retention: RetentionJob | null;
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
  const key = { id: newId('ak', now), name: 'admin', scopes: [...API_SCOPES], org_id: null, created_at: now, revoked_at: null };
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
export async function startHerald(config: HeraldConfig, opts: { logger?: Logger } = {}): Promise<Herald> {
  const log = opts.logger ?? createLogger(config.logLevel);
  const store = await openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    onBackgroundError: (err) => log.warn({ err }, 'store background connection failed; reconnecting'),
  });
  let ready = false;
  const box = new SecretBox(loadMasterKey({ ...(config.masterKey ? { envValue: config.masterKey } : {}), dataDir: config.dataDir }));
  const metrics = new Metrics(store);
  const ingest = new IngestQueue(store, planFanOut);
  const sender = new HttpSender({
    connectionsPerOrigin: config.worker.connectionsPerOrigin,
    responseBodyLimit: config.responseBodyLimit,
    allowPrivateUrls: config.allowPrivateUrls,
  });
  const ctx: AppContext = { config, store, box, ingest, metrics, sender, log, ready: () => ready };
  const generatedAdminKey = await bootstrapAdminKey(store, config);

  let worker: DeliveryWorker | null = null;
  let digests: DigestScheduler | null = null;
  let retention: RetentionJob | null = null;
  if (config.role !== 'api') {
    retention = new RetentionJob({ store, log, clockScale: config.clockScale });
    digests = new DigestScheduler({ store, log, clockScale: config.clockScale, idleCheckMs: config.worker.idleCheckMs });
    worker = new DeliveryWorker({
      store, sender, metrics, log, config: config.worker, clockScale: config.clockScale,
      runtimes: new WebhookRuntimeCache(store.db, box, (webhookId, err) =>
        log.error({ err, webhookId }, 'webhook settings cannot be loaded (keys unreadable?); its deliveries wait')),
    });
  }
  const app = await buildApi(ctx, { serveApi: config.role !== 'worker' });
  const url = await app.listen({ port: config.port, host: config.host });
  worker?.start();
  digests?.start();
  retention?.start();
  ready = true;
  log.info({ url, store: store.dialect, role: config.role }, 'Herald is ready');

  let closing: Promise<void> | null = null;
  return {
    config, store, app, worker, digests, retention, log, url, generatedAdminKey,
    close: () => {
      closing ??= (async () => {
        ready = false;
        await app.close();
        await digests?.stop();
        await retention?.stop();
        await worker?.stop(config.worker.shutdownGraceMs);
        await sender.close();
        await store.close();
      })();
      return closing;
    },
  };
}
