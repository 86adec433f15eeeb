import type { FastifyInstance } from 'fastify';
import type { AppContext } from './api/context.js';
import { hashApiKey, newApiKeySecret } from './api/auth.js';
import { AlertService } from './alerts/alert-service.js';
import { buildApi } from './api/server.js';
import { registerSystemEventTypes } from './catalogue/system.js';
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
import type { Resolver } from './outbound/address-guard.js';
import { HttpSender } from './outbound/http-sender.js';
import { loadTrustedCas } from './outbound/trust.js';
import { countAdminKeys, ensureApiKey, insertApiKey } from './store/queries/api-keys.js';
import { openStore, type Store } from './store/store.js';

export interface Herald {
  config: HeraldConfig;
  store: Store;
  app: FastifyInstance;
  worker: DeliveryWorker | null;
  /** Closes digest periods (worker processes only). */
  digests: DigestScheduler | null;
  /** Alert rules, mail and operational events (worker processes only). */
  alerts: AlertService | null;
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
  const store = await openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    sqliteThread: config.sqliteThread ?? true,
    onBackgroundError: (err) => log.warn({ err }, 'store background connection failed; reconnecting'),
    onFatal: (err) => {
      // /healthz answers 503 from now on, so a supervisor restarts the process.
      ready = false;
      fatal = true;
      log.fatal({ err }, 'the store stopped working; restart Herald (nothing acknowledged is lost)');
    },
  });
  const box = new SecretBox(loadMasterKey({ ...(config.masterKey ? { envValue: config.masterKey } : {}), dataDir: config.dataDir }));
  const metrics = new Metrics(store);
  const ingest = new IngestQueue(store, planFanOut);
  const sender = new HttpSender({
    connectionsPerOrigin: config.worker.connectionsPerOrigin,
    responseBodyLimit: config.responseBodyLimit,
    allowPrivateUrls: config.allowPrivateUrls,
    trustedCas,
    resolve: opts.resolve,
  });
  metrics.watchOutbound(() => sender.waiting);
  const ctx: AppContext = { config, store, box, ingest, metrics, sender, log, ready: () => ready };
  const generatedAdminKey = await bootstrapAdminKey(store, config);
  await registerSystemEventTypes(store.db);

  let worker: DeliveryWorker | null = null;
  let digests: DigestScheduler | null = null;
  let alerts: AlertService | null = null;
  let retention: RetentionJob | null = null;
  if (config.role !== 'api') {
    alerts = new AlertService(store, config, log);
    retention = new RetentionJob({ store, log, clockScale: config.clockScale });
    digests = new DigestScheduler({ store, log, clockScale: config.clockScale, idleCheckMs: config.worker.idleCheckMs });
    worker = new DeliveryWorker({
      store, sender, metrics, log, config: config.worker, clockScale: config.clockScale, onCompleted: alerts.onCompleted,
      runtimes: new WebhookRuntimeCache(store.db, box, (webhookId, err) =>
        log.error({ err, webhookId }, 'webhook settings cannot be loaded (keys unreadable?); its deliveries wait')),
    });
  }
  const app = await buildApi(ctx, { serveApi: config.role !== 'worker' });
  const url = await app.listen({ port: config.port, host: config.host });
  alerts?.start();
  worker?.start();
  digests?.start();
  retention?.start();
  ready = !fatal;
  log.info({ url, store: store.dialect, role: config.role }, 'Herald is ready');

  let closing: Promise<void> | null = null;
  return {
    config, store, app, worker, digests, alerts, retention, log, url, generatedAdminKey,
    close: () => {
      closing ??= (async () => {
        ready = false;
        await app.close();
        await digests?.stop();
        await retention?.stop();
        await worker?.stop(config.worker.shutdownGraceMs);
        await alerts?.stop();
        await sender.close();
        await store.close();
      })();
      return closing;
    },
  };
}
