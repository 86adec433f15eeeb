/**
 * `herald serve`'s default topology: the engine (engine.ts) on a thread of its own, beside the
 * API's event loop. The thread opens its own store connection (the only one that writes the
 * hot path), outbound HTTP pool and metrics registry; the API reaches it through the typed
 * channel of EngineApi, two messages per ingest request and none per delivery batch.
 */
import type { Worker } from 'node:worker_threads';
import type { HeraldConfig } from '../config.js';
import type { MetricsSnapshot } from '../ops/metrics.js';
import { startThread } from '../ops/thread.js';
import { traceChannelContext } from '../ops/tracing.js';
import type { DirectOutcome, DirectRequest } from '../services/direct-send.js';
import type { IngestGroup, IngestGroupResult } from '../store/types.js';
import { openChannel, type ChannelClient } from './channel.js';
import { ENGINE_CHANNEL, type EngineApi, type RequeueRequest } from './engine.js';
import type { AckItem, AckResult, PolledDelivery, PollRequest } from './pull-queue.js';

/**
 * The engine thread's young generation (V8's space for new objects), in MB. A delivery's
 * objects (claimed row, body, request, response, result) live a few milliseconds; V8's default
 * (16 MB semi-spaces) collects them several times a second under load, and fewer scavenges
 * cost less (with 64 MB semi-spaces the drain's worker used ~9 % less CPU for ~10 MB more
 * memory; docs/performance.md, "Session 8"). 96 MB is 32 MB semi-spaces.
 */
export const ENGINE_YOUNG_GENERATION_MB = 96;

/** How long a /metrics scrape waits for the engine thread's figures. */
const METRICS_WAIT_MS = 2000;

/** The one message the engine thread sends outside the channel: its store is open and its services run. */
export type EngineThreadSignal = { ready: true };

export class EngineThread implements EngineApi {
  private stopping: Promise<void> | null = null;
  private exited = false;

  private constructor(
    private readonly thread: Worker,
    private readonly channel: ChannelClient<EngineApi>,
    onFatal: (err: Error) => void,
  ) {
    // An 'error' is followed by 'exit': the process is told once.
    let told = false;
    const fatal = (err: Error) => {
      channel.fail(err);
      if (told) return;
      told = true;
      onFatal(err);
    };
    thread.on('error', (err) => fatal(new Error(`the engine thread failed: ${err.message}`)));
    thread.on('exit', (code) => {
      this.exited = true;
      if (this.stopping) channel.fail(new Error('the engine thread has stopped'));
      else fatal(new Error(`the engine thread stopped (exit ${code})`));
    });
  }

  /** Starts the engine thread and waits until its store is open and its services run. */
  static async start(config: HeraldConfig, onFatal: (err: Error) => void): Promise<EngineThread> {
    const thread = await startThread(import.meta.url, './engine-thread-main', {
      workerData: { config },
      resourceLimits: { maxYoungGenerationSizeMb: ENGINE_YOUNG_GENERATION_MB },
    });
    return new EngineThread(thread, openChannel(thread, ENGINE_CHANNEL, traceChannelContext), onFatal);
  }

  ingest(group: IngestGroup): Promise<IngestGroupResult> {
    return this.channel.remote.ingest(group);
  }

  sendDirect(req: DirectRequest): Promise<DirectOutcome> {
    return this.channel.remote.sendDirect(req);
  }

  poll(req: PollRequest): Promise<PolledDelivery[]> {
    return this.channel.remote.poll(req);
  }

  ack(orgId: string, webhookId: string, items: AckItem[]): Promise<AckResult[]> {
    return this.channel.remote.ack(orgId, webhookId, items);
  }

  /** Messages between the threads so far: calls and notices posted, answers taken (tests count hand-offs). */
  get messages(): { readonly posted: number; readonly answered: number } {
    return { ...this.channel.messages };
  }

  requeue(req: RequeueRequest): Promise<number> {
    return this.channel.remote.requeue(req);
  }

  cancelPoll(id: string): void {
    if (!this.stopping && !this.exited) this.channel.remote.cancelPoll(id);
  }

  wake(): void {
    if (!this.stopping && !this.exited) this.channel.remote.wake();
  }

  /** The thread's figures, or none if it does not answer within METRICS_WAIT_MS: a scrape always answers. */
  metrics(): Promise<MetricsSnapshot> {
    if (this.stopping || this.exited) return Promise.resolve([]);
    return Promise.race([
      this.channel.remote.metrics().catch(() => [] as MetricsSnapshot),
      new Promise<MetricsSnapshot>((resolve) => setTimeout(() => resolve([]), METRICS_WAIT_MS).unref()),
    ]);
  }

  /** Graceful stop (see Engine.stop), then the thread ends. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.exited) {
        try {
          await this.channel.remote.stop(graceMs);
        } catch {
          // The thread died meanwhile: nothing left to stop.
        }
      }
      await this.thread.terminate();
    })();
    return this.stopping;
  }
}
