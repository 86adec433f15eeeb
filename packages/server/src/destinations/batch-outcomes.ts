/**
 * The outcomes of one batch, settled by whichever comes first per message: the broker's
 * answer or the batch deadline. `done` resolves when every message has an outcome, so a send
 * can never wait past its deadline, whatever the client library does.
 */
import type { DestinationErrorCode, DestinationOutcome } from './types.js';

export class BatchOutcomes {
  readonly done: Promise<DestinationOutcome[]>;
  private readonly outcomes: (DestinationOutcome | undefined)[];
  private readonly started = performance.now();
  private left: number;
  /** Messages not sent yet (see holding()). */
  private readonly held = new Set<number>();
  private resolve: (v: DestinationOutcome[]) => void = () => undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(count: number, deadlineMs: number) {
    this.outcomes = new Array<DestinationOutcome | undefined>(count).fill(undefined);
    this.left = count;
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (count === 0) {
      this.resolve([]);
      return;
    }
    this.timer = setTimeout(() => this.timeOut(deadlineMs), Math.max(0, deadlineMs));
  }

  /**
   * Marks message `i` as not sent yet (waiting for room): should the deadline come first, it
   * fails saying it never went out rather than that its confirm is missing. `sent(i)` undoes it.
   */
  holding(i: number): void {
    this.held.add(i);
  }

  sent(i: number): void {
    this.held.delete(i);
  }

  /** Milliseconds left before the deadline. */
  remainingMs(deadlineMs: number): number {
    return deadlineMs - (performance.now() - this.started);
  }

  get settled(): boolean {
    return this.left === 0;
  }

  isOpen(i: number): boolean {
    return this.outcomes[i] === undefined;
  }

  ok(i: number, detail?: string): void {
    const o: DestinationOutcome = { ok: true, durationMs: this.elapsed() };
    if (detail !== undefined) o.detail = detail;
    this.set(i, o);
  }

  fail(i: number, errorCode: DestinationErrorCode, errorMessage: string): void {
    this.set(i, { ok: false, durationMs: this.elapsed(), errorCode, errorMessage });
  }

  /** Fails every message that has no outcome yet. */
  failRest(errorCode: DestinationErrorCode, errorMessage: string): void {
    for (let i = 0; i < this.outcomes.length; i++) this.fail(i, errorCode, errorMessage);
  }

  private timeOut(deadlineMs: number): void {
    for (const i of this.held) this.fail(i, 'timeout', `Not published within ${deadlineMs} ms: the messages before it were still waiting for the broker's confirms`);
    this.failRest('timeout', `No confirm from the broker within ${deadlineMs} ms`);
  }

  private set(i: number, o: DestinationOutcome): void {
    if (i < 0 || i >= this.outcomes.length || this.outcomes[i] !== undefined) return;
    this.outcomes[i] = o;
    this.left -= 1;
    if (this.left === 0) {
      clearTimeout(this.timer);
      this.resolve(this.outcomes as DestinationOutcome[]);
    }
  }

  private elapsed(): number {
    return Math.round((performance.now() - this.started) * 1000) / 1000;
  }
}
