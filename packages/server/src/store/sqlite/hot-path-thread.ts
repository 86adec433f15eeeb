import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { planFanOut } from '../../engine/fan-out.js';
import { startThread } from '../../ops/thread.js';
import type { ClaimedDelivery, CompletionReport, DeliveryResult, FanOutPlanner, HotPath, IngestGroup, IngestGroupResult } from '../types.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
type Answer = { id?: number; result?: unknown; error?: { message: string; name: string; code?: string; stack?: string } };
/** The store thread itself, or a port to it handed to another thread (ThreadedSqliteHotPath.connect). */
type Endpoint = Worker | MessagePort;

/**
 * The hot path of the SQLite store thread (hot-path-thread-main.ts) seen from another thread:
 * same contract as SqliteHotPath, every call one message each way. The process's main thread
 * talks to the store thread directly; a delivery thread (src/background/) talks to it through
 * a port of its own, so that all hot-path writes of the process stay on one connection.
 */
export class HotPathClient implements HotPath {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  protected failed: Error | null = null;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly onFatal: (err: Error) => void,
  ) {
    endpoint.on('message', (m: Answer) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name, code: m.error.code, stack: m.error.stack }));
      else p.resolve(m.result);
    });
  }

  /** Every call fails from now on; `onFatal` is told once. */
  protected fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.onFatal(err);
  }

  private call<T>(method: string, args: unknown[]): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.endpoint.postMessage({ id, method, args });
    });
  }

  ingest(groups: readonly IngestGroup[], plan: FanOutPlanner): Promise<IngestGroupResult[]> {
    // The thread plans with the same pure function; a planner with other rules cannot cross threads.
    if (plan !== planFanOut) return Promise.reject(new Error('the SQLite store thread fans out with planFanOut only'));
    return this.call('ingest', [groups]);
  }

  claim(limit: number, now: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    return this.call('claim', [limit, now, leaseMs, token]);
  }

  complete(results: readonly DeliveryResult[], now: number): Promise<CompletionReport> {
    return this.call('complete', [results, now]);
  }

  renew(tokens: readonly string[], until: number): Promise<void> {
    return this.call('renew', [tokens, until]);
  }

  release(tokens: readonly string[], now: number): Promise<void> {
    return this.call('release', [tokens, now]);
  }

  nextDueAt(): Promise<number | null> {
    return this.call('nextDueAt', []);
  }

  /** Asks the store thread to close its connection (only the thread's owner does this). */
  protected closeRemote(): Promise<unknown> {
    return this.failed ? Promise.resolve() : this.call('close', []).catch(() => undefined);
  }
}

/** A HotPathClient over a port from ThreadedSqliteHotPath.connect(), used by another thread. */
export class PortHotPath extends HotPathClient {
  constructor(
    private readonly port: MessagePort,
    onFatal: (err: Error) => void = () => undefined,
  ) {
    super(port, onFatal);
    port.on('close', () => this.fail(new Error('the SQLite store thread is gone')));
  }

  /** Lets the port go; the store thread stays open for its owner. */
  async close(): Promise<void> {
    this.port.removeAllListeners('close');
    this.port.close();
  }
}

/**
 * The SQLite hot path run on a store thread (hot-path-thread-main.ts) with its own connection
 * to the same file, so that SQLite's work — and the fsyncs' wait — never holds up the event
 * loop that sends requests and answers the API: on a machine with two cores, delivery and
 * storage each get one. WAL lets both connections read at once; writes take turns under
 * SQLite's own lock.
 */
export class ThreadedSqliteHotPath extends HotPathClient {
  private constructor(
    private readonly worker: Worker,
    onFatal: (err: Error) => void,
  ) {
    super(worker, onFatal);
    worker.on('error', (err) => this.fail(new Error(`the SQLite store thread failed: ${err.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`the SQLite store thread stopped (exit ${code})`)));
  }

  /**
   * Starts the store thread on `file` (already migrated) and waits until it is ready. If the
   * thread ever dies, every call fails from then on and `onFatal` is told (the process then
   * reports itself unhealthy: nothing unacknowledged is lost, a restart resumes the work).
   */
  static async start(file: string, onFatal: (err: Error) => void = () => undefined): Promise<ThreadedSqliteHotPath> {
    // The thread holds only the batches in transit: a small heap keeps the process's memory down.
    // (Only the young generation is bounded: a large group commit may still hold a lot at once.)
    const worker = await startThread(import.meta.url, './hot-path-thread-main', { workerData: { file }, resourceLimits: { maxYoungGenerationSizeMb: 16 } });
    return new ThreadedSqliteHotPath(worker, onFatal);
  }

  /** A new port to the store thread, to transfer to another thread (see PortHotPath). */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ attach: port1 }, [port1]);
    return port2;
  }

  /** Closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    await this.closeRemote();
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
