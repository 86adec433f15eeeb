/**
 * One broker connection shared by every batch of a destination, opened on first use and
 * opened again on the first send after it was lost. Client libraries' own reconnect loops are
 * switched off: they queue publishes while disconnected, and a send must instead fail fast
 * (`broker_unreachable`) so the delivery engine can schedule a retry. After a failed connect
 * attempt, sends fail at once until a backoff has passed (doubling per failure, capped), so a
 * dead broker costs one connect attempt per backoff period, not one per batch.
 */
import { cannotReject, detach } from '../background/detach.js';
import { BatchOutcomes } from './batch-outcomes.js';
import type { DestinationErrorCode } from './types.js';

/** A failure that applies to a whole batch (no connection, bad settings). */
export class DestinationFailure {
  constructor(
    readonly code: DestinationErrorCode,
    readonly message: string,
  ) {}
}

export interface LazyConnectionOptions<C> {
  /** Opens a connection; should itself give up after `timeoutMs`. */
  open: (timeoutMs: number) => Promise<C>;
  /** Closes a connection; errors are ignored. */
  shut: (c: C) => Promise<void>;
  /** Maps an open() error to a code and a message. */
  classify: (err: unknown) => DestinationFailure;
  connectTimeoutMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** Asked before every open (DestinationOptions.checkAddress): a reason refuses the connect. */
  checkAddress?: (() => Promise<string | null>) | undefined;
}

const SHUT_TIMEOUT_MS = 2000;

export class LazyConnection<C> {
  private current: C | null = null;
  private opening: Promise<C | DestinationFailure> | null = null;
  private failures = 0;
  private retryAt = 0;
  private lastFailure: DestinationFailure | null = null;
  private closed = false;

  constructor(private readonly opts: LazyConnectionOptions<C>) {}

  /** The open connection, or why there is none within `timeoutMs`. Never throws. */
  async get(timeoutMs: number): Promise<C | DestinationFailure> {
    if (this.closed) return new DestinationFailure('broker_unreachable', 'The destination is closed');
    if (this.current !== null) return this.current;
    if (this.opening === null) {
      const wait = this.retryAt - Date.now();
      if (wait > 0 && this.lastFailure !== null) {
        return new DestinationFailure(this.lastFailure.code, `${this.lastFailure.message} (next connect attempt in ${wait} ms)`);
      }
      this.opening = this.connect();
    }
    return raceTimeout(this.opening, timeoutMs, () => new DestinationFailure('broker_unreachable', `No connection to the broker within ${Math.round(timeoutMs)} ms`));
  }

  /** The client reports `c` died: the next get() opens a new connection. */
  lost(c: C): void {
    if (this.current !== c) return;
    this.current = null;
    detach(this.shutQuietly(c), cannotReject);
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    if (opening !== null) await opening;
    const c = this.current;
    this.current = null;
    if (c !== null) await this.shutQuietly(c);
  }

  private async connect(): Promise<C | DestinationFailure> {
    const timeoutMs = this.opts.connectTimeoutMs;
    let abandoned = false;
    const open = async (): Promise<C | DestinationFailure> => {
      // Every connection, the first and each reconnect, is checked first: nothing is dialled when refused.
      const refused = await this.allowed();
      if (refused !== null) return refused;
      let c: C;
      try {
        c = await this.opts.open(timeoutMs);
      } catch (err) {
        return this.opts.classify(err);
      }
      // A connection that arrives after we gave up on it, or after close(), is not kept.
      if (abandoned || this.closed) {
        detach(this.shutQuietly(c), cannotReject);
        return new DestinationFailure('broker_unreachable', this.closed ? 'The destination is closed' : `No connection to the broker within ${timeoutMs} ms`);
      }
      return c;
    };
    const attempt = open();
    const r = await raceTimeout(attempt, timeoutMs + 100, () => {
      abandoned = true;
      return new DestinationFailure('broker_unreachable', `No connection to the broker within ${timeoutMs} ms`);
    });
    this.opening = null;
    if (r instanceof DestinationFailure) {
      this.failures += 1;
      const delay = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectInitialMs * 2 ** Math.min(this.failures - 1, 30));
      this.retryAt = Date.now() + delay;
      this.lastFailure = r;
      return r;
    }
    this.failures = 0;
    this.lastFailure = null;
    this.current = r;
    return r;
  }

  /** Null when the connection may be opened; else the failure that refuses it. */
  private async allowed(): Promise<DestinationFailure | null> {
    let problem: string | null;
    try {
      problem = this.opts.checkAddress ? await this.opts.checkAddress() : null;
    } catch (err) {
      problem = `the broker's address could not be checked: ${errorText(err)}`;
    }
    return problem === null ? null : new DestinationFailure('blocked_address', problem);
  }

  private async shutQuietly(c: C): Promise<void> {
    await raceTimeout(this.opts.shut(c).catch(() => undefined), SHUT_TIMEOUT_MS, () => undefined);
  }
}

/** `p`, or `onTimeout()` when `p` has not settled after `ms`. `p` must not reject. */
export function raceTimeout<T, U>(p: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), Math.max(0, ms));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** An error's code and message, for outcome messages. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * Starts sending a batch of `count`: its outcomes (settled by the deadline whatever happens),
 * and the connection to send on. `conn` is null when there is nothing to send, or when no
 * connection could be had: then every message has already failed with the reason.
 */
export async function startBatch<C>(link: LazyConnection<C>, count: number, deadlineMs: number): Promise<{ out: BatchOutcomes; conn: C | null }> {
  const out = new BatchOutcomes(count, deadlineMs);
  if (count === 0) return { out, conn: null };
  const conn = await link.get(out.remainingMs(deadlineMs));
  if (conn instanceof DestinationFailure) {
    out.failRest(conn.code, conn.message);
    return { out, conn: null };
  }
  return { out, conn };
}
