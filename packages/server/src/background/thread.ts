import type { MessagePort, Worker } from 'node:worker_threads';
import type { HeraldConfig } from '../config.js';
import type { MetricsSnapshot } from '../ops/metrics.js';
import { startThread } from '../ops/thread.js';

/** Messages from the delivery thread (thread-main.ts). */
export type FromThread = { ready: true } | { id: number; metrics: MetricsSnapshot } | { stopped: true } | { fatal: string };
/** Messages to the delivery thread. */
export type ToThread = { wake: true } | { id: number; metrics: true } | { stop: number };

/** How long a /metrics scrape waits for the thread's figures. */
const METRICS_WAIT_MS = 2000;

export interface DeliveryThreadOptions {
  config: HeraldConfig;
  /** SQLite: a port to the process's store thread (Store.shareHotPath); null on PostgreSQL. */
  hotPathPort: MessagePort | null;
  /** The thread died or its store stopped working: the process must report itself unhealthy. */
  onFatal: (err: Error) => void;
}

/**
 * The background services (services.ts) on a thread of their own, so that in `--role all`
 * delivery and the API each have an event loop: a busy delivery engine no longer holds up
 * ingest requests, and on a machine with cores to spare both run at once. The thread opens
 * its own store connections (on SQLite it shares the process's store thread through a port,
 * so every hot-path write stays on one connection), its own outbound HTTP pool and its own
 * metrics, which the main thread's /metrics adds up. Notifications of new work on the main
 * thread are forwarded as messages.
 */
export class DeliveryThread {
  private seq = 0;
  private readonly pending = new Map<number, (m: MetricsSnapshot) => void>();
  private stopping: Promise<void> | null = null;
  private exited = false;

  private constructor(private readonly thread: Worker, onFatal: (err: Error) => void) {
    // An 'error' is followed by 'exit': the process is told once.
    let told = false;
    const fatal = (err: Error) => {
      if (told) return;
      told = true;
      onFatal(err);
    };
    thread.on('message', (m: FromThread) => {
      if ('fatal' in m) fatal(new Error(m.fatal));
      else if ('metrics' in m) {
        this.pending.get(m.id)?.(m.metrics);
        this.pending.delete(m.id);
      }
    });
    thread.on('error', (err) => fatal(new Error(`the delivery thread failed: ${err.message}`)));
    thread.on('exit', (code) => {
      this.exited = true;
      for (const resolve of this.pending.values()) resolve([]);
      this.pending.clear();
      if (!this.stopping) fatal(new Error(`the delivery thread stopped (exit ${code})`));
    });
  }

  /** Starts the thread and waits until its services run. */
  static async start(opts: DeliveryThreadOptions): Promise<DeliveryThread> {
    const port = opts.hotPathPort;
    const thread = await startThread(import.meta.url, './thread-main', {
      workerData: { config: opts.config, port },
      transferList: port ? [port] : [],
    });
    return new DeliveryThread(thread, opts.onFatal);
  }

  private post(m: ToThread): void {
    this.thread.postMessage(m);
  }

  /** New work was stored by this process: the thread's worker and digest scheduler look. */
  wake(): void {
    if (!this.stopping && !this.exited) this.post({ wake: true });
  }

  /**
   * The thread's metrics (delivery counters, attempt durations, requests in flight); none if
   * it does not answer within METRICS_WAIT_MS, so that a scrape always answers.
   */
  metrics(): Promise<MetricsSnapshot> {
    if (this.stopping || this.exited) return Promise.resolve([]);
    const id = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve([]);
      }, METRICS_WAIT_MS);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.post({ id, metrics: true });
    });
  }

  /**
   * Graceful stop: the thread stops claiming, lets requests in flight finish for up to
   * graceMs, writes their results, gives back the rest, closes its store; then it ends.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exited) return;
      const stopped = new Promise<void>((resolve) => {
        const onMessage = (m: FromThread) => {
          if ('stopped' in m) resolve();
        };
        this.thread.on('message', onMessage);
        this.thread.once('exit', () => resolve());
      });
      this.post({ stop: graceMs });
      await stopped;
      await this.thread.terminate();
    })();
    return this.stopping;
  }
}
