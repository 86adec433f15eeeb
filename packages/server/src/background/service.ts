/**
 * The one lifecycle every background service shares (after River's internal/startstop and
 * baseservice): start, stop, settled(), and one wake loop. A service writes only its `look()`,
 * one pass over the store that answers when it wants to look next; the lifecycle serializes
 * looks (a wake-up during a look asks for exactly one more after it), keeps one timer armed at
 * the earliest next look, gathers notifier wake-ups, and tells tests when a look finished.
 */
import type { Logger } from '../ops/logger.js';
import type { WorkNotifier } from '../store/types.js';
import { systemClock, type Clock } from './clock.js';
import { Signal } from './signal.js';

export interface ServiceOptions {
  /** Names the service in logs. */
  name: string;
  log: Logger;
  clock?: Clock | undefined;
  /**
   * Look when new work is announced: notifications arriving within `gatherMs` of the first
   * are answered by one look (every ingest commit notifies).
   */
  notifier?: { source: WorkNotifier; gatherMs: number } | undefined;
  /** The first look comes this long after start() instead of at once. */
  firstLookInMs?: number | undefined;
}

/** What a finished look reports to tests (`service.signals.looked`). */
export interface LookReport {
  startedAt: number;
  /** When the service asked to look next (null: only a wake-up brings it back). */
  next: number | null;
  /** Set when the look threw. */
  error?: unknown;
}

/** After a look that threw, the next one comes this much later: no spin, no long gap. */
const RETRY_AFTER_ERROR_MS = 1000;

export abstract class BackgroundService {
  /** Test signals: await `signals.looked.next()` instead of sleeping. */
  readonly signals = { looked: new Signal<LookReport>(), stopped: new Signal<void>() };
  protected readonly clock: Clock;
  protected readonly log: Logger;
  private active = false;
  private current: Promise<void> | null = null;
  private again = false;
  private timerAt = Number.POSITIVE_INFINITY;
  private cancelTimer: (() => void) | null = null;
  private cancelGather: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopping: Promise<void> | null = null;

  constructor(private readonly opts: ServiceOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
  }

  /**
   * One pass. Answers the time (this clock, ms since the epoch) of the next look it wants,
   * or null when only a wake-up should bring it back. A pass that throws is logged and
   * retried a second later.
   */
  protected abstract look(): Promise<number | null>;

  get name(): string {
    return this.opts.name;
  }

  /** True between start() and stop(): a look checks it to end early when stopped. */
  get running(): boolean {
    return this.active;
  }

  now(): number {
    return this.clock.now();
  }

  /** A wake-up came during the look under way: another look follows it at once. */
  protected get wakeQueued(): boolean {
    return this.again;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    const n = this.opts.notifier;
    if (n) this.unsubscribe = n.source.subscribe(() => this.gather(n.gatherMs));
    if (this.opts.firstLookInMs === undefined) this.wake();
    else this.arm(this.now() + this.opts.firstLookInMs);
  }

  /** Look now; a look under way runs once more after it (wake-ups in between collapse into that one). */
  wake(): void {
    if (!this.active) return;
    if (this.current) {
      this.again = true;
      return;
    }
    this.current = this.run().finally(() => {
      this.current = null;
      const again = this.again;
      this.again = false;
      if (again) this.wake();
    });
  }

  /** Look at `at` unless an earlier look is already set. */
  protected arm(at: number): void {
    if (!this.active) return;
    if (this.cancelTimer && at >= this.timerAt) return;
    this.cancelTimer?.();
    this.timerAt = at;
    // +1: a timer may fire a hair early; the look must find `at` passed.
    this.cancelTimer = this.clock.after(at - this.now() + 1, () => {
      this.cancelTimer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.wake();
    });
  }

  private gather(ms: number): void {
    if (!this.active || this.cancelGather) return;
    this.cancelGather = this.clock.after(ms, () => {
      this.cancelGather = null;
      this.wake();
    });
  }

  private async run(): Promise<void> {
    const startedAt = this.now();
    let report: LookReport;
    try {
      const next = await this.look();
      report = { startedAt, next };
    } catch (error) {
      this.log.error({ err: error, service: this.name }, `${this.name}: a background pass failed; trying again in 1 s`);
      report = { startedAt, next: this.now() + RETRY_AFTER_ERROR_MS, error };
    }
    if (report.next !== null) this.arm(report.next);
    this.signals.looked.emit(report);
  }

  /** Resolves once no look is running (nor queued to run right after). */
  async settled(): Promise<void> {
    while (this.current) await this.current;
  }

  /** Runs once per stop(), after the last look ended: what a service must finish or close. */
  protected async afterStop(): Promise<void> {}

  /**
   * Stops the timer and waiting for wake-ups, waits for the look under way, then runs
   * afterStop(). A second call waits for the same stop. The service can be started again.
   */
  stop(): Promise<void> {
    if (!this.active) return this.stopping ?? Promise.resolve();
    this.active = false;
    this.again = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.cancelGather?.();
    this.cancelGather = null;
    const stopping = (async () => {
      await this.settled();
      await this.afterStop();
      this.signals.stopped.emit();
    })();
    this.stopping = stopping;
    const forget = () => {
      if (this.stopping === stopping) this.stopping = null;
    };
    stopping.then(forget, forget);
    return stopping;
  }
}
