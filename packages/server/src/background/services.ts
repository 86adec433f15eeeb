/**
 * The background services of a worker process: the delivery worker, failure alerts, digest
 * periods and retention. The engine (engine/engine.ts) runs them: on the engine thread for
 * `herald serve`, on the main thread for `--role worker` or `HERALD_THREADS=single`.
 */
import { AlertService } from '../alerts/alert-service.js';
import type { HeraldConfig } from '../config.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { DigestScheduler } from '../engine/digest-scheduler.js';
import type { IngestQueue } from '../engine/ingest-queue.js';
import { RetentionJob } from '../engine/retention.js';
import { WebhookRuntimeCache } from '../engine/webhook-runtime.js';
import { DeliveryWorker } from '../engine/worker.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { HttpSender } from '../outbound/http-sender.js';
import type { Store } from '../store/store.js';

export interface BackgroundDeps {
  store: Store;
  config: HeraldConfig;
  box: SecretBox;
  sender: HttpSender;
  metrics: Metrics;
  log: Logger;
  /** The engine's ingest queue (operational events are ingested through it). */
  ingest: IngestQueue;
}

export class BackgroundServices {
  readonly worker: DeliveryWorker;
  readonly alerts: AlertService;
  readonly digests: DigestScheduler;
  readonly retention: RetentionJob;

  constructor({ store, config, box, sender, metrics, log, ingest }: BackgroundDeps) {
    this.alerts = new AlertService(store, config, log, ingest);
    this.retention = new RetentionJob({ store, log, clockScale: config.clockScale });
    this.digests = new DigestScheduler({ store, log, clockScale: config.clockScale, idleCheckMs: config.worker.idleCheckMs });
    this.worker = new DeliveryWorker({
      store, sender, metrics, log, config: config.worker, clockScale: config.clockScale, onCompleted: this.alerts.onCompleted,
      runtimes: new WebhookRuntimeCache(store.db, box, (webhookId, err) =>
        log.error({ err, webhookId }, 'webhook settings cannot be loaded (keys unreadable?); its deliveries wait')),
    });
  }

  start(): void {
    this.alerts.start();
    this.worker.start();
    this.digests.start();
    this.retention.start();
  }

  /** Requests in flight finish (up to graceMs) or are given back; alerts evaluate what the worker handed over. */
  async stop(graceMs: number): Promise<void> {
    await this.digests.stop();
    await this.retention.stop();
    await this.worker.stop(graceMs);
    await this.alerts.stop();
  }
}
