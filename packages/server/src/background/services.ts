/**
 * The background services of a worker process: the delivery worker, failure alerts, digest
 * periods, retention and the fifo rescue. The engine (engine/engine.ts) runs them: on the
 * engine thread for `herald serve`, on the main thread for `--role worker` or
 * `HERALD_THREADS=single`.
 *
 * Every process runs the worker, the alert mailer and the operational-event relay (they lease
 * their rows, so many share the work). Maintenance (retention, digest period closing, the
 * fifo rescue) runs only on the elected leader (leader-election.ts).
 */
import { AlertService } from '../alerts/alert-service.js';
import type { HeraldConfig } from '../config.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { DestinationPool } from '../engine/destination-pool.js';
import { DigestScheduler } from '../engine/digest-scheduler.js';
import { FifoRescue } from '../engine/fifo-rescue.js';
import type { IngestQueue } from '../engine/ingest-queue.js';
import { RetentionJob } from '../engine/retention.js';
import { WebhookRuntimeCache } from '../engine/webhook-runtime.js';
import { DeliveryWorker } from '../engine/worker.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { HttpSender } from '../outbound/http-sender.js';
import type { Store } from '../store/store.js';
import { LeaderElection, leaderLockFor } from './leader-election.js';
import type { BackgroundService } from './service.js';

export interface BackgroundDeps {
  store: Store;
  config: HeraldConfig;
  box: SecretBox;
  sender: HttpSender;
  metrics: Metrics;
  log: Logger;
  /** The engine's ingest queue (operational events are ingested through it). */
  ingest: IngestQueue;
  /** The engine's broker connections (webhooks with a broker destination). */
  destinations: DestinationPool;
}

export class BackgroundServices {
  readonly worker: DeliveryWorker;
  readonly alerts: AlertService;
  readonly digests: DigestScheduler;
  readonly retention: RetentionJob;
  readonly fifoRescue: FifoRescue;
  readonly leader: LeaderElection;
  /** The leader's services, started when this process is elected and stopped when it is not. */
  private readonly maintenance: readonly BackgroundService[];

  constructor({ store, config, box, sender, metrics, log, ingest, destinations }: BackgroundDeps) {
    const { clockScale } = config;
    const { idleCheckMs } = config.worker;
    this.alerts = new AlertService(store, config, log, ingest);
    this.retention = new RetentionJob({ store, log, clockScale });
    this.digests = new DigestScheduler({ store, log, clockScale, idleCheckMs });
    this.fifoRescue = new FifoRescue({ store, log, everyMs: idleCheckMs });
    this.maintenance = [this.digests, this.retention, this.fifoRescue];
    this.leader = new LeaderElection({
      lock: leaderLockFor(store),
      retryMs: config.worker.leaderRetryMs,
      log,
      onChange: (leader) => (leader ? this.startMaintenance() : this.stopMaintenance()),
    });
    const runs = metrics.watchLeadership(() => this.leader.isLeader);
    for (const [task, service] of [['retention', this.retention], ['digests', this.digests], ['fifo_rescue', this.fifoRescue]] as const) {
      service.signals.looked.subscribe(() => runs.inc({ task }));
    }
    this.worker = new DeliveryWorker({
      store, sender, metrics, log, config: config.worker, clockScale, onCompleted: this.alerts.onCompleted,
      runtimes: new WebhookRuntimeCache(store.db, box, (webhookId, err) =>
        log.error({ err, webhookId }, 'webhook settings cannot be loaded (keys unreadable?); its deliveries wait'), destinations),
    });
  }

  start(): void {
    this.alerts.start();
    this.worker.start();
    this.leader.start();
  }

  private async startMaintenance(): Promise<void> {
    for (const s of this.maintenance) s.start();
  }

  private async stopMaintenance(): Promise<void> {
    await Promise.all(this.maintenance.map((s) => s.stop()));
  }

  /** Requests in flight finish (up to graceMs) or are given back; alerts evaluate what the worker handed over. */
  async stop(graceMs: number): Promise<void> {
    await this.leader.stop();
    await this.worker.stop(graceMs);
    await this.alerts.stop();
  }
}
