import type { FastifyInstance } from 'fastify';
import type { AppContext } from './api/context.js';
import { hashApiKey, newApiKeySecret } from './api/auth.js';
import type { AlertService } from './alerts/alert-service.js';
import { buildApi } from './api/server.js';
import { registerSystemEventTypes } from './catalogue/system.js';
import type { HeraldConfig } from './config.js';
import type { DigestScheduler } from './engine/digest-scheduler.js';
import type { RetentionJob } from './engine/retention.js';
import { Engine, type EngineApi } from './engine/engine.js';
import { EngineThread } from './engine/engine-thread.js';
import type { DeliveryWorker } from './engine/worker.js';
import { newId } from './ids.js';
import { API_SCOPES } from './model.js';
import { createLogger, type Logger } from './ops/logger.js';
import { Metrics } from './ops/metrics.js';
import { secretBoxFor, senderFor } from './ops/parts.js';
import { runStartupChecks } from './ops/startup-checks.js';
import { startTracing } from './ops/tracing.js';
import type { Resolver } from './outbound/address-guard.js';
import { loadTrustedCas } from './outbound/trust.js';
import { countAdminKeys, ensureApiKey, insertApiKey } from './store/queries/api-keys.js';
import { openStore, type Store } from './store/store.js';

export interface Herald {
  config: HeraldConfig;
  /** The API thread's store connection (on the default topology the engine thread has its own). */
  store: Store;
  app: FastifyInstance;
  /** What the API asks of the engine: the engine itself (HERALD_THREADS=single, roles api/worker) or the engine thread. */
  engine: EngineApi;
  /** The engine when it runs on this thread (null on the default topology, where it has a thread of its own). */
  localEngine: Engine | null;
  /** The delivery engine's worker when the engine runs on this thread (else null). */
  worker: DeliveryWorker | null;
  /** Closes digest periods (as `worker`). */
  digests: DigestScheduler | null;
  /** Alert rules, mail and operational events (as `worker`). */
  alerts: AlertService | null;
  /** Purges attempts and logs past each org's retention (as `worker`). */
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
  // The engine thread died: /healthz answers 503 from now on, so a supervisor restarts the process.
  const onFatal = (err: Error) => {
    ready = false;
    fatal = true;
    log.fatal({ err }, 'a thread of Herald stopped working; restart Herald (nothing acknowledged is lost)');
  };
  // The engine gets a thread of its own on `herald serve`'s default topology, and with
  // `--role api` (this thread parses and authenticates while the engine thread writes: batch
  // ingest +15 %, docs/performance.md); `--role worker` keeps it here (a second thread would
  // cost ~30–50 MB of memory for a main thread that only answers /healthz). A test that injects
  // a resolver keeps it here too (functions cannot cross threads).
  const threaded = config.role !== 'worker' && config.threads === 'engine' && !opts.resolve;
  const store = await openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    // Beside an engine thread this thread only announces work; the engine listens.
    listen: !threaded,
    onBackgroundError: (err) => log.warn({ err }, 'store background connection failed; reconnecting'),
  });
  // This thread's spans (the engine thread starts its own); off unless configured.
  const tracing = await startTracing(config.tracing, threaded ? 'api' : 'main');
  const box = secretBoxFor(config);
  // Refuse to run rather than run broken (a master key that cannot open the store's secrets).
  await runStartupChecks({ db: store.db, box, config }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const metrics = new Metrics(store);
  // URL checks at save time (and the engine's own sends when it runs on this thread).
  const sender = senderFor(config, trustedCas, opts.resolve);
  metrics.watchOutbound(() => sender.waiting);
  let localEngine: Engine | null = null;
  let engine: EngineApi;
  try {
    if (threaded) {
      const thread = await EngineThread.start(config, onFatal);
      metrics.addSource(() => thread.metrics());
      engine = thread;
    } else {
      localEngine = new Engine({ config, store, box, sender, metrics, log, deliver: config.role !== 'api' });
      engine = localEngine;
    }
  } catch (err) {
    await sender.close();
    await store.close();
    await tracing.stop();
    throw err;
  }
  // Work the API stores (replays, recoveries, digest webhooks) wakes the engine at once.
  if (threaded) store.notifier.subscribe(() => engine.wake());
  const ctx: AppContext = { config, store, box, engine, metrics, sender, log, ready: () => ready };
  const generatedAdminKey = await bootstrapAdminKey(store, config);
  await registerSystemEventTypes(store.db);
  const app = await buildApi(ctx, { serveApi: config.role !== 'worker' });
  const url = await app.listen({ port: config.port, host: config.host });
  await localEngine?.start();
  ready = !fatal;
  log.info({ url, store: store.dialect, role: config.role, threads: threaded ? 'engine' : 'single' }, 'Herald is ready');

  let closing: Promise<void> | null = null;
  return {
    config, store, app, log, url, generatedAdminKey, engine, localEngine,
    worker: localEngine?.services?.worker ?? null,
    digests: localEngine?.services?.digests ?? null,
    alerts: localEngine?.services?.alerts ?? null,
    retention: localEngine?.services?.retention ?? null,
    close: () => {
      closing ??= (async () => {
        ready = false;
        await app.close();
        await engine.stop(config.worker.shutdownGraceMs);
        await sender.close();
        await store.close();
        await tracing.stop();
      })();
      return closing;
    },
  };
}
