/**
 * The delivery engine of one process, as one object: the ingest queue (group commit and
 * fan-out), the delivery worker (claims, sending, results), direct sends (test, trial, call),
 * and the background services (alerts, digests, retention). It owns the store connection its
 * hot path writes through, so claims and completions are calls inside one thread.
 *
 * The API reaches it through `EngineApi` only: on the same thread (`HERALD_THREADS=single`,
 * `--role api|worker`) it is this object; on `herald serve`'s default topology it is the same
 * object on the engine thread (engine-thread.ts), reached through the typed channel.
 */
import { BackgroundServices } from '../background/services.js';
import type { HeraldConfig } from '../config.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics, MetricsSnapshot } from '../ops/metrics.js';
import type { HttpSender } from '../outbound/http-sender.js';
import { sendDirect, type DirectOutcome, type DirectRequest } from '../services/direct-send.js';
import { requeueDelivery } from '../store/queries/deliveries.js';
import { requeueBatch } from '../store/queries/direct.js';
import type { Store } from '../store/store.js';
import type { IngestGroup, IngestGroupResult } from '../store/types.js';
import { channelSpec, type ChannelSpec } from './channel.js';
import { DestinationPool } from './destination-pool.js';
import { planFanOut } from './fan-out.js';
import { IngestQueue } from './ingest-queue.js';
import { PullQueue, type AckItem, type AckResult, type PolledDelivery, type PollRequest } from './pull-queue.js';

/** What the API asks of the engine: the one interface that may cross between threads. */
export interface EngineApi {
  /** Stores one ingest request's events with their deliveries, all or none; answers once durable. */
  ingest(group: IngestGroup): Promise<IngestGroupResult>;
  /** A test send, trial run or synchronous call to one webhook. */
  sendDirect(req: DirectRequest): Promise<DirectOutcome>;
  /** Leases a poll webhook's due deliveries to its consumer, waiting up to req.waitMs for one (engine/pull-queue.ts). */
  poll(req: PollRequest): Promise<PolledDelivery[]>;
  /** The caller of poll `id` went away: stop waiting. */
  cancelPoll(id: string): void;
  /** Records a poll consumer's answers as attempts, fenced by their lease tokens. */
  ack(orgId: string, webhookId: string, items: AckItem[]): Promise<AckResult[]>;
  /**
   * Puts finished deliveries back in the queue, due now, through the engine's own connection:
   * one delivery (a resend; false when it is in flight) or one batch of a webhook's recovery
   * (how many were re-queued).
   */
  requeue(req: RequeueRequest): Promise<number>;
  /** Work was stored outside the engine (a webhook's digest mode or destination changed): look now. */
  wake(): void;
  /** The engine's Prometheus figures (delivery counters, attempt durations, requests in flight). */
  metrics(): Promise<MetricsSnapshot>;
  /** Stops claiming, lets requests in flight finish for up to graceMs, gives back the rest. */
  stop(graceMs: number): Promise<void>;
}

/** A resend of one delivery, or one batch (at most `limit`) of a webhook's recovery. */
export type RequeueRequest =
  | { kind: 'delivery'; orgId: string; deliveryId: string }
  | { kind: 'recover'; webhookId: string; statuses: string[]; since: number; until: number; limit: number };

/** Every method of EngineApi crosses the channel: one left out of both lists does not compile. */
export const ENGINE_CHANNEL: ChannelSpec<EngineApi> = channelSpec<EngineApi>()({
  name: 'engine',
  calls: ['ingest', 'sendDirect', 'poll', 'ack', 'requeue', 'metrics', 'stop'],
  notices: ['wake', 'cancelPoll'],
});

export interface EngineDeps {
  config: HeraldConfig;
  store: Store;
  box: SecretBox;
  sender: HttpSender;
  metrics: Metrics;
  log: Logger;
  /** Run delivery, alerts, digests and retention (false for `--role api`: ingest and direct sends only). */
  deliver: boolean;
}

export class Engine implements EngineApi {
  readonly ingestQueue: IngestQueue;
  /** Null for `--role api`. */
  readonly services: BackgroundServices | null;
  /** Broker connections of broker-destination webhooks, shared by the worker and direct sends. */
  readonly destinations: DestinationPool;
  /** Poll webhooks' deliveries, leased to their consumers. */
  readonly pull: PullQueue;
  private unsubscribePull: (() => void) | null = null;
  private started = false;
  private stopping: Promise<void> | null = null;

  constructor(private readonly d: EngineDeps) {
    this.ingestQueue = new IngestQueue(d.store, planFanOut);
    this.destinations = new DestinationPool({ box: d.box, allowPrivate: d.config.allowPrivateUrls, resolve: d.sender.resolve });
    this.services = d.deliver ? new BackgroundServices({ ...d, ingest: this.ingestQueue, destinations: this.destinations }) : null;
    const worker = this.services?.worker;
    // What this engine's ingest stores, its worker sends without waiting for a claim.
    if (worker) this.ingestQueue.openFresh = () => worker.openFresh();
    this.pull = new PullQueue({
      store: d.store, box: d.box, destinations: this.destinations, clockScale: d.config.clockScale,
      responseBodyLimit: d.config.responseBodyLimit, ...(this.services ? { onCompleted: this.services.alerts.onCompleted } : {}),
    });
  }

  /**
   * Starts the background services. On SQLite the engine is the file's only writer of leases
   * (the data directory is locked to one process): leases a killed predecessor held are
   * given back first, so its deliveries are due again at once.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // New work of any process (ingest, resend, recovery) wakes waiting long polls.
    this.unsubscribePull = this.d.store.notifier.subscribe(() => this.pull.wake());
    if (this.services && this.d.store.dialect === 'sqlite') await this.d.store.releaseOrphanedLeases(Date.now());
    this.services?.start();
  }

  ingest(group: IngestGroup): Promise<IngestGroupResult> {
    return this.ingestQueue.submit(group);
  }

  sendDirect(req: DirectRequest): Promise<DirectOutcome> {
    return sendDirect({
      db: this.d.store.db, box: this.d.box, sender: this.d.sender, destinations: this.destinations, queued: () => this.d.store.notifier.notify(),
    }, req);
  }

  poll(req: PollRequest): Promise<PolledDelivery[]> {
    return this.pull.poll(req);
  }

  cancelPoll(id: string): void {
    this.pull.cancelPoll(id);
  }

  ack(orgId: string, webhookId: string, items: AckItem[]): Promise<AckResult[]> {
    return this.pull.ack(orgId, webhookId, items);
  }

  async requeue(req: RequeueRequest): Promise<number> {
    const now = Date.now();
    const n = req.kind === 'delivery'
      ? Number(await requeueDelivery(this.d.store.db, req.orgId, req.deliveryId, now))
      : await requeueBatch(this.d.store.db, req.webhookId, req.statuses, req.since, req.until, req.limit, now);
    if (n > 0) this.d.store.notifier.notify();
    return n;
  }

  wake(): void {
    this.d.store.notifier.wakeLocal();
  }

  async metrics(): Promise<MetricsSnapshot> {
    return this.d.metrics.registry.getMetricsAsJSON();
  }

  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      this.unsubscribePull?.();
      this.pull.stop();
      await this.services?.stop(graceMs);
      await this.ingestQueue.drain();
      // After the worker: its last publishes have finished or been given back.
      await this.destinations.close();
    })();
    return this.stopping;
  }
}
