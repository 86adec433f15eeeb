/**
 * Failure alerts in a worker process: the evaluator the delivery worker calls after each
 * completion batch, the mailer that sends the mail outbox, and the relay that ingests
 * operational events. docs/alerts.md describes the behaviour.
 */
import type { HeraldConfig } from '../config.js';
import type { IngestQueue } from '../engine/ingest-queue.js';
import type { Logger } from '../ops/logger.js';
import type { Store } from '../store/store.js';
import type { DeliveryResult } from '../store/types.js';
import { AlertEvaluator } from './alert-evaluator.js';
import { OperationalEventRelay } from './event-relay.js';
import { AlertMailer, type MailTransport } from './mailer.js';

export class AlertService {
  readonly evaluator: AlertEvaluator;
  readonly mailer: AlertMailer;
  readonly relay: OperationalEventRelay;

  constructor(store: Store, config: HeraldConfig, log: Logger, ingest: IngestQueue, transport?: MailTransport) {
    const idleCheckMs = config.worker.idleCheckMs;
    this.mailer = new AlertMailer({ store, smtpUrl: config.smtpUrl, smtpFrom: config.smtpFrom, clockScale: config.clockScale, log, idleCheckMs }, transport);
    this.relay = new OperationalEventRelay({ store, log, idleCheckMs, ingest });
    this.evaluator = new AlertEvaluator({
      store,
      clockScale: config.clockScale,
      publicUrl: config.publicUrl,
      log,
      onMail: () => this.mailer.wake(),
      onEvents: () => this.relay.wake(),
    });
  }

  /** The delivery worker's onCompleted hook. */
  readonly onCompleted = (batch: readonly DeliveryResult[], fenced: ReadonlySet<string>): void => {
    this.evaluator.completed(batch, fenced);
  };

  start(): void {
    this.mailer.start();
    this.relay.start();
  }

  /** After the worker stopped: evaluates what it handed over, then stops sending. */
  async stop(): Promise<void> {
    await this.evaluator.stop();
    await this.relay.stop();
    await this.mailer.stop();
  }
}
