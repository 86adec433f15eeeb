import { Worker } from 'node:worker_threads';
import { planFanOut } from '../../engine/fan-out.js';
import type { ClaimedDelivery, CompletionReport, DeliveryResult, FanOutPlanner, HotPath, IngestGroup, IngestGroupResult } from '../types.js';

/** Worker threads do not inherit tsx's loader: when running from source the thread registers it first. */
function tsxBootstrap(main: URL): string {
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(main.href)}); });`;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * The SQLite hot path run on a store thread (hot-path-thread-main.ts) with its own connection
 * to the same file, so that SQLite's work — and the fsyncs' wait — never holds up the event
 * loop that sends requests and answers the API: on a machine with two cores, delivery and
 * storage each get one. WAL lets both connections read at once; writes take turns under
 * SQLite's own lock. Same contract as SqliteHotPath; every call is one message each way.
 */
export class ThreadedSqliteHotPath implements HotPath {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private failed: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    onFatal: (err: Error) => void,
  ) {
    worker.on('message', (m: { id?: number; result?: unknown; error?: { message: string; name: string; code?: string; stack?: string } }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name, code: m.error.code, stack: m.error.stack }));
      else p.resolve(m.result);
    });
    const fail = (err: Error) => {
      if (this.failed) return;
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      onFatal(err);
    };
    worker.on('error', (err) => fail(new Error(`the SQLite store thread failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`the SQLite store thread stopped (exit ${code})`)));
  }

  /**
   * Starts the store thread on `file` (already migrated) and waits until it is ready. If the
   * thread ever dies, every call fails from then on and `onFatal` is told (the process then
   * reports itself unhealthy: nothing unacknowledged is lost, a restart resumes the work).
   */
  static async start(file: string, onFatal: (err: Error) => void = () => undefined): Promise<ThreadedSqliteHotPath> {
    // From dist, or from source when TypeScript runs through tsx (tests): the thread loads tsx too.
    const fromSource = import.meta.url.endsWith('.ts');
    const main = new URL(`./hot-path-thread-main.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    // The thread holds only the batches in transit: a small heap keeps the process's memory down.
    // (Only the young generation is bounded: a large group commit may still hold a lot at once.)
    const options = { workerData: { file }, resourceLimits: { maxYoungGenerationSizeMb: 16 } };
    const worker = fromSource ? new Worker(tsxBootstrap(main), { ...options, eval: true }) : new Worker(main, options);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean }) => {
        if (!m.ready) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new ThreadedSqliteHotPath(worker, onFatal);
  }

  private call<T>(method: string, args: unknown[]): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args });
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

  /** Closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    if (!this.failed) await this.call('close', []).catch(() => undefined);
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
