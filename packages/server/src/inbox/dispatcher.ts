/**
 * Hands stored requests to the handler one at a time, oldest first. The next request waits
 * until the one before it succeeded (or was given up with --max-attempts), so the handler
 * sees events in the order they arrived. A request is marked done only after its handler
 * succeeded: a crash in between means it is handed over again (at least once).
 */
import type { HandoffHandler } from './handoff.js';
import type { InboxRequest, InboxStore } from './store.js';

export interface DispatcherOptions {
  retryMinMs: number;
  retryMaxMs: number;
  /** 0: retry for ever. */
  maxAttempts: number;
  log: (line: string) => void;
  now?: () => number;
}

/** Exponential backoff from retryMinMs, doubled per failed attempt, capped at retryMaxMs. */
export function retryDelay(failedAttempts: number, retryMinMs: number, retryMaxMs: number): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 40);
  return Math.min(retryMinMs * 2 ** exponent, retryMaxMs);
}

export class Dispatcher {
  private running = false;
  /** A restart is often the fix (a handler redeployed): the first hand-off skips any stored delay. */
  private resumeNow = true;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly now: () => number;

  constructor(
    private readonly store: InboxStore,
    private readonly handler: HandoffHandler,
    private readonly opts: DispatcherOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** A new request was stored: stop waiting if idle. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Lets a hand-off in progress finish (bounded by the handler's timeout), then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (err) {
        // The file could not be read or the outcome recorded (disk full, file gone): the event
        // stays as it was, tried again later; never a busy loop.
        this.opts.log(`store error: ${(err as Error).message}; trying again in ${this.opts.retryMaxMs} ms`);
        await this.sleep(this.opts.retryMaxMs, false);
      }
    }
  }

  private async step(): Promise<void> {
    const head = this.store.head();
    if (head === undefined) {
      await this.sleep(undefined);
      return;
    }
    const wait = head.nextAttemptAt - this.now();
    if (wait > 0 && !this.resumeNow) {
      // Only a retry's delay or stop() ends this wait: new arrivals queue behind the head.
      await this.sleep(wait, false);
      return;
    }
    this.resumeNow = false;
    await this.handOver(head);
  }

  private async handOver(req: InboxRequest): Promise<void> {
    const attempt = req.attempts + 1;
    const result = await this.handler(req, attempt);
    const label = `#${req.seq}${req.requestId === null ? '' : ` ${req.requestId}`}`;
    if (result.ok) {
      this.store.markDone(req.seq, attempt, this.now());
      this.opts.log(`handed over ${label} (attempt ${attempt}): ${result.detail}`);
      return;
    }
    const giveUp = this.opts.maxAttempts > 0 && attempt >= this.opts.maxAttempts;
    const delay = retryDelay(attempt, this.opts.retryMinMs, this.opts.retryMaxMs);
    this.store.markFailedAttempt(req.seq, attempt, this.now() + delay, result.error, giveUp);
    if (giveUp) this.opts.log(`gave up ${label} after ${attempt} attempts: ${result.error}; it stays stored, marked failed`);
    else this.opts.log(`hand-off failed ${label} (attempt ${attempt}): ${result.error}; next try in ${delay} ms`);
  }

  /** Waits for ms (undefined: for ever) or stop(); wake() ends it too unless wakeable is false. */
  private sleep(ms: number | undefined, wakeable = true): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.wakeUp = () => {
        if (wakeable || !this.running) done();
      };
    });
  }
}
