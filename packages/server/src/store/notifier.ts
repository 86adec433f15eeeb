import type pg from 'pg';
import type { WorkNotifier } from './types.js';

/** SQLite: the process is the file's only user, so waking is a function call. */
export class InProcessNotifier implements WorkNotifier {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const fn of this.listeners) fn();
  }

  wakeLocal(): void {
    this.notify();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** Shortest spacing of this process's NOTIFYs (see PostgresNotifier.notify). */
const NOTIFY_GAP_MS = 5;

/**
 * PostgreSQL: LISTEN on a channel that ingest NOTIFYs inside its transaction (delivered at
 * commit). A lost connection is re-opened with backoff, and listeners are woken after it,
 * since notifications sent while it was down are gone.
 */
export class PostgresNotifier implements WorkNotifier {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | null = null;
  private closed = false;
  private retryDelay = 100;
  private sending = false;
  private sendAgain = false;

  constructor(
    private readonly connect: () => Promise<pg.Client>,
    private readonly channel: string,
    private readonly send: (channel: string) => Promise<unknown>,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    const client = await this.connect();
    client.on('notification', () => this.wakeLocal());
    client.on('error', (err) => this.reconnect(err));
    client.on('end', () => this.reconnect(new Error('LISTEN connection ended')));
    await client.query(`LISTEN "${this.channel}"`);
    this.client = client;
    this.retryDelay = 100;
  }

  private reconnect(err: unknown): void {
    if (this.closed || this.client === null) return;
    this.onError(err);
    this.client = null;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, 5000);
    setTimeout(() => {
      if (this.closed) return;
      this.start().then(
        () => this.wakeLocal(),
        (e: unknown) => {
          this.client = {} as pg.Client; // mark "had a client" so reconnect keeps trying
          this.reconnect(e);
        },
      );
    }, delay).unref();
  }

  wakeLocal(): void {
    for (const fn of this.listeners) fn();
  }

  /**
   * Wakes local workers at once, and every other process through the server. Each NOTIFY is a
   * statement of its own and wakes every listening connection, so under a stream of small
   * commits they are spaced NOTIFY_GAP_MS apart: the first goes at once, those that follow
   * within the gap are sent as one at its end (workers gather wake-ups for 4 ms anyway).
   */
  notify(): void {
    this.wakeLocal();
    this.notifyOthers();
  }

  private notifyOthers(): void {
    if (this.sending) {
      this.sendAgain = true;
      return;
    }
    this.sending = true;
    this.send(this.channel)
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        setTimeout(() => {
          this.sending = false;
          if (this.sendAgain && !this.closed) {
            this.sendAgain = false;
            this.notifyOthers();
          }
        }, NOTIFY_GAP_MS).unref();
      });
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const c = this.client;
    this.client = null;
    if (c && typeof c.end === 'function') await c.end().catch(() => undefined);
  }
}
